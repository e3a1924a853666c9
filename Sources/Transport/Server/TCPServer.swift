// A service's TCP (and Unix-socket) listeners: binds them, admits
// connections under the caps, builds each connection's pipeline (implicit TLS,
// then a SessionHandler around a fresh machine), and drains at shutdown.
//
// Binding is separate from running so that `chappe serve` can bind every
// port, then drop privileges, then run (DESIGN.md, command line).
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class TCPServer<Performer: EffectPerformer>: Service, Sendable {
    public typealias Machine = Performer.Machine

    public let service: String
    public let listeners: [ListenerSpec]
    public let limits: SessionLimits
    public let limiter: ConnectionLimiter
    private let tls: NIOSSLContext?
    private let performer: Performer
    private let makeMachine: @Sendable () -> Machine
    private let busyReply: @Sendable (BusyReason) -> ByteBuffer
    private let group: any EventLoopGroup
    private let logger: Logger
    private let metrics: ServiceMetrics
    private let serverChannels = NIOLockedValueBox<[any Channel]>([])
    private let boundEndpoints = NIOLockedValueBox<[ListenEndpoint]>([])
    private let sessions = SessionRegistry()

    /// - Parameters:
    ///   - tls: the server TLS context, for implicit-TLS listeners and STARTTLS.
    ///   - makeMachine: a fresh session machine per connection.
    ///   - busyReply: the protocol's "too busy" reply for a refused connection.
    public init(
        service: String, listeners: [ListenerSpec], limits: SessionLimits, tls: NIOSSLContext?,
        performer: Performer, group: any EventLoopGroup, logger: Logger,
        busyReply: @escaping @Sendable (BusyReason) -> ByteBuffer,
        makeMachine: @escaping @Sendable () -> Machine
    ) {
        self.service = service
        self.listeners = listeners
        self.limits = limits
        self.limiter = ConnectionLimiter(
            maxConnections: limits.maxConnections, maxConnectionsPerClient: limits.maxConnectionsPerClient)
        self.tls = tls
        self.performer = performer
        self.group = group
        var logger = logger
        logger[metadataKey: "service"] = "\(service)"
        self.logger = logger
        self.metrics = ServiceMetrics(service: service)
        self.busyReply = busyReply
        self.makeMachine = makeMachine
    }

    public var activeConnections: Int { limiter.activeConnections }

    /// Where the listeners are bound (real ports when 0 was asked).
    public var endpoints: [ListenEndpoint] { boundEndpoints.withLockedValue { $0 } }

    // MARK: - Binding

    /// Binds every listener; on the first failure closes those already bound
    /// and throws a `ListenerError` that names the configuration key.
    /// Returns the bound endpoints (with real ports when 0 was asked).
    @discardableResult
    public func bind() async throws -> [ListenEndpoint] {
        var bound: [ListenEndpoint] = []
        for listener in listeners {
            do {
                let channel = try await bind(listener)
                serverChannels.withLockedValue { $0.append(channel) }
                let endpoint = Self.endpoint(of: channel, fallback: listener.endpoint)
                bound.append(endpoint)
                logger.info("listening \(listener.name) \(endpoint)\(listener.implicitTLS ? " (TLS)" : "")")
            } catch let error as ListenerError {
                await stopListening()
                throw error
            } catch {
                await stopListening()
                throw ListenerError.from(error, listener: listener)
            }
        }
        boundEndpoints.withLockedValue { $0 = bound }
        return bound
    }

    private func bind(_ listener: ListenerSpec) async throws -> any Channel {
        if listener.implicitTLS && tls == nil {
            throw ListenerError(listener: listener, reason: .tlsNotConfigured)
        }
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.initialize(channel, listener: listener)
                }
            }
        switch listener.endpoint {
        case .tcp(let host, let port):
            if host.contains(":") {
                // "[::]" and "0.0.0.0" are separate listeners in the configuration.
                bootstrap = bootstrap.serverChannelOption(
                    ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only), value: 1)
            }
            return try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            let channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            // The control socket is for the owner only.
            chmod(path, 0o600)
            return channel
        }
    }

    private static func endpoint(of channel: any Channel, fallback: ListenEndpoint) -> ListenEndpoint {
        guard let address = channel.localAddress, let ip = address.ipAddress, let port = address.port else {
            return fallback
        }
        return .tcp(host: ip, port: port)
    }

    // MARK: - Connections

    private func initialize(_ channel: any Channel, listener: ListenerSpec) throws {
        let pipeline = channel.pipeline.syncOperations
        let client = channel.remoteAddress?.ipAddress ?? "local"
        if listener.implicitTLS, let tls {
            try pipeline.addHandler(NIOSSLServerHandler(context: tls))
        }
        if let reason = limiter.admit(client) {
            metrics.refusedConnections.increment()
            logger.notice("refused connection from \(client): \(reason)")
            try pipeline.addHandler(RejectHandler(reply: busyReply(reason)))
            return
        }
        metrics.connections.increment()
        metrics.activeConnections.increment()
        let id = SessionRegistry.nextID()
        let draining = sessions.add(id, channel)
        channel.closeFuture.whenComplete { [limiter, metrics, sessions] _ in
            limiter.release(client)
            metrics.activeConnections.decrement()
            sessions.remove(id)
        }
        let connection = ConnectionInfo(
            id: id, service: service, listener: listener.name, remoteAddress: channel.remoteAddress,
            localAddress: channel.localAddress, isTLS: listener.implicitTLS)
        var sessionLogger = logger
        sessionLogger[metadataKey: "conn"] = "\(id)"
        sessionLogger[metadataKey: "peer"] = "\(client)"
        let handler = SessionHandler(
            machine: makeMachine(), performer: performer, connection: connection,
            framer: FrameDecoder(maxLineLength: limits.maxLineLength, lineEndings: limits.lineEndings),
            readTimeout: limits.idleTimeout, startTLSContext: listener.implicitTLS ? nil : tls,
            metrics: metrics, logger: sessionLogger)
        try pipeline.addHandler(handler)
        if draining {
            channel.pipeline.fireUserInboundEventTriggered(DrainRequest())
        }
    }

    // MARK: - Shutdown

    /// ServiceLifecycle: serve until graceful shutdown, then drain.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops accepting, asks every session to finish (each gets its
    /// protocol's shutdown reply at its next command boundary), waits up to
    /// the drain timeout, then closes what is left.
    public func shutdown() async {
        await stopListening()
        let open = sessions.startDraining()
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(DrainRequest())
        }
        let deadline = NIODeadline.now() + limits.drainTimeout
        while sessions.count > 0 && NIODeadline.now() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let stragglers = sessions.all
        if !stragglers.isEmpty {
            logger.notice("closing \(stragglers.count) sessions still open after the drain timeout")
        }
        for channel in stragglers {
            channel.close(promise: nil)
            // Callbacks run in the order added: once this one fires, the
            // session's own close callback (releasing its caps) has run.
            try? await channel.closeFuture.get()
        }
    }

    /// Closes the listening sockets; open sessions go on.
    public func stopListening() async {
        let channels = serverChannels.withLockedValue { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in channels {
            try? await channel.close()
        }
    }
}

/// The open sessions of a server, so that shutdown can reach them.
final class SessionRegistry: Sendable {
    private struct State {
        var channels: [UInt64: any Channel] = [:]
        var draining = false
    }

    private let state = NIOLockedValueBox(State())
    private static let counter = Atomic<UInt64>(0)

    static func nextID() -> UInt64 {
        counter.add(1, ordering: .relaxed).newValue
    }

    /// Registers a session; returns true when the server is already draining.
    func add(_ id: UInt64, _ channel: any Channel) -> Bool {
        state.withLockedValue { state in
            state.channels[id] = channel
            return state.draining
        }
    }

    func remove(_ id: UInt64) {
        state.withLockedValue { _ = $0.channels.removeValue(forKey: id) }
    }

    func startDraining() -> [any Channel] {
        state.withLockedValue { state in
            state.draining = true
            return Array(state.channels.values)
        }
    }

    var count: Int { state.withLockedValue { $0.channels.count } }
    var all: [any Channel] { state.withLockedValue { Array($0.channels.values) } }
}

/// Answers a refused connection with the protocol's busy reply and closes it.
final class RejectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let reply: ByteBuffer

    init(reply: ByteBuffer) {
        self.reply = reply
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
