// Bounded fuzzing with a seeded generator (STYLE.md rule 11): random and
// mutated command lines through the parser and the framer. Nothing may trap,
// and whatever parses must survive encode→parse unchanged.
import Testing

@testable import IMAP

@Suite("IMAP codec fuzzing")
struct IMAPFuzzTests {
    static let iterations = 20_000

    /// Octets that matter to the grammar, weighted toward them.
    static let alphabet: [UInt8] = Array(#"()[]{}<>"\%*+-.:,$~ 0123456789ANBOXDEFLGHIKTUSPRQabcxyz"#.utf8)
        + [0x00, 0x0D, 0x0A, 0x7F, 0x80, 0xC3, 0xBC, 0xFF]

    static let words = [
        "A1 ", "UID ", "FETCH ", "SEARCH ", "STORE ", "LIST ", "APPEND ", "BODY[", "BODY.PEEK[", "HEADER.FIELDS (", "NOT ",
        "OR ", "(", ")", "{3}\r\nabc", "{2+}\r\nxy", "~{1}\r\n\0", "\"q\\\"\"", "1:*", "$", "RETURN (", "CHARSET UTF-8 ",
        "MODSEQ ", "\\Seen", "+FLAGS ", "INBOX", " ", "<0.10>", "1-Jan-2020", "\"17-Jul-1996 02:44:25 -0700\" ",
    ]

    static func mutate(_ input: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where position < bytes.count:
                bytes[position] = alphabet.randomElement(using: &random) ?? 0
            case 1 where position < bytes.count:
                bytes.remove(at: position)
            case 2:
                bytes.insert(contentsOf: Array((words.randomElement(using: &random) ?? "").utf8), at: position)
            case 3:
                bytes.removeLast(min(bytes.count, Int.random(in: 0...8, using: &random)))
            case 4 where position < bytes.count:
                let end = min(bytes.count, position + Int.random(in: 1...12, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default:
                bytes.insert(alphabet.randomElement(using: &random) ?? 0, at: position)
            }
        }
        return bytes
    }

    static func randomLine(_ random: inout SeededGenerator) -> [UInt8] {
        if Bool.random(using: &random) {
            var line = Array("A1 ".utf8)
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                line += Array((words.randomElement(using: &random) ?? "").utf8)
            }
            return line
        }
        return (0..<Int.random(in: 0...80, using: &random)).map { _ in alphabet.randomElement(using: &random) ?? 0 }
    }

    @Test func parserSurvivesRandomAndMutatedInput() throws {
        var random = SeededGenerator(seed: 0x1A2B_3C4D)
        let seeds = allFixtures.map { bytes($0.wire) } + failureFixtures.map(\.wire)
        var parsed = 0
        for iteration in 0..<Self.iterations {
            let line =
                iteration % 3 == 0
                ? Self.randomLine(&random) : Self.mutate(seeds.randomElement(using: &random) ?? [], &random)
            guard case .success(let command) = IMAPCommandParser.parse(line) else { continue }
            parsed += 1
            var again = ArraySlice(IMAPCommandEncoder().encode(command).bytes)
            #expect(try IMAPCommandParser.next(from: &again) == command, "\(text(line))")
        }
        #expect(parsed > 500)
    }

    @Test func framerSurvivesRandomStreams() {
        var random = SeededGenerator(seed: 0x5EED)
        let seeds = allFixtures.map { bytes($0.wire + "\r\n") }
        let configuration = IMAPCommandFramer.Configuration(
            maxLineLength: 64, maxLiteralSize: 16, maxCommandSize: 128, maxMessageSize: 32)
        for _ in 0..<(Self.iterations / 10) {
            var stream: [UInt8] = []
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                stream += Self.mutate(seeds.randomElement(using: &random) ?? [], &random)
            }
            var framer = IMAPCommandFramer(configuration: configuration)
            var offset = 0
            var frames = 0
            while offset < stream.count {
                let end = min(stream.count, offset + Int.random(in: 1...32, using: &random))
                framer.append(stream[offset..<end])
                offset = end
                while let frame = framer.next() {
                    frames += 1
                    if case .command(let command) = frame {
                        _ = IMAPCommandParser.parse(command)
                        #expect(command.count <= configuration.maxCommandSize)
                    }
                    if case .append(.beginMessage) = frame, Int.random(in: 0..<8, using: &random) == 0 {
                        framer.abortCommand()
                    }
                }
            }
            // Every input octet is either framed or still waiting.
            #expect(framer.bufferedByteCount <= stream.count)
        }
    }

    @Test func responseEncoderSurvivesHostileStrings() {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<(Self.iterations / 10) {
            let raw = (0..<Int.random(in: 0...24, using: &random)).map { _ in Self.alphabet.randomElement(using: &random) ?? 0 }
            let value = String(decoding: raw, as: UTF8.self)
            let response = IMAPResponse.untagged(.list(IMAPListResponse(attributes: [IMAPMailboxAttribute(value)], delimiter: "/",
                name: IMAPMailboxName(value))))
            let encoded = IMAPResponseEncoder().encode(response)
            // Exactly one line, or a literal whose announced length holds the CR/LF.
            let lines = encoded.split(separator: IMAPCharacter.lf, omittingEmptySubsequences: false).count - 1
            #expect(lines == 1 || text(encoded).contains("}\r\n"))
            #expect(encoded.suffix(2) == [IMAPCharacter.cr, IMAPCharacter.lf])
        }
    }
}
