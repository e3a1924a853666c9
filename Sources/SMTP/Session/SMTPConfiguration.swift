// The settings an SMTP session runs under (STYLE.md rule 13): typed,
// each with its default and the RFC behind it; Suite maps [smtp] onto it.
import Foundation
import NIOCore
import Transport

/// What a listener is for. Submission (RFC 6409) requires AUTH before MAIL
/// and, unless loopback plaintext is allowed, STARTTLS before anything else.
public enum SMTPListenerRole: Sendable, Equatable {
    case mx
    case submission
}

public struct SMTPConfiguration: Sendable {
    /// The server's name: greeting, EHLO, Received.
    public var hostname: String
    public var relayPolicy: RelayPolicy
    /// The domain of "<Postmaster>" without a domain (RFC 5321 §4.1.1.3):
    /// the first local domain, else the hostname.
    public var postmasterDomain: String
    /// RFC 1870: the largest message, announced as "SIZE n".
    public var maxMessageSize: Int
    /// RFC 5321 §4.5.3.1.8: at least 100; more get 452 4.5.3.
    public var maxRecipients: Int
    /// Role of each listener by its `ListenerSpec.name`; unnamed ones are MX.
    public var listenerRoles: [String: SMTPListenerRole]
    /// STARTTLS is offered (a certificate is loaded).
    public var startTLSAvailable: Bool
    /// AUTH and MAIL on submission without TLS from 127.0.0.0/8 and ::1.
    public var allowPlaintextOnLoopback: Bool
    /// Whether the MX listener offers AUTH too (after TLS, like submission):
    /// roaming users whose port 587 is blocked can still relay. The relay
    /// policy's `.authenticated` rule is what grants them relaying.
    public var authOnMX: Bool
    /// VRFY answers 252 when false (RFC 5321 §3.5.3 permits it).
    public var allowVRFY: Bool
    /// EXPN answers 502 when false (RFC 5321 §3.5.2, §7.3).
    public var allowEXPN: Bool
    /// Extra sender addresses per authenticated user name (lowercased):
    /// full addresses, or "@domain" for a whole domain.
    public var extraSenders: [String: [String]]
    /// Bare CR or LF in DATA: `.reject` (the smuggling defence) or `.normalize`.
    public var dataLineEndings: PayloadLineEndingPolicy
    /// The loop guard: more Received fields than this → 554 5.4.6
    /// (RFC 5321 §6.3; Postfix's hopcount_limit is 50).
    public var maxReceivedFields: Int
    /// RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for a command.
    public var commandTimeout: TimeAmount
    /// RFC 5321 §4.5.3.2.5: 3 minutes per block of message data. The
    /// 10-minute DATA termination timeout (§4.5.3.2.6) is the client's wait
    /// for our reply after the final "."; no read happens then (input is
    /// paused while the spool commits), so there is nothing to set here:
    /// the commit must simply finish well within it.
    public var dataBlockTimeout: TimeAmount
    /// The wait before a failed AUTH is answered (slows guessing).
    public var authFailureDelay: Duration
    /// Failed AUTH attempts before 421 and close.
    public var maxAuthFailures: Int
    /// Refused commands (syntax, sequence, line length) before 421 and close.
    public var maxBadCommands: Int
    /// Commands in one connection before 421 and close.
    public var maxCommands: Int
    /// Message bytes gathered before they are handed to the spool.
    public var spoolChunkSize: Int
    /// Look up the client's verified reverse DNS name before the greeting.
    public var peerNameLookup: Bool

    public init(
        hostname: String,
        relayPolicy: RelayPolicy,
        postmasterDomain: String? = nil,
        maxMessageSize: Int = 36_700_160,
        maxRecipients: Int = 100,
        listenerRoles: [String: SMTPListenerRole] = ["submission": .submission, "submissions": .submission],
        startTLSAvailable: Bool = true,
        allowPlaintextOnLoopback: Bool = false,
        authOnMX: Bool = true,
        allowVRFY: Bool = false,
        allowEXPN: Bool = false,
        extraSenders: [String: [String]] = [:],
        dataLineEndings: PayloadLineEndingPolicy = .reject,
        maxReceivedFields: Int = 50,
        commandTimeout: TimeAmount = .minutes(5),
        dataBlockTimeout: TimeAmount = .minutes(3),
        authFailureDelay: Duration = .seconds(2),
        maxAuthFailures: Int = 3,
        maxBadCommands: Int = 20,
        maxCommands: Int = 100_000,
        spoolChunkSize: Int = 256 * 1024,
        peerNameLookup: Bool = false
    ) {
        self.peerNameLookup = peerNameLookup
        self.hostname = hostname
        self.relayPolicy = relayPolicy
        self.postmasterDomain = postmasterDomain ?? Self.firstLocalDomain(relayPolicy) ?? hostname
        self.maxMessageSize = maxMessageSize
        self.maxRecipients = maxRecipients
        self.listenerRoles = listenerRoles
        self.startTLSAvailable = startTLSAvailable
        self.allowPlaintextOnLoopback = allowPlaintextOnLoopback
        self.authOnMX = authOnMX
        self.allowVRFY = allowVRFY
        self.allowEXPN = allowEXPN
        self.extraSenders = extraSenders
        self.dataLineEndings = dataLineEndings
        self.maxReceivedFields = maxReceivedFields
        self.commandTimeout = commandTimeout
        self.dataBlockTimeout = dataBlockTimeout
        self.authFailureDelay = authFailureDelay
        self.maxAuthFailures = maxAuthFailures
        self.maxBadCommands = maxBadCommands
        self.maxCommands = maxCommands
        self.spoolChunkSize = spoolChunkSize
    }

    private static func firstLocalDomain(_ policy: RelayPolicy) -> String? {
        for rule in policy.rules {
            if case .localDomains(let domains) = rule, let first = domains.sorted().first { return first }
        }
        return nil
    }
}

/// The session's clock (STYLE.md rule 10): fixed in tests.
public struct SMTPClock: Sendable {
    public let now: @Sendable () -> Date
    /// The local zone's offset from UTC at a date, in minutes.
    public let zoneOffsetMinutes: @Sendable (Date) -> Int

    public init(now: @escaping @Sendable () -> Date, zoneOffsetMinutes: @escaping @Sendable (Date) -> Int) {
        self.now = now
        self.zoneOffsetMinutes = zoneOffsetMinutes
    }

    public static let system = SMTPClock(
        now: { Date() },
        zoneOffsetMinutes: { TimeZone.current.secondsFromGMT(for: $0) / 60 })

    /// Always `date`, in UTC.
    public static func fixed(_ date: Date, zoneOffsetMinutes: Int = 0) -> SMTPClock {
        SMTPClock(now: { date }, zoneOffsetMinutes: { _ in zoneOffsetMinutes })
    }
}
