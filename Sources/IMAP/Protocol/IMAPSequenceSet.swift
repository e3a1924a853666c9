// Sequence sets and UID sets (RFC 9051 §4.1.1, §9 `sequence-set`), with the
// search result variable "$" (RFC 9051 §6.4.4.1).

/// seq-number = nz-number / "*"
public enum IMAPSequenceNumber: Sendable, Hashable {
    case number(UInt32)
    /// "*": the largest number in use (RFC 9051 §9 `seq-number`).
    case last

    /// The value with "*" standing for `last`.
    public func resolved(last: UInt32) -> UInt32 {
        switch self {
        case .number(let value): return value
        case .last: return last
        }
    }
}

/// seq-range = seq-number ":" seq-number, in either order; a lone number is a
/// range whose ends are equal.
public struct IMAPSequenceRange: Sendable, Hashable {
    public var first: IMAPSequenceNumber
    public var second: IMAPSequenceNumber

    public init(_ first: IMAPSequenceNumber, _ second: IMAPSequenceNumber) {
        self.first = first
        self.second = second
    }

    public init(_ single: IMAPSequenceNumber) {
        self.init(single, single)
    }

    public init(_ range: ClosedRange<UInt32>) {
        self.init(.number(range.lowerBound), .number(range.upperBound))
    }

    /// RFC 9051 §9 `seq-range`: "2:4 and 4:2 are equivalent".
    public func resolved(last: UInt32) -> ClosedRange<UInt32> {
        let a = first.resolved(last: last)
        let b = second.resolved(last: last)
        return min(a, b)...max(a, b)
    }
}

public enum IMAPSequenceSet: Sendable, Hashable, CustomStringConvertible {
    /// Ranges in the order the client wrote them (never empty).
    case ranges([IMAPSequenceRange])
    /// "$": the saved result of the last SEARCH ... RETURN (SAVE)
    /// (RFC 9051 §6.4.4.1, `seq-last-command`).
    case lastCommand

    public static func single(_ number: UInt32) -> IMAPSequenceSet {
        .ranges([IMAPSequenceRange(.number(number))])
    }

    public static func range(_ range: ClosedRange<UInt32>) -> IMAPSequenceSet {
        .ranges([IMAPSequenceRange(range)])
    }

    /// The set as ascending, merged ranges once "*" is known; `$` yields
    /// `saved`, which the session keeps.
    public func resolved(last: UInt32, saved: [ClosedRange<UInt32>] = []) -> [ClosedRange<UInt32>] {
        switch self {
        case .lastCommand:
            return saved
        case .ranges(let ranges):
            let sorted = ranges.map { $0.resolved(last: last) }.sorted { $0.lowerBound < $1.lowerBound }
            var merged: [ClosedRange<UInt32>] = []
            for range in sorted {
                if let previous = merged.last, UInt64(range.lowerBound) <= UInt64(previous.upperBound) + 1 {
                    merged[merged.count - 1] = previous.lowerBound...max(previous.upperBound, range.upperBound)
                } else {
                    merged.append(range)
                }
            }
            return merged
        }
    }

    public func contains(_ number: UInt32, last: UInt32, saved: [ClosedRange<UInt32>] = []) -> Bool {
        resolved(last: last, saved: saved).contains { $0.contains(number) }
    }

    /// The wire form, e.g. "2,4:7,9,12:*" or "$".
    public var description: String {
        var bytes: [UInt8] = []
        IMAPWireWriter.appendSequenceSet(self, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a standalone sequence set, e.g. from a configuration or a test.
    public init?(_ text: String) {
        var reader = IMAPByteReader(Array(text.utf8), maxDepth: 1)
        guard let set = try? reader.sequenceSet("sequence set"), reader.isAtEnd else { return nil }
        self = set
    }
}

extension IMAPByteReader {
    /// sequence-set = (seq-number / seq-range) ["," sequence-set] / "$"
    mutating func sequenceSet(_ what: String) throws(IMAPParseError) -> IMAPSequenceSet {
        if consume(IMAPCharacter.dollar) { return .lastCommand }
        var ranges: [IMAPSequenceRange] = []
        repeat {
            let first = try sequenceNumber(what)
            if consume(IMAPCharacter.colon) {
                ranges.append(IMAPSequenceRange(first, try sequenceNumber(what)))
            } else {
                ranges.append(IMAPSequenceRange(first))
            }
        } while consume(IMAPCharacter.comma)
        return .ranges(ranges)
    }

    /// seq-number = nz-number / "*"
    mutating func sequenceNumber(_ what: String) throws(IMAPParseError) -> IMAPSequenceNumber {
        if consume(IMAPCharacter.star) { return .last }
        guard let byte = peek(), IMAPCharacter.isDigit(byte) else { throw expected(what) }
        return .number(try nzNumber("message number in \(what)"))
    }
}
