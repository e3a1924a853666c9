// MIME parts: the tree of a message's body parts (RFC 2045, RFC 2046), each with its
// IMAP part number (RFC 3501 §6.4.5) and its header and body byte ranges in the original.

/// One node of a message's MIME tree.
///
/// The root is the message itself. A multipart part has children; a message/rfc822 part
/// has the encapsulated message as its only child. Every part knows its byte ranges in
/// `source`, the bytes that were parsed (shared by all parts, not copied).
public struct MIMEPart: Sendable {
    /// What a part's body holds.
    public indirect enum Body: Sendable {
        /// A leaf: the body is content in its transfer encoding.
        case single
        /// A multipart body (RFC 2046 §5.1): the parts between the delimiters, with the
        /// byte ranges of the preamble before the first and the epilogue after the last.
        case multipart(parts: [MIMEPart], preamble: Range<Int>, epilogue: Range<Int>)
        /// An encapsulated message (RFC 2046 §5.2.1): its root part.
        case message(MIMEPart)
    }

    /// The bytes the tree was parsed from.
    public let source: [UInt8]
    /// The part number as IMAP numbers it (RFC 3501 §6.4.5): empty for a multipart message
    /// root, [1] for the body of a single-part message, [2, 1] for the first part inside
    /// part 2, and so on. The root of an encapsulated multipart message has the number of
    /// its message/rfc822 part.
    public let partNumber: [Int]
    /// Whether this part is the root of a message (the top level or an encapsulated one),
    /// whose header is an RFC 5322 header rather than a MIME part header.
    public let isMessageRoot: Bool
    /// The part's header fields.
    public let header: Header
    /// The header's bytes in `source`, the separating empty line included.
    public let headerRange: Range<Int>
    /// The body's bytes in `source`, transfer-encoded.
    public let bodyRange: Range<Int>
    /// The effective content type: the Content-Type field, or the default of RFC 2045 §5.2
    /// (or RFC 2046 §5.1.5 inside multipart/digest) when it is missing or unreadable.
    public let contentType: ContentType
    /// The body: a leaf, children, or an encapsulated message.
    public let body: Body
    /// What the parser worked around while reading this part (not its children).
    public let defects: [MIMEDefect]

    init(source: [UInt8], partNumber: [Int], isMessageRoot: Bool, header: Header, headerRange: Range<Int>,
         bodyRange: Range<Int>, contentType: ContentType, body: Body, defects: [MIMEDefect]) {
        self.source = source
        self.partNumber = partNumber
        self.isMessageRoot = isMessageRoot
        self.header = header
        self.headerRange = headerRange
        self.bodyRange = bodyRange
        self.contentType = contentType
        self.body = body
        self.defects = defects
    }

    /// Parses the MIME tree of a message. Throws only when a header limit is crossed;
    /// nesting and part-count limits turn deeper parts into leaves (see `MIMELimits`).
    public init(parsing bytes: [UInt8], limits: MIMELimits = .default) throws(MIMEError) {
        self = try TreeParser.parse(bytes, limits: limits)
    }

    // MARK: - Structure

    /// The IMAP section name of the part ("1.2"; "" for a multipart message root).
    public var section: String { partNumber.map(String.init).joined(separator: ".") }

    /// The whole part in `source`: header and body.
    public var range: Range<Int> { headerRange.lowerBound..<bodyRange.upperBound }

    /// The direct children: the parts of a multipart, or the root of an encapsulated message.
    public var children: [MIMEPart] {
        switch body {
        case .single: []
        case .multipart(let parts, _, _): parts
        case .message(let root): [root]
        }
    }

    /// Calls `visitor` on this part and every part below it, depth first, in order.
    public func visit(_ visitor: (MIMEPart) throws -> Void) rethrows {
        try visitor(self)
        for child in children { try child.visit(visitor) }
    }

    /// Every part of the tree, depth first.
    public var allParts: [MIMEPart] {
        var out: [MIMEPart] = []
        visit { out.append($0) }
        return out
    }

    /// The part with IMAP section `section` ("2.1"), preferring a body part over the root
    /// of an encapsulated message with the same number.
    public func part(_ section: String) -> MIMEPart? {
        let wanted = section.split(separator: ".").compactMap { Int($0) }
        guard wanted.count == section.split(separator: ".").count else { return nil }
        var found: MIMEPart? = nil
        visit { part in
            if found == nil && part.partNumber == wanted && !(part.isMessageRoot && part.contentType.isMultipart && !wanted.isEmpty) {
                found = part
            }
        }
        return found ?? allParts.first { $0.partNumber == wanted }
    }

    // MARK: - Fields

    /// The Content-Disposition, if present and readable (RFC 2183).
    public var contentDisposition: ContentDisposition? {
        header["content-disposition"].flatMap { ContentDisposition(parsing: $0.unfoldedValue) }
    }

    /// The Content-Transfer-Encoding in lower case; "7bit" when absent (RFC 2045 §6.1).
    public var transferEncoding: String {
        guard let field = header["content-transfer-encoding"] else { return "7bit" }
        let value = String(decoding: trimmed(field.unfoldedValue[...]), as: UTF8.self).asciiLowercased
        return value.isEmpty ? "7bit" : value
    }

    /// The file name: Content-Disposition's filename (RFC 2183 §2.3), else Content-Type's
    /// "name" parameter, trimmed.
    public var filename: String? {
        let name = contentDisposition?.filename ?? contentType[parameter: "name"]
        return name.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The body bytes as they are in the message (still transfer-encoded).
    public var rawBody: ArraySlice<UInt8> { source[bodyRange] }

    /// The body with its transfer encoding undone (base64, quoted-printable; anything else
    /// is returned as it is).
    public func decodedBody() -> [UInt8] {
        switch transferEncoding {
        case "base64": Base64Decoder.decode(rawBody)
        case "quoted-printable": QuotedPrintableDecoder.decode(rawBody)
        default: Array(rawBody)
        }
    }

    /// The charset of a text part: its "charset" parameter, else US-ASCII (RFC 2046
    /// §4.1.2); nil for other types without one.
    public var charset: String? {
        contentType.charset?.asciiLowercased ?? (contentType.type == "text" ? "us-ascii" : nil)
    }

    /// The decoded body as text in its charset (UTF-8 or Latin-1 when unknown).
    public func decodedText() -> String {
        Charset.decodeLeniently(decodedBody(), charset: charset)
    }

    /// Whether the part is presented as an attachment: a Content-Disposition of
    /// "attachment", or a leaf with a file name that is not inline text.
    public var isAttachment: Bool {
        if let disposition = contentDisposition {
            if disposition.isAttachment { return true }
            if disposition.kind == "inline" { return false }
        }
        guard case .single = body else { return false }
        return filename != nil
    }
}

import Foundation
