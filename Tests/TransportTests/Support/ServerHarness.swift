// Real servers on loopback for scenario tests: a TCPServer running the echo
// protocol on an ephemeral port, clients through ClientConnection, and a
// bound on every wait so a bug fails a test instead of hanging the run.
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing
@testable import Transport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let quietLogger = Logger(label: "chappe.test") { _ in SwiftLogNoOpLogHandler() }

extension SessionLimits {
    /// Test limits: timeouts near zero where a test waits on them, long
    /// enough elsewhere never to fire during a test.
    static func test(
        maxLineLength: Int = 128, idleTimeout: TimeAmount = .seconds(60), maxConnections: Int = 32,
        maxConnectionsPerClient: Int = 32, drainTimeout: TimeAmount = .milliseconds(300)
    ) -> SessionLimits {
        SessionLimits(
            maxLineLength: maxLineLength, lineEndings: .strict, idleTimeout: idleTimeout,
            maxConnections: maxConnections, maxConnectionsPerClient: maxConnectionsPerClient,
            drainTimeout: drainTimeout)
    }
}

extension ListenerSpec {
    static func loopback(
        _ host: String = "127.0.0.1", port: Int = 0, implicitTLS: Bool = false, key: String = "[echo] listen"
    ) -> ListenerSpec {
        ListenerSpec(name: "echo", endpoint: .tcp(host: host, port: port), implicitTLS: implicitTLS, configKey: key)
    }
}

struct TestServer: Sendable {
    let server: TCPServer<EchoPerformer>
    let endpoints: [ListenEndpoint]

    func port(_ index: Int = 0) -> Int {
        guard case .tcp(_, let port) = endpoints[index] else { return 0 }
        return port
    }

    func host(_ index: Int = 0) -> String {
        guard case .tcp(let host, _) = endpoints[index] else { return "" }
        return host
    }

    func connect(_ index: Int = 0, tls: ClientTLSSettings? = nil) async throws -> ClientConnection {
        try await ClientConnection.connect(
            host: host(index), port: port(index), implicitTLS: tls, connectTimeout: .seconds(2),
            readTimeout: .seconds(3), maxLineLength: 1024, lineEndings: .strict)
    }

    /// Connects and reads the greeting.
    func greeted(_ index: Int = 0, tls: ClientTLSSettings? = nil) async throws -> ClientConnection {
        let client = try await connect(index, tls: tls)
        let greeting = try await client.readLine()
        #expect(greeting == "200 ready")
        return client
    }

    /// Waits (bounded) until the server counts `count` connections.
    func waitForConnections(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while server.activeConnections != count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(server.activeConnections == count)
    }
}

/// Runs `body` against a bound echo server, and shuts the server down after.
func withServer<T: Sendable>(
    limits: SessionLimits = .test(), settings: EchoMachine.Settings = .init(), performer: EchoPerformer = .init(),
    tls: NIOSSLContext? = nil, listeners: [ListenerSpec] = [.loopback()],
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let server = TCPServer(
        service: "echo", listeners: listeners, limits: limits, tls: tls, performer: performer,
        group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger, busyReply: echoBusyReply,
        makeMachine: { EchoMachine(settings: settings) })
    let endpoints = try await server.bind()
    do {
        let result = try await body(TestServer(server: server, endpoints: endpoints))
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Reads the next line, expecting the peer to have closed: true when the
/// read fails because the connection is gone.
func isClosed(_ client: ClientConnection, sourceLocation: SourceLocation = #_sourceLocation) async -> Bool {
    do {
        let line = try await client.readLine()
        Issue.record("expected the connection closed, read \(line)", sourceLocation: sourceLocation)
        return false
    } catch ClientError.connectionClosed {
        return true
    } catch let error as IOError where error.errnoCode == ECONNRESET {
        return true
    } catch {
        Issue.record("expected the connection closed, got \(error)", sourceLocation: sourceLocation)
        return false
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var description: String { "the test did not finish in time" }
}

/// Runs `body`; if it takes longer than `limit`, runs `onTimeout` (which
/// should unblock `body`, e.g. by closing its connection) and throws
/// TimedOut without waiting for `body` any longer, so a hang in the code
/// under test fails the test instead of the whole run.
@discardableResult
func within<T: Sendable>(
    _ limit: Duration, onTimeout: @escaping @Sendable () async -> Void,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let once = Once()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let work = Task {
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            if once.claim() { continuation.resume(with: result) }
        }
        Task {
            try? await Task.sleep(for: limit)
            guard once.claim() else { return }
            await onTimeout()
            work.cancel()
            continuation.resume(throwing: TimedOut())
        }
    }
}

private final class Once: Sendable {
    private let claimed = Atomic(false)

    /// True for the first caller only.
    func claim() -> Bool {
        !claimed.exchange(true, ordering: .acquiringAndReleasing)
    }
}

// MARK: - POSIX helpers

/// A TCP socket that listens on 127.0.0.1 and never accepts: a peer that
/// completes the TCP handshake and then says nothing.
final class SilentListener: Sendable {
    let descriptor: Int32
    let port: Int
    private let closed = Atomic(false)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                Glibc.bind(fd, raw, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw IOError(errnoCode: errno, reason: "silent listener") }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closing the socket resets the connections waiting in its backlog.
    func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        _ = Glibc.close(descriptor)
    }
}

/// False only when the machine has no ::1 to bind (EADDRNOTAVAIL or no
/// IPv6 at all): the one case in which the IPv6 test is skipped.
let hasIPv6Loopback: Bool = {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return errno != EAFNOSUPPORT }
    defer { _ = Glibc.close(fd) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    let result = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }
    return result == 0 || errno != EADDRNOTAVAIL
}()

/// A raw TCP client (no framer): sends `text`, then reads everything until
/// the server closes (bounded: closes its side after 3 seconds).
func exchangeUntilClosed(host: String, port: Int, sending text: String? = nil) async throws -> String {
    let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await within(.seconds(30), onTimeout: { try? await client.channel.close() }) {
        try await client.executeThenClose { inbound, outbound in
            if let text {
                try await outbound.write(ByteBuffer(string: text))
            }
            var received = ""
            for try await buffer in inbound {
                received += String(buffer: buffer)
            }
            return received
        }
    }
}
