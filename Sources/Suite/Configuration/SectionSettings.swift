// SectionSettings: the sections with keys of their own — [tls], [smtp]
// (submission listeners, domains, relay policy inputs, queue timing) and
// [dns] (zones, resolvers). Each key is declared once, in the section's
// initializer, with its kind, default and doc.

import Transport

// MARK: - [tls]

/// The certificate and key every TLS listener and STARTTLS use.
public struct TLSSettings: Sendable, Equatable {
    /// PEM certificate chain.
    public let certificate: ConfigPath
    /// PEM private key of the certificate.
    public let privateKey: ConfigPath

    static let doc = "TLS for every implicit-TLS listener and for STARTTLS."

    init(reading r: inout SectionReader) {
        certificate = r.read(
            "certificate", PathKind(), default: "tls/cert.pem",
            doc: "PEM certificate chain. If missing, a self-signed certificate for hostname is\ngenerated here at start-up."
        )
        privateKey = r.read(
            "private_key", PathKind(), default: "tls/key.pem",
            doc: "PEM private key of the certificate; generated with it when missing."
        )
    }
}

// MARK: - [smtp]

/// The SMTP service: the shared service keys (through `service`, also
/// reachable directly: `config.smtp.listen`) and the mail-specific ones.
@dynamicMemberLookup
public struct SMTPSettings: Sendable, Equatable {
    /// enabled, listen, limits and timeouts; `service.tlsListen` is always
    /// empty (SMTP's implicit-TLS listener is `submissions`).
    public let service: ServiceSettings
    /// Submission listeners (RFC 6409): AUTH required, STARTTLS offered.
    public let submission: [ListenAddress]
    /// Submission listeners with implicit TLS (RFC 8314 §3.3).
    public let submissions: [ListenAddress]
    /// Domains delivered here, in lower case.
    public let localDomains: [String]
    /// Clients that may relay without AUTH.
    public let trustedNetworks: [IPNetwork]
    /// Largest message accepted, in bytes (announced with SIZE).
    public let maxMessageSize: Int
    /// Most recipients of one transaction.
    public let maxRecipients: Int
    /// Look up the client's name (forward-confirmed reverse DNS) for Received.
    public let peerNameLookup: Bool
    /// The aliases file.
    public let aliases: ConfigPath
    /// The smarthost for all outgoing mail; nil: deliver by MX lookup.
    public let relayHost: RelayHost?
    /// The port of remote MX hosts.
    public let remotePort: Int
    /// How long a message may stay queued before it bounces.
    public let queueLifetime: Duration
    /// Delays between delivery attempts; the last one repeats.
    public let retrySchedule: [Duration]
    /// When senders of still deferred mail get a delay warning; zero: never.
    public let delayWarningTime: Duration
    /// Outgoing SMTP connections open at once, in total and to one domain.
    public let remoteMaxConnections: Int
    public let remoteMaxConnectionsPerDomain: Int
    /// Waits of the SMTP client: for a connection, for each reply.
    public let remoteConnectTimeout: Duration
    public let remoteCommandTimeout: Duration
    /// Domains whose mail goes only over TLS with a verified certificate.
    public let requireVerifiedTLS: [String]

    public subscript<Value>(dynamicMember keyPath: KeyPath<ServiceSettings, Value>) -> Value {
        service[keyPath: keyPath]
    }

