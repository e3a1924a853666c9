// ServiceSettings: the keys every line-based service section shares
// ([smtp], [pop3], [imap], [nntp], [ftp], [http]) — enabled, listeners,
// connection limits, idle timeout, line length — and the per-protocol
// defaults of those keys, each limit with the RFC it comes from
// (STYLE.md rule 3). [smtp] and [dns] add their own keys in
// SectionSettings.swift.
//
// Listeners default to 127.0.0.1 on the standard port + 2000 (DESIGN.md).

import Transport

// MARK: - Per-protocol defaults

/// The defaults and docs that differ from one service to the next.
struct ServiceDefaults: Sendable {
    let section: String
    let doc: String
    let listen: ConfigLiteral
    let listenDoc: String
    /// Default and doc of `tls_listen`; nil when the protocol has no
    /// implicit-TLS port (and so no such key).
    let tlsListen: (default: ConfigLiteral, doc: String)?
    let idleTimeout: ConfigLiteral
    let idleTimeoutDoc: String
    let maxLineLength: Int
    /// The least the protocol lets a server accept.
    let minimumLineLength: Int
    let maxLineLengthDoc: String

    static let smtp = ServiceDefaults(
        section: "smtp",
        doc: "SMTP (RFC 5321): mail from other servers on `listen`, and mail submission by users\n(RFC 6409, AUTH required) on `submission` and `submissions`.",
        listen: ["127.0.0.1:2025"],
        listenDoc: "Addresses of the MX listener, \"IP:port\" or \"[IPv6]:port\", with STARTTLS (RFC 3207).",
        tlsListen: nil,
        idleTimeout: "5m",
        idleTimeoutDoc: "Close a session idle this long (RFC 5321 §4.5.3.2.7: server timeout at least 5 minutes).",
        maxLineLength: 1000, minimumLineLength: 1000,
        maxLineLengthDoc: "Longest line accepted, CRLF included: text lines are 1000 octets (RFC 5321 §4.5.3.1.6),\ncommand lines 512 (§4.5.3.1.4)."
    )

    static let pop3 = ServiceDefaults(
        section: "pop3",
        doc: "POP3 (RFC 1939): mailbox download.",
        listen: ["127.0.0.1:2110"],
        listenDoc: "Addresses with STARTTLS (STLS, RFC 2595).",
        tlsListen: (["127.0.0.1:2995"], "Addresses with implicit TLS, the handshake first (pop3s, RFC 8314 §3.1)."),
        idleTimeout: "10m",
        idleTimeoutDoc: "Close a session idle this long (RFC 1939 §3: an autologout timer of at least 10 minutes).",
        maxLineLength: 1024, minimumLineLength: 255,
        maxLineLengthDoc: "Longest command line accepted, CRLF included (RFC 2449 §4: at least 255 octets;\nmore leaves room for SASL responses, RFC 5034 §4)."
    )

    static let imap = ServiceDefaults(
        section: "imap",
        doc: "IMAP4rev2 (RFC 9051), also serving IMAP4rev1 clients (RFC 3501).\nAPPEND takes messages up to [smtp] max_message_size (announced as APPENDLIMIT, RFC 7889).",
        listen: ["127.0.0.1:2143"],
        listenDoc: "Addresses with STARTTLS (RFC 9051 §6.2.1).",
        tlsListen: (["127.0.0.1:2993"], "Addresses with implicit TLS, the handshake first (imaps, RFC 8314 §3.2)."),
        idleTimeout: "30m",
        idleTimeoutDoc: "Close a session idle this long (RFC 9051 §5.4: an autologout timer of at least 30 minutes).",
        maxLineLength: 65536, minimumLineLength: 8192,
        maxLineLengthDoc: "Longest command line accepted, literals excluded (RFC 7162 §4: at least 8192 octets);\na command with its literals may be twice this, or 256 KiB if more."
    )

    static let nntp = ServiceDefaults(
        section: "nntp",
        doc: "NNTP (RFC 3977): news reading and posting.",
        listen: ["127.0.0.1:2119"],
        listenDoc: "Addresses with STARTTLS (RFC 4642).",
        tlsListen: (["127.0.0.1:2563"], "Addresses with implicit TLS, the handshake first (nntps, preferred by RFC 8143 §2)."),
        idleTimeout: "10m",
        idleTimeoutDoc: "Close a session idle this long (RFC 3977 §3.1: an autologout timer of at least 3 minutes).",
        maxLineLength: 1000, minimumLineLength: 512,
        maxLineLengthDoc: "Longest line accepted, CRLF included: commands are 512 octets (RFC 3977 §3.1),\narticle lines 998 plus CRLF (RFC 5536 §3, RFC 5322 §2.1.1)."
    )

