// Real sockets on loopback for the DNS scenario tests: our server on an ephemeral port,
// scripted UDP servers (silent, SERVFAIL, holding answers until released), raw UDP and TCP
// clients, and a clock the tests move by hand. Every wait is bounded, so a bug fails a test
// instead of hanging the run.
import DNS
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import Transport

let quietLogger = Logger(label: "chappe.dns.test") { _ in SwiftLogNoOpLogHandler() }

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Our server

/// A `DNSServer` on 127.0.0.1, UDP and TCP on one ephemeral port.
struct LoopbackDNS {
    let server: DNSServer
    let port: Int

    var address: ListenAddress { ListenAddress(address: .ipv4Loopback, port: UInt16(port)) }

    static func start(
        zones: [String], rateLimit: RateLimit? = nil, idleTimeout: TimeAmount = .seconds(30)
    ) async throws -> LoopbackDNS {
        let authority = try Authority(zones: zones.map { try Zone(parsing: $0, origin: nil, fileName: "test.zone") })
        let configuration = DNSServerConfiguration(
            listen: [ListenAddress(address: .ipv4Loopback, port: 0)],
            tcpLimits: DNSServerConfiguration.tcpLimits(
                idleTimeout: idleTimeout, maxConnections: 64, maxConnectionsPerClient: 64,
                drainTimeout: .milliseconds(200)),
            rateLimit: rateLimit)
        var lastError: (any Error)?
        // TCP takes the port UDP was given; another process may hold it for TCP.
        for _ in 0..<5 {
            let server = DNSServer(
                configuration: configuration, authority: authority, group: MultiThreadedEventLoopGroup.singleton,
                logger: quietLogger)
            do {
                let endpoints = try await server.bind()
                guard case .tcp(_, let port)? = endpoints.first else { throw TestFailure("no endpoint") }
                return LoopbackDNS(server: server, port: port)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestFailure("cannot bind")
    }

    func stop() async {
        await server.close()
    }

    /// A resolver that asks only this server.
    func resolver(
        timeout: Duration = .seconds(5), attempts: Int = 2, now: @escaping DNSResolver.Clock = { ContinuousClock.now }
    ) -> DNSResolver {
        DNSResolver(
            configuration: DNSResolverConfiguration(servers: [address], timeout: timeout, attempts: attempts), now: now)
    }
}

// MARK: - Scripted servers

/// A UDP server whose answers a test writes: `answer` maps each query to a reply or nil
/// (silence). While `holding`, replies wait until `release()`.
final class ScriptedDNSServer: Sendable {
    private struct State {
        var packets = 0
        var holding: Bool
        var held: [AddressedEnvelope<ByteBuffer>] = []
    }

    private let state: Mutex<State>
    private let answer: @Sendable (DNSMessage) -> DNSMessage?
    private let channel: Mutex<(any Channel)?> = Mutex(nil)

    private init(holding: Bool, answer: @escaping @Sendable (DNSMessage) -> DNSMessage?) {
        state = Mutex(State(holding: holding))
        self.answer = answer
    }

    /// Starts a server on 127.0.0.1 and an ephemeral port.
    static func start(
        holding: Bool = false, answer: @escaping @Sendable (DNSMessage) -> DNSMessage?
    ) async throws -> ScriptedDNSServer {
        let server = ScriptedDNSServer(holding: holding, answer: answer)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        server.channel.withLock { $0 = channel }
        return server
    }

    var address: ListenAddress {
        let port = channel.withLock { $0?.localAddress?.port } ?? 0
        return ListenAddress(address: .ipv4Loopback, port: UInt16(port))
    }

    /// Datagrams received so far.
    var packets: Int { state.withLock { $0.packets } }

    /// Sends the replies held so far, and every later one at once.
    func release() {
        let held = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        guard let channel = channel.withLock({ $0 }) else { return }
        for envelope in held {
            channel.writeAndFlush(envelope, promise: nil)
        }
    }

    func stop() async {
        try? await channel.withLock { $0 }?.close()
    }

    /// Counts a query; returns the reply to send now, if any.
    fileprivate func received(_ envelope: AddressedEnvelope<ByteBuffer>) -> AddressedEnvelope<ByteBuffer>? {
        let query = try? DNSMessage(decoding: Array(envelope.data.readableBytesView))
        let reply = query.flatMap(answer).flatMap { try? $0.encode() }.map {
            AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: $0))
        }
        return state.withLock { state in
            state.packets += 1
            guard let reply, state.holding else { return reply }
            state.held.append(reply)
            return nil
        }
    }

