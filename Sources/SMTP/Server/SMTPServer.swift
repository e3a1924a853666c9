// The SMTP service on the shared transport (like POP3Server): builds the
// TCPServer that runs one SMTPSession per connection, independent of Suite
// and of the concrete queue (they come in as protocols).
import DNS
import Logging
import NIOCore
import NIOSSL
import Transport

public enum SMTPServer {
    /// The SMTP service on the shared transport: the MX listener, the
    /// submission listeners (by name, see `SMTPConfiguration.listenerRoles`),
    /// one `SMTPSession` per connection. Connections over the caps get
    /// 421 4.7.0. Without a TLS context, STARTTLS is not offered.
    public static func make(
        configuration: SMTPConfiguration, listeners: [ListenerSpec], limits: SessionLimits, tls: NIOSSLContext?,
        spool: any MessageSpool, authenticator: any SMTPAuthenticator, resolver: any RecipientResolver,
        dns: (any DNSLookup)? = nil, group: any EventLoopGroup, logger: Logger, clock: SMTPClock = .system
    ) -> TCPServer<SMTPPerformer> {
        var configuration = configuration
        if tls == nil { configuration.startTLSAvailable = false }
        let settings = configuration
        return TCPServer(
            service: "smtp", listeners: listeners, limits: limits, tls: tls,
            performer: SMTPPerformer(spool: spool, authenticator: authenticator, resolver: resolver, dns: dns),
            group: group, logger: logger,
            busyReply: { reason in
                let text = reason == .tooManyConnectionsFromClient ? "too many connections from your address" : "too many connections"
                return SMTPReply(421, .security, "\(settings.hostname) \(text), try again later").encoded()
            },
            makeMachine: { SMTPSession(configuration: settings, clock: clock) })
    }

    /// Session limits fit for SMTP: strict CRLF (RFC 5321 §2.3.8), lines
    /// long enough for MAIL and RCPT with every parameter (RFC 3461 §5.4:
    /// at least 1036), the 5-minute command timeout (§4.5.3.2.7).
    public static func sessionLimits(
        maxConnections: Int, maxConnectionsPerClient: Int, drainTimeout: TimeAmount = .seconds(10)
    ) -> SessionLimits {
        SessionLimits(
            maxLineLength: SMTPCommandTable.longestCommandLine, lineEndings: .strict, idleTimeout: .minutes(5),
            maxConnections: maxConnections, maxConnectionsPerClient: maxConnectionsPerClient, drainTimeout: drainTimeout)
    }
}
