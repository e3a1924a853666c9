// Dates: the RFC 5322 §3.3 date-time, read with the obsolete forms of §4.3 (two- and
// three-digit years, named zones, military zones, comments, missing seconds) and written
// in the canonical form.

import Foundation

/// A date-time as written in a Date or Received field: calendar fields plus the zone
/// offset the writer used.
public struct MIMEDate: Sendable, Hashable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// The zone offset from UTC in minutes (RFC 5322 §3.3 zone; "-0000" and unknown zones
    /// are 0, §4.3).
    public var zoneOffsetMinutes: Int
    /// Whether the zone is known: false for "-0000", military and unrecognised zones,
    /// which RFC 5322 §3.3 and §4.3 say give UTC with no information about local time.
    public var isZoneKnown: Bool = true

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, zoneOffsetMinutes: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.zoneOffsetMinutes = zoneOffsetMinutes
    }

    /// The date-time of `date` seen in a zone `zoneOffsetMinutes` east of UTC.
    public init(_ date: Date, zoneOffsetMinutes: Int = 0) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + zoneOffsetMinutes * 60
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (proleptic Gregorian).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        self.zoneOffsetMinutes = zoneOffsetMinutes
    }

    /// The instant the fields denote.
    public var date: Date {
        let seconds = civilDays * 86_400 + hour * 3600 + minute * 60 + second - zoneOffsetMinutes * 60
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Days from 1970-01-01 to the calendar date (proleptic Gregorian).
    private var civilDays: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let mp = (month + 9) % 12
        let dayOfYear = (153 * mp + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

    /// RFC 5322 §4.3 obs-zone: the named zones; military letters count as "-0000".
    private static let namedZones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0,
        "edt": -4 * 60, "est": -5 * 60, "cdt": -5 * 60, "cst": -6 * 60,
        "mdt": -6 * 60, "mst": -7 * 60, "pdt": -7 * 60, "pst": -8 * 60,
    ]

    /// Parses a date-time such as `Tue, 1 Jul 2003 10:52:37 +0200`; nil when it has no
    /// recognisable day, month, year and time.
    public init?(parsing value: some Collection<UInt8>) {
        // Comments and commas out; words split on blanks (RFC 5322 §3.3 with CFWS).
        let tokens = Lexer.tokens(Array(value), mode: .rfc5322)
        var words: [String] = []
        for token in tokens where token.kind == .atom || token.kind == .special {
            if token.isSpecial(ASCII.comma) { continue }
            let text = String(decoding: token.bytes, as: UTF8.self)
            // The lexer splits "10:52:37" at the colons: glue time parts back together.
            if token.isSpecial(ASCII.colon) || (words.last?.hasSuffix(":") == true && !token.spaceBefore) {
                if words.isEmpty { return nil }
                words[words.count - 1] += text
            } else {
                words.append(text)
            }
        }
        var index = 0
        // Optional day of week.
        if index < words.count, words[index].count >= 3, Int(words[index]) == nil,
           Self.months.firstIndex(of: String(words[index].prefix(3)).lowercased()) == nil {
            index += 1
        }
        guard index + 3 < words.count else { return nil }
        var dayWord = words[index], monthWord = words[index + 1]
        // Tolerate "Jul 1 2003" as well as "1 Jul 2003".
        if Int(dayWord) == nil, Int(monthWord) != nil { swap(&dayWord, &monthWord) }
        guard let day = Int(dayWord), (1...31).contains(day),
              let month = Self.months.firstIndex(of: String(monthWord.prefix(3)).lowercased()),
              var year = Int(words[index + 2]), year >= 0 else { return nil }
        let yearDigits = words[index + 2].count
        // RFC 5322 §4.3: two-digit years 00-49 are 2000-2049, 50-99 are 1950-1999;
        // three-digit years add 1900.
        if yearDigits <= 2 { year += year < 50 ? 2000 : 1900 } else if yearDigits == 3 { year += 1900 }
        let timeParts = words[index + 3].split(separator: ":", omittingEmptySubsequences: false)
        guard timeParts.count == 2 || timeParts.count == 3,
              let hour = Int(timeParts[0]), (0...23).contains(hour),
              let minute = Int(timeParts[1]), (0...59).contains(minute) else { return nil }
        let second = timeParts.count == 3 ? Int(timeParts[2]) : 0
        guard let second, (0...60).contains(second) else { return nil }
        var offset = 0
        var known = false
        if index + 4 < words.count {
            let zone = words[index + 4]
            let sign = zone.first
            if (sign == "+" || sign == "-"), zone.count == 5, let hhmm = Int(zone.dropFirst()) {
                offset = (hhmm / 100 * 60 + hhmm % 100) * (sign == "-" ? -1 : 1)
                known = zone != "-0000"
            } else if let named = Self.namedZones[zone.lowercased()] {
                offset = named
                known = true
            }
        }
        self.init(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: min(second, 59), zoneOffsetMinutes: offset)
        isZoneKnown = known
    }

    /// RFC 5322 §3.3 form: `Tue, 1 Jul 2003 10:52:37 +0200`.
    public var description: String {
        let weekday = ((civilDays % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday
        let sign = zoneOffsetMinutes < 0 ? "-" : "+"
        let zone = abs(zoneOffsetMinutes)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(Self.dayNames[weekday]), \(day) \(Self.monthNames[month - 1]) \(year) \(two(hour)):\(two(minute)):\(two(second)) \(sign)\(two(zone / 60))\(two(zone % 60))"
    }
}
