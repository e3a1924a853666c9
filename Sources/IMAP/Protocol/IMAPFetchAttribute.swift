// FETCH data items and body sections (RFC 9051 §6.4.5, §6.4.5.1; RFC 3501
// §6.4.5 for RFC822.*; RFC 7162 §3.1.4 for MODSEQ).

/// fetch-att. The macros ALL, FAST and FULL are expanded by the parser
/// (RFC 9051 §6.4.5 defines them as equivalent to their expansion).
public enum IMAPFetchAttribute: Sendable, Hashable {
    case envelope
    case flags
    case internalDate
    case rfc822Size
    /// BODY: the non-extensible body structure.
    case body
    case bodyStructure
    case uid
    /// MODSEQ (RFC 7162 §3.1.4.1).
    case modSeq
    /// RFC822 = BODY[] (RFC 3501 §6.4.5).
    case rfc822
    /// RFC822.HEADER = BODY.PEEK[HEADER].
    case rfc822Header
    /// RFC822.TEXT = BODY[TEXT].
    case rfc822Text
    /// BODY[section]<partial> and BODY.PEEK[section]<partial>.
    case bodySection(IMAPSection, partial: IMAPPartial?, peek: Bool)
    /// BINARY[part]<partial> and BINARY.PEEK[part]<partial> (RFC 9051 §6.4.5).
    case binary(part: [UInt32], partial: IMAPPartial?, peek: Bool)
    /// BINARY.SIZE[part].
    case binarySize(part: [UInt32])

    /// FAST = (FLAGS INTERNALDATE RFC822.SIZE)
    public static let fast: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size]
    /// ALL = (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)
    public static let all: [IMAPFetchAttribute] = fast + [.envelope]
    /// FULL = (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)
    public static let full: [IMAPFetchAttribute] = all + [.body]
}

/// section = "[" [section-spec] "]" (RFC 9051 §6.4.5.1).
public struct IMAPSection: Sendable, Hashable, CustomStringConvertible {
    /// The part path, e.g. [1, 2] for "1.2"; empty for the whole message.
    public var part: [UInt32]
    public var text: Text?

    /// section-msgtext / "MIME"
    public enum Text: Sendable, Hashable {
        case header
        case headerFields([String])
        case headerFieldsNot([String])
        case text
        /// MIME: only after a part number.
        case mime
    }

    public init(part: [UInt32] = [], text: Text? = nil) {
        self.part = part
        self.text = text
    }

    /// The whole message: BODY[].
    public static let complete = IMAPSection()

    /// The section-spec between the brackets, e.g. "1.2.HEADER.FIELDS (TO)".
    public var description: String {
        var bytes: [UInt8] = []
        IMAPWireWriter.appendSectionSpec(self, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// partial = "<" number64 "." nz-number64 ">"
public struct IMAPPartial: Sendable, Hashable {
    public var offset: UInt64
    public var length: UInt64

    public init(offset: UInt64, length: UInt64) {
        self.offset = offset
        self.length = length
    }
}