    /// A reply with the query's ID and question and `rcode`.
    static func reply(to query: DNSMessage, rcode: DNSRCode, answers: [ResourceRecord] = []) -> DNSMessage {
        DNSMessage(
            id: query.id, isResponse: true, recursionDesired: query.recursionDesired, recursionAvailable: true,
            rcode: rcode, questions: query.questions, answers: answers)
    }
}

private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let server: ScriptedDNSServer

    init(server: ScriptedDNSServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let reply = server.received(unwrapInboundIn(data)) else { return }
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
    }
}

// MARK: - Raw clients

/// Sends `packet` over UDP to 127.0.0.1:`port` from a fresh socket; the datagrams that
/// come back within `wait` (at most `count`), in order.
func udpExchange(_ packet: [UInt8], port: Int, expecting count: Int = 1, wait: Duration = .seconds(3)) async throws
    -> [[UInt8]]
{
    let destination = try SocketAddress(ipAddress: "127.0.0.1", port: port)
    let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                    wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(AddressedEnvelope(remoteAddress: destination, data: ByteBuffer(bytes: packet)))
        return try await withThrowingTaskGroup(of: [[UInt8]].self) { group in
            group.addTask {
                var received: [[UInt8]] = []
                for try await envelope in inbound {
                    received.append(Array(envelope.data.readableBytesView))
                    if received.count == count { break }
                }
                return received
            }
            group.addTask {
                try await Task.sleep(for: wait)
                return []
            }
            let first = try await group.next() ?? []
            group.cancelAll()
            return first
        }
    }
}

/// Opens a TCP connection to 127.0.0.1:`port`, writes `bytes`, and reads until `count`
/// length-prefixed messages came or the server closed; `closed` tells which.
func tcpExchange(_ bytes: [UInt8], port: Int, expecting count: Int) async throws -> (messages: [[UInt8]], closed: Bool) {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(bytes: bytes))
        var pending = ByteBuffer()
        var messages: [[UInt8]] = []
        for try await var chunk in inbound {
            pending.writeBuffer(&chunk)
            while let length = pending.getInteger(at: pending.readerIndex, as: UInt16.self),
                let message = pending.getSlice(at: pending.readerIndex + 2, length: Int(length))
            {
                pending.moveReaderIndex(forwardBy: 2 + Int(length))
                messages.append(Array(message.readableBytesView))
            }
            if messages.count == count { return (messages, false) }
        }
        return (messages, true)
    }
}

/// `message` with its two-octet length in front (RFC 1035 §4.2.2).
func framed(_ message: [UInt8]) -> [UInt8] {
    [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
}

/// The wire form of a query.
func queryBytes(_ name: String, _ type: RecordType, id: UInt16 = 0x1234, edns: EDNS? = EDNS()) throws -> [UInt8] {
    try DNSMessage.query(id: id, name: try DNSName(parsing: name), type: type, edns: edns).encode()
}

// MARK: - Time

/// A clock the test moves forward by hand.
final class ManualClock: Sendable {
    private let current = Mutex(ContinuousClock.now)

    var now: ContinuousClock.Instant { current.withLock { $0 } }

    func advance(by duration: Duration) {
        current.withLock { $0 += duration }
    }
}

/// Waits (bounded) until `condition` holds.
func eventually(_ what: String, within limit: Duration = .seconds(30), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("never happened: \(what)")
}