    static let ftp = ServiceDefaults(
        section: "ftp",
        doc: "FTP (RFC 959), with AUTH TLS (RFC 4217) and EPSV/EPRT (RFC 2428).",
        listen: ["127.0.0.1:2021"],
        listenDoc: "Addresses of the control connection, with AUTH TLS.",
        tlsListen: nil,
        idleTimeout: "5m",
        idleTimeoutDoc: "Close a control connection idle this long (RFC 959 sets none; 5 minutes is usual).",
        maxLineLength: 4096, minimumLineLength: 512,
        maxLineLengthDoc: "Longest command line accepted, CRLF included (RFC 959 sets no limit;\n4096 fits a command and a long path)."
    )

    static let http = ServiceDefaults(
        section: "http",
        doc: "HTTP/1.1 (RFC 9112): web access and status pages.",
        listen: ["127.0.0.1:2080"],
        listenDoc: "Addresses for plain HTTP.",
        tlsListen: (["127.0.0.1:2443"], "Addresses for HTTPS: TLS first, then HTTP (RFC 9110 §4.2.2)."),
        idleTimeout: "60s",
        idleTimeoutDoc: "Close a persistent connection idle this long (RFC 9112 §9.5 leaves it to the server).",
        maxLineLength: 8192, minimumLineLength: 8000,
        maxLineLengthDoc: "Longest request line or header line accepted (RFC 9112 §3: at least 8000 octets)."
    )
}

// MARK: - ServiceSettings

/// Settings every line-based service has.
public struct ServiceSettings: Sendable, Equatable {
    /// Whether the service runs at all.
    public let enabled: Bool
    /// Plain listeners (STARTTLS where the protocol has it); empty: none.
    public let listen: [ListenAddress]
    /// Implicit-TLS listeners; empty: none, and always empty for protocols
    /// without an implicit-TLS port (SMTP's is `submissions`, FTP has none).
    public let tlsListen: [ListenAddress]
    /// Connections served at once by this service, over all clients.
    public let maxConnections: Int
    /// Connections at once from one client IP address.
    public let maxConnectionsPerClient: Int
    /// A session idle this long is closed with the protocol's goodbye.
    public let idleTimeout: Duration
    /// Longest line accepted, CRLF included.
    public let maxLineLength: Int

    /// Declares and reads the shared keys; `moreListeners` declares a
    /// section's extra listener keys right after `listen`/`tls_listen`.
    init(
        reading r: inout SectionReader, _ d: ServiceDefaults,
        moreListeners: (inout SectionReader) -> Void = { _ in }
    ) {
        enabled = r.read("enabled", BooleanKind(), default: true,
                         doc: "Run this service (false: never, whatever the listen lists say).")
        listen = r.read("listen", ListKind(of: ListenAddressKind()), default: d.listen,
                        doc: d.listenDoc + "\nAn empty list [] disables this listener.")
        if let tls = d.tlsListen {
            tlsListen = r.read("tls_listen", ListKind(of: ListenAddressKind()), default: tls.default,
                               doc: tls.doc + "\n[] disables this listener.")
        } else {
            tlsListen = []
        }
        moreListeners(&r)
        let limits = ConnectionLimits(reading: &r, idleTimeout: d.idleTimeout, idleTimeoutDoc: d.idleTimeoutDoc)
        maxConnections = limits.maxConnections
        maxConnectionsPerClient = limits.maxConnectionsPerClient
        idleTimeout = limits.idleTimeout
        maxLineLength = r.read("max_line_length", IntegerKind(range: d.minimumLineLength...16_777_216, unit: "bytes"),
                               default: .integer(d.maxLineLength), doc: d.maxLineLengthDoc)
    }
}

// MARK: - Connection limits

/// max_connections, max_connections_per_client and idle_timeout, shared by
/// every service including DNS (over TCP).
struct ConnectionLimits {
    let maxConnections: Int
    let maxConnectionsPerClient: Int
    let idleTimeout: Duration

    init(reading r: inout SectionReader, idleTimeout defaultIdle: ConfigLiteral, idleTimeoutDoc: String) {
        maxConnections = r.read(
            "max_connections", IntegerKind(range: 1...1_000_000), default: 200,
            doc: "Most connections served at once by this service; more are refused with\nthe protocol's \"busy\" reply."
        )
        maxConnectionsPerClient = r.read(
            "max_connections_per_client", IntegerKind(range: 1...1_000_000), default: 20,
            doc: "Most connections at once from one client IP address."
        )
        if maxConnectionsPerClient > maxConnections {
            r.report("max_connections_per_client",
                     "\(maxConnectionsPerClient) is more than max_connections (\(maxConnections))")
        }
        idleTimeout = r.read("idle_timeout", DurationKind(minimum: .milliseconds(1)), default: defaultIdle, doc: idleTimeoutDoc)
    }
}
