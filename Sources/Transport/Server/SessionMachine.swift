// The contract between Transport and a protocol: a session state machine is a
// value fed framed events; it answers with actions and never does I/O itself.
// Effects (disk, SQLite, DNS) are named by the machine and run by the
// protocol's `EffectPerformer` off the event loop; their results come back to
// the machine as another input. Input is paused while an effect runs, so the
// machine always sees events in order.
import Logging
import NIOCore

public enum SessionAction<Effect: Sendable>: Sendable {
    /// Bytes to write to the peer (flushed before the handler next waits).
    case send(ByteBuffer)
    /// How the next bytes are framed.
    case expect(FramingMode)
    /// Upgrade the connection to TLS now, after writing what was sent so far.
    /// Everything the peer sent before the handshake is discarded
    /// (RFC 3207 §4.2). `tlsEstablished` follows.
    case startTLS
    /// Run an effect; input is paused until `completed(_:)` gets its result.
    case perform(Effect)
    /// The read timeout from now on (RFC 5321 §4.5.3.2 has one per state).
    case setReadTimeout(TimeAmount)
    /// Flush what was sent, then close.
    case close
}

/// Who is on the other end, and how they came in.
public struct ConnectionInfo: Sendable {
    public let id: UInt64
    public let service: String
    public let listener: String
    public let remoteAddress: SocketAddress?
    public let localAddress: SocketAddress?
    public var isTLS: Bool
    public var tlsProtocol: String?
    public var tlsCipher: String?

    public init(
        id: UInt64, service: String, listener: String, remoteAddress: SocketAddress?, localAddress: SocketAddress?,
        isTLS: Bool
    ) {
        self.id = id
        self.service = service
        self.listener = listener
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.isTLS = isTLS
    }

    /// The peer's IP address as text, or "local" for a Unix socket.
    public var remoteIP: String {
        remoteAddress?.ipAddress ?? "local"
    }

    /// True for 127.0.0.0/8, ::1 (also IPv4-mapped) and Unix sockets.
    public var isLoopback: Bool {
        guard let address = remoteAddress else { return true }
        if case .unixDomainSocket = address { return true }
        return address.ipAddress.flatMap(IPAddress.init)?.isLoopback ?? false
    }
}

public protocol SessionMachine: Sendable {
    associatedtype Effect: Sendable
    associatedtype EffectResult: Sendable
    typealias Action = SessionAction<Effect>

    /// The connection is open (and, for implicit TLS, the handshake is under
    /// way): typically the greeting.
    mutating func connected(_ connection: ConnectionInfo) -> [Action]
    mutating func received(_ event: FrameEvent) -> [Action]
    mutating func completed(_ result: EffectResult) -> [Action]
    /// The STARTTLS handshake finished; the session restarts its state as the
    /// protocol requires (RFC 3207 §4.2: forget EHLO and AUTH).
    mutating func tlsEstablished(_ connection: ConnectionInfo) -> [Action]
    /// The read timeout passed: the protocol's goodbye, then `.close`.
    mutating func timedOut() -> [Action]
    /// The server is stopping and this session is between commands: the
    /// protocol's shutdown reply (421, `* BYE`, 400), then `.close`.
    mutating func shuttingDown() -> [Action]
    /// Something outside the peer's input called the `EffectContext.wakeUp`
    /// an effect was given (IMAP IDLE: the watched mailbox changed). Runs on
    /// the event loop, never while an effect is in flight.
    mutating func awakened() -> [Action]
}

extension SessionMachine {
    public mutating func awakened() -> [Action] { [] }
}

/// Runs a machine's effects. `perform` is called off the event loop; it may
/// take its time, and may write to the peer through `context.output` (for
/// large responses with backpressure) before returning. A reply that fits in
/// memory is better returned inside the result, for the machine to send: it
/// leaves with the result, in one trip to the event loop.
public protocol EffectPerformer<Machine>: Sendable {
    associatedtype Machine: SessionMachine
    func perform(_ effect: Machine.Effect, context: EffectContext) async -> Machine.EffectResult

    /// Called on the event loop before `perform`: the result, when it is
    /// already at hand (in memory, read ahead) and costs no waiting; nil sends
    /// the effect to `perform`. It must not block and must not use
    /// `context.output`. A pipelined client's commands then run back to back
    /// on the loop, with no thread hand-off per command.
    func performImmediately(_ effect: Machine.Effect, context: EffectContext) -> Machine.EffectResult?
}

extension EffectPerformer {
    public func performImmediately(_ effect: Machine.Effect, context: EffectContext) -> Machine.EffectResult? {
        nil
    }
}

/// What an effect may use of its session.
public struct EffectContext: Sendable {
    public let connection: ConnectionInfo
    public let logger: Logger
    public let output: SessionOutput
    /// Wakes the session later, from any thread (see `SessionWakeup`).
    public let wakeUp: SessionWakeup

    public init(connection: ConnectionInfo, logger: Logger, output: SessionOutput, wakeUp: SessionWakeup = .none) {
        self.connection = connection
        self.logger = logger
        self.output = output
        self.wakeUp = wakeUp
    }
}

/// A way for work that outlives its effect (a watch on a mailbox) to get the
/// session's attention: each call asks the handler to run
/// `SessionMachine.awakened()` on the event loop, once no effect is in
/// flight. Calls made before the session gets to them count once.
public struct SessionWakeup: Sendable {
    private let signal: @Sendable () -> Bool

    /// `signal` asks for the wake-up and says whether the session is still open.
    public init(_ signal: @escaping @Sendable () -> Bool) {
        self.signal = signal
    }

    /// A wake-up that reaches no session (tests, one-shot effects).
    public static let none = SessionWakeup { false }

    /// Asks for `awakened()`; false when the session has ended, so the
    /// caller can stop watching.
    @discardableResult
    public func callAsFunction() -> Bool {
        signal()
    }
}

/// Writes from an effect straight to the peer. Each write completes once
/// the bytes have left for the socket, so a peer that reads slowly slows the
/// writer instead of growing a buffer.
public struct SessionOutput: Sendable {
    private let writer: @Sendable (ByteBuffer) async throws -> Void

    /// Writes through `writer` (tests collect the bytes).
    public init(writer: @escaping @Sendable (ByteBuffer) async throws -> Void) {
        self.writer = writer
    }

    init(channel: any Channel) {
        writer = { bytes in try await channel.writeAndFlush(bytes) }
    }

    public func write(_ bytes: ByteBuffer) async throws {
        try await writer(bytes)
    }
}
