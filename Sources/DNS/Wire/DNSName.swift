// DNSName: a domain name as its labels of raw bytes, compared without regard to ASCII case,
// written and read in presentation form with `\.` and `\DDD` escapes.
//
// Invariants: no label is empty (the root is the empty label list), none is longer than 63
// octets and the wire form is at most 255 octets (RFC 1035 §2.3.4). Every initializer
// checks them, so a `DNSName` value is always encodable.

// MARK: - DNSNameError

/// Why a name or label was refused.
public enum DNSNameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Two dots in a row, a leading dot, or an empty text.
    case emptyLabel
    /// A label of more than 63 octets (RFC 1035 §2.3.4); carries its length.
    case labelTooLong(Int)
    /// A name of more than 255 octets on the wire (RFC 1035 §2.3.4); carries its length.
    case nameTooLong(Int)
    /// A `\` not followed by a character, or `\DDD` with a value above 255 (RFC 1035 §5.1).
    case badEscape
    /// A relative name with no origin to complete it.
    case relativeWithoutOrigin

    public var description: String {
        switch self {
        case .emptyLabel: "empty label"
        case .labelTooLong(let length): "label of \(length) octets (at most \(DNSLimits.maxLabelLength))"
        case .nameTooLong(let length): "name of \(length) octets (at most \(DNSLimits.maxNameLength))"
        case .badEscape: "bad escape (\\X or \\DDD with DDD at most 255)"
        case .relativeWithoutOrigin: "relative name without an origin"
        }
    }
}

// MARK: - DNSName

/// A domain name: a sequence of labels, the root label implied at the end.
public struct DNSName: Sendable, Hashable, CustomStringConvertible {
    /// The labels from the leftmost (most specific) to the rightmost, the root excluded.
    public let labels: [[UInt8]]

    /// The root name, ".".
    public static let root = DNSName(uncheckedLabels: [])

    /// A name from its labels, each checked against the RFC 1035 §2.3.4 limits.
    public init(labels: [[UInt8]]) throws(DNSNameError) {
        var length = 1
        for label in labels {
            guard !label.isEmpty else { throw .emptyLabel }
            guard label.count <= DNSLimits.maxLabelLength else { throw .labelTooLong(label.count) }
            length += 1 + label.count
        }
        guard length <= DNSLimits.maxNameLength else { throw .nameTooLong(length) }
        self.labels = labels
    }

    /// Labels already known to satisfy the limits (from a checked name or the wire reader).
    init(uncheckedLabels labels: [[UInt8]]) {
        self.labels = labels
    }

    /// Parses a name in presentation form (RFC 1035 §5.1): labels separated by dots, `\X`
    /// quoting a character and `\DDD` a decimal octet. A name ending in an unescaped dot is
    /// absolute; any other is relative and completed with `origin`. "." is the root.
    public init(parsing text: some StringProtocol, origin: DNSName? = .root) throws(DNSNameError) {
        try self.init(presentation: Array(text.utf8), origin: origin)
    }

