// 7-bit downgrade: rewrites a message so that it is all 7bit data, for SMTP peers that do
// not offer 8BITMIME (RFC 6152 §3; RFC 2045 §6): 8-bit leaves become quoted-printable or
// base64, 8-bit header fields become encoded words, untouched parts keep their bytes.

/// Converts 8-bit messages to 7-bit.
public enum SevenBitDowngrade {
    /// Whether the message needs no conversion.
    public static func isSevenBit(_ message: [UInt8]) -> Bool {
        TransferEncoding.isSevenBit(message)
    }

    /// The message with every 8-bit part re-encoded: text leaves as quoted-printable, other
    /// leaves as base64, message/rfc822 parts downgraded inside (RFC 2046 §5.2.1 forbids
    /// encoding them), header fields with 8-bit bytes as RFC 2047 words (RFC 2231 for
    /// parameters). A message that is already 7-bit is returned unchanged.
    public static func downgrade(_ message: [UInt8], limits: MIMELimits = .default) throws(MIMEError) -> [UInt8] {
        if isSevenBit(message) { return message }
        let tree = try MIMEPart(parsing: message, limits: limits)
        return rewrite(tree)
    }

    private static func rewrite(_ part: MIMEPart) -> [UInt8] {
        let source = part.source
        if TransferEncoding.isSevenBit(source[part.range]) { return Array(source[part.range]) }
        var fields = part.header.fields.map(sevenBitField)
        var body: [UInt8]
        switch part.body {
        case .single:
            let raw = part.rawBody
            let encoding = part.transferEncoding
            if TransferEncoding.isSevenBit(raw) && encoding != "binary" && encoding != "8bit" {
                body = Array(raw)
            } else {
                // 8-bit bytes, NUL or lines past 998 octets (RFC 5321 §4.5.3.1.6): re-encode.
                let decoded = part.decodedBody()
                let isText = part.contentType.type == "text"
                let (newEncoding, encoded) = TransferEncoding.encode(decoded, isText: isText, allows8bit: false)
                body = encoded
                fields.removeAll { $0.hasName("Content-Transfer-Encoding") }
                fields.append(HeaderField(name: "Content-Transfer-Encoding", value: newEncoding))
            }
        case .multipart(let parts, _, _):
            // Keep the delimiters and the text between parts; rewrite each part in place.
            body = []
            var offset = part.bodyRange.lowerBound
            for child in parts {
                body += sanitized(source[offset..<child.range.lowerBound])
                body += rewrite(child)
                offset = child.range.upperBound
            }
            body += sanitized(source[offset..<part.bodyRange.upperBound])
        case .message(let inner):
            body = rewrite(inner)
            if part.header["content-transfer-encoding"] != nil {
                fields.removeAll { $0.hasName("Content-Transfer-Encoding") }
                fields.append(HeaderField(name: "Content-Transfer-Encoding", value: "7bit"))
            }
        }
        var separator = Array(source[part.headerRange].suffix(2))
        if separator != [ASCII.cr, ASCII.lf] { separator = [ASCII.cr, ASCII.lf] }
        return fields.flatMap(\.raw) + separator + body
    }

    /// Preamble, epilogue and delimiter text: 8-bit bytes there carry no meaning
    /// (RFC 2046 §5.1.1) and become "?".
    private static func sanitized(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.map { $0 >= 0x80 ? ASCII.question : $0 }
    }

    /// A field with 8-bit bytes rewritten: addresses re-formatted with encoded display
    /// names, MIME parameters re-formatted with RFC 2231, other text (and addresses whose
    /// local part or domain is 8-bit) as encoded words.
    static func sevenBitField(_ field: HeaderField) -> HeaderField {
        guard field.raw.contains(where: { $0 >= 0x80 }) else { return field }
        if field.isMalformed {
            return HeaderField(raw: sanitized(field.raw[...]), name: "", valueStart: 0, valueEnd: 0, isMalformed: true)
        }
        let key = field.name.asciiLowercased
        let value = field.unfoldedValue
        switch key {
        case "from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc", "resent-bcc", "resent-sender":
            let formatted = AddressList(parsing: value).description
            // 8-bit in an address itself needs SMTPUTF8 (RFC 6531); short of that, the field
            // falls through to encoded words below, readable but no longer an address list.
            if formatted.utf8.allSatisfy({ $0 < 0x80 }) { return HeaderField(name: field.name, value: formatted) }
        case "content-type":
            if let type = ContentType(parsing: value), type.description.utf8.allSatisfy({ $0 < 0x80 }) {
                return HeaderField(name: field.name, value: type.description)
            }
        case "content-disposition":
            if let disposition = ContentDisposition(parsing: value), disposition.description.utf8.allSatisfy({ $0 < 0x80 }) {
                return HeaderField(name: field.name, value: disposition.description)
            }
        default:
            break
        }
        return HeaderField(name: field.name, value: EncodedWord.encodeUnstructured(String(mailBytes: value)))
    }
}
