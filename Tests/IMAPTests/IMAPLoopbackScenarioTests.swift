// A real IMAP server on 127.0.0.1 (an ephemeral port) over the real store in
// a temporary folder, driven through sockets: two sessions on one mailbox
// see each other's STORE and EXPUNGE, an IDLE session sees a delivery, an
// APPEND lands in the Maildir, and shutdown says BYE. Bounded in time.
import Foundation
import Logging
import MailStore
import NIOCore
import NIOPosix
import Synchronization
import Testing
import Transport

@testable import IMAP

@Suite("IMAP on loopback", .serialized)
struct IMAPLoopbackScenarioTests {
    /// A data folder with the account alice@example.test and a server on it.
    final class Fixture {
        let folder: URL
        let accounts: AccountStore
        let stores: UserStoreRegistry
        let server: TCPServer<IMAPPerformer>
        let port: Int
        let alice: MailAddress

        init() async throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-imap-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let hasher = PasswordHasher(parameters: try ScryptParameters(logN: 4, blockSize: 1, parallelism: 1))
            accounts = try AccountStore(path: folder.path + "/accounts.sqlite", hasher: hasher)
            alice = try MailAddress("alice@example.test")
            try await accounts.add(alice, password: "secret")
            stores = UserStoreRegistry(dataDirectory: folder.path)
            server = IMAPServer.make(
                configuration: IMAPConfiguration(hostname: "imap.test", allowPlaintextOnLoopback: true, authFailureDelay: .zero),
                listeners: [ListenerSpec(name: "imap", endpoint: .tcp(host: "127.0.0.1", port: 0), configKey: "[imap] listen")],
                limits: SessionLimits(
                    maxLineLength: 8192, lineEndings: .tolerateBareLF, idleTimeout: .minutes(30), maxConnections: 16,
                    maxConnectionsPerClient: 16, drainTimeout: .seconds(5)),
                tls: nil, backend: StoreIMAPBackend(accounts: accounts, stores: stores),
                group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            guard case .tcp(_, let bound)? = try await server.bind().first else {
                throw ClientError.unexpectedEvent("no port")
            }
            port = bound
        }

        func deliver(_ text: String) async throws {
            let store = try await stores.store(for: alice)
            _ = try await store.deliver(.bytes(Array(text.utf8)), deliveryID: UUID().uuidString)
        }

        /// A logged-in client with INBOX selected.
        func client() async throws -> IMAPTestClient {
            let client = IMAPTestClient(
                try await ClientConnection.connect(
                    host: "127.0.0.1", port: port, connectTimeout: .seconds(30), readTimeout: .seconds(60),
                    maxLineLength: 1 << 20, lineEndings: .tolerateBareLF))
            #expect(try await client.line().hasPrefix("* OK [CAPABILITY IMAP4rev1 IMAP4rev2"))
            #expect(try await client.run("LOGIN alice@example.test secret").last?.hasPrefix("OK") == true)
            #expect(try await client.run("SELECT INBOX").last == "OK [READ-WRITE] SELECT completed")
            return client
        }

