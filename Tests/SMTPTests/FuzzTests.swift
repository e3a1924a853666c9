// Fuzz targets (STYLE.md rule 11), deterministic: seeded random input for
// the command parser (with the encode→parse property), the reply parser,
// the aliases parser and whole sessions. Bad input must give an error or a
// reply, never a crash or a hang.
import NIOCore
import Testing

@testable import SMTP

/// SplitMix64: small, seedable, the same on every platform.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let tokens = [
    "MAIL", "FROM:", "RCPT", "TO:", "<", ">", "@", "example.test", "EHLO", "HELO", "DATA", "BDAT", "LAST", "RSET",
    "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", "PLAIN", "LOGIN", " ", " ", "SIZE=", "BODY=",
    "8BITMIME", "7BIT", "SMTPUTF8", "RET=", "HDRS", "ENVID=", "NOTIFY=", "SUCCESS,", "NEVER", "ORCPT=", "rfc822;",
    "+2B", "+", "=", "\"", "\\", ",", ":", "[", "]", "IPv6:", "::1", "192.0.2.1", "é", "0", "12", "99999999999",
    "postmaster", ".", "..", "\r", "\n", "\u{0}", "x", "alice",
]

private func randomLine(_ generator: inout SeededGenerator) -> String {
    let count = Int.random(in: 0...24, using: &generator)
    return (0..<count).map { _ in tokens.randomElement(using: &generator) ?? "" }.joined()
}

@Suite("SMTP fuzz")
struct FuzzTests {
    @Test func commandParserNeverCrashesAndRoundTrips() {
        var generator = SeededGenerator(state: 5321)
        var parsed = 0
        for _ in 0..<20_000 {
            let line = randomLine(&generator)
            guard case .success(let command) = SMTPCommand.parse(line) else { continue }
            parsed += 1
            let encoded = Array(command.wire.utf8.dropLast(2))
            guard encoded.count + 2 <= SMTPCommandTable.spec(command.verb).maxLineLength else { continue }
            #expect(SMTPCommand.parse(encoded) == .success(command), "\(line.debugDescription) → \(command)")
        }
        #expect(parsed > 100)
    }

    @Test func commandParserTakesRandomBytes() {
        var generator = SeededGenerator(state: 821)
        for _ in 0..<5_000 {
            let count = Int.random(in: 0...700, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = SMTPCommand.parse(bytes)
        }
    }

    @Test func replyParserTakesRandomBytes() throws {
        var generator = SeededGenerator(state: 2034)
        let pieces = ["250", "-", " ", "2.0.0", "\r\n", "\n", "x", "550", "5.1.1", "99", "ok"]
        for _ in 0..<5_000 {
            var parser = SMTPReplyParser(maxReplyBytes: 256)
            var buffer = ByteBuffer(string: (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                pieces.randomElement(using: &generator) ?? ""
            }.joined())
            var rounds = 0
            while rounds < 100 {
                rounds += 1
                guard let reply = try? parser.next(from: &buffer) else { break }
                #expect((200...599).contains(reply.code))
            }
            #expect(rounds < 100)
        }
    }

    @Test func aliasParserTakesRandomText() {
        var generator = SeededGenerator(state: 1123)
        let pieces = ["a", "b", ":", ",", " ", "\t", "\n", "\r\n", "#", "\"", "\\", ":include:", "|", "/", "@", "x.test"]
        for _ in 0..<5_000 {
            let text = (0..<Int.random(in: 0...60, using: &generator)).map { _ in
                pieces.randomElement(using: &generator) ?? ""
            }.joined()
            if case .success(let entries) = AliasFile.parse(text) {
                let table = AliasTable(entries: entries, localDomains: ["x.test"], maxDepth: 8)
                for entry in entries {
                    let name = entry.name.contains("@") ? entry.name : entry.name + "@x.test"
                    if let mailbox = try? SMTPMailbox(name) {
                        _ = table.expand(mailbox)
                    }
                }
            }
        }
    }

    @Test func sessionsSurviveRandomStreams() async {
        var generator = SeededGenerator(state: 3030)
        for round in 0..<150 {
            let spool = MemorySpool()
            var harness = SessionHarness(spool: spool, tls: round % 3 == 0)
            await harness.connect()
            for _ in 0..<30 where !harness.closed {
                var line = randomLine(&generator)
                if Bool.random(using: &generator) { line += "\r\n" }
                await harness.send(line)
            }
            var parser = SMTPReplyParser()
            var output = ByteBuffer(string: harness.take())
            while output.readableBytes > 0 {
                guard let reply = try? parser.next(from: &output) else {
                    Issue.record("malformed server output in round \(round)")
                    break
                }
                #expect((200...599).contains(reply.code))
            }
        }
    }
}
