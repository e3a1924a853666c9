// DurationText: the duration strings of etc/chappe.toml ("30s", "5m", "2h",
// "5d", "1h30m", and "250ms" for the short delays tests use) to and from
// Swift `Duration`.
//
// Invariants: a duration is one or more NUMBER UNIT terms, units from the
// largest to the smallest, each at most once, no spaces, no sign; the value
// is a whole number of milliseconds. Formatting gives the canonical form
// ("90m" reads back as "1h30m"), so format(parse(x)) parses to the same value.

// MARK: - DurationText

enum DurationText {
    /// The units, largest first, with their length in milliseconds.
    static let units: [(suffix: String, milliseconds: Int64)] = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ]

    /// The hint every duration error ends with.
    static let hint = "use e.g. \"30s\", \"5m\", \"2h\", \"5d\""

    /// Parses a duration string; nil when it is not one.
    static func parse(_ text: String) -> Duration? {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return nil }
        var index = 0
        var total: Int64 = 0
        var lastUnit = -1
        while index < scalars.count {
            var digits = 0
            var number: Int64 = 0
            while index < scalars.count, let digit = decimalValue(scalars[index]) {
                // Nine digits keep any total (at most 5 terms) inside Int64.
                guard digits < 9 else { return nil }
                number = number * 10 + Int64(digit)
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            var letters = ""
            while index < scalars.count, decimalValue(scalars[index]) == nil {
                letters.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard let unit = units.firstIndex(where: { $0.suffix == letters }), unit > lastUnit else {
                return nil
            }
            lastUnit = unit
            total += number * units[unit].milliseconds
        }
        return .milliseconds(total)
    }

    /// The canonical text of a duration: "0s", "250ms", "1h30m", "5d".
    /// Parts below a millisecond are dropped (configuration values never
    /// have them).
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        var remaining = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        guard remaining > 0 else { return "0s" }
        var out = ""
        for unit in units where remaining >= unit.milliseconds {
            out += "\(remaining / unit.milliseconds)\(unit.suffix)"
            remaining %= unit.milliseconds
        }
        return out
    }

    private static func decimalValue(_ scalar: Unicode.Scalar) -> Int? {
        ("0"..."9").contains(scalar) ? Int(scalar.value - 48) : nil
    }
}