        func stop() async {
            await server.shutdown()
            await stores.closeAll()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func twoSessionsSeeEachOthersStoreAndExpunge() async throws {
        let fixture = try await Fixture()
        try await fixture.deliver("Subject: one\r\n\r\n1\r\n")
        try await fixture.deliver("Subject: two\r\n\r\n2\r\n")
        let alpha = try await fixture.client()
        let beta = try await fixture.client()
        _ = try await beta.run("STORE 2 +FLAGS.SILENT (\\Flagged)")
        #expect(try await alpha.run("NOOP") == ["* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))", "OK NOOP completed"])
        _ = try await beta.run("STORE 1 +FLAGS.SILENT (\\Deleted)")
        #expect(try await beta.run("EXPUNGE") == ["* 1 EXPUNGE", "OK EXPUNGE completed"])
        // FETCH may not shift numbers; NOOP reports the expunge.
        #expect(try await alpha.run("FETCH 2 (UID)") == ["* 2 FETCH (UID 2)", "OK FETCH completed"])
        #expect(try await alpha.run("NOOP") == ["* 1 EXPUNGE", "OK NOOP completed"])
        #expect(try await alpha.run("FETCH 1 (UID FLAGS)") == ["* 1 FETCH (UID 2 FLAGS (\\Flagged \\Recent))", "OK FETCH completed"])
        await alpha.close()
        await beta.close()
        await fixture.stop()
    }

    @Test(.timeLimit(.minutes(2)))
    func anIdleSessionSeesADelivery() async throws {
        let fixture = try await Fixture()
        try await fixture.deliver("Subject: one\r\n\r\n1\r\n")
        let client = try await fixture.client()
        try await client.send("i IDLE\r\n")
        #expect(try await client.line() == "+ idling")
        try await fixture.deliver("Subject: while idling\r\n\r\nnew\r\n")
        #expect(try await client.line() == "* 2 EXISTS")
        #expect(try await client.line() == "* 2 RECENT")
        try await client.send("DONE\r\n")
        #expect(try await client.line() == "i OK IDLE terminated")
        #expect(try await client.run("FETCH 2 BODY.PEEK[TEXT]") == ["* 2 FETCH (BODY[TEXT] {5}", "new", ")", "OK FETCH completed"])
        await client.close()
        await fixture.stop()
    }

    @Test(.timeLimit(.minutes(2)))
    func appendLandsInTheMaildirBeforeTheOK() async throws {
        let fixture = try await Fixture()
        let client = try await fixture.client()
        let message = "Subject: appended\r\n\r\nbody\r\n"
        try await client.send("a APPEND INBOX (\\Seen) {\(message.utf8.count)}\r\n")
        #expect(try await client.line() == "+ ready for literal data")
        try await client.send(message + "\r\n")
        let reply = try await client.readTagged("a")
        #expect(reply.last?.hasPrefix("a OK [APPENDUID ") == true, "\(reply)")
        let store = try await fixture.stores.store(for: fixture.alice)
        #expect(try await store.readMessage(in: "INBOX", uid: 1) == Array(message.utf8))
        #expect(try await store.messages(in: "INBOX").first?.flags == .seen)
        await client.close()
        await fixture.stop()
    }

    @Test(.timeLimit(.minutes(2)))
    func shutdownSaysBye() async throws {
        let fixture = try await Fixture()
        let client = try await fixture.client()
        async let stopped: Void = fixture.stop()
        #expect(try await client.line() == "* BYE [UNAVAILABLE] server shutting down")
        await stopped
        await client.close()
    }
}

/// A line client for IMAP tests: tags its commands and reads to the tagged reply.
final class IMAPTestClient: Sendable {
    private let connection: ClientConnection
    private let counter = Counter()

    init(_ connection: ClientConnection) {
        self.connection = connection
    }

    func send(_ text: String) async throws {
        try await connection.send(text)
    }

    func line() async throws -> String {
        try await connection.readLine()
    }

    /// Sends `command` with a fresh tag; returns the lines up to the tagged
    /// one, whose tag is removed.
    func run(_ command: String) async throws -> [String] {
        let tag = "t\(counter.next())"
        try await send("\(tag) \(command)\r\n")
        var lines = try await readTagged(tag)
        if let last = lines.popLast() { lines.append(String(last.dropFirst(tag.count + 1))) }
        return lines
    }

    func readTagged(_ tag: String) async throws -> [String] {
        var lines: [String] = []
        while true {
            let line = try await connection.readLine()
            lines.append(line)
            if line.hasPrefix(tag + " ") { return lines }
        }
    }

    func close() async {
        await connection.close()
    }

    private final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func next() -> Int { value.add(1, ordering: .relaxed).newValue }
    }
}
