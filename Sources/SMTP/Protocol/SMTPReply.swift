// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463,
// RFC 2034), their one encoder, and a streaming parser for the client side.
//
// The enhanced code's class is not stored: it is the reply code's first
// digit, so the two always agree (RFC 2034 §4). Greetings, EHLO/HELO
// replies and 3xx replies carry none (RFC 2034 §4); every other reply the
// server sends carries one, on every line of a multi-line reply.
import NIOCore

/// The subject and detail of an RFC 3463 status code ("X.subject.detail").
public struct EnhancedStatus: Hashable, Sendable {
    public let subject: Int
    public let detail: Int

    public init(_ subject: Int, _ detail: Int) {
        self.subject = subject
        self.detail = detail
    }

    // RFC 3463 §3.
    /// X.0.0 Other undefined status.
    public static let undefined = EnhancedStatus(0, 0)
    /// X.1.0 Other address status (sender accepted: 2.1.0).
    public static let otherAddress = EnhancedStatus(1, 0)
    /// X.1.1 Bad destination mailbox address.
    public static let badMailbox = EnhancedStatus(1, 1)
    /// X.1.3 Bad destination mailbox address syntax.
    public static let badRecipientSyntax = EnhancedStatus(1, 3)
    /// X.1.5 Destination address valid.
    public static let recipientValid = EnhancedStatus(1, 5)
    /// X.1.7 Bad sender's mailbox address syntax.
    public static let badSenderSyntax = EnhancedStatus(1, 7)
    /// X.3.0 Other or undefined mail system status.
    public static let mailSystem = EnhancedStatus(3, 0)
    /// X.3.2 System not accepting network messages.
    public static let notAccepting = EnhancedStatus(3, 2)
    /// X.3.4 Message too big for system.
    public static let messageTooBig = EnhancedStatus(3, 4)
    /// X.4.2 Bad connection.
    public static let badConnection = EnhancedStatus(4, 2)
    /// X.4.6 Routing loop detected.
    public static let routingLoop = EnhancedStatus(4, 6)
    /// X.5.0 Other or undefined protocol status.
    public static let protocolStatus = EnhancedStatus(5, 0)
    /// X.5.1 Invalid command (also bad sequence).
    public static let invalidCommand = EnhancedStatus(5, 1)
    /// X.5.2 Syntax error.
    public static let syntaxError = EnhancedStatus(5, 2)
    /// X.5.3 Too many recipients.
    public static let tooManyRecipients = EnhancedStatus(5, 3)
    /// X.5.4 Invalid command arguments.
    public static let invalidArguments = EnhancedStatus(5, 4)
    /// X.5.6 Authentication exchange line is too long (RFC 4954 §6).
    public static let authLineTooLong = EnhancedStatus(5, 6)
    /// X.6.0 Other or undefined media error.
    public static let mediaError = EnhancedStatus(6, 0)
    /// X.6.7 Non-ASCII addresses not permitted (RFC 6531 §3.5).
    public static let nonASCIIAddress = EnhancedStatus(6, 7)
    /// X.7.0 Other or undefined security status.
    public static let security = EnhancedStatus(7, 0)
    /// X.7.1 Delivery not authorized, message refused.
    public static let notAuthorized = EnhancedStatus(7, 1)
    /// X.7.8 Authentication credentials invalid (RFC 4954 §6).
    public static let invalidCredentials = EnhancedStatus(7, 8)
    /// X.7.11 Encryption required for requested authentication mechanism.
    public static let encryptionRequired = EnhancedStatus(7, 11)

    /// Names used where the meaning, not the number, matters.
    public static let badSequence = invalidCommand
    public static let helpOK = undefined
}

