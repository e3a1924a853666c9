// The POP3 client against our own server, in process, on an ephemeral
// loopback port, with the in-memory maildrop (STYLE.md rule 11: scenario
// tests with a real server). Every wait is bounded by the client's read
// timeout.
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import Transport

@testable import POP3

@Suite("POP3 client")
struct POP3ClientTests {
    static let first = "From: a@example.test\r\nSubject: one\r\n\r\nline 1\r\n.hidden dot\r\n.\r\n..two\r\nlast\r\n"
    static let second = "Subject: two\r\n\r\nbody\r\n"
    static let options = POP3ClientOptions(connectTimeout: .seconds(30), readTimeout: .seconds(60))

    func backend(messages: [String] = [Self.first, Self.second]) -> MemoryBackend {
        let backend = MemoryBackend()
        backend.addUser("alice", password: "pw", messages: messages)
        return backend
    }

    // MARK: - Plain sessions

    @Test func loginListRetrieveDeleteQuit() async throws {
        let backend = backend()
        try await withPOP3Server(backend: backend) { server in
            let client = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            #expect(client.greeting.contains("pop.test"))
            let capabilities = try #require(try await client.capabilities())
            #expect(capabilities.contains("UIDL") && capabilities.contains("user"))
            #expect(capabilities.saslMechanisms == ["PLAIN", "LOGIN"])
            try await client.login(user: "alice", password: "pw", capabilities: capabilities)
            let stat = try await client.stat()
            #expect(stat.count == 2 && stat.octets == Self.first.utf8.count + Self.second.utf8.count)
            #expect(try await client.list().map(\.size) == [Self.first.utf8.count, Self.second.utf8.count])
            #expect(try await client.uniqueIDs()?.map(\.id) == ["uid-1", "uid-2"])
            let message = try await client.retrieve(1, maxBytes: 1 << 20)
            #expect(String(buffer: message) == Self.first)
            let top = try await client.top(1, lines: 1, maxBytes: 1 << 20)
            #expect(String(buffer: top) == "From: a@example.test\r\nSubject: one\r\n\r\nline 1\r\n")
            try await client.delete(1)
            await #expect(throws: POP3ClientError.self) { try await client.retrieve(1, maxBytes: 100) }
            try await client.noop()
            #expect(backend.messages(of: "alice").count == 2)
            try await client.quit()
            #expect(backend.messages(of: "alice") == [Self.second])
        }
    }

    @Test func userPassAndResetKeepEverything() async throws {
        let backend = backend()
        try await withPOP3Server(backend: backend) { server in
            let client = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            try await client.userPass(user: "alice", password: "pw")
            try await client.delete(1)
            try await client.delete(2)
            #expect(try await client.stat().count == 0)
            try await client.reset()
            #expect(try await client.stat().count == 2)
            try await client.quit()
            #expect(backend.messages(of: "alice").count == 2)
        }
    }

    @Test func aLargeMessageCrossesChunksIntact() async throws {
        var large = "Subject: large\r\n\r\n"
        for index in 0..<20_000 {
            large += (index % 7 == 0 ? "." : "") + "line \(index) of a large message, with some padding text\r\n"
        }
        let backend = backend(messages: [large])
        try await withPOP3Server(backend: backend) { server in
            let client = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            try await client.authenticatePlain(user: "alice", password: "pw")
            var chunks = 0
            var received = ByteBuffer()
            try await client.retrieve(1, maxBytes: 16 << 20) { chunk in
                chunks += 1
                var chunk = chunk
                received.writeBuffer(&chunk)
            }
            #expect(chunks > 1)
            #expect(String(buffer: received) == large)
            try await client.quit()
        }
    }

