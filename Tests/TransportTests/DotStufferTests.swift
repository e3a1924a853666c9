// The one dot-stuffing encoder (RFC 5321 §4.5.2): fixtures, then encode ->
// decode round trips through FrameDecoder for random payloads (fixed seed),
// with and without a final CRLF, and with normalizesLineEndings for input
// with bare LF.
import NIOCore
import Testing
@testable import Transport

@Suite("DotStuffer")
struct DotStufferTests {
    // MARK: - Encoder fixtures

    @Test(arguments: [
        ("a\r\n.b\r\n.\r\n", "a\r\n..b\r\n..\r\n.\r\n"),
        (".starts with a dot\r\n", "..starts with a dot\r\n.\r\n"),
        ("no final line ending", "no final line ending\r\n.\r\n"),
        ("", ".\r\n"),
        ("\r\n", "\r\n.\r\n"),
        ("a.b\r\n...\r\n", "a.b\r\n....\r\n.\r\n"),
    ])
    func stuffs(_ payload: String, _ wire: String) {
        #expect(stuff([payload]) == wire)
    }

    @Test func stuffsADotAtTheStartOfAChunkThatStartsALine() {
        #expect(stuff(["a\r", "\n", ".b\r\n", "."]) == "a\r\n..b\r\n..\r\n.\r\n")
    }

    @Test func withoutNormalizingABareLFStillStartsALineForStuffing() {
        // The safe choice: a receiver that takes bare LF as a line end must
        // not see an unstuffed "." there.
        #expect(stuff(["a\n.b"]) == "a\n..b\r\n.\r\n")
    }

    @Test(arguments: [
        ("a\nb\n.c", "a\r\nb\r\n..c\r\n.\r\n"),
        ("a\rb", "a\r\nb\r\n.\r\n"),
        ("a\r\r\nb\r\n", "a\r\n\r\nb\r\n.\r\n"),
        ("ends in CR\r", "ends in CR\r\n.\r\n"),
        ("\n.\n", "\r\n..\r\n.\r\n"),
    ])
    func normalizes(_ payload: String, _ wire: String) {
        #expect(stuff([payload], normalizing: true) == wire)
        // The same, one byte at a time.
        #expect(stuff(bytes: Array(payload.utf8).map { [$0] }, normalizing: true) == wire)
    }

    @Test func normalizingCRLFSplitBetweenChunks() {
        #expect(stuff(["a\r", "\nb"], normalizing: true) == "a\r\nb\r\n.\r\n")
    }

    @Test func anEmptyChunkBetweenCRAndLFChangesNothing() {
        #expect(stuff(["a\r", "", "\nb"], normalizing: true) == "a\r\nb\r\n.\r\n")
    }

    @Test func finishResetsForTheNextPayload() {
        var stuffer = DotStuffer()
        var wire = ByteBuffer()
        stuffer.encode(ByteBuffer(string: "one"), into: &wire)
        stuffer.finish(into: &wire)
        stuffer.encode(ByteBuffer(string: ".two\r\n"), into: &wire)
        stuffer.finish(into: &wire)
        #expect(String(buffer: wire) == "one\r\n.\r\n..two\r\n.\r\n")
    }

    // MARK: - Round trips

    @Test func randomCRLFPayloadsRoundTrip() {
        var random = SeededRandom(seed: 0x5EED_D07)
        for round in 0..<300 {
            let lines = randomLines(&random)
            let finalCRLF = Bool.random(using: &random)
            let payload = lines.joined(separator: "\r\n") + (finalCRLF && !lines.isEmpty ? "\r\n" : "")
            let expected = payload.isEmpty || payload.hasSuffix("\r\n") ? payload : payload + "\r\n"
            let wire = stuff(bytes: split(payload, &random))
            #expect(decoded(wire) == expected, "round \(round): \(visible(Array(payload.utf8)))")
        }
    }

    @Test func randomBareLFPayloadsRoundTripWhenNormalized() {
        var random = SeededRandom(seed: 0xBA2E_1F)
        for round in 0..<300 {
            let lines = randomLines(&random)
            var payload = ""
            var expected = ""
            for (index, line) in lines.enumerated() {
                let last = index == lines.count - 1
                let ending = last && Bool.random(using: &random) ? "" : (Bool.random(using: &random) ? "\n" : "\r\n")
                payload += line + ending
                expected += line + (ending.isEmpty ? "" : "\r\n")
            }
            if !expected.isEmpty && !expected.hasSuffix("\r\n") { expected += "\r\n" }
            let wire = stuff(bytes: split(payload, &random), normalizing: true)
            #expect(onlyCRLF(wire), "a bare CR or LF left on the wire: \(visible(Array(wire.utf8)))")
            #expect(decoded(wire) == expected, "round \(round): \(visible(Array(payload.utf8)))")
        }
    }

    // MARK: - Helpers

    private func stuff(_ chunks: [String], normalizing: Bool = false) -> String {
        stuff(bytes: chunks.map { Array($0.utf8) }, normalizing: normalizing)
    }

    private func stuff(bytes chunks: [[UInt8]], normalizing: Bool = false) -> String {
        var stuffer = DotStuffer(normalizesLineEndings: normalizing)
        var wire = ByteBuffer()
        for chunk in chunks {
            stuffer.encode(ByteBuffer(bytes: chunk), into: &wire)
        }
        stuffer.finish(into: &wire)
        return String(buffer: wire)
    }

    /// Decodes `wire` with the SMTP framer at every chunk size; nil when
    /// the runs disagree or the payload did not end cleanly.
    private func decoded(_ wire: String) -> String? {
        let framing = Framing(payload: DotStuffedOptions(maxBytes: 1 << 20, lineEndings: .reject))
        let events = framing.events("DATA\r\n" + wire + "NEXT\r\n")
        switch events.count {
        case 3 where events == [.text("DATA"), .end(nil), .text("NEXT")]:
            return ""
        case 4:
            guard case .payload(let bytes) = events[1], events[2] == .end(nil), events[3] == .text("NEXT") else {
                return nil
            }
            return String(decoding: bytes, as: UTF8.self)
        default:
            return nil
        }
    }

    /// 0 to 8 lines, many of them starting with "." or being just ".".
    private func randomLines(_ random: inout SeededRandom) -> [String] {
        let pieces = [".", "..", "a", "b c", ".x", "1.2", " ", "QUIT", "é"]
        return (0..<Int.random(in: 0...8, using: &random)).map { _ in
            (0..<Int.random(in: 0...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
    }

    /// Cuts `text` into 1 to 4 non-empty chunks at random byte offsets
    /// (empty chunks have their own test).
    private func split(_ text: String, _ random: inout SeededRandom) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        guard bytes.count > 1 else { return [bytes] }
        let inner = (0..<Int.random(in: 0...3, using: &random)).map { _ in Int.random(in: 1..<bytes.count, using: &random) }
        let cuts = [0] + Set(inner).sorted() + [bytes.count]
        return zip(cuts, cuts.dropFirst()).map { Array(bytes[$0..<$1]) }
    }

    /// True when every CR and LF in `wire` is part of a CRLF.
    private func onlyCRLF(_ wire: String) -> Bool {
        let bytes = Array(wire.utf8)
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0D && (index + 1 == bytes.count || bytes[index + 1] != 0x0A) { return false }
            if byte == 0x0A && (index == 0 || bytes[index - 1] != 0x0D) { return false }
        }
        return true
    }
}
