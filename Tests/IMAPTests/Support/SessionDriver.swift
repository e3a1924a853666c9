// Drives an IMAPSession without sockets (STYLE.md rule 5): bytes in, the
// session's actions run at once, effects performed inline by IMAPPerformer
// against the memory backend; what the session sends and what the performer
// streams come back as text, in order.
import Logging
import NIOCore
import Synchronization
import Testing
import Transport

@testable import IMAP

struct SessionDriver {
    var session: IMAPSession
    let performer: IMAPPerformer
    var connection: ConnectionInfo
    var closed = false
    var startedTLS = false
    let wakeUps = WakeUpCounter()

    init(
        backend: MemoryBackend, tls: Bool = false, loopback: Bool = true, configuration: IMAPConfiguration? = nil
    ) throws {
        let address = try SocketAddress(ipAddress: loopback ? "127.0.0.1" : "192.0.2.7", port: 40000)
        connection = ConnectionInfo(
            id: 1, service: "imap", listener: "imap", remoteAddress: address, localAddress: nil, isTLS: tls)
        session = IMAPSession(
            configuration: configuration
                ?? IMAPConfiguration(hostname: "imap.test", allowPlaintextOnLoopback: true, authFailureDelay: .zero))
        performer = IMAPPerformer(backend: backend)
    }

    /// The greeting.
    mutating func connect() async -> String {
        await run(session.connected(connection))
    }

    /// Sends `text` (CRLF line ends written out) and returns what came back.
    mutating func send(_ text: String) async -> String {
        await run(session.received(.payload(ByteBuffer(string: text))))
    }

    /// Logs in as alice and selects INBOX; returns the SELECT's answer.
    @discardableResult
    mutating func loginAndSelect(_ mailbox: String = "INBOX") async -> String {
        _ = await connect()
        _ = await send("l1 LOGIN alice secret\r\n")
        return await send("s1 SELECT \(mailbox)\r\n")
    }

    /// The TLS handshake finished.
    mutating func tlsEstablished() async -> String {
        connection.isTLS = true
        return await run(session.tlsEstablished(connection))
    }

    /// Delivers the wake-ups an IDLE watch asked for since the last call.
    mutating func wake() async -> String {
        await run(session.awakened())
    }

    /// Waits (bounded) until a watch has asked for `count` wake-ups in all.
    func waitForWakeUps(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while wakeUps.count < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(wakeUps.count >= count, "no wake-up came")
    }

    private mutating func run(_ actions: [SessionAction<IMAPEffect>]) async -> String {
        var output = ""
        var queue = actions
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case .send(let bytes): output += String(buffer: bytes)
            case .close: closed = true
            case .startTLS: startedTLS = true
            case .expect, .setReadTimeout: break
            case .perform(let effect):
                let streamed = StreamedOutput()
                let counter = wakeUps
                let context = EffectContext(
                    connection: connection, logger: Logger(label: "test"),
                    output: SessionOutput(writer: { streamed.append($0) }),
                    wakeUp: SessionWakeup {
                        counter.increment()
                        return true
                    })
                var result = performer.performImmediately(effect, context: context)
                if result == nil { result = await performer.perform(effect, context: context) }
                output += streamed.text
                if let result { queue.append(contentsOf: session.completed(result)) }
            }
        }
        return output
    }
}

/// Collects what an effect writes through its output.
final class StreamedOutput: Sendable {
    private let bytes = Mutex(ByteBuffer())

    func append(_ buffer: ByteBuffer) {
        bytes.withLock { _ = $0.writeImmutableBuffer(buffer) }
    }

    var text: String {
        bytes.withLock { String(buffer: $0) }
    }
}

final class WakeUpCounter: Sendable {
    private let value = Mutex(0)

    func increment() {
        value.withLock { $0 += 1 }
    }

    var count: Int { value.withLock { $0 } }
}

/// The lines of a session's output.
func lines(_ output: String) -> [String] {
    output.components(separatedBy: "\r\n").filter { !$0.isEmpty }
}
