// The DNS service in `chappe serve`: `[dns]` mapped onto the DNS module's server, its
// zones loaded at start (a zone that does not load stops the start with file:line, exit
// status 2) and again at each reload (SIGHUP, `chappe reload`), where a failing zone keeps
// the set in service; and the resolver configuration the suite's own lookups use.
import DNS
import NIOCore
import Transport

extension DNSServer: BindableService, SummarizedService {
    public func bindListeners() async throws {
        try await bind()
    }

    public func closeListeners() async {
        await close()
    }

    var summary: ServiceSummary {
        ServiceSummary(
            name: Self.serviceName, endpoints: { [self] in endpoints.map { "\($0) (udp+tcp)" } },
            activeConnections: { [self] in activeConnections })
    }
}

extension DNSSettings {
    /// The zone files, named in messages by their absolute path.
    var zoneFiles: [ZoneFile] { zones.map { ZoneFile(path: $0.path) } }

    /// The UDP rate limit; nil when `udp_rate_limit` is 0.
    var rateLimit: RateLimit? {
        udpRateLimit == 0 ? nil : RateLimit(answersPerSecond: udpRateLimit, burst: udpRateLimitBurst)
    }

    func serverConfiguration(drainTimeout: Duration) -> DNSServerConfiguration {
        DNSServerConfiguration(
            listen: listen,
            tcpLimits: DNSServerConfiguration.tcpLimits(
                idleTimeout: TimeAmount(idleTimeout), maxConnections: maxConnections,
                maxConnectionsPerClient: maxConnectionsPerClient, drainTimeout: TimeAmount(drainTimeout)),
            rateLimit: rateLimit)
    }

    /// The stub resolver of the suite's own lookups: `resolvers`, else /etc/resolv.conf.
    public var resolverConfiguration: DNSResolverConfiguration {
        .system(servers: resolvers)
    }

    /// True when no key that needs a restart differs; `zones` and the rate limit are
    /// applied by a reload.
    func hasSameRestartKeys(as other: DNSSettings) -> Bool {
        enabled == other.enabled && listen == other.listen && maxConnections == other.maxConnections
            && maxConnectionsPerClient == other.maxConnectionsPerClient && idleTimeout == other.idleTimeout
            && resolvers == other.resolvers
    }
}

extension ServiceCatalog {
    /// The authoritative server on `[dns] listen`, reloading its zones with the configuration.
    func buildDNS() throws -> DNSServer {
        let settings = configuration.dns
        let authority: Authority
        do {
            authority = try ZoneSet.load(settings.zoneFiles)
        } catch {
            throw ServeFailure(status: 2, description: "[dns] zones: \(error)")
        }
        let server = DNSServer(
            configuration: settings.serverConfiguration(drainTimeout: configuration.shutdownTimeout),
            authority: authority, group: group, logger: logger)
        state.register(server.summary)
        state.onReload { fresh in
            switch server.reload(zoneFiles: fresh.dns.zoneFiles, rateLimit: fresh.dns.rateLimit) {
            case .success(let origins):
                return ["dns: serving \(origins.map(\.description).joined(separator: " "))"]
            case .failure(let error):
                return ["dns: zones not reloaded, the previous ones stay in service: \(error)"]
            }
        }
        return server
    }
}