    /// The same as `init(parsing:origin:)` over the raw bytes of a token.
    init(presentation bytes: [UInt8], origin: DNSName?) throws(DNSNameError) {
        if bytes == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        guard !bytes.isEmpty else { throw .emptyLabel }
        var labels: [[UInt8]] = []
        var label: [UInt8] = []
        var absolute = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\\"):
                label.append(try Self.unescape(bytes, at: &index))
            case UInt8(ascii: "."):
                guard !label.isEmpty else { throw .emptyLabel }
                labels.append(label)
                label = []
                absolute = index == bytes.count
            default:
                label.append(byte)
            }
            guard label.count <= DNSLimits.maxLabelLength else { throw .labelTooLong(label.count) }
        }
        if !absolute {
            labels.append(label)
            guard let origin else { throw .relativeWithoutOrigin }
            labels += origin.labels
        }
        try self.init(labels: labels)
    }

    /// Decodes the escape after a backslash at `index` (RFC 1035 §5.1): `\DDD` is an octet in
    /// decimal, `\X` is X itself.
    static func unescape(_ bytes: [UInt8], at index: inout Int) throws(DNSNameError) -> UInt8 {
        guard index < bytes.count else { throw .badEscape }
        guard isDigit(bytes[index]) else {
            index += 1
            return bytes[index - 1]
        }
        guard index + 3 <= bytes.count, bytes[index..<index + 3].allSatisfy(isDigit) else { throw .badEscape }
        let value = bytes[index..<index + 3].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard value <= 255 else { throw .badEscape }
        index += 3
        return UInt8(value)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: - Structure

    /// True for ".".
    public var isRoot: Bool { labels.isEmpty }

    /// Length of the uncompressed wire form, the root label included.
    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    /// True when the leftmost label is `*` (RFC 4592 §2.1.1).
    public var isWildcard: Bool { labels.first == [UInt8(ascii: "*")] }

    /// The name without its leftmost label; nil for the root.
    public var parent: DNSName? {
        isRoot ? nil : DNSName(uncheckedLabels: Array(labels.dropFirst()))
    }

    /// The name without its `count` leftmost labels.
    func droppingFirst(_ count: Int) -> DNSName {
        DNSName(uncheckedLabels: Array(labels.dropFirst(count)))
    }

    /// True when this name equals `ancestor` or lies below it.
    public func isSubdomain(of ancestor: DNSName) -> Bool {
        let extra = labels.count - ancestor.labels.count
        guard extra >= 0 else { return false }
        return zip(labels[extra...], ancestor.labels).allSatisfy(Self.labelsEqual)
    }

    /// This name with `label` added on the left.
    public func prepending(_ label: [UInt8]) throws(DNSNameError) -> DNSName {
        try DNSName(labels: [label] + labels)
    }

    // MARK: - Comparison (RFC 4343 §3: ASCII case-insensitive, other octets exact)

    static func fold(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    static func labelsEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { fold($0) == fold($1) }
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.labels.count == rhs.labels.count && zip(lhs.labels, rhs.labels).allSatisfy(labelsEqual)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(labels.count)
        for label in labels {
            hasher.combine(label.count)
            for byte in label { hasher.combine(Self.fold(byte)) }
        }
    }

    /// The name with ASCII letters in lower case (the form used for keys and comparisons).
    public var lowercased: DNSName {
        DNSName(uncheckedLabels: labels.map { $0.map(Self.fold) })
    }

    // MARK: - Presentation (RFC 1035 §5.1)

    /// The absolute presentation form: "example.com.", "." for the root, special characters
    /// escaped as `\X` and octets outside printable ASCII as `\DDD`.
    public var description: String {
        guard !isRoot else { return "." }
        var out = ""
        for label in labels {
            Self.appendEscaped(label, to: &out)
            out += "."
        }
        return out
    }

    /// The presentation form relative to `origin`: "@" for the origin itself, the labels
    /// above it without a trailing dot below it, the absolute form elsewhere.
    public func relative(to origin: DNSName) -> String {
        guard self != origin else { return "@" }
        guard isSubdomain(of: origin), !origin.isRoot else { return description }
        var out = ""
        for (index, label) in labels.dropLast(origin.labels.count).enumerated() {
            if index > 0 { out += "." }
            Self.appendEscaped(label, to: &out)
        }
        return out
    }

    static func appendEscaped(_ label: [UInt8], to out: inout String) {
        for byte in label {
            switch byte {
            case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
                UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                out += "\\" + String(UnicodeScalar(byte))
            case 0x21...0x7E:
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += decimalEscape(byte)
            }
        }
    }

    /// `\DDD` for an octet, three digits (RFC 1035 §5.1).
    static func decimalEscape(_ byte: UInt8) -> String {
        let digits = String(byte)
        return "\\" + String(repeating: "0", count: 3 - digits.count) + digits
    }
}
