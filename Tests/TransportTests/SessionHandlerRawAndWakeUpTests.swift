// The raw framing mode (bytes handed over as they arrive, for a protocol with
// its own framer) and wake-ups (work outside the peer's input getting the
// machine's attention), through SessionHandler with the echo protocol.
import NIOCore
import NIOEmbedded
import Testing
@testable import Transport

@Suite("SessionHandler raw mode and wake-ups")
struct SessionHandlerRawAndWakeUpTests {
    @Test func rawModeHandsOverEveryChunkUntilTheMachineSwitchesBack() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.send("RAW\r\n")
        #expect(try session.written() == "250 raw\r\n")
        // No line structure: a literal marker, a bare LF and a partial line all pass as they came.
        try session.send("a {3}\nxyz")
        #expect(try session.written() == "250 raw a {3}\nxyz\r\n")
        try session.drip("q")
        #expect(try session.written() == "250 raw q\r\n")
        try session.send("LINES")
        #expect(try session.written() == "250 lines\r\n")
        try session.send("ECHO back\r\n")
        #expect(try session.written() == "250 back\r\n")
    }

    @Test func rawBytesPipelinedAfterTheSwitchAreRaw() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.send("RAW\r\nECHO not a line\r\n")
        #expect(try session.written() == "250 raw\r\n250 raw ECHO not a line\r\n\r\n")
    }

    @Test func rawModeIsABoundaryForTheDrain() throws {
        let session = try EchoPipeline()
        _ = try session.written()
        try session.send("RAW\r\npartial")
        _ = try session.written()
        session.drain()
        #expect(try session.written() == "421 shutting down\r\n")
        #expect(!session.isOpen)
    }

    @Test func rawDecoderKeepsNothingBetweenChunks() {
        var decoder = FrameDecoder(maxLineLength: 16, lineEndings: .strict, maxChunkSize: 4)
        decoder.expect(.raw)
        var buffer = ByteBuffer(string: "0123456789")
        var chunks: [String] = []
        while let event = decoder.next(from: &buffer) {
            guard case .payload(let chunk) = event else {
                Issue.record("unexpected \(event)")
                return
            }
            chunks.append(String(buffer: chunk))
        }
        #expect(chunks == ["0123", "4567", "89"])
        #expect(buffer.readableBytes == 0)
        #expect(decoder.isAtLineBoundary)
        #expect(decoder.mode == .raw, "raw never ends by itself")
    }

    @Test func aWakeUpReachesTheMachineAndEndsWithTheSession() async throws {
        let wakeUps = WakeUpBox()
        let channel = try await asyncChannel(performer: EchoPerformer(wakeUps: wakeUps))
        #expect(try await output(of: channel, until: "200 ready\r\n") == "200 ready\r\n")
        try await channel.writeInbound(ByteBuffer(string: "WATCH\r\n"))
        #expect(try await output(of: channel, until: "250 watching\r\n") == "250 watching\r\n")
        #expect(wakeUps.wake())
        #expect(try await output(of: channel, until: "250 woken\r\n") == "250 woken\r\n")
        // Input still flows between wake-ups.
        try await channel.writeInbound(ByteBuffer(string: "ECHO still here\r\n"))
        #expect(try await output(of: channel, until: "250 still here\r\n") == "250 still here\r\n")
        try await channel.writeInbound(ByteBuffer(string: "QUIT\r\n"))
        #expect(try await output(of: channel, until: "221 bye\r\n") == "221 bye\r\n")
        #expect(!wakeUps.wake(), "a wake-up after the end says so")
        _ = try? await channel.finish()
    }

    @Test func aWakeUpDuringAnEffectWaitsForIt() async throws {
        let wakeUps = WakeUpBox()
        let gate = Gate()
        let channel = try await asyncChannel(performer: EchoPerformer(gate: gate, wakeUps: wakeUps))
        _ = try await output(of: channel, until: "200 ready\r\n")
        try await channel.writeInbound(ByteBuffer(string: "WATCH\r\n"))
        _ = try await output(of: channel, until: "250 watching\r\n")
        try await channel.writeInbound(ByteBuffer(string: "SLOW job\r\n"))
        #expect(try await output(of: channel, until: "100 working\r\n") == "100 working\r\n")
        #expect(wakeUps.wake())
        #expect(wakeUps.wake(), "two calls before the machine gets to them count once")
        await channel.testingEventLoop.run()
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil, "nothing while the effect runs")
        gate.open()
        #expect(try await output(of: channel, until: "250 woken\r\n") == "250 done job\r\n250 woken\r\n")
        _ = try? await channel.finish()
    }

    // MARK: - Helpers

    private func asyncChannel(performer: EchoPerformer) async throws -> NIOAsyncTestingChannel {
        let channel = NIOAsyncTestingChannel()
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandler(
                makeSessionHandler(performer: performer, idleTimeout: .seconds(30)))
        }
        try await channel.connect(to: testPeer())
        return channel
    }

    /// Collects what the channel writes until the text ends with `suffix`
    /// (bounded: a loaded machine gets a minute).
    private func output(of channel: NIOAsyncTestingChannel, until suffix: String) async throws -> String {
        var text = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while !text.hasSuffix(suffix) && ContinuousClock.now < deadline {
            if let buffer = try await channel.readOutbound(as: ByteBuffer.self) {
                text += String(buffer: buffer)
            } else {
                await channel.testingEventLoop.run()
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        return text
    }
}
