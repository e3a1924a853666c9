// Scenario tests (STYLE.md rule 11): a real TCPServer on 127.0.0.1, an
// ephemeral port, the echo protocol, and ClientConnection as the client.
// Framing over real packets, caps, the idle timeout, graceful drain and two
// sessions at once.
import NIOCore
import NIOPosix
import Testing
@testable import Transport

@Suite("TCPServer scenarios", .serialized)
struct TCPServerScenarioTests {
    @Test func bindReturnsTheRealPortAndServes() async throws {
        try await withServer { server in
            #expect(server.host() == "127.0.0.1")
            #expect(server.port() > 0)
            let client = try await server.greeted()
            try await client.send("ECHO hello\r\nSTATUS\r\nQUIT\r\n")
            #expect(try await client.readLine() == "250 hello")
            #expect(try await client.readLine() == "250 tls=no peer=127.0.0.1 loopback=yes")
            #expect(try await client.readLine() == "221 bye")
            #expect(await isClosed(client))
        }
    }

    @Test func pipelinedCommandsInOneWrite() async throws {
        try await withServer { server in
            let client = try await server.greeted()
            try await client.send(
                "ECHO a\r\nSLOW job\r\nECHO b\r\nDATA\r\n..x\r\n.\r\nLITERAL 3\r\nabcECHO c\r\nQUIT\r\n")
            var replies: [String] = []
            for _ in 0..<9 {
                replies.append(try await client.readLine())
            }
            #expect(replies == [
                "250 a", "100 working", "250 done job", "250 b", "354 send", dataReply(for: ".x\r\n"),
                "355 send 3", literalReply(for: "abc"), "250 c",
            ])
            #expect(try await client.readLine() == "221 bye")
            #expect(await isClosed(client))
        }
    }

    @Test func linesSplitAcrossPacketsAndBetweenCRAndLF() async throws {
        try await withServer { server in
            let client = try await server.greeted()
            for piece in ["EC", "HO sp", "lit\r", "\nECHO two\r", "\n"] {
                try await client.send(piece)
                // Separate packets; the test passes whether or not the
                // kernel merges them.
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(try await client.readLine() == "250 split")
            #expect(try await client.readLine() == "250 two")
            await client.close()
        }
    }

    @Test func overLongLineIsRefusedAndTheSessionGoesOn() async throws {
        try await withServer(limits: .test(maxLineLength: 64)) { server in
            let client = try await server.greeted()
            try await client.send("ECHO " + String(repeating: "x", count: 200) + "\r\n")
            #expect(try await client.readLine() == "500 line too long")
            try await client.send("ECHO " + String(repeating: "y", count: 57) + "\r\n")
            #expect(try await client.readLine() == "250 " + String(repeating: "y", count: 57))
            await client.close()
        }
    }

    @Test func overLongLineFollowedByACommandInOnePacket() async throws {
        try await withServer(limits: .test(maxLineLength: 64)) { server in
            let client = try await server.greeted()
            try await client.send("ECHO " + String(repeating: "x", count: 200) + "\r\nECHO after\r\n")
            #expect(try await client.readLine() == "500 line too long")
            #expect(try await client.readLine() == "250 after")
            await client.close()
        }
    }

    /// Client to server: DotStuffer on the client, un-stuffing on the
    /// server; server to client: the server stuffs LIST, ClientConnection
    /// un-stuffs it.
    @Test func dotStuffingBothWays() async throws {
        try await withServer { server in
            let client = try await server.greeted()
            let payload = ".starts with a dot\r\n.\r\n..\r\nmiddle\r\n.\r\nend\r\n"
            var wire = ByteBuffer(string: "DATA\r\n")
            var stuffer = DotStuffer()
            stuffer.encode(ByteBuffer(string: payload), into: &wire)
            stuffer.finish(into: &wire)
            try await client.send(wire)
            #expect(try await client.readLine() == "354 send")
            #expect(try await client.readLine() == dataReply(for: payload))

            try await client.send("LIST\r\n")
            #expect(try await client.readLine() == "250 list follows")
            try await client.expect(.dotStuffed(DotStuffedOptions(maxBytes: 4096, lineEndings: .reject)))
            var body = ""
            while case .payload(let chunk) = try await client.next() {
                body += String(buffer: chunk)
            }
            #expect(body == EchoMachine.listBody)
            try await client.send("ECHO after\r\n")
            #expect(try await client.readLine() == "250 after")
            await client.close()
        }
    }

    @Test(arguments: ["a\n.\nECHO smuggled\r\n", "a\r.\rECHO smuggled\r\n"])
    func bareLineEndingsDoNotEndThePayload(_ body: String) async throws {
        try await withServer { server in
            let client = try await server.greeted()
            try await client.send("DATA\r\n" + body + ".\r\nECHO after\r\n")
            #expect(try await client.readLine() == "354 send")
            #expect(try await client.readLine() == "550 bare line ending")
            #expect(try await client.readLine() == "250 after")
            await client.close()
        }
    }

    @Test func payloadSizeCap() async throws {
        try await withServer(settings: EchoMachine.Settings(maxPayload: 64)) { server in
            let client = try await server.greeted()
            let fits = String(repeating: "a", count: 62) + "\r\n"
            try await client.send("DATA\r\n" + fits + ".\r\n")
            #expect(try await client.readLine() == "354 send")
            #expect(try await client.readLine() == dataReply(for: fits))
            let big = String(repeating: String(repeating: "b", count: 98) + "\r\n", count: 100)
            try await client.send("DATA\r\n" + big + ".\r\nECHO after\r\n")
            #expect(try await client.readLine() == "354 send")
            #expect(try await client.readLine() == "552 too large")
            #expect(try await client.readLine() == "250 after")
            await client.close()
        }
    }

    // MARK: - Timeouts and caps

    @Test func idleTimeoutSaysGoodbyeThenCloses() async throws {
        try await withServer(limits: .test(idleTimeout: .milliseconds(100))) { server in
            let client = try await server.greeted()
            #expect(try await client.readLine() == "421 idle timeout")
            #expect(await isClosed(client))
        }
    }

    @Test func perAddressCapAnswersTheThirdConnectionBusy() async throws {
        try await withServer(limits: .test(maxConnectionsPerClient: 2)) { server in
            let first = try await server.greeted()
            let second = try await server.greeted()
            let third = try await exchangeUntilClosed(host: server.host(), port: server.port())
            #expect(third == "421 too many connections from your address\r\n")
            // The refused one did not count; a slot frees when one leaves.
            try await server.waitForConnections(2)
            await first.close()
            try await server.waitForConnections(1)
            let fourth = try await server.greeted()
            await second.close()
            await fourth.close()
        }
    }

    @Test func globalCapAnswersBusy() async throws {
        try await withServer(limits: .test(maxConnections: 2)) { server in
            let first = try await server.greeted()
            let second = try await server.greeted()
            let third = try await exchangeUntilClosed(host: server.host(), port: server.port())
            #expect(third == "421 too many connections\r\n")
            await first.close()
            await second.close()
        }
    }

    /// A client must see the busy reply of a server that answers and
    /// closes at once, not an error of its own.
    @Test func clientConnectionReadsTheBusyReplyOfAFullServer() async throws {
        try await withServer(limits: .test(maxConnections: 0)) { server in
            for attempt in 0..<20 {
                let client = try await server.connect()
                #expect(try await client.readLine() == "421 too many connections", "attempt \(attempt)")
                await client.close()
            }
        }
    }

    // MARK: - Graceful drain

    @Test func drainLetsAPayloadFinishAndAnswersIdleSessionsAtOnce() async throws {
        try await withServer(limits: .test(drainTimeout: .seconds(120))) { server in
            let idle = try await server.greeted()
            let busy = try await server.greeted()
            try await busy.send("DATA\r\npart one\r\n")
            #expect(try await busy.readLine() == "354 send")

            let started = ContinuousClock.now
            let shutdown = Task { await server.server.shutdown() }
            #expect(try await idle.readLine() == "421 shutting down")
            #expect(await isClosed(idle))
            // The listener closed before sessions were asked to finish.
            await #expect(throws: (any Error).self) { try await server.connect() }

            try await busy.send("part two\r\n.\r\nECHO not run\r\n")
            #expect(try await busy.readLine() == dataReply(for: "part one\r\npart two\r\n"))
            #expect(try await busy.readLine() == "421 shutting down")
            #expect(await isClosed(busy))
            await shutdown.value
            #expect(ContinuousClock.now - started < .seconds(60), "shutdown waited for the drain timeout")
        }
    }

    @Test func drainTimeoutClosesStragglers() async throws {
        try await withServer(limits: .test(drainTimeout: .milliseconds(150))) { server in
            let straggler = try await server.greeted()
            try await straggler.send("DATA\r\nnever finished\r\n")
            #expect(try await straggler.readLine() == "354 send")
            await server.server.shutdown()
            #expect(await isClosed(straggler))
            #expect(server.server.activeConnections == 0)
        }
    }

    // MARK: - Concurrency

    @Test func twoSessionsAtOnce() async throws {
        let gate = Gate()
        try await withServer(performer: EchoPerformer(gate: gate)) { server in
            let one = try await server.greeted()
            let two = try await server.greeted()
            try await one.send("SLOW first\r\nECHO one after\r\n")
            #expect(try await one.readLine() == "100 working")
            // While session one waits on its effect, session two is served.
            try await two.send("ECHO two\r\nDATA\r\nx\r\n.\r\n")
            #expect(try await two.readLine() == "250 two")
            #expect(try await two.readLine() == "354 send")
            #expect(try await two.readLine() == dataReply(for: "x\r\n"))
            gate.open()
            #expect(try await one.readLine() == "250 done first")
            #expect(try await one.readLine() == "250 one after")
            await one.close()
            await two.close()
        }
    }
}
