// Pipeline tests (STYLE.md rule 11): SessionHandler in an EmbeddedChannel,
// fed one byte a read, with the echo protocol as its machine. They pin what
// the handler writes, and when: replies in order, payload modes, timeouts,
// drain, STARTTLS, and reads held while an effect runs.
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing
@testable import Transport

@Suite("SessionHandler pipeline")
struct SessionHandlerPipelineTests {
    @Test func greetingThenOneReplyPerLineDripFed() throws {
        let session = try EchoPipeline()
        #expect(try session.written() == "200 ready\r\n")
        try session.drip("ECHO hello\r")
        #expect(try session.written() == "", "nothing before the line ends")
        try session.drip("\n")
        #expect(try session.written() == "250 hello\r\n")
    }

    @Test func pipelinedCommandsAreAnsweredInOrder() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.send("ECHO a\r\nECHO b\r\nBOGUS\r\nECHO c\r\n")
        #expect(try session.written() == "250 a\r\n250 b\r\n500 unknown command\r\n250 c\r\n")
    }

    @Test func strictLinesRefuseBareLF() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.drip("ECHO a\nECHO b\r\n")
        #expect(try session.written() == "500 bare line ending\r\n250 b\r\n")
    }

    @Test func tolerantLinesTakeBareLF() throws {
        let session = try EchoPipeline(lineEndings: .tolerateBareLF)
        _ = try session.written()
        try session.drip("ECHO a\nECHO b\r\n")
        #expect(try session.written() == "250 a\r\n250 b\r\n")
    }

    @Test func overLongLineDripFed() throws {
        let session = try EchoPipeline(maxLineLength: 16)
        _ = try session.written()
        try session.drip(String(repeating: "x", count: 40) + "\r\nECHO ok\r\n")
        #expect(try session.written() == "500 line too long\r\n250 ok\r\n")
    }

    @Test func overLongLineAndTheNextInOneRead() throws {
        let session = try EchoPipeline(maxLineLength: 16)
        _ = try session.written()
        try session.send(String(repeating: "x", count: 40) + "\r\nECHO ok\r\n")
        #expect(try session.written() == "500 line too long\r\n250 ok\r\n")
    }

    // MARK: - Payloads

    @Test func dotStuffedPayloadDripFed() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.drip("DATA\r\n..leading dot\r\n..\r\nplain\r\n.\r\nECHO after\r\n")
        let payload = ".leading dot\r\n.\r\nplain\r\n"
        #expect(try session.written() == "354 send\r\n\(dataReply(for: payload))\r\n250 after\r\n")
    }

    @Test(arguments: ["hi\n.\nECHO smuggled\r\n", "hi\r.\rECHO smuggled\r\n", "hi\n.\r\nECHO smuggled\r\n",
                      "hi\r\n.\nECHO smuggled\r\n"])
    func bareLineEndingsDoNotEndThePayload(_ body: String) throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.drip("DATA\r\n" + body + ".\r\nECHO after\r\n")
        #expect(try session.written() == "354 send\r\n550 bare line ending\r\n250 after\r\n")
    }

    @Test func payloadOverTheCapIsRefusedAndTheSessionGoesOn() throws {
        let session = try EchoPipeline(settings: EchoMachine.Settings(maxPayload: 10))
        _ = try session.written()
        try session.drip("DATA\r\n12345678\r\n.\r\n")
        #expect(try session.written() == "354 send\r\n\(dataReply(for: "12345678\r\n"))\r\n")
        try session.drip("DATA\r\n123456789\r\n.\r\nECHO after\r\n")
        #expect(try session.written() == "354 send\r\n552 too large\r\n250 after\r\n")
    }

    @Test func countedLiteralDripFed() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.drip("LITERAL 5\r\nab\r\ncECHO after\r\nLITERAL 0\r\nECHO end\r\n")
        #expect(try session.written() == """
            355 send 5\r\n\(literalReply(for: "ab\r\nc"))\r\n250 after\r\n\
            355 send 0\r\n\(literalReply(for: ""))\r\n250 end\r\n
            """)
    }

    // MARK: - Close, timeouts, drain

    @Test func quitClosesAndIgnoresWhatFollows() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.send("QUIT\r\nECHO ignored\r\n")
        #expect(try session.written() == "221 bye\r\n")
        #expect(!session.isOpen)
    }

    @Test func idleTimeoutRestartsOnInputThenSaysGoodbye() throws {
        let session = try EchoPipeline(idleTimeout: .seconds(30))
        _ = try session.written()
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        try session.drip("ECHO still here\r\n")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(try session.written() == "250 still here\r\n")
        #expect(session.isOpen)
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try session.written() == "421 idle timeout\r\n")
        #expect(!session.isOpen)
    }

    @Test func machineSetsItsOwnReadTimeout() throws {
        let session = try EchoPipeline(idleTimeout: .seconds(300))
        _ = try session.written()
        try session.drip("TIMEOUT 50\r\n")
        #expect(try session.written() == "250 ok\r\n")
        session.channel.embeddedEventLoop.advanceTime(by: .milliseconds(50))
        #expect(try session.written() == "421 idle timeout\r\n")
        #expect(!session.isOpen)
    }

    @Test func drainAnswersAnIdleSessionAtOnce() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        session.drain()
        #expect(try session.written() == "421 shutting down\r\n")
        #expect(!session.isOpen)
    }

    @Test func drainLetsAPayloadFinishThenSaysGoodbye() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.drip("DATA\r\npart")
        session.drain()
        #expect(try session.written() == "354 send\r\n")
        #expect(session.isOpen)
        try session.drip(" two\r\n.\r\nECHO not run\r\n")
        #expect(try session.written() == "\(dataReply(for: "part two\r\n"))\r\n421 shutting down\r\n")
        #expect(!session.isOpen)
    }

    @Test func drainLetsACountedPayloadFinish() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.drip("LITERAL 4\r\nab")
        session.drain()
        #expect(try session.written() == "355 send 4\r\n")
        try session.drip("cd")
        #expect(try session.written() == "\(literalReply(for: "abcd"))\r\n421 shutting down\r\n")
    }

    // MARK: - STARTTLS

    /// RFC 3207 §4.2: "ECHO injected" came in plaintext in the same read as
    /// STARTTLS; it is dropped, and the session goes on over TLS.
    @Test func startTLSDiscardsPipelinedPlaintextThenHandshakes() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let server = try EchoPipeline(tls: fixture.credentials.context)
        _ = try server.written()
        try server.send("STARTTLS\r\nECHO injected\r\n")
        #expect(try server.written() == "220 go ahead\r\n")
        #expect(throws: Never.self) { try server.channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) }

        let client = EmbeddedChannel()
        try client.pipeline.syncOperations.addHandler(
            NIOSSLClientHandler(context: fixture.clientSettings.makeContext(), serverHostname: TLSFixture.hostname))
        client.connect(to: try testPeer(), promise: nil)
        try shuttle(client, server.channel)
        try client.writeOutbound(ByteBuffer(string: "ECHO after\r\nSTATUS\r\n"))
        try shuttle(client, server.channel)
        var plaintext = ""
        while let buffer = try client.readInbound(as: ByteBuffer.self) {
            plaintext += String(buffer: buffer)
        }
        #expect(plaintext == "250 after\r\n250 tls=yes peer=192.0.2.1 loopback=no\r\n")
    }

    /// The handshake needs the socket read: a read asked for while it runs
    /// must reach the channel, or a real socket never delivers the
    /// ClientHello.
    @Test func readsPassDuringTheTLSHandshake() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let server = try EchoPipeline(tls: fixture.credentials.context)
        try server.send("STARTTLS\r\n")
        let before = server.readCounter.reads
        server.channel.read()
        #expect(server.readCounter.reads == before + 1)
    }

    /// A client that asks for STARTTLS and never sends its ClientHello is
    /// still timed out and closed: the goodbye cannot leave before the
    /// handshake, so the close must not wait for it.
    @Test func idleTimeoutDuringAStalledHandshakeCloses() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let session = try EchoPipeline(idleTimeout: .seconds(30), tls: fixture.credentials.context)
        try session.send("STARTTLS\r\n")
        #expect(try session.written() == "200 ready\r\n220 go ahead\r\n")
        session.channel.embeddedEventLoop.advanceTime(by: .seconds(31))
        #expect(!session.isOpen)
    }

    @Test func plaintextAfterTheUpgradeIsReadAsTLSAndNeverRun() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let server = try EchoPipeline(tls: fixture.credentials.context)
        _ = try server.written()
        try server.drip("STARTTLS\r\n")
        #expect(try server.written() == "220 go ahead\r\n")
        // A later packet of plaintext goes to the TLS handler, which fails.
        for byte in "ECHO injected\r\n".utf8 {
            _ = try? server.channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(!(try server.written()).contains("250"))
        #expect(!server.isOpen)
    }

    @Test func startTLSWithoutACertificateCloses() throws {
        let session = try EchoPipeline(tls: nil)
        _ = try session.written()
        try session.drip("STARTTLS\r\nECHO after\r\n")
        #expect(try session.written() == "220 go ahead\r\n")
        #expect(!session.isOpen)
    }

    // MARK: - Effects (NIOAsyncTestingChannel: the performer completes on another thread)

    @Test func effectHoldsInputAndReadsUntilItCompletes() async throws {
        let gate = Gate()
        let channel = NIOAsyncTestingChannel()
        let counter = ReadCounter()
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandler(counter)
            try channel.pipeline.syncOperations.addHandler(
                makeSessionHandler(performer: EchoPerformer(gate: gate), idleTimeout: .seconds(30)))
        }
        try await channel.connect(to: testPeer())
        #expect(try await output(of: channel, until: "200 ready\r\n") == "200 ready\r\n")
        for byte in "SLOW job\r\nECHO after\r\n".utf8 {
            try await channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        // The performer writes its progress line itself, then waits.
        #expect(try await output(of: channel, until: "100 working\r\n") == "100 working\r\n")
        let before = counter.reads
        channel.read()
        await channel.testingEventLoop.run()
        #expect(counter.reads == before, "no socket read while the effect runs")
        // No idle timeout while the effect runs.
        await channel.testingEventLoop.advanceTime(by: .seconds(60))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        gate.open()
        #expect(try await output(of: channel, until: "250 after\r\n") == "250 done job\r\n250 after\r\n")
        #expect(counter.reads == before + 1, "the held read is let through")
        _ = try? await channel.finish()
    }

    @Test func effectsAnsweredOnTheLoopKeepPipelinedOrder() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        // No task runs in an EmbeddedChannel: every reply here was written
        // synchronously, in command order.
        try session.send("FAST a\r\nECHO b\r\nFAST c\r\nQUIT\r\n")
        #expect(try session.written() == "250 done a\r\n250 b\r\n250 done c\r\n221 bye\r\n")
    }

    // MARK: - Helpers

    /// Moves bytes between two embedded channels until both are quiet.
    private func shuttle(_ client: EmbeddedChannel, _ server: EmbeddedChannel) throws {
        for _ in 0..<50 {
            var moved = false
            while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                try server.writeInbound(bytes)
                moved = true
            }
            while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                try client.writeInbound(bytes)
                moved = true
            }
            if !moved { return }
        }
    }

    /// Collects what the channel writes until the text ends with `suffix`
    /// (or 5 seconds pass).
    private func output(of channel: NIOAsyncTestingChannel, until suffix: String) async throws -> String {
        var text = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while !text.hasSuffix(suffix) && ContinuousClock.now < deadline {
            if let buffer = try await channel.readOutbound(as: ByteBuffer.self) {
                text += String(buffer: buffer)
            } else {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        return text
    }
}