    @Test func aMessageOverTheLimitFailsAndTheSessionStaysInStep() async throws {
        try await withPOP3Server(backend: backend()) { server in
            let client = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            try await client.userPass(user: "alice", password: "pw")
            await #expect(throws: POP3ClientError.responseTooLarge(command: "RETR", limit: 10)) {
                try await client.retrieve(1, maxBytes: 10)
            }
            #expect(String(buffer: try await client.retrieve(2, maxBytes: 1000)) == Self.second)
            // A consumer that fails: the rest of the reply is read and dropped.
            struct Full: Error {}
            await #expect(throws: Full.self) {
                try await client.retrieve(1, maxBytes: 1000) { _ in throw Full() }
            }
            try await client.noop()
            try await client.quit()
        }
    }

    // MARK: - Refusals

    @Test func wrongPasswordCarriesTheAuthCode() async throws {
        try await withPOP3Server(backend: backend()) { server in
            let client = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            do {
                try await client.login(user: "alice", password: "nope", capabilities: try await client.capabilities())
                Issue.record("a wrong password was accepted")
            } catch let error as POP3ClientError {
                #expect(error.responseCode == "AUTH")
                #expect(!error.description.contains("nope"))
            }
            await client.close()
        }
    }

    @Test func aSecondSessionIsInUse() async throws {
        try await withPOP3Server(backend: backend()) { server in
            let first = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            try await first.userPass(user: "alice", password: "pw")
            let second = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            await #expect(throws: POP3ClientError.authenticationFailed("IN-USE", "maildrop is locked by another session")) {
                try await second.authenticatePlain(user: "alice", password: "pw")
            }
            try await first.quit()
            await second.close()
        }
    }

    // MARK: - TLS

    @Test func stlsWithAVerifiedCertificateThenAuthPlain() async throws {
        let tls = try TestCertificate()
        let configuration = POP3Configuration(hostname: "pop.test", allowPlaintextOnLoopback: false, authFailureDelay: .zero)
        try await withPOP3Server(backend: backend(), configuration: configuration, tls: tls) { server in
            let client = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            let before = try #require(try await client.capabilities())
            #expect(before.contains("STLS") && before.saslMechanisms.isEmpty)
            #expect(try await client.startTLS(tls.clientSettings))
            #expect(await client.isTLS)
            let after = try #require(try await client.capabilities())
            #expect(!after.contains("STLS") && after.saslMechanisms.contains("PLAIN"))
            try await client.login(user: "alice", password: "pw", capabilities: after)
            #expect(try await client.stat().count == 2)
            try await client.quit()
        }
    }

    @Test func stlsFailsOnAnUntrustedCertificate() async throws {
        let tls = try TestCertificate()
        try await withPOP3Server(backend: backend(), tls: tls) { server in
            let client = try await POP3Client.connect(host: "127.0.0.1", port: server.port, options: Self.options)
            await #expect(throws: (any Error).self) {
                _ = try await client.startTLS(ClientTLSSettings(verifyCertificate: true, serverName: "pop.test"))
            }
            await client.close()
        }
    }

    @Test func implicitTLS() async throws {
        let tls = try TestCertificate()
        try await withPOP3Server(backend: backend(), tls: tls, implicitTLS: true) { server in
            let client = try await POP3Client.connect(
                host: "127.0.0.1", port: server.port, implicitTLS: tls.clientSettings, options: Self.options)
            #expect(await client.isTLS)
            try await client.login(user: "alice", password: "pw", capabilities: try await client.capabilities())
            #expect(String(buffer: try await client.retrieve(2, maxBytes: 1000)) == Self.second)
            try await client.quit()
        }
    }

    // MARK: - Replies

    @Test func statusLines() {
        let inUse = POP3StatusLine("-ERR [IN-USE] locked by another session")
        #expect(inUse.kind == .err && inUse.code == "IN-USE" && inUse.text == "locked by another session")
        let nested = POP3StatusLine("-ERR [SYS/TEMP] try later")
        #expect(nested.code == "SYS/TEMP")
        #expect(POP3StatusLine("+OK").kind == .ok)
        #expect(POP3StatusLine("+OK 2 320").text == "2 320")
        #expect(POP3StatusLine("+OKAY").kind == .other)
        #expect(POP3StatusLine("+ ").kind == .continuation)
        #expect(POP3StatusLine("+ VXNlcm5hbWU6").text == "VXNlcm5hbWU6")
        #expect(POP3StatusLine("-ERR").kind == .err)
        #expect(POP3StatusLine("* OK IMAP").kind == .other)
    }

    @Test func capabilityLookup() {
        let capabilities = POP3Capabilities(lines: ["TOP", "SASL PLAIN login", "STLS", "IMPLEMENTATION Chappe"])
        #expect(capabilities.contains("stls") && capabilities.contains("TOP"))
        #expect(!capabilities.contains("USER"))
        #expect(capabilities.saslMechanisms == ["PLAIN", "LOGIN"])
        #expect(POP3Capabilities(lines: []).saslMechanisms.isEmpty)
    }
}

// MARK: - Harness

struct RunningPOP3Server: Sendable {
    let port: Int
}

/// A self-signed certificate for "pop.test" in a temporary folder.
struct TestCertificate {
    let credentials: TLSCredentials
    let pem: String

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pop3-client-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificate = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        try SelfSignedCertificate.create(hostname: "pop.test", certificatePath: certificate, privateKeyPath: key)
        credentials = try TLSCredentials.load(certificatePath: certificate, privateKeyPath: key)
        pem = try String(contentsOfFile: certificate, encoding: .utf8)
    }

    var clientSettings: ClientTLSSettings {
        ClientTLSSettings(verifyCertificate: true, serverName: "pop.test", trustRootsPEM: [pem])
    }
}

/// Runs `body` against our POP3 server on an ephemeral loopback port.
func withPOP3Server(
    backend: MemoryBackend,
    configuration: POP3Configuration = POP3Configuration(
        hostname: "pop.test", allowPlaintextOnLoopback: true, authFailureDelay: .zero),
    tls: TestCertificate? = nil, implicitTLS: Bool = false,
    _ body: (RunningPOP3Server) async throws -> Void
) async throws {
    var configuration = configuration
    configuration.startTLSAvailable = tls != nil
    let server = POP3Server.make(
        configuration: configuration,
        listeners: [
            ListenerSpec(
                name: implicitTLS ? "pop3s" : "pop3", endpoint: .tcp(host: "127.0.0.1", port: 0),
                implicitTLS: implicitTLS, configKey: "[pop3] listen")
        ],
        limits: SessionLimits(
            maxLineLength: 1024, lineEndings: .tolerateBareLF, idleTimeout: .seconds(30), maxConnections: 16,
            maxConnectionsPerClient: 16, drainTimeout: .milliseconds(300)),
        tls: tls?.credentials.context, backend: backend, group: MultiThreadedEventLoopGroup.singleton,
        logger: Logger(label: "pop3.client.test") { _ in SwiftLogNoOpLogHandler() })
    let endpoints = try await server.bind()
    guard case .tcp(_, let port)? = endpoints.first else {
        await server.shutdown()
        throw ClientError.connectionClosed
    }
    do {
        try await body(RunningPOP3Server(port: port))
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}
