// The NIO handler between a socket and a `SessionMachine`. It moves bytes:
// socket → FrameDecoder → machine, machine actions → socket. It holds no
// protocol knowledge.
//
// Backpressure: reads from the socket stop while an effect runs, while the
// unparsed input passes `inputHighWater`, or while the peer does not read
// what we write (the channel is not writable). So neither a fast sender nor a
// slow reader makes the server buffer without bound.
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

final class SessionHandler<Performer: EffectPerformer>: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Machine = Performer.Machine

    /// Unparsed input beyond which the handler stops reading from the socket.
    static var inputHighWater: Int { 256 * 1024 }

    private var machine: Machine
    private var framer: FrameDecoder
    private var input = ByteBuffer()
    private var connection: ConnectionInfo
    private let performer: Performer
    private let startTLSContext: NIOSSLContext?
    private let metrics: ServiceMetrics
    private var logger: Logger

    private var context: ChannelHandlerContext?
    private var readTimeout: TimeAmount
    private var timeout: Scheduled<Void>?
    private var effectInFlight = false
    private var tlsHandshakeInFlight = false
    /// An implicit-TLS connection whose handshake has not finished yet.
    private var awaitingImplicitHandshake: Bool
    private var closing = false
    private var drainRequested = false
    private var readPending = false
    private var needsFlush = false
    /// A wake-up (`SessionWakeup`) waits for the machine.
    private var wakePending = false
    /// Read by wake-ups on other threads: false once the session has ended.
    private let liveness = SessionLiveness()

    init(
        machine: Machine, performer: Performer, connection: ConnectionInfo, framer: FrameDecoder,
        readTimeout: TimeAmount, startTLSContext: NIOSSLContext?, metrics: ServiceMetrics, logger: Logger
    ) {
        self.machine = machine
        self.performer = performer
        self.connection = connection
        self.awaitingImplicitHandshake = connection.isTLS
        self.framer = framer
        self.readTimeout = readTimeout
        self.startTLSContext = startTLSContext
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
        liveness.end()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private var started = false

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        logger.debug("connected", metadata: ["tls": "\(connection.isTLS)"])
        apply(machine.connected(connection))
        armTimeout()
        flushIfNeeded()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        closing = true
        liveness.end()
        logger.debug("disconnected")
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        metrics.bytesIn.increment(by: Int64(bytes.readableBytes))
        guard !closing else { return }
        input.writeBuffer(&bytes)
        armTimeout()
        process()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            process()
            resumeReadingIfPossible()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            tlsHandshakeCompleted(context)
        } else if event is DrainRequest {
            drainRequested = true
            process()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        metrics.errors.increment()
        logger.info("connection error: \(error)")
        closing = true
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        metrics.bytesOut.increment(by: Int64(unwrapOutboundIn(data).readableBytes))
        context.write(data, promise: promise)
    }

    // MARK: - Driving the machine

    private var readsPaused: Bool {
        effectInFlight || input.readableBytes >= Self.inputHighWater
            || context?.channel.isWritable == false
    }

    private func resumeReadingIfPossible() {
        guard readPending, !readsPaused, let context else { return }
        readPending = false
        context.read()
    }

    /// Feeds the machine every complete event in the input, stopping while an
    /// effect runs, the peer is not reading, or the session ends.
    private func process() {
        guard let context else { return }
        while !closing && !effectInFlight && !tlsHandshakeInFlight && context.channel.isWritable {
            if drainRequested && framer.isAtLineBoundary {
                apply(machine.shuttingDown())
                break
            }
            guard let event = framer.next(from: &input) else { break }
            apply(machine.received(event))
        }
        if input.readableBytes == 0 {
            input.discardReadBytes()
        }
        flushIfNeeded()
        resumeReadingIfPossible()
    }

    private func apply(_ actions: [SessionAction<Machine.Effect>]) {
        guard let context else { return }
        for action in actions where !closing {
            switch action {
            case .send(let bytes):
                context.write(wrapOutboundOut(bytes), promise: nil)
                needsFlush = true
            case .expect(let mode):
                framer.expect(mode)
            case .startTLS:
                upgradeToTLS(context)
            case .perform(let effect):
                perform(effect, context)
            case .setReadTimeout(let amount):
                readTimeout = amount
                armTimeout()
            case .close:
                close(context)
                return
            }
        }
    }

    private func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        context.flush()
    }

    private func close(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        liveness.end()
        timeout?.cancel()
        needsFlush = false
        // Before a handshake completes, TLS holds every write back: close now.
        if tlsHandshakeInFlight || awaitingImplicitHandshake {
            context.close(promise: nil)
            return
        }
        // Close after the last write has left, so the goodbye is not lost.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    // MARK: - Effects

    private func perform(_ effect: Machine.Effect, _ context: ChannelHandlerContext) {
        let effectContext = EffectContext(
            connection: connection, logger: logger, output: SessionOutput(channel: context.channel),
            wakeUp: makeWakeUp(context.eventLoop))
        if let result = performer.performImmediately(effect, context: effectContext) {
            apply(machine.completed(result))
            return
        }
        effectInFlight = true
        timeout?.cancel()
        flushIfNeeded()
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let performer = self.performer
        Task {
            let result = await performer.perform(effect, context: effectContext)
            loop.execute { bound.value.effectCompleted(result) }
        }
    }

    private func effectCompleted(_ result: Machine.EffectResult) {
        effectInFlight = false
        guard !closing else { return }
        apply(machine.completed(result))
        armTimeout()
        process()
        deliverWakeUp()
    }

    // MARK: - Wake-ups

    /// A wake-up for effects: it holds the handler weakly, so a watch that
    /// outlives the session keeps nothing alive and learns it has ended.
    private func makeWakeUp(_ loop: any EventLoop) -> SessionWakeup {
        let liveness = self.liveness
        let handler = NIOLoopBound(WeakHandler(self), eventLoop: loop)
        return SessionWakeup {
            guard liveness.isOpen else { return false }
            loop.execute { handler.value.handler?.wakeUpRequested() }
            return true
        }
    }

    private func wakeUpRequested() {
        wakePending = true
        deliverWakeUp()
    }

    /// Gives the machine a pending wake-up, unless an effect or a handshake
    /// is under way (it comes after them).
    private func deliverWakeUp() {
        guard wakePending, !effectInFlight, !tlsHandshakeInFlight, !closing, context != nil else { return }
        wakePending = false
        apply(machine.awakened())
        process()
    }

    // MARK: - STARTTLS

    private func upgradeToTLS(_ context: ChannelHandlerContext) {
        guard let tlsContext = startTLSContext else {
            logger.error("STARTTLS requested but no TLS context is configured")
            close(context)
            return
        }
        flushIfNeeded()
        // RFC 3207 §4.2: whatever the client pipelined after STARTTLS arrived
        // in plaintext and must not be read as if it came over TLS.
        if input.readableBytes > 0 {
            logger.notice("discarded \(input.readableBytes) bytes pipelined after STARTTLS")
        }
        input.clear()
        framer.expect(.lines)
        do {
            try context.pipeline.syncOperations.addHandler(
                NIOSSLServerHandler(context: tlsContext), position: .before(self))
            tlsHandshakeInFlight = true
        } catch {
            logger.error("could not start TLS: \(error)")
            close(context)
        }
    }

    private func tlsHandshakeCompleted(_ context: ChannelHandlerContext) {
        let tlsVersion = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).tlsVersion
        connection.isTLS = true
        awaitingImplicitHandshake = false
        connection.tlsProtocol = tlsVersion.map { "\($0)" }
        logger[metadataKey: "tls"] = "\(connection.tlsProtocol ?? "yes")"
        guard tlsHandshakeInFlight else { return }
        tlsHandshakeInFlight = false
        apply(machine.tlsEstablished(connection))
        process()
        deliverWakeUp()
    }

    // MARK: - Timeouts

    private func armTimeout() {
        guard let context, !closing, !effectInFlight else { return }
        timeout?.cancel()
        let amount = readTimeout
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: amount) { [self] in
            timedOut()
        }
    }

    private func timedOut() {
        guard !closing, !effectInFlight else { return }
        logger.info("read timeout")
        metrics.timeouts.increment()
        apply(machine.timedOut())
        flushIfNeeded()
    }
}

/// Sent through a session's pipeline when the server starts draining.
struct DrainRequest: Sendable {}

/// Whether a session is open, for threads other than its event loop.
final class SessionLiveness: Sendable {
    private let open = Atomic<Bool>(true)

    var isOpen: Bool { open.load(ordering: .acquiring) }

    func end() {
        open.store(false, ordering: .releasing)
    }
}

/// The handler as a wake-up sees it: gone once the channel dropped it.
private final class WeakHandler<Performer: EffectPerformer> {
    weak var handler: SessionHandler<Performer>?

    init(_ handler: SessionHandler<Performer>) {
        self.handler = handler
    }
}
