// The settings a POP3 session runs under, mapped by Suite from [pop3].
public struct POP3Configuration: Sendable {
    public var hostname: String
    /// USER/PASS and AUTH without TLS from 127.0.0.0/8 and ::1.
    public var allowPlaintextOnLoopback: Bool
    /// Whether STLS is offered (a certificate is loaded).
    public var startTLSAvailable: Bool
    /// Wait before answering a failed login (RFC 2449 §6.5 spirit; slows guessing).
    public var authFailureDelay: Duration
    /// Failed logins before the connection is closed.
    public var maxAuthFailures: Int
    /// Commands that do not parse before the connection is closed.
    public var maxBadCommands: Int
    /// Unique to this server process (its pid and start time): with the
    /// connection's id it makes the greeting's APOP timestamp unique
    /// (RFC 1939 §7) while the session stays a pure value.
    public var instanceTag: String

    public init(
        hostname: String, allowPlaintextOnLoopback: Bool = false, startTLSAvailable: Bool = true,
        authFailureDelay: Duration = .seconds(2), maxAuthFailures: Int = 3, maxBadCommands: Int = 20,
        instanceTag: String = "0.0"
    ) {
        self.instanceTag = instanceTag
        self.hostname = hostname
        self.allowPlaintextOnLoopback = allowPlaintextOnLoopback
        self.startTLSAvailable = startTLSAvailable
        self.authFailureDelay = authFailureDelay
        self.maxAuthFailures = maxAuthFailures
        self.maxBadCommands = maxBadCommands
    }
}
