// The real remote delivery agent: routes a domain (`MailRouter`), then
// tries its hosts and each host's addresses in turn (RFC 5321 §5.1) until
// one takes the transaction; a host that cannot be reached or refuses the
// session before MAIL passes the turn to the next. When none takes it,
// every recipient is deferred with the last reason.
import NIOCore
import Transport

public struct SMTPClientConfiguration: Sendable {
    /// The EHLO name.
    public var heloName: String
    /// TLS after STARTTLS for most domains: opportunistic, the certificate
    /// usually not checked (RFC 7435).
    public var opportunisticTLS: ClientTLSSettings
    /// Domains whose mail goes only over TLS with a verified certificate
    /// (the MX host's name checked); lower case.
    public var verifiedTLSDomains: Set<String>
    /// Trust anchors for those checks (PEM); the system roots when empty.
    public var trustRootsPEM: [String]
    public var connectTimeout: Duration
    public var commandTimeout: Duration
    public var dataTimeout: Duration
    /// Connections open at once, in total and to one destination.
    public var maxConnections: Int
    public var maxConnectionsPerDomain: Int

    public init(
        heloName: String, opportunisticTLS: ClientTLSSettings = ClientTLSSettings(verifyCertificate: false),
        verifiedTLSDomains: Set<String> = [], trustRootsPEM: [String] = [], connectTimeout: Duration = .seconds(30),
        commandTimeout: Duration = .seconds(300), dataTimeout: Duration = .seconds(600), maxConnections: Int = 20,
        maxConnectionsPerDomain: Int = 10
    ) {
        self.heloName = heloName
        self.opportunisticTLS = opportunisticTLS
        self.verifiedTLSDomains = Set(verifiedTLSDomains.map { $0.lowercased() })
        self.trustRootsPEM = trustRootsPEM
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.dataTimeout = dataTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerDomain = maxConnectionsPerDomain
    }
}

public struct SMTPRemoteDeliveryAgent: RemoteDeliveryAgent {
    public let router: MailRouter
    public let configuration: SMTPClientConfiguration
    private let slots: ConnectionSlots

    public init(router: MailRouter, configuration: SMTPClientConfiguration) {
        self.router = router
        self.configuration = configuration
        self.slots = ConnectionSlots(
            total: configuration.maxConnections, perDestination: configuration.maxConnectionsPerDomain)
    }

    public func deliver(_ message: OutboundMessage) async -> RemoteDeliveryReport {
        let hosts: [RouteHost]
        switch await router.route(message.domain) {
        case .hosts(let found): hosts = found
        case .permanent(let reason): return .all(.permanent(reason), of: message)
        case .temporary(let reason): return .all(.temporary(reason), of: message)
        }
        let destination = router.relayHost?.description ?? message.domain
        var lastFailure = "4.4.1 no mail host of \(message.domain) answered"
        for host in hosts {
            let addresses: [String]
            switch await router.addresses(of: host) {
            case .addresses(let found): addresses = found
            case .unavailable(let reason):
                lastFailure = reason
                continue
            }
            for address in addresses {
                await slots.acquire(destination)
                let outcome = await attempt(message, host: host, address: address)
                await slots.release(destination)
                switch outcome {
                case .completed(let results): return RemoteDeliveryReport(results: results, remoteMTA: host.name)
                case .hostFailed(let reason): lastFailure = reason
                }
            }
        }
        return .all(.temporary(lastFailure), of: message)
    }

    /// One connection to one address of `host`.
    private func attempt(_ message: OutboundMessage, host: RouteHost, address: String) async -> SMTPClientSession.Outcome {
        let requiresTLS = configuration.verifiedTLSDomains.contains(message.domain.lowercased())
        let tls =
            requiresTLS
            ? ClientTLSSettings(verifyCertificate: true, serverName: host.name, trustRootsPEM: configuration.trustRootsPEM)
            : ClientTLSSettings(
                verifyCertificate: configuration.opportunisticTLS.verifyCertificate,
                serverName: configuration.opportunisticTLS.serverName ?? host.name,
                trustRootsPEM: configuration.opportunisticTLS.trustRootsPEM)
        let connection: ClientConnection
        do {
            connection = try await ClientConnection.connect(
                host: address, port: host.port, connectTimeout: Self.timeAmount(configuration.connectTimeout),
                readTimeout: Self.timeAmount(configuration.commandTimeout), lineEndings: .tolerateBareLF)
        } catch {
            return .hostFailed("4.4.1 cannot connect to \(host.name)[\(address)]:\(host.port): \(error)")
        }
        var session = SMTPClientSession(
            message: message, host: host.name,
            policy: SMTPClientPolicy(heloName: configuration.heloName, requiresTLS: requiresTLS))
        var driver = SMTPClientDriver(
            connection: connection, tls: tls, commandTimeout: Self.timeAmount(configuration.commandTimeout),
            dataTimeout: Self.timeAmount(configuration.dataTimeout))
        return await driver.run(&session)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
