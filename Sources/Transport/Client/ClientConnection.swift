// The client side of the shared transport: connect (IPv6 and IPv4, with a
// timeout), implicit TLS or STARTTLS, then read framed events with the same
// FrameDecoder the servers use. The framer runs on the event loop inside
// `ClientHandler`, so a STARTTLS upgrade can check atomically that no
// plaintext arrived between the server's reply and the handshake.
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

public final class ClientConnection: Sendable {
    public let host: String
    public let port: Int
    private let channel: any Channel
    private let handler: NIOLoopBound<ClientHandler>

    private init(host: String, port: Int, channel: any Channel, handler: NIOLoopBound<ClientHandler>) {
        self.host = host
        self.port = port
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `host` (a name is resolved to AAAA and A and tried Happy
    /// Eyeballs style, RFC 8305). With `implicitTLS` the handshake is done
    /// before this returns.
    public static func connect(
        host: String, port: Int, implicitTLS: ClientTLSSettings? = nil,
        connectTimeout: TimeAmount = .seconds(30), readTimeout: TimeAmount = .seconds(300),
        maxLineLength: Int = 8192, lineEndings: LineEndingPolicy = .tolerateBareLF,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ClientConnection {
        try await open(
            endpoint: .tcp(host: host, port: port), implicitTLS: implicitTLS, connectTimeout: connectTimeout,
            readTimeout: readTimeout, maxLineLength: maxLineLength, lineEndings: lineEndings, group: group)
    }

    /// Connects to a Unix domain socket (the control socket).
    public static func connect(
        unixSocketPath path: String, readTimeout: TimeAmount = .seconds(60), maxLineLength: Int = 8192,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ClientConnection {
        try await open(
            endpoint: .unix(path: path), implicitTLS: nil, connectTimeout: .seconds(5), readTimeout: readTimeout,
            maxLineLength: maxLineLength, lineEndings: .tolerateBareLF, group: group)
    }

    private static func open(
        endpoint: ListenEndpoint, implicitTLS: ClientTLSSettings?, connectTimeout: TimeAmount,
        readTimeout: TimeAmount, maxLineLength: Int, lineEndings: LineEndingPolicy, group: any EventLoopGroup
    ) async throws -> ClientConnection {
        let host: String
        let port: Int
        switch endpoint {
        case .tcp(let name, let number):
            host = name
            port = number
        case .unix(let path):
            host = path
            port = 0
        }
        let tlsContext = try implicitTLS.map { try $0.makeContext() }
        let sni = implicitTLS?.sniName(for: host)
        let made = NIOLockedValueBox<NIOLoopBound<ClientHandler>?>(nil)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ClientHandler(
                        framer: FrameDecoder(maxLineLength: maxLineLength, lineEndings: lineEndings),
                        readTimeout: readTimeout)
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tlsContext, serverHostname: sni))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    made.withLockedValue { $0 = NIOLoopBound(handler, eventLoop: channel.eventLoop) }
                }
            }
        let channel: any Channel
        switch endpoint {
        case .tcp:
            channel = try await bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port).get()
        case .unix(let path):
            channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
        }
        guard let handler = made.withLockedValue({ $0 }) else { throw ClientError.connectionClosed }
        let connection = ClientConnection(host: host, port: port, channel: channel, handler: handler)
        if tlsContext != nil {
            do {
                try await connection.onLoop { $0.waitForHandshake() }
            } catch {
                try? await channel.close()
                throw error
            }
        }
        return connection
    }

    public var isTLS: Bool {
        get async { (try? await channel.eventLoop.submit { [handler] in handler.value.isTLS }.get()) ?? false }
    }

    public func send(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes)
    }

    public func send(_ text: String) async throws {
        try await send(ByteBuffer(string: text))
    }

    /// The next framed event; throws `ClientError.timedOut` after the read timeout.
    public func next() async throws -> FrameEvent {
        try await onLoop { $0.next() }
    }

    /// The next line; a line error or payload event is an error here.
    public func readLine() async throws -> String {
        switch try await next() {
        case .line(let line):
            return String(decoding: line.readableBytesView, as: UTF8.self)
        case .lineTooLong:
            throw ClientError.lineTooLong
        case .bareLineEnding:
            throw ClientError.bareLineEnding
        case .payload, .payloadEnd:
            throw ClientError.unexpectedEvent("payload while a line was expected")
        }
    }

    /// Switches the framing of what the server sends next (a dot-stuffed
    /// multi-line response, a counted literal).
    public func expect(_ mode: FramingMode) async throws {
        try await channel.eventLoop.submit { [handler] in handler.value.framer.expect(mode) }.get()
    }

    public func setReadTimeout(_ timeout: TimeAmount) async throws {
        try await channel.eventLoop.submit { [handler] in handler.value.readTimeout = timeout }.get()
    }

    /// Upgrades to TLS after the server accepted STARTTLS/STLS. Fails with
    /// `ClientError.dataBeforeTLS` if anything arrived after that reply.
    public func startTLS(_ settings: ClientTLSSettings) async throws {
        let context = try settings.makeContext()
        let sni = settings.sniName(for: host)
        try await onLoop { $0.startTLS(context: context, serverName: sni) }
    }

    public func close() async {
        try? await channel.close()
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (ClientHandler) -> EventLoopFuture<T>) async throws -> T {
        try await channel.eventLoop.flatSubmit { [handler] in body(handler.value) }.get()
    }
}

