// The settings an IMAP session runs under, mapped by Suite from [imap] (and
// [smtp] max_message_size for APPEND). Every limit is named here with the
// RFC it comes from (STYLE.md rule 3).
public struct IMAPConfiguration: Sendable {
    public var hostname: String
    /// LOGIN and AUTHENTICATE without TLS from 127.0.0.0/8 and ::1
    /// (RFC 9051 §6.2.3 LOGINDISABLED otherwise).
    public var allowPlaintextOnLoopback: Bool
    /// Whether STARTTLS is offered (a certificate is loaded).
    public var startTLSAvailable: Bool
    /// Wait before answering a failed login (slows guessing).
    public var authFailureDelay: Duration
    /// Failed logins before `* BYE` and the end of the connection.
    public var maxAuthFailures: Int
    /// Commands answered BAD before `* BYE` and the end of the connection.
    public var maxBadCommands: Int
    /// The command framer's limits: line, literal and command sizes, and the
    /// largest APPEND message (RFC 7889 APPENDLIMIT announces it).
    public var framing: IMAPCommandFramer.Configuration

    public init(
        hostname: String, allowPlaintextOnLoopback: Bool = false, startTLSAvailable: Bool = true,
        authFailureDelay: Duration = .seconds(2), maxAuthFailures: Int = 3, maxBadCommands: Int = 20,
        framing: IMAPCommandFramer.Configuration = IMAPCommandFramer.Configuration()
    ) {
        self.hostname = hostname
        self.allowPlaintextOnLoopback = allowPlaintextOnLoopback
        self.startTLSAvailable = startTLSAvailable
        self.authFailureDelay = authFailureDelay
        self.maxAuthFailures = maxAuthFailures
        self.maxBadCommands = maxBadCommands
        self.framing = framing
    }
}
