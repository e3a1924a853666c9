// Content-Type and Content-Disposition: the MIME type of a part and how to present it
// (RFC 2045 §5, RFC 2046, RFC 2183), with their parameters.

/// A Content-Type field value (RFC 2045 §5.1): type, subtype and parameters.
public struct ContentType: Sendable, Hashable, CustomStringConvertible {
    /// The top-level media type, lower case ("text", "multipart", …).
    public var type: String
    /// The subtype, lower case ("plain", "mixed", …).
    public var subtype: String
    /// The parameters in order.
    public var parameters: [MIMEParameter]

    public init(type: String, subtype: String, parameters: [MIMEParameter] = []) {
        self.type = type.asciiLowercased
        self.subtype = subtype.asciiLowercased
        self.parameters = parameters
    }

    /// RFC 2045 §5.2: the type of a part without (or with an unreadable) Content-Type;
    /// its charset is US-ASCII (see `MIMEPart.charset`).
    public static let `default` = ContentType(type: "text", subtype: "plain")
    /// RFC 2046 §5.1.5: the default type of a part inside multipart/digest.
    public static let digestDefault = ContentType(type: "message", subtype: "rfc822")

    /// Parses a field body such as `text/plain; charset="utf-8"`; nil when there is no
    /// type/subtype pair.
    public init?(parsing value: some Collection<UInt8>) {
        let bytes = Array(value)
        // RFC 2045 §5.1: type "/" subtype, tokens, with optional comments and blanks around.
        let head = bytes.firstIndex(of: ASCII.semicolon) ?? bytes.endIndex
        let tokens = Lexer.tokens(Array(bytes[..<head]), mode: .mime)
        guard tokens.count == 3, tokens[0].kind == .atom, tokens[1].isSpecial(ASCII.slash), tokens[2].kind == .atom else { return nil }
        type = String(decoding: tokens[0].bytes, as: UTF8.self).asciiLowercased
        subtype = String(decoding: tokens[2].bytes, as: UTF8.self).asciiLowercased
        parameters = Parameters.parse(bytes[head...])
    }

    /// "type/subtype".
    public var mimeType: String { type + "/" + subtype }

    /// The value of the parameter `name` (case-insensitive), if present.
    public subscript(parameter name: String) -> String? {
        let key = name.asciiLowercased
        return parameters.first { $0.name == key }?.value
    }

    /// The "charset" parameter (RFC 2046 §4.1.2).
    public var charset: String? { self[parameter: "charset"] }
    /// The "boundary" parameter of a multipart type (RFC 2046 §5.1.1).
    public var boundary: String? { self[parameter: "boundary"] }
    /// Whether the type is multipart/*.
    public var isMultipart: Bool { type == "multipart" }
    /// Whether the type encapsulates a whole message: message/rfc822 (RFC 2046 §5.2.1) or
    /// message/global (RFC 6532 §3.7).
    public var isEncapsulatedMessage: Bool { type == "message" && (subtype == "rfc822" || subtype == "global") }

    /// Sets or replaces a parameter.
    public mutating func setParameter(_ name: String, _ value: String) {
        let key = name.asciiLowercased
        if let index = parameters.firstIndex(where: { $0.name == key }) {
            parameters[index].value = value
        } else {
            parameters.append(MIMEParameter(name: key, value: value))
        }
    }

    /// The field body as written by `MessageBuilder`: `type/subtype; name=value`.
    public var description: String {
        ([mimeType] + Parameters.format(parameters)).joined(separator: "; ")
    }
}

/// A Content-Disposition field value (RFC 2183 §2): inline or attachment, and parameters.
public struct ContentDisposition: Sendable, Hashable, CustomStringConvertible {
    /// The disposition type in lower case: "inline", "attachment" or an extension.
    public var kind: String
    public var parameters: [MIMEParameter]

    public init(kind: String, parameters: [MIMEParameter] = []) {
        self.kind = kind.asciiLowercased
        self.parameters = parameters
    }

    /// Parses a field body such as `attachment; filename="a.pdf"`.
    public init?(parsing value: some Collection<UInt8>) {
        let bytes = Array(value)
        let head = bytes.firstIndex(of: ASCII.semicolon) ?? bytes.endIndex
        let tokens = Lexer.tokens(Array(bytes[..<head]), mode: .mime)
        guard tokens.count == 1, tokens[0].kind == .atom else { return nil }
        kind = String(decoding: tokens[0].bytes, as: UTF8.self).asciiLowercased
        parameters = Parameters.parse(bytes[head...])
    }

    /// The value of the parameter `name` (case-insensitive), if present.
    public subscript(parameter name: String) -> String? {
        let key = name.asciiLowercased
        return parameters.first { $0.name == key }?.value
    }

    /// RFC 2183 §2.3: the suggested file name.
    public var filename: String? { self[parameter: "filename"] }
    /// Whether the part is an attachment (RFC 2183 §2.2).
    public var isAttachment: Bool { kind == "attachment" }

    public var description: String {
        ([kind] + Parameters.format(parameters)).joined(separator: "; ")
    }
}
