// Message building: text and multipart/mixed, alternative and related messages with
// attachments, each part's transfer encoding chosen for its content (RFC 2045 §6,
// RFC 2046 §5.1), boundaries that do not occur in the content, Message-ID and Date.

import Foundation

/// Builds an RFC 5322 / MIME message as bytes with CRLF line endings.
///
/// ```swift
/// var builder = MessageBuilder(from: Mailbox(localPart: "a", domain: "example.test"), subject: "Hi")
/// builder.to = [.mailbox(Mailbox(localPart: "b", domain: "example.test"))]
/// builder.body = .mixed([.text("Hello"), .attachment(data, type: ContentType(type: "application", subtype: "pdf"), filename: "a.pdf")])
/// let bytes = builder.build()
/// ```
public struct MessageBuilder: Sendable {
    /// A body or body part.
    public indirect enum Part: Sendable {
        /// Text in UTF-8 (or US-ASCII when it is): `subtype` "plain", "html", …
        case text(String, subtype: String = "plain")
        /// Bytes of any type, shown inline or offered as an attachment.
        case content([UInt8], type: ContentType, filename: String? = nil, disposition: String? = nil, contentID: String? = nil)
        /// A whole message as a message/rfc822 part (RFC 2046 §5.2.1).
        case message([UInt8])
        /// A multipart part with the given subtype (RFC 2046 §5.1): "mixed", "alternative", "related", …
        /// and parameters besides the boundary (multipart/report's report-type, RFC 6522 §3).
        case multipart(String, [Part], parameters: [MIMEParameter] = [])

        /// An attachment (Content-Disposition: attachment, RFC 2183).
        public static func attachment(_ data: [UInt8], type: ContentType, filename: String) -> Part {
            .content(data, type: type, filename: filename, disposition: "attachment")
        }
        /// multipart/mixed.
        public static func mixed(_ parts: [Part]) -> Part { .multipart("mixed", parts) }
        /// multipart/alternative, simplest first (RFC 2046 §5.1.4).
        public static func alternative(_ parts: [Part]) -> Part { .multipart("alternative", parts) }
        /// multipart/related (RFC 2387).
        public static func related(_ parts: [Part]) -> Part { .multipart("related", parts) }
    }

    public var from: Mailbox?
    public var sender: Mailbox?
    public var to: [Address] = []
    public var cc: [Address] = []
    public var bcc: [Address] = []
    public var replyTo: [Address] = []
    public var subject: String?
    /// The Date field's instant; nil writes the time of `build`.
    public var date: Date?
    /// The Message-ID without angle brackets; nil generates one under `hostname`.
    public var messageID: String?
    /// The host name used in generated Message-IDs (RFC 5322 §3.6.4).
    public var hostname = "localhost"
    /// More fields, appended in order after the standard ones.
    public var extraFields: [HeaderField] = []
    public var body: Part = .text("")
    /// Whether 8-bit content may be sent as "8bit" (for 8BITMIME peers, RFC 6152);
    /// otherwise everything is 7-bit (quoted-printable or base64).
    public var allows8bit = false

    public init(from: Mailbox? = nil, subject: String? = nil, body: Part = .text("")) {
        self.from = from
        self.subject = subject
        self.body = body
    }

