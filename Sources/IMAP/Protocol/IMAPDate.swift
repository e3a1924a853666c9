// Dates of the protocol: search dates "d-Mon-yyyy" and internal dates
// "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 9051 §9 `date`, `date-time`).

/// date-text = date-day "-" date-month "-" date-year
public struct IMAPDate: Sendable, Hashable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Nil unless the fields name a day of the Gregorian calendar with a
    /// four-digit year.
    public init?(year: Int, month: Int, day: Int) {
        guard (0...9999).contains(year), (1...12).contains(month),
            (1...IMAPDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// "1-Feb-1994" (RFC 9051 §6.4.4 examples).
    public var description: String {
        "\(day)-\(IMAPDate.monthNames[month - 1])-\(IMAPDate.pad(year, 4))"
    }

    /// Days since 1970-01-01 (proleptic Gregorian calendar).
    public var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar day `days` after 1970-01-01.
    public init?(daysSince1970 days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
public struct IMAPDateTime: Sendable, Hashable, CustomStringConvertible {
    public let date: IMAPDate
    public let hour: Int
    public let minute: Int
    public let second: Int
    /// Minutes east of UTC, e.g. -420 for "-0700".
    public let zoneMinutes: Int

    public init?(date: IMAPDate, hour: Int, minute: Int, second: Int, zoneMinutes: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (-(23 * 60 + 59)...(23 * 60 + 59)).contains(zoneMinutes)
        else { return nil }
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.zoneMinutes = zoneMinutes
    }

    /// The instant `seconds` after the epoch, shown in the zone `zoneMinutes`.
    public init?(secondsSince1970 seconds: Int64, zoneMinutes: Int = 0) {
        guard (-(23 * 60 + 59)...(23 * 60 + 59)).contains(zoneMinutes) else { return nil }
        let (local, overflow) = seconds.addingReportingOverflow(Int64(zoneMinutes) * 60)
        guard !overflow else { return nil }
        let days = local / 86_400 - (local % 86_400 < 0 ? 1 : 0)
        let secondOfDay = Int(local - days * 86_400)
        guard let date = IMAPDate(daysSince1970: Int(days)) else { return nil }
        self.init(
            date: date, hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60, second: secondOfDay % 60,
            zoneMinutes: zoneMinutes)
    }

    /// Seconds since 1970-01-01T00:00:00Z of this instant.
    public var secondsSince1970: Int64 {
        Int64(date.daysSince1970) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(zoneMinutes) * 60
    }

    /// "17-Jul-1996 02:44:25 -0700" (without the quotes), day padded to two
    /// characters with a space (`date-day-fixed`).
    public var description: String {
        let day = date.day < 10 ? " \(date.day)" : "\(date.day)"
        let sign = zoneMinutes < 0 ? "-" : "+"
        let zone = abs(zoneMinutes)
        return "\(day)-\(IMAPDate.monthNames[date.month - 1])-\(IMAPDate.pad(date.year, 4)) "
            + "\(IMAPDate.pad(hour, 2)):\(IMAPDate.pad(minute, 2)):\(IMAPDate.pad(second, 2)) "
            + "\(sign)\(IMAPDate.pad(zone / 60, 2))\(IMAPDate.pad(zone % 60, 2))"
    }
}

// MARK: - Parsing

extension IMAPByteReader {
    /// date = date-text / DQUOTE date-text DQUOTE
    mutating func date() throws(IMAPParseError) -> IMAPDate {
        let quotedForm = consume(IMAPCharacter.quote)
        let start = index
        let day = try fixedDigits(1...2, "day of month")
        try expect(IMAPCharacter.minus, "\"-\" after day of month")
        let month = try monthName()
        try expect(IMAPCharacter.minus, "\"-\" after month")
        let year = try fixedDigits(4...4, "four-digit year")
        guard let value = IMAPDate(year: year, month: month, day: day) else {
            throw error(.invalidDate(String(decoding: bytes[start..<index], as: UTF8.self)))
        }
        if quotedForm { try expect(IMAPCharacter.quote, "closing DQUOTE of date") }
        return value
    }

    /// date-time; date-day-fixed is (SP DIGIT) / 2DIGIT, and a single digit is
    /// accepted too, as some clients send it.
    mutating func dateTime() throws(IMAPParseError) -> IMAPDateTime {
        try expect(IMAPCharacter.quote, "date-time")
        let start = index
        _ = consume(IMAPCharacter.space)
        let day = try fixedDigits(1...2, "day of month")
        try expect(IMAPCharacter.minus, "\"-\" after day of month")
        let month = try monthName()
        try expect(IMAPCharacter.minus, "\"-\" after month")
        let year = try fixedDigits(4...4, "four-digit year")
        try space("time")
        let hour = try fixedDigits(2...2, "hour")
        try expect(IMAPCharacter.colon, "\":\" after hour")
        let minute = try fixedDigits(2...2, "minute")
        try expect(IMAPCharacter.colon, "\":\" after minute")
        let second = try fixedDigits(2...2, "second")
        try space("zone")
        let sign: Int
        if consume(IMAPCharacter.plus) {
            sign = 1
        } else if consume(IMAPCharacter.minus) {
            sign = -1
        } else {
            throw expected("\"+\" or \"-\" of zone")
        }
        let zone = try fixedDigits(4...4, "four-digit zone")
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        try expect(IMAPCharacter.quote, "closing DQUOTE of date-time")
        guard zone % 100 < 60, let date = IMAPDate(year: year, month: month, day: day),
            let value = IMAPDateTime(
                date: date, hour: hour, minute: minute, second: second, zoneMinutes: sign * (zone / 100 * 60 + zone % 100))
        else { throw error(.invalidDate(text)) }
        return value
    }

    private mutating func fixedDigits(_ count: ClosedRange<Int>, _ what: String) throws(IMAPParseError) -> Int {
        var value = 0
        var length = 0
        while length < count.upperBound, let byte = peek(), IMAPCharacter.isDigit(byte) {
            value = value * 10 + Int(byte - 0x30)
            length += 1
            advance()
        }
        guard count.contains(length) else { throw expected(what) }
        return value
    }

    /// date-month, case-insensitive (RFC 9051 §9 note 1).
    private mutating func monthName() throws(IMAPParseError) -> Int {
        guard index + 3 <= bytes.count else { throw expected("month name") }
        let name = String(decoding: bytes[index..<(index + 3)].map(IMAPCharacter.uppercased), as: UTF8.self)
        guard let month = IMAPDate.monthNames.firstIndex(where: { $0.uppercased() == name }) else {
            throw expected("month name")
        }
        advance(3)
        return month + 1
    }
}
