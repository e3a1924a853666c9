// DNSServer: the authoritative DNS service on the shared transport — a UDP listener and a
// TCP listener on each configured address, both answering from one `DNSResponder`.
//
// Invariants: UDP and TCP share each address and port (RFC 7766 §5: TCP is not optional);
// UDP answers are computed on the event loop with no thread hop per datagram; a reload
// swaps the zone set whole or not at all (ZoneSet.swift), so no query is dropped and a bad
// zone file leaves the old set in service; never an open resolver (Authority: REFUSED for
// names outside our zones).
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Transport

/// What the DNS service needs to run.
public struct DNSServerConfiguration: Sendable {
    /// Addresses served over both UDP and TCP; port 0 (tests) takes a free port, the same
    /// for both.
    public var listen: [ListenAddress]
    /// Limits of the TCP connections (idle timeout, connection caps, drain at shutdown).
    public var tcpLimits: SessionLimits
    /// UDP answers per client; nil: unlimited.
    public var rateLimit: RateLimit?

    public init(listen: [ListenAddress], tcpLimits: SessionLimits, rateLimit: RateLimit?) {
        self.listen = listen
        self.tcpLimits = tcpLimits
        self.rateLimit = rateLimit
    }

    /// TCP limits for DNS: messages are framed by length, so the line settings are unused.
    public static func tcpLimits(
        idleTimeout: TimeAmount, maxConnections: Int, maxConnectionsPerClient: Int, drainTimeout: TimeAmount
    ) -> SessionLimits {
        SessionLimits(
            maxLineLength: 512, lineEndings: .strict, idleTimeout: idleTimeout, maxConnections: maxConnections,
            maxConnectionsPerClient: maxConnectionsPerClient, drainTimeout: drainTimeout)
    }
}

public final class DNSServer: Service, Sendable {
    public static let serviceName = "dns"

    public let configuration: DNSServerConfiguration
    public let responder: DNSResponder
    private let group: any EventLoopGroup
    private let logger: Logger
    private let udp: UDPServer
    private let tcp = Mutex<TCPServer<DNSTCPPerformer>?>(nil)
    private let bound = Mutex<[ListenEndpoint]>([])

    public init(
        configuration: DNSServerConfiguration, authority: Authority, group: any EventLoopGroup, logger: Logger
    ) {
        self.configuration = configuration
        let responder = DNSResponder(zones: ZoneSet(authority), rateLimit: configuration.rateLimit)
        self.responder = responder
        self.group = group
        var logger = logger
        logger[metadataKey: "service"] = "\(Self.serviceName)"
        self.logger = logger
        udp = UDPServer(
            service: Self.serviceName, listeners: configuration.listen.map(Self.listener), group: group,
            logger: logger
        ) { request, address in
            responder.respond(toDatagram: request, from: address)
        }
    }

    private static func listener(_ address: ListenAddress) -> ListenerSpec {
        ListenerSpec(name: serviceName, endpoint: .tcp(host: address.host, port: address.port), configKey: "[dns] listen")
    }

    /// Where the service listens (UDP and TCP on each), once bound.
    public var endpoints: [ListenEndpoint] { bound.withLock { $0 } }

    /// TCP connections open now.
    public var activeConnections: Int { tcp.withLock { $0?.activeConnections ?? 0 } }

    /// The counters of queries, malformed packets and rate-limited answers.
    public var statistics: DNSServerStatistics { responder.statistics }

    // MARK: - Binding

    /// Binds UDP first, then TCP on the same ports (a port 0 gets the one UDP was given).
    /// Throws a `ListenerError` naming `[dns] listen` when a port cannot be had.
    @discardableResult
    public func bind() async throws -> [ListenEndpoint] {
        let endpoints = try await udp.bind()
        let server = TCPServer(
            service: Self.serviceName,
            listeners: endpoints.map { ListenerSpec(name: Self.serviceName, endpoint: $0, configKey: "[dns] listen") },
            limits: configuration.tcpLimits, tls: nil, performer: DNSTCPPerformer(responder: responder),
            group: group, logger: logger, busyReply: { _ in ByteBuffer() }, makeMachine: { DNSTCPSession() })
        do {
            try await server.bind()
        } catch {
            await udp.close()
            throw error
        }
        tcp.withLock { $0 = server }
        bound.withLock { $0 = endpoints }
        logger.info("serving \(responder.zones.authority.origins.map(\.description).joined(separator: " "))")
        return endpoints
    }

    /// Closes the listening sockets without running.
    public func close() async {
        await udp.close()
        if let server = tcp.withLock({ $0 }) {
            await server.shutdown()
        }
    }

    // MARK: - Running

    /// ServiceLifecycle: serve until graceful shutdown, then close UDP and drain TCP.
    public func run() async throws {
        let server = tcp.withLock { $0 }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.udp.run() }
            if let server {
                group.addTask { try await server.run() }
            }
        }
    }

    // MARK: - Reload

    /// Reads the zone files again and puts them in service, with a new UDP rate limit.
    /// When a file fails, the zones in service stay and the error (file:line) is logged and
    /// returned.
    @discardableResult
    public func reload(zoneFiles: [ZoneFile], rateLimit: RateLimit?) -> Result<[DNSName], ZoneError> {
        responder.setRateLimit(rateLimit)
        let authority: Authority
        do throws(ZoneError) {
            authority = try ZoneSet.load(zoneFiles, udpPayloadSize: responder.zones.authority.udpPayloadSize)
        } catch {
            logger.error("zone reload failed, the zones in service stay: \(error)")
            return .failure(error)
        }
        responder.zones.replace(with: authority)
        logger.notice("zones reloaded: \(authority.origins.map(\.description).joined(separator: " "))")
        return .success(authority.origins)
    }
}
