// UDP listeners (DNS): each datagram goes to a responder; its answer, if
// any, goes back to the sender. An async responder runs off the event loop,
// and the number of datagrams being answered at once is capped; past it,
// datagrams are dropped and counted, as a loaded DNS server does. An
// on-loop responder (answers computed from memory, no waiting) runs on the
// event loop with no thread hand-off per datagram, its answers written as
// they come and flushed once per read burst (sendmmsg).
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

public final class UDPServer: Service, Sendable {
    public typealias Responder = @Sendable (_ request: ByteBuffer, _ from: SocketAddress) async -> ByteBuffer?
    /// Called on the event loop: must not block.
    public typealias OnLoopResponder = @Sendable (_ request: ByteBuffer, _ from: SocketAddress) -> ByteBuffer?

    fileprivate enum Answering: Sendable {
        case async(Responder)
        case onLoop(OnLoopResponder)
    }

    public let service: String
    public let listeners: [ListenerSpec]
    private let maxInFlight: Int
    fileprivate let answering: Answering
    private let group: any EventLoopGroup
    private let logger: Logger
    private let metrics: ServiceMetrics
    private let channels = NIOLockedValueBox<[any Channel]>([])
    private let inFlight = NIOLockedValueBox(0)

    public convenience init(
        service: String, listeners: [ListenerSpec], maxInFlight: Int = 256, group: any EventLoopGroup,
        logger: Logger, respond: @escaping Responder
    ) {
        self.init(
            service: service, listeners: listeners, maxInFlight: maxInFlight, group: group, logger: logger,
            answering: .async(respond))
    }

    /// A server whose answers are computed on the event loop by `respondOnLoop`.
    public convenience init(
        service: String, listeners: [ListenerSpec], group: any EventLoopGroup, logger: Logger,
        respondOnLoop: @escaping OnLoopResponder
    ) {
        self.init(
            service: service, listeners: listeners, maxInFlight: 0, group: group, logger: logger,
            answering: .onLoop(respondOnLoop))
    }

    private init(
        service: String, listeners: [ListenerSpec], maxInFlight: Int, group: any EventLoopGroup, logger: Logger,
        answering: Answering
    ) {
        self.service = service
        self.listeners = listeners
        self.maxInFlight = maxInFlight
        self.answering = answering
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
                // No SO_REUSEADDR: on Linux it lets a second UDP socket bind the same port
                // silently, so a second server would not be told the port is taken.
                let channel = try await DatagramBootstrap(group: group)
                    .channelOption(.maxMessagesPerRead, value: 32)
                    // recvmmsg: up to 16 datagrams per system call.
                    .channelOption(.datagramVectorReadMessageCount, value: 16)
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

    /// The answer of an on-loop responder, counted.
    fileprivate func answerOnLoop(
        _ envelope: AddressedEnvelope<ByteBuffer>, with respond: OnLoopResponder
    ) -> AddressedEnvelope<ByteBuffer>? {
        metrics.bytesIn.increment(by: Int64(envelope.data.readableBytes))
        guard let answer = respond(envelope.data, envelope.remoteAddress) else { return nil }
        metrics.bytesOut.increment(by: Int64(answer.readableBytes))
        return AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: answer)
    }

    fileprivate func dropped() {
        metrics.refusedConnections.increment()
    }

    fileprivate func received(
        _ envelope: AddressedEnvelope<ByteBuffer>, on channel: any Channel, respond: @escaping Responder
    ) {
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
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let server: UDPServer
    private var needsFlush = false

    init(server: UDPServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch server.answering {
        case .async(let respond):
            server.received(unwrapInboundIn(data), on: context.channel, respond: respond)
        case .onLoop(let respond):
            // Answers the socket cannot take yet are not queued without bound: dropped, as
            // past the async path's cap.
            guard context.channel.isWritable else {
                server.dropped()
                return
            }
            guard let answer = server.answerOnLoop(unwrapInboundIn(data), with: respond) else { return }
            context.write(wrapOutboundOut(answer), promise: nil)
            needsFlush = true
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram socket reports ICMP errors of earlier sends here; they
        // concern one peer, not the listener.
    }
}
