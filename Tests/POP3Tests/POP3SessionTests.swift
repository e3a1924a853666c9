// The POP3 state machine fed lines and effect results, no sockets
// (STYLE.md rule 5).
import Logging
import NIOCore
import Synchronization
import Testing
import Transport

@testable import POP3

/// Drives a session, running effects against a MemoryBackend inline.
struct SessionDriver {
    var session: POP3Session
    let performer: POP3Performer
    var connection: ConnectionInfo
    var closed = false
    var startedTLS = false

    init(backend: MemoryBackend, tls: Bool = false, loopback: Bool = true, configuration: POP3Configuration? = nil) throws {
        let address = try SocketAddress(ipAddress: loopback ? "127.0.0.1" : "192.0.2.7", port: 40000)
        connection = ConnectionInfo(
            id: 1, service: "pop3", listener: "pop3", remoteAddress: address, localAddress: nil, isTLS: tls)
        session = POP3Session(
            configuration: configuration
                ?? POP3Configuration(
                    hostname: "pop.test", allowPlaintextOnLoopback: true, authFailureDelay: .zero, maxAuthFailures: 3))
        performer = POP3Performer(backend: backend)
    }

    /// The greeting.
    mutating func connect() async -> String {
        await run(session.connected(connection))
    }

    mutating func send(_ line: String) async -> String {
        await run(session.received(.line(ByteBuffer(string: line))))
    }