/// Holds the received bytes and the framer; answers one waiter at a time.
final class ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Unread input beyond which reading from the socket pauses.
    static var inputHighWater: Int { 1024 * 1024 }

    var framer: FrameDecoder
    var readTimeout: TimeAmount
    private(set) var isTLS = false
    private var input = ByteBuffer()
    private var context: ChannelHandlerContext?
    private var waiter: EventLoopPromise<FrameEvent>?
    private var waiterTimeout: Scheduled<Void>?
    private var handshake: EventLoopPromise<Void>?
    private var failure: ClientError?
    private var readPending = false

    init(framer: FrameDecoder, readTimeout: TimeAmount) {
        self.framer = framer
        self.readTimeout = readTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        input.writeBuffer(&bytes)
        deliver()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let promise = handshake
        handshake = nil
        promise?.fail(error)
        if let waiter {
            self.waiter = nil
            waiterTimeout?.cancel()
            waiter.fail(error)
        }
        failure = failure ?? .connectionClosed
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            isTLS = true
            let promise = handshake
            handshake = nil
            promise?.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        if waiter == nil && input.readableBytes >= Self.inputHighWater {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: - Operations (on the event loop)

    func next() -> EventLoopFuture<FrameEvent> {
        guard let context else { return failedFuture(.connectionClosed) }
        let promise = context.eventLoop.makePromise(of: FrameEvent.self)
        guard waiter == nil else {
            promise.fail(ClientError.unexpectedEvent("two concurrent reads"))
            return promise.futureResult
        }
        waiter = promise
        waiterTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) { [self] in
            guard let waiter else { return }
            self.waiter = nil
            waiter.fail(ClientError.timedOut)
        }
        deliver()
        if readPending {
            readPending = false
            context.read()
        }
        return promise.futureResult
    }

    func waitForHandshake() -> EventLoopFuture<Void> {
        guard let context else { return failedFuture(.connectionClosed) }
        if isTLS { return context.eventLoop.makeSucceededVoidFuture() }
        if let failure { return context.eventLoop.makeFailedFuture(failure) }
        let promise = context.eventLoop.makePromise(of: Void.self)
        handshake = promise
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) { [self] in
            guard let pending = handshake else { return }
            handshake = nil
            pending.fail(ClientError.timedOut)
            context.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    func startTLS(context tlsContext: NIOSSLContext, serverName: String?) -> EventLoopFuture<Void> {
        guard let context else { return failedFuture(.connectionClosed) }
        // Anything already here came in plaintext after the STARTTLS reply.
        guard input.readableBytes == 0 else { return failedFuture(.dataBeforeTLS) }
        do {
            let tlsHandler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName)
            try context.pipeline.syncOperations.addHandler(tlsHandler, position: .before(self))
        } catch {
            return context.eventLoop.makeFailedFuture(error)
        }
        framer.expect(.lines)
        return waitForHandshake()
    }

    private func deliver() {
        guard let waiter else { return }
        if let event = framer.next(from: &input) {
            self.waiter = nil
            waiterTimeout?.cancel()
            waiter.succeed(event)
        } else if let failure {
            self.waiter = nil
            waiterTimeout?.cancel()
            waiter.fail(failure)
        }
    }

    private func fail(_ error: ClientError) {
        failure = failure ?? error
        deliver()
        let promise = handshake
        handshake = nil
        promise?.fail(error)
    }

    private func failedFuture<T>(_ error: ClientError) -> EventLoopFuture<T> {
        MultiThreadedEventLoopGroup.singleton.next().makeFailedFuture(error)
    }
}
