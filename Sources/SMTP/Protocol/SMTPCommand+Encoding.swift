// The one encoder of SMTP commands (STYLE.md rule 2): what the SMTP client
// sends, and the `description` of a command in logs and tests.
import NIOCore

extension SMTPCommand: CustomStringConvertible {
    /// The command line with its CRLF.
    public var wire: String {
        var line: String
        switch self {
        case .ehlo(let domain): line = "EHLO \(domain)"
        case .helo(let domain): line = "HELO \(domain)"
        case .mail(let path, let parameters):
            line = "MAIL FROM:\(path)" + Self.encode(parameters).map { " " + $0 }.joined()
        case .rcpt(let path, let parameters):
            line = "RCPT TO:\(path)" + Self.encode(parameters).map { " " + $0 }.joined()
        case .data: line = "DATA"
        case .bdat(let size, let last): line = "BDAT \(size)" + (last ? " LAST" : "")
        case .rset: line = "RSET"
        case .noop(let text): line = "NOOP" + (text.map { " " + $0 } ?? "")
        case .quit: line = "QUIT"
        case .vrfy(let text): line = "VRFY \(text)"
        case .expn(let text): line = "EXPN \(text)"
        case .help(let topic): line = "HELP" + (topic.map { " " + $0 } ?? "")
        case .startTLS: line = "STARTTLS"
        case .auth(let mechanism, let initial): line = "AUTH \(mechanism)" + (initial.map { " " + $0 } ?? "")
        }
        return line + "\r\n"
    }

    public func encoded() -> ByteBuffer {
        ByteBuffer(string: wire)
    }

    public var description: String {
        String(decoding: wire.utf8.dropLast(2), as: UTF8.self)
    }

    static func encode(_ parameters: MailParameters) -> [String] {
        var out: [String] = []
        if let size = parameters.size { out.append("SIZE=\(size)") }
        if let body = parameters.body { out.append("BODY=\(body.rawValue)") }
        if parameters.smtpUTF8 { out.append("SMTPUTF8") }
        if let ret = parameters.ret { out.append("RET=\(ret.rawValue)") }
        if let envelopeID = parameters.envelopeID { out.append("ENVID=\(XText.encode(envelopeID))") }
        if let auth = parameters.auth { out.append("AUTH=\(auth.value)") }
        return out
    }

    static func encode(_ parameters: RcptParameters) -> [String] {
        var out: [String] = []
        if let notify = parameters.notify { out.append("NOTIFY=\(notify.value)") }
        if let original = parameters.originalRecipient { out.append("ORCPT=\(original.value)") }
        return out
    }
}