    /// Builds the message with the system's random generator for boundaries and IDs.
    public func build() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return build(using: &generator)
    }

    /// Builds the message, drawing boundaries and the Message-ID from `generator`.
    public func build(using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var header = Header()
        if let from { header.append(name: "From", value: from.description) }
        if let sender { header.append(name: "Sender", value: sender.description) }
        for (name, list) in [("To", to), ("Cc", cc), ("Bcc", bcc), ("Reply-To", replyTo)] where !list.isEmpty {
            header.append(name: name, value: AddressList(list).description)
        }
        if let subject { header.append(name: "Subject", value: EncodedWord.encodeUnstructured(subject)) }
        let zone = TimeZone.current.secondsFromGMT() / 60
        header.append(name: "Date", value: MIMEDate(date ?? Date(), zoneOffsetMinutes: zone).description)
        let id = messageID ?? "\(Self.randomToken(&generator, length: 20)).\(Int(Date().timeIntervalSince1970))@\(hostname)"
        header.append(name: "Message-ID", value: "<" + id + ">")
        header.fields += extraFields
        header.append(name: "MIME-Version", value: "1.0")  // RFC 2045 §4
        let (partHeader, partBody) = render(body, using: &generator)
        header.fields += partHeader
        return header.serialized + [ASCII.cr, ASCII.lf] + partBody
    }

    // MARK: - Parts

    /// The MIME header fields and the encoded body of a part.
    private func render(_ part: Part, using generator: inout some RandomNumberGenerator) -> ([HeaderField], [UInt8]) {
        switch part {
        case .text(let text, let subtype):
            let bytes = Array(text.utf8)
            let charset = bytes.allSatisfy { $0 < 0x80 } ? "us-ascii" : "utf-8"
            let type = ContentType(type: "text", subtype: subtype, parameters: [MIMEParameter(name: "charset", value: charset)])
            return leaf(bytes, type: type, filename: nil, disposition: nil, contentID: nil)
        case .content(let data, let type, let filename, let disposition, let contentID):
            return leaf(data, type: type, filename: filename, disposition: disposition, contentID: contentID)
        case .message(let bytes):
            // RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary, never encoded.
            var inner = bytes
            if !allows8bit && !TransferEncoding.isSevenBit(bytes) {
                inner = (try? SevenBitDowngrade.downgrade(bytes)) ?? bytes
            }
            let cte = TransferEncoding.isSevenBit(inner) ? "7bit" : "8bit"
            return ([HeaderField(name: "Content-Type", value: "message/rfc822"),
                     HeaderField(name: "Content-Transfer-Encoding", value: cte)], inner)
        case .multipart(let subtype, let parts, let parameters):
            let rendered = parts.map { render($0, using: &generator) }
            // RFC 2046 §5.1.1: the boundary must not occur in any encapsulated part.
            var boundary: String
            repeat {
                boundary = "=_chappe_" + Self.randomToken(&generator, length: 24)
            } while rendered.contains { part in
                let bytes = part.0.flatMap(\.raw) + part.1
                return bytes.firstRange(of: Array(("--" + boundary).utf8)) != nil
            }
            var type = ContentType(type: "multipart", subtype: subtype, parameters: parameters)
            type.setParameter("boundary", boundary)
            var body: [UInt8] = []
            let dash = Array(("--" + boundary).utf8)
            for (fields, content) in rendered {
                body += dash + [ASCII.cr, ASCII.lf]
                body += fields.flatMap(\.raw) + [ASCII.cr, ASCII.lf] + content
                body += [ASCII.cr, ASCII.lf]  // RFC 2046 §5.1.1: this CRLF belongs to the next delimiter
            }
            body += dash + [ASCII.minus, ASCII.minus, ASCII.cr, ASCII.lf]
            return ([HeaderField(name: "Content-Type", value: type.description)], body)
        }
    }

    private func leaf(_ data: [UInt8], type: ContentType, filename: String?, disposition: String?, contentID: String?) -> ([HeaderField], [UInt8]) {
        var type = type
        if let filename, type[parameter: "name"] == nil { type.setParameter("name", filename) }
        var fields = [HeaderField(name: "Content-Type", value: type.description)]
        // message/* fields (delivery-status, disposition-notification) are
        // text for this purpose: 7bit when they can be (RFC 3464 §2.1 says it MUST).
        let isText = type.type == "text" || type.type == "message"
        let (encoding, body) = TransferEncoding.encode(data, isText: isText, allows8bit: allows8bit)
        fields.append(HeaderField(name: "Content-Transfer-Encoding", value: encoding))
        if let contentID { fields.append(HeaderField(name: "Content-ID", value: "<" + contentID + ">")) }
        if disposition != nil || filename != nil {
            var value = ContentDisposition(kind: disposition ?? "attachment")
            if let filename { value.parameters.append(MIMEParameter(name: "filename", value: filename)) }
            fields.append(HeaderField(name: "Content-Disposition", value: value.description))
        }
        return (fields, body)
    }

    static func randomToken(_ generator: inout some RandomNumberGenerator, length: Int) -> String {
        let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return String((0..<length).map { _ in digits[Int.random(in: 0..<digits.count, using: &generator)] })
    }
}

/// Choosing and applying a Content-Transfer-Encoding (RFC 2045 §6).
public enum TransferEncoding {
    /// RFC 5322 §2.1.1 / RFC 2045 §2.7: lines of 7bit data are at most 998 octets.
    public static let maxLineLength = 998

    /// Whether `bytes` is 7bit data (RFC 2045 §2.7): no byte above 127, no NUL, lines of at
    /// most 998 octets. Bare LF line endings are allowed: making them CRLF is the
    /// transport's job (RFC 5321 §2.3.8).
    public static func isSevenBit(_ bytes: some Collection<UInt8>) -> Bool {
        lineShape(bytes).sevenBit
    }

    /// Encodes `data` for a body: text that is 7bit stays as it is (line endings made CRLF);
    /// text with 8-bit bytes is "8bit" when allowed, else quoted-printable when mostly
    /// ASCII; anything else is base64.
    public static func encode(_ data: [UInt8], isText: Bool, allows8bit: Bool) -> (String, [UInt8]) {
        let shape = lineShape(data)
        if isText && !shape.hasNUL && !shape.hasBareCR && shape.longestLine <= maxLineLength {
            let crlf = normalizedLineEndings(data)
            if shape.eightBitCount == 0 { return ("7bit", crlf) }
            if allows8bit { return ("8bit", crlf) }
        }
        if isText && !shape.hasNUL && shape.eightBitCount * 3 <= data.count {
            return ("quoted-printable", QuotedPrintableEncoder.encode(data, options: .init(encodeLeadingF: true, encodeLeadingDot: true)))
        }
        return ("base64", Base64Encoder.encode(data))
    }

    struct Shape {
        var eightBitCount = 0
        var hasNUL = false
        var hasBareCR = false
        var hasBareLF = false
        var longestLine = 0
        var sevenBit: Bool { eightBitCount == 0 && !hasNUL && longestLine <= TransferEncoding.maxLineLength }
    }

    static func lineShape(_ bytes: some Collection<UInt8>) -> Shape {
        var shape = Shape()
        var line = 0
        var previous: UInt8 = 0
        for b in bytes {
            if b >= 0x80 { shape.eightBitCount += 1 }
            if b == 0 { shape.hasNUL = true }
            if previous == ASCII.cr && b != ASCII.lf { shape.hasBareCR = true }
            if b == ASCII.lf {
                if previous != ASCII.cr { shape.hasBareLF = true }
                shape.longestLine = max(shape.longestLine, line - (previous == ASCII.cr ? 1 : 0))
                line = 0
            } else {
                line += 1
            }
            previous = b
        }
        if previous == ASCII.cr { shape.hasBareCR = true }
        shape.longestLine = max(shape.longestLine, line)
        return shape
    }

    /// Line endings made CRLF (RFC 2045 §2.10, RFC 5322 §2.3).
    static func normalizedLineEndings(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 40)
        var previous: UInt8 = 0
        for b in data {
            if b == ASCII.lf && previous != ASCII.cr { out.append(ASCII.cr) }
            out.append(b)
            previous = b
        }
        return out
    }
}
