// The friendly form of `chappe send`: `--to A --subject S [--attach FILE]...
// < body` builds a MIME message from a text body and files (RFC 2045,
// RFC 2046 §5.1.3 multipart/mixed, RFC 2183 attachments). From is left to
// `LocalSubmission`, which sets it to the submitting user.
import Foundation
import MIME

public struct ComposedMessage: Sendable {
    public struct Attachment: Sendable {
        public var filename: String
        public var data: [UInt8]

        public init(filename: String, data: [UInt8]) {
            self.filename = filename
            self.data = data
        }
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case badAddress(String)
        case noRecipients

        public var description: String {
            switch self {
            case .badAddress(let text): "\"\(text)\" is not an address like user@example.test"
            case .noRecipients: "no recipient: give --to, --cc or --bcc"
            }
        }
    }

    public var to: [String] = []
    public var cc: [String] = []
    public var bcc: [String] = []
    public var subject: String?
    /// The text of the body, any line endings.
    public var body: String
    public var attachments: [Attachment] = []

    public init(body: String) {
        self.body = body
    }

    /// The message, and the envelope recipients: To, Cc and Bcc, the last in
    /// no header field (RFC 5322 §3.6.3 lets Bcc be left out).
    public func build(hostname: String) throws(Failure) -> (message: [UInt8], recipients: [String]) {
        let toAddresses = try Self.mailboxes(to)
        let ccAddresses = try Self.mailboxes(cc)
        let bccAddresses = try Self.mailboxes(bcc)
        let recipients = (toAddresses + ccAddresses + bccAddresses).map { $0.localPart + "@" + $0.domain }
        guard !recipients.isEmpty else { throw .noRecipients }
        var builder = MessageBuilder(subject: subject)
        builder.hostname = hostname
        builder.to = toAddresses.map(Address.mailbox)
        builder.cc = ccAddresses.map(Address.mailbox)
        let text = MessageBuilder.Part.text(body)
        builder.body =
            attachments.isEmpty
            ? text
            : .mixed([text] + attachments.map(Self.part))
        return (builder.build(), recipients)
    }

    /// A file as a part: a message as message/rfc822, which is never
    /// encoded (RFC 2046 §5.2.1); anything else as an attachment.
    private static func part(_ attachment: Attachment) -> MessageBuilder.Part {
        let type = contentType(forFileNamed: attachment.filename)
        if type.type == "message" { return .message(attachment.data) }
        return .attachment(attachment.data, type: type, filename: attachment.filename)
    }

    private static func mailboxes(_ texts: [String]) throws(Failure) -> [Mailbox] {
        var result: [Mailbox] = []
        for text in texts {
            // The header parser is lenient (RFC 5322 obsolete forms); an
            // envelope address must also pass RFC 5321's stricter syntax.
            guard let mailbox = Mailbox(text), !mailbox.domain.isEmpty,
                (try? SMTPMailbox(mailbox.localPart + "@" + mailbox.domain)) != nil
            else { throw .badAddress(text) }
            result.append(mailbox)
        }
        return result
    }

    /// The media type a file's extension names (RFC 6838 registrations), or
    /// application/octet-stream.
    static func contentType(forFileNamed name: String) -> ContentType {
        let suffix = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
        let (type, subtype): (String, String) =
            switch suffix {
            case "txt", "text", "log": ("text", "plain")
            case "html", "htm": ("text", "html")
            case "csv": ("text", "csv")
            case "ics": ("text", "calendar")
            case "pdf": ("application", "pdf")
            case "json": ("application", "json")
            case "zip": ("application", "zip")
            case "gz": ("application", "gzip")
            case "png": ("image", "png")
            case "jpg", "jpeg": ("image", "jpeg")
            case "gif": ("image", "gif")
            case "svg": ("image", "svg+xml")
            case "eml": ("message", "rfc822")
            default: ("application", "octet-stream")
            }
        return ContentType(type: type, subtype: subtype)
    }
}