    private mutating func run(_ actions: [SessionAction<POP3Effect>]) async -> String {
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
                // What the performer streams and what it returns, in order.
                let streamed = StreamedOutput()
                let context = EffectContext(
                    connection: connection, logger: Logger(label: "test"),
                    output: SessionOutput(writer: { streamed.append($0) }))
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

@Suite("POP3 session")
struct POP3SessionTests {
    static let first = "From: a@example.test\r\nSubject: one\r\n\r\nline 1\r\n.hidden dot\r\nline 3\r\n"
    static let second = "Subject: two\r\n\r\nbody\r\n"

    func backend() -> MemoryBackend {
        let backend = MemoryBackend()
        backend.addUser("alice", password: "pw", messages: [Self.first, Self.second])
        return backend
    }

    @Test func fullSessionWithDeleteAndQuit() async throws {
        let backend = backend()
        var driver = try SessionDriver(backend: backend)
        #expect(await driver.connect().hasPrefix("+OK"))
        #expect(await driver.send("USER alice") == "+OK send your password\r\n")
        #expect(await driver.send("PASS pw").hasPrefix("+OK maildrop has 2 messages"))
        #expect(await driver.send("STAT") == "+OK 2 \(Self.first.utf8.count + Self.second.utf8.count)\r\n")
        #expect(await driver.send("LIST") == "+OK 2 messages\r\n1 \(Self.first.utf8.count)\r\n2 \(Self.second.utf8.count)\r\n.\r\n")
        #expect(await driver.send("UIDL 2") == "+OK 2 uid-2\r\n")
        let retrieved = await driver.send("RETR 1")
        #expect(retrieved.contains("\r\n..hidden dot\r\n"))
        #expect(retrieved.hasSuffix("line 3\r\n.\r\n"))
        #expect(await driver.send("TOP 1 1") == "+OK top of message follows\r\nFrom: a@example.test\r\nSubject: one\r\n\r\nline 1\r\n.\r\n")
        #expect(await driver.send("DELE 1") == "+OK message 1 deleted\r\n")
        #expect(await driver.send("RETR 1") == "-ERR message 1 already deleted\r\n")
        #expect(await driver.send("LIST 3") == "-ERR no such message\r\n")
        #expect(await driver.send("UIDL") == "+OK unique-id listing follows\r\n2 uid-2\r\n.\r\n")
        #expect(backend.messages(of: "alice").count == 2, "nothing is deleted before QUIT")
        #expect(await driver.send("QUIT").hasPrefix("+OK"))
        #expect(driver.closed)
        #expect(backend.messages(of: "alice") == [Self.second])
    }

    /// RFC 1939 §7: the greeting's timestamp, then APOP with MD5(timestamp + secret).
    @Test func apopWithTheGreetingsTimestamp() async throws {
        var driver = try SessionDriver(backend: backend(), loopback: false)
        let greeting = await driver.connect()
        let timestamp = try #require(greeting.firstRange(of: "<").map { String(greeting[$0.lowerBound...].prefix { $0 != ">" }) + ">" })
        #expect(timestamp.contains("@pop.test>"))
        #expect(await driver.send("APOP alice 0123456789abcdef0123456789abcdef").hasPrefix("-ERR [AUTH]"))
        let digest = MemoryBackend.md5Hex(timestamp + "pw")
        #expect(await driver.send("APOP alice \(digest)").hasPrefix("+OK maildrop has 2 messages"), "no TLS needed: no password is sent")
    }

    @Test func resetRestoresDeletedMessages() async throws {
        let backend = backend()
        var driver = try SessionDriver(backend: backend)
        _ = await driver.connect()
        _ = await driver.send("USER alice")
        _ = await driver.send("PASS pw")
        _ = await driver.send("DELE 1")
        _ = await driver.send("DELE 2")
        #expect(await driver.send("STAT") == "+OK 0 0\r\n")
        #expect(await driver.send("RSET") == "+OK maildrop has 2 messages\r\n")
        _ = await driver.send("QUIT")
        #expect(backend.messages(of: "alice").count == 2)
    }

    @Test func secondSessionIsRefusedInUseUntilTheFirstEnds() async throws {
        let backend = backend()
        var first = try SessionDriver(backend: backend)
        _ = await first.connect()
        _ = await first.send("USER alice")
        _ = await first.send("PASS pw")
        var second = try SessionDriver(backend: backend)
        _ = await second.connect()
        _ = await second.send("USER alice")
        #expect(await second.send("PASS pw") == "-ERR [IN-USE] maildrop is locked by another session\r\n")
        _ = await first.send("QUIT")
        first = try SessionDriver(backend: backend)  // drops the maildrop, releasing the lock
        _ = await second.send("USER alice")
        #expect(await second.send("PASS pw").hasPrefix("+OK"))
    }

    @Test func failedLoginsEndTheSession() async throws {
        var driver = try SessionDriver(backend: backend())
        _ = await driver.connect()
        for attempt in 1...3 {
            _ = await driver.send("USER alice")
            let reply = await driver.send("PASS wrong")
            #expect(reply.hasPrefix("-ERR [AUTH] invalid credentials"))
            #expect(driver.closed == (attempt == 3))
        }
    }

    @Test func passwordsNeedTLSAwayFromLoopback() async throws {
        var driver = try SessionDriver(backend: backend(), loopback: false)
        _ = await driver.connect()
        #expect(await driver.send("USER alice").hasPrefix("-ERR [AUTH] plaintext authentication is disabled"))
        #expect(await driver.send("AUTH PLAIN").hasPrefix("-ERR [AUTH]"))
        let capabilities = await driver.send("CAPA")
        #expect(capabilities.contains("STLS\r\n"))
        #expect(!capabilities.contains("USER\r\n"))
        #expect(await driver.send("STLS") == "+OK Begin TLS negotiation\r\n")
        #expect(driver.startedTLS)
    }

    @Test func saslPlainWithAndWithoutInitialResponse() async throws {
        let credentials = [UInt8]("\0alice\0pw".utf8)
        let encoded = SASLExchange.encodeChallenge(credentials)
        var driver = try SessionDriver(backend: backend())
        _ = await driver.connect()
        #expect(await driver.send("AUTH PLAIN \(encoded)").hasPrefix("+OK maildrop"))

        var stepwise = try SessionDriver(backend: MemoryBackend())
        _ = await stepwise.connect()
        #expect(await stepwise.send("AUTH PLAIN") == "+ \r\n")
        #expect(await stepwise.send("*") == "-ERR authentication cancelled\r\n")
        #expect(await stepwise.send("AUTH PLAIN") == "+ \r\n")
        #expect(await stepwise.send("not base64!") == "-ERR invalid base64 in the authentication exchange\r\n")
    }

    @Test func saslLogin() async throws {
        var driver = try SessionDriver(backend: backend())
        _ = await driver.connect()
        #expect(await driver.send("AUTH LOGIN") == "+ VXNlcm5hbWU6\r\n")
        #expect(await driver.send(SASLExchange.encodeChallenge(Array("alice".utf8))) == "+ UGFzc3dvcmQ6\r\n")
        #expect(await driver.send(SASLExchange.encodeChallenge(Array("pw".utf8))).hasPrefix("+OK maildrop"))
    }

    @Test func commandsOutOfStateAndBadCommands() async throws {
        var driver = try SessionDriver(
            backend: backend(),
            configuration: POP3Configuration(hostname: "pop.test", allowPlaintextOnLoopback: true, maxBadCommands: 3))
        _ = await driver.connect()
        #expect(await driver.send("STAT") == "-ERR STAT is not allowed before login\r\n")
        #expect(await driver.send("PASS pw") == "-ERR send USER first\r\n")
        #expect(await driver.send("BOGUS").hasPrefix("-ERR unknown command"))
        #expect(await driver.send("RETR x").hasPrefix("-ERR"))
        #expect(!driver.closed)
        #expect(await driver.send("ALSO BOGUS").hasSuffix("too many errors, goodbye\r\n"))
        #expect(driver.closed)
    }

    @Test func lineTooLongIsAnError() throws {
        var session = POP3Session(configuration: POP3Configuration(hostname: "pop.test"))
        let actions = session.received(.lineTooLong)
        guard case .send(let bytes) = actions.first else {
            Issue.record("expected a reply")
            return
        }
        #expect(String(buffer: bytes) == "-ERR line too long\r\n")
    }

    @Test func topWithZeroLinesStopsAfterTheHeader() {
        let message = ByteBuffer(string: "A: 1\r\nB: 2\r\n\r\nbody 1\r\nbody 2\r\n")
        #expect(String(buffer: POP3Performer.top(of: message, bodyLines: 0)) == "A: 1\r\nB: 2\r\n\r\n")
        #expect(String(buffer: POP3Performer.top(of: message, bodyLines: 1)) == "A: 1\r\nB: 2\r\n\r\nbody 1\r\n")
        #expect(String(buffer: POP3Performer.top(of: message, bodyLines: 9)) == String(buffer: message))
        let bareLF = ByteBuffer(string: "A: 1\n\nx\ny\n")
        #expect(String(buffer: POP3Performer.top(of: bareLF, bodyLines: 1)) == "A: 1\n\nx\n")
    }
}