    init(reading r: inout SectionReader) {
        var submission: [ListenAddress] = []
        var submissions: [ListenAddress] = []
        service = ServiceSettings(reading: &r, .smtp) { r in
            submission = r.read(
                "submission", ListKind(of: ListenAddressKind()), default: ["127.0.0.1:2587"],
                doc: "Addresses for mail submission by users (RFC 6409): AUTH required, STARTTLS offered.\n[] disables this listener."
            )
            submissions = r.read(
                "submissions", ListKind(of: ListenAddressKind()), default: ["127.0.0.1:2465"],
                doc: "Addresses for mail submission with implicit TLS (RFC 8314 §3.3). [] disables this listener."
            )
        }
        self.submission = submission
        self.submissions = submissions

        localDomains = r.read(
            "local_domains", ListKind(of: DomainNameKind()), default: ["example.test"],
            doc: "Domains whose mail is delivered to mailboxes here."
        )
        trustedNetworks = r.read(
            "trusted_networks", ListKind(of: NetworkKind()), default: ["127.0.0.0/8", "::1/128"],
            doc: "Client networks (CIDR) that may relay mail to other domains without AUTH;\nothers may relay only after AUTH. [] trusts no network."
        )
        maxMessageSize = r.read(
            "max_message_size", IntegerKind(range: 1024...17_179_869_184, unit: "bytes"), default: 36_700_160,
            doc: "Largest message accepted, in bytes, announced with SIZE (RFC 1870)."
        )
        maxRecipients = r.read(
            "max_recipients", IntegerKind(range: 1...100_000), default: 100,
            doc: "Most recipients of one message; more get 452 (RFC 5321 §4.5.3.1.8 asks for at least 100)."
        )
        peerNameLookup = r.read(
            "peer_name_lookup", BooleanKind(), default: true,
            doc: "Name the client in Received by its reverse DNS, when the name's own addresses\ninclude the client's (RFC 5321 §4.4); \"unknown\" otherwise. Loopback clients are\nnot looked up."
        )
        aliases = r.read(
            "aliases", PathKind(), default: "aliases",
            doc: "The aliases and distribution lists file."
        )
        relayHost = r.read(
            "relay_host", RelayHostKind(), default: "",
            doc: "Smarthost for all outgoing mail, \"host:port\" (port 25 if left out);\nempty: deliver to each domain's MX hosts."
        )
        remotePort = r.read(
            "remote_port", IntegerKind(range: 1...65535), default: 25,
            doc: "Port of the MX hosts outgoing mail goes to (tests point it at a local server)."
        )
        queueLifetime = r.read(
            "queue_lifetime", DurationKind(minimum: .milliseconds(1)), default: "5d",
            doc: "How long a message is retried before it bounces (RFC 5321 §4.5.4.1: 4-5 days)."
        )
        retrySchedule = r.read(
            "retry_schedule", ListKind(of: DurationKind(minimum: .milliseconds(1)), allowsEmpty: false),
            default: ["5m", "15m", "30m", "1h", "2h", "4h"],
            doc: "Delays between delivery attempts; the last one repeats until queue_lifetime\nruns out (RFC 5321 §4.5.4.1 asks for 30 minutes or more once the first tries failed)."
        )
        delayWarningTime = r.read(
            "delay_warning_time", DurationKind(minimum: .zero), default: "4h",
            doc: "After this long in the queue, senders of mail still being retried get one delay\nwarning (RFC 3464 Action: delayed) unless NOTIFY excludes DELAY; \"0s\": never."
        )
        remoteMaxConnections = r.read(
            "remote_max_connections", IntegerKind(range: 1...10_000), default: 20,
            doc: "Outgoing SMTP connections open at once, in total."
        )
        remoteMaxConnectionsPerDomain = r.read(
            "remote_max_connections_per_domain", IntegerKind(range: 1...1_000), default: 10,
            doc: "Outgoing SMTP connections open at once to one destination domain (or relay_host)."
        )
        remoteConnectTimeout = r.read(
            "remote_connect_timeout", DurationKind(minimum: .milliseconds(1)), default: "30s",
            doc: "How long the SMTP client waits for a connection before it tries the next address."
        )
        remoteCommandTimeout = r.read(
            "remote_command_timeout", DurationKind(minimum: .milliseconds(1)), default: "5m",
            doc: "How long the SMTP client waits for each reply (RFC 5321 §4.5.3.2: 5 minutes);\ntwice this for the reply to the end of the message."
        )
        requireVerifiedTLS = r.read(
            "require_verified_tls", ListKind(of: DomainNameKind()), default: [],
            doc: "Destination domains whose mail goes only over STARTTLS with a certificate that\nverifies for the MX host's name; otherwise delivery is deferred. Elsewhere TLS is\nused when offered, without checking the certificate (RFC 7435)."
        )
    }
}

// MARK: - [dns]

/// The DNS service: authoritative for its zones, over UDP and TCP.
public struct DNSSettings: Sendable, Equatable {
    /// Whether the service runs at all.
    public let enabled: Bool
    /// Addresses served over both UDP and TCP; empty: none.
    public let listen: [ListenAddress]
    /// TCP connections served at once.
    public let maxConnections: Int
    /// TCP connections at once from one client IP address.
    public let maxConnectionsPerClient: Int
    /// An idle TCP connection is closed after this long.
    public let idleTimeout: Duration
    /// UDP answers per second to one client address (an IPv6 /64); 0: no limit.
    public let udpRateLimit: Int
    /// UDP answers a client that was quiet may get at once.
    public let udpRateLimitBurst: Int
    /// The zone files served.
    public let zones: [ConfigPath]
    /// Recursive resolvers the suite asks (MX lookups and the like); empty:
    /// those of /etc/resolv.conf. Each has its port (53 when not written).
    public let resolvers: [ListenAddress]

    static let doc = "DNS (RFC 1035): authoritative answers for the zones below, over UDP and TCP\n(RFC 7766) on the same addresses; also the resolvers the suite itself uses."

    init(reading r: inout SectionReader) {
        enabled = r.read("enabled", BooleanKind(), default: true,
                         doc: "Run this service (false: never, whatever the listen list says).")
        listen = r.read(
            "listen", ListKind(of: ListenAddressKind()), default: ["127.0.0.1:2053"],
            doc: "Addresses to answer on, over UDP and TCP, \"IP:port\" or \"[IPv6]:port\".\nAn empty list [] disables this listener."
        )
        let limits = ConnectionLimits(
            reading: &r, idleTimeout: "10s",
            idleTimeoutDoc: "Close a TCP connection idle this long (RFC 7766 §6.2.3: on the order of seconds)."
        )
        maxConnections = limits.maxConnections
        maxConnectionsPerClient = limits.maxConnectionsPerClient
        idleTimeout = limits.idleTimeout
        udpRateLimit = r.read(
            "udp_rate_limit", IntegerKind(range: 0...10_000_000, unit: "answers per second"), default: 1000,
            doc: "UDP answers per second to one client address (an IPv6 /64), so that forged queries cannot\nturn the server against a victim. Over it a query gets an empty truncated answer (TC=1),\nand a real client asks again over TCP. 0: no limit."
        )
        udpRateLimitBurst = r.read(
            "udp_rate_limit_burst", IntegerKind(range: 1...10_000_000, unit: "answers"), default: 2000,
            doc: "UDP answers a client that was quiet may get at once, before udp_rate_limit applies."
        )
        zones = r.read(
            "zones", ListKind(of: PathKind()), default: ["zones/example.test.zone"],
            doc: "Zone files (RFC 1035 §5 master file format) served with authority; relative paths start\nat this file's folder. SIGHUP and `chappe reload` read them again; a file that fails\nleaves the zones in service as they were."
        )
        resolvers = r.read(
            "resolvers", ListKind(of: EndpointKind(defaultPort: 53)), default: [],
            doc: "Recursive resolvers for the suite's own lookups, \"IP\" or \"IP:port\" (port 53 if left out);\n[] uses the nameservers of /etc/resolv.conf."
        )
    }
}
