// UDP listeners (DNS): each datagram goes to an async responder off the
// event loop; its answer, if any, goes back to the sender. The number of
// datagrams being answered at once is capped; past it, datagrams are dropped
// and counted, as a loaded DNS server does.
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

public final class UDPServer: Service, Sendable {
    public typealias Responder = @Sendable (_ request: ByteBuffer, _ from: SocketAddress) async -> ByteBuffer?

    public let service: String
    public let listeners: [ListenerSpec]
    private let maxInFlight: Int
    private let respond: Responder
    private let group: any EventLoopGroup
    private let logger: Logger
    private let metrics: ServiceMetrics
    private let channels = NIOLockedValueBox<[any Channel]>([])
    private let inFlight = NIOLockedValueBox(0)

    public init(
        service: String, listeners: [ListenerSpec], maxInFlight: Int = 256, group: any EventLoopGroup,
        logger: Logger, respond: @escaping Responder
    ) {
        self.service = service
        self.listeners = listeners
        self.maxInFlight = maxInFlight
        self.respond = respond
        self.group = group
        var logger = logger
        logger[metadataKey: "service"] = "\(service)"
        self.logger = logger
        self.metrics = ServiceMetrics(service: service)
    }

    @discardableResult
    public func bind() async throws -> [ListenEndpoint] {
        var bound: [ListenEndpoint] = []
        for listener in listeners {
            guard case .tcp(let host, let port) = listener.endpoint else {
                throw ListenerError(listener: listener, reason: .other("UDP needs an IP address and port"))
            }
            do {
                let channel = try await DatagramBootstrap(group: group)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    .channelInitializer { [self] channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(DatagramHandler(server: self))
                        }
                    }
                    .bind(host: host, port: port).get()
                channels.withLockedValue { $0.append(channel) }
                let endpoint: ListenEndpoint = channel.localAddress.flatMap { address in
                    address.ipAddress.flatMap { ip in address.port.map { .tcp(host: ip, port: $0) } }
                } ?? listener.endpoint
                bound.append(endpoint)
                logger.info("listening \(listener.name) \(endpoint) (udp)")
            } catch {
                await close()
                throw ListenerError.from(error, listener: listener)
            }
        }
        return bound
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    public func close() async {
        let open = channels.withLockedValue { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in open {
            try? await channel.close()
        }
    }

    fileprivate func received(_ envelope: AddressedEnvelope<ByteBuffer>, on channel: any Channel) {
        metrics.bytesIn.increment(by: Int64(envelope.data.readableBytes))
        let admitted = inFlight.withLockedValue { count in
            guard count < maxInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else {
            metrics.refusedConnections.increment()
            return
        }
        let respond = self.respond
        Task { [inFlight, metrics] in
            defer { inFlight.withLockedValue { $0 -= 1 } }
            guard let answer = await respond(envelope.data, envelope.remoteAddress) else { return }
            metrics.bytesOut.increment(by: Int64(answer.readableBytes))
            try? await channel.writeAndFlush(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: answer))
        }
    }
}

private final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let server: UDPServer

    init(server: UDPServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        server.received(unwrapInboundIn(data), on: context.channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram socket reports ICMP errors of earlier sends here; they
        // concern one peer, not the listener.
    }
}
