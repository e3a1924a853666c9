// What a peer's EHLO reply offers (RFC 5321 §4.1.1.1: one keyword and its
// parameters per line after the first), read by the SMTP client session.

/// The service extensions of one server, from its EHLO reply. A HELO
/// server offers none of them.
public struct PeerCapabilities: Sendable, Hashable {
    /// RFC 2920.
    public var pipelining = false
    /// RFC 1870.
    public var size = false
    /// RFC 1870 §4: the announced limit in octets; nil when SIZE is not
    /// offered or offered without a limit ("SIZE" alone or "SIZE 0").
    public var sizeLimit: Int?
    /// RFC 6152.
    public var eightBitMIME = false
    /// RFC 6531.
    public var smtpUTF8 = false
    /// RFC 3461.
    public var dsn = false
    /// RFC 3207.
    public var startTLS = false

    public init() {}

    /// The capabilities an EHLO reply lists; unknown keywords are ignored.
    public init(ehloReply reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let keyword = words.first?.uppercased() else { continue }
            switch keyword {
            case "PIPELINING": pipelining = true
            case "8BITMIME": eightBitMIME = true
            case "SMTPUTF8": smtpUTF8 = true
            case "DSN": dsn = true
            case "STARTTLS": startTLS = true
            case "SIZE":
                size = true
                if words.count > 1, let limit = Int(words[1]), limit > 0 { sizeLimit = limit }
            default: continue
            }
        }
    }
}
