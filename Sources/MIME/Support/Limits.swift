// Limits: the bounds every MIME parser enforces, each named and tied to the RFC text behind it.

/// Bounds applied while parsing a message. Every limit is configurable; the defaults are
/// generous for real mail and small enough that hostile input cannot exhaust memory or stack.
public struct MIMELimits: Sendable, Hashable {
    /// Deepest nesting of multipart and message/rfc822 parts that is parsed into a tree.
    /// RFC 2046 §5.1 allows unbounded nesting; deeper parts are kept as opaque leaves and
    /// reported with `MIMEDefect.nestingTooDeep`.
    public var maxNestingDepth: Int
    /// Most parts in one message tree; parts beyond it are left unparsed inside their parent
    /// and reported with `MIMEDefect.tooManyParts`.
    public var maxParts: Int
    /// Most header fields in one header section (RFC 5322 §3.6 sets no maximum). Parsing
    /// fails with `MIMEError.tooManyHeaderFields` past it.
    public var maxHeaderFields: Int
    /// Largest header field in bytes, folding included. RFC 5322 §2.1.1 caps a line at 998
    /// characters but a field may fold over many lines. Parsing fails with
    /// `MIMEError.headerFieldTooLong` past it.
    public var maxHeaderFieldBytes: Int

    /// The defaults: 50 levels, 10,000 parts, 2,000 fields, 256 KiB per field.
    public static let `default` = MIMELimits(
        maxNestingDepth: 50, maxParts: 10_000, maxHeaderFields: 2_000, maxHeaderFieldBytes: 256 * 1024)

    public init(maxNestingDepth: Int, maxParts: Int, maxHeaderFields: Int, maxHeaderFieldBytes: Int) {
        self.maxNestingDepth = maxNestingDepth
        self.maxParts = maxParts
        self.maxHeaderFields = maxHeaderFields
        self.maxHeaderFieldBytes = maxHeaderFieldBytes
    }
}

/// A failure that stops parsing. Only the hard limits throw; malformed input is otherwise
/// accepted and described by `MIMEDefect`s.
public enum MIMEError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A header section has more fields than `MIMELimits.maxHeaderFields`.
    case tooManyHeaderFields(limit: Int)
    /// A header field is larger than `MIMELimits.maxHeaderFieldBytes`; `offset` is where it starts.
    case headerFieldTooLong(offset: Int, limit: Int)
    /// A part number does not exist in the message.
    case noSuchPart(String)
    /// Malformed input where a value is required (for example a date or an address).
    case syntax(String)

    public var description: String {
        switch self {
        case .tooManyHeaderFields(let limit): "more than \(limit) header fields"
        case .headerFieldTooLong(let offset, let limit): "header field at byte \(offset) is longer than \(limit) bytes"
        case .noSuchPart(let part): "no part \(part) in the message"
        case .syntax(let what): what
        }
    }
}

/// Something wrong with the input that the parser worked around. Offsets are byte offsets
/// into the parsed bytes.
public enum MIMEDefect: Sendable, Hashable {
    /// A header line that is neither a field nor a continuation ended the header section
    /// early; the line starts the body (RFC 5322 §2.1 wants an empty line).
    case missingHeaderBodySeparator(offset: Int)
    /// A line that cannot be a field was kept as a malformed field (a leading mbox "From "
    /// line, a continuation with nothing to continue, a field with an empty name).
    case malformedHeaderLine(offset: Int)
    /// A multipart part without a boundary parameter (RFC 2046 §5.1.1) is kept as a leaf.
    case noBoundaryInMultipart(offset: Int)
    /// A multipart body in which the first boundary never occurs is kept as a leaf.
    case startBoundaryNotFound(offset: Int)
    /// A multipart body ended without its close delimiter (RFC 2046 §5.1.1).
    case closeBoundaryNotFound(offset: Int)
    /// A part nested deeper than `MIMELimits.maxNestingDepth` was kept as a leaf.
    case nestingTooDeep(offset: Int)
    /// Parts past `MIMELimits.maxParts` were not parsed.
    case tooManyParts(offset: Int)
}