public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    /// The three-digit reply code (RFC 5321 §4.2.1).
    public let code: Int
    /// The enhanced status without its class, which is `code / 100`.
    public let status: EnhancedStatus?
    /// The text lines; at least one.
    public let lines: [String]

    public init(_ code: Int, _ status: EnhancedStatus?, _ lines: [String]) {
        self.code = code
        self.status = status
        self.lines = lines.isEmpty ? [""] : lines
    }

    public init(_ code: Int, _ status: EnhancedStatus?, _ text: String) {
        self.init(code, status, [text])
    }

    /// "5.1.1", or nil.
    public var enhancedCode: String? {
        status.map { "\(code / 100).\($0.subject).\($0.detail)" }
    }

    public var isPositive: Bool { (200..<400).contains(code) }
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    public var isPermanentFailure: Bool { code >= 500 }

    /// The text of all lines, joined by a space.
    public var text: String { lines.joined(separator: " ") }

    // MARK: - The encoder

    /// The wire form: "250-first" … "250 last", each line with the enhanced
    /// code and CRLF. Control characters in the text become spaces, so no
    /// reply can be split or extended by what a client sent.
    public var wire: String {
        var out = ""
        let prefix = enhancedCode.map { $0 + " " } ?? ""
        for (index, line) in lines.enumerated() {
            out += String(code)
            out += index == lines.count - 1 ? " " : "-"
            out += prefix
            out += Self.sanitized(line)
            out += "\r\n"
        }
        return out
    }

    public func encoded() -> ByteBuffer {
        ByteBuffer(string: wire)
    }

    /// The encoder's output without the final CRLF.
    public var description: String {
        String(decoding: wire.utf8.dropLast(2), as: UTF8.self)
    }

    private static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// Client input quoted for a reply: at most 64 characters, quotes and
    /// controls escaped (RFC 5321 §4.5.3.1.5 keeps reply lines short).
    public static func quoted(_ text: some StringProtocol) -> String {
        var out = "\""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == 64 {
                out += "..."
                break
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "?"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

// MARK: - Parsing replies

public enum SMTPReplyParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedLine(String)
    case codeChanged(expected: Int, found: Int)
    case tooLong(limit: Int)

    public var description: String {
        switch self {
        case .malformedLine(let line): return "malformed reply line \(SMTPReply.quoted(line))"
        case .codeChanged(let expected, let found): return "reply code changed from \(expected) to \(found) inside a multi-line reply"
        case .tooLong(let limit): return "reply longer than \(limit) octets"
        }
    }
}

/// A streaming parser of replies (STYLE.md rule 1): `next(from:)` returns a
/// complete reply, or nil when more bytes are needed; the buffer is moved
/// only past a complete reply.
public struct SMTPReplyParser: Sendable {
    /// The most bytes one reply may take, all lines together.
    public var maxReplyBytes: Int

    public init(maxReplyBytes: Int = 64 * 1024) {
        self.maxReplyBytes = maxReplyBytes
    }

    public mutating func next(from buffer: inout ByteBuffer) throws(SMTPReplyParseError) -> SMTPReply? {
        let bytes = buffer.readableBytesView
        var lineStart = bytes.startIndex
        var rawLines: [ArraySlice<UInt8>] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                var end = index
                if end > lineStart && bytes[end - 1] == 0x0D { end -= 1 }
                let line = ArraySlice(bytes[lineStart..<end])
                rawLines.append(line)
                lineStart = index + 1
                // "ddd " (or "ddd" alone) ends the reply; "ddd-" continues it.
                if line.count < 4 || line[line.startIndex + 3] != UInt8(ascii: "-") {
                    let reply = try Self.reply(from: rawLines)
                    buffer.moveReaderIndex(forwardBy: lineStart - bytes.startIndex)
                    return reply
                }
            }
            index += 1
            if index - bytes.startIndex > maxReplyBytes { throw .tooLong(limit: maxReplyBytes) }
        }
        return nil
    }

    private static func reply(from rawLines: [ArraySlice<UInt8>]) throws(SMTPReplyParseError) -> SMTPReply {
        var code: Int?
        var status: EnhancedStatus?
        var texts: [String] = []
        for (position, raw) in rawLines.enumerated() {
            let line = String(decoding: raw, as: UTF8.self)
            let digits = line.prefix(3)
            guard digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
                (200...599).contains(value)
            else { throw .malformedLine(line) }
            if let code, code != value { throw .codeChanged(expected: code, found: value) }
            code = value
            var text = Substring(line.dropFirst(4))
            if let (found, rest) = enhancedPrefix(text, replyClass: value / 100) {
                if position == 0 { status = found }
                text = rest
            }
            texts.append(String(text))
        }
        return SMTPReply(code ?? 500, status, texts)
    }

    /// "c.s.d " at the start of `text`, when c is the reply's class.
    private static func enhancedPrefix(_ text: Substring, replyClass: Int) -> (EnhancedStatus, Substring)? {
        let token = text.prefix { $0 != " " }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            Int(parts[0]) == replyClass, let subject = Int(parts[1]), let detail = Int(parts[2])
        else { return nil }
        return (EnhancedStatus(subject, detail), text.dropFirst(token.count).drop { $0 == " " })
    }
}
