// Message: an RFC 5322 message as header fields plus a body, read leniently and written
// back byte for byte.

/// An Internet message (RFC 5322 §2.1): a header section, an empty line, a body.
///
/// Parsing never loses a byte: `serialized()` of an unchanged message equals its input.
/// Header fields may be added, removed or replaced; the body is a range of the original.
public struct Message: Sendable {
    /// The bytes the message was parsed from.
    public let source: [UInt8]
    /// The header fields, in order.
    public var header: Header
    /// The empty line between header and body as it appeared (CRLF or LF), or empty when the
    /// header ran to the end of the input or the body started without one.
    public var separator: [UInt8]
    /// Where the body lies in `source`.
    public let bodyRange: Range<Int>
    /// What the parser worked around.
    public let defects: [MIMEDefect]
    private let originalHeaderEnd: Int

    /// Parses a message. Throws only when a limit of `limits` is crossed.
    public init(parsing bytes: [UInt8], limits: MIMELimits = .default) throws(MIMEError) {
        let parsed = try bytes.withUnsafeBufferPointer { (buffer) throws(MIMEError) -> ParsedHeader in
            try HeaderParser.parse(buffer, from: 0, to: buffer.count, limits: limits, allowsEnvelopeLine: true)
        }
        source = bytes
        header = parsed.header
        separator = Array(bytes[parsed.separator])
        bodyRange = parsed.bodyStart..<bytes.count
        defects = parsed.defects
        originalHeaderEnd = parsed.separator.lowerBound
    }

    /// A new message from header fields and a body; the separator is CRLF.
    public init(header: Header, body: [UInt8]) {
        let head = header.serialized
        source = head + [ASCII.cr, ASCII.lf] + body
        self.header = header
        separator = [ASCII.cr, ASCII.lf]
        bodyRange = (head.count + 2)..<source.count
        defects = []
        originalHeaderEnd = head.count
    }

    /// The body bytes, still transfer-encoded.
    public var body: ArraySlice<UInt8> { source[bodyRange] }

    /// The message as bytes: identical to `source` unless the header was changed.
    public func serialized() -> [UInt8] {
        let separatorRange = originalHeaderEnd..<bodyRange.lowerBound
        if source[separatorRange].elementsEqual(separator), isHeaderUnchanged { return source }
        var out = header.serialized
        out.reserveCapacity(out.count + separator.count + bodyRange.count)
        out += separator
        out += body
        return out
    }

    private var isHeaderUnchanged: Bool {
        var offset = 0
        for field in header.fields {
            guard offset + field.raw.count <= originalHeaderEnd,
                  source[offset..<(offset + field.raw.count)].elementsEqual(field.raw) else { return false }
            offset += field.raw.count
        }
        return offset == originalHeaderEnd
    }

    /// The MIME structure of the message as it is now (see `MIMEPart`); byte ranges refer
    /// to `serialized()`.
    public func mimeTree(limits: MIMELimits = .default) throws(MIMEError) -> MIMEPart {
        try MIMEPart(parsing: serialized(), limits: limits)
    }
}
