// Base64 and quoted-printable codec tests: vectors, chunking, line endings, round trips.
import Foundation
import Testing
@testable import MIME

@Suite struct Base64Tests {
    @Test func vectors() {
        // RFC 4648 §10 test vectors.
        let cases = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in cases {
            #expect(s(Base64Encoder.encode(b(plain), lineLength: 0)) == encoded)
            #expect(s(Base64Decoder.decode(b(encoded))) == plain)
        }
    }

    @Test func wrapsAt76WithFinalLineEnding() {
        let data = [UInt8](repeating: 0xAB, count: 57 * 2 + 1)
        let lf = Base64Encoder.encode(data, lineEnding: .lf)
        let lines = s(lf).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4)
        #expect(lines[0].count == 76 && lines[1].count == 76 && lines[2] == "qw==" && lines[3] == "")
        let crlf = Base64Encoder.encode(data)
        #expect(s(crlf) == s(lf).replacingOccurrences(of: "\n", with: "\r\n"))
        // An exact number of lines gets exactly one final line ending.
        #expect(s(Base64Encoder.encode([UInt8](repeating: 1, count: 57), lineEnding: .lf)).filter { $0 == "\n" }.count == 1)
        #expect(Base64Encoder.encode([], lineEnding: .lf).isEmpty)
    }

    @Test func oddLineLengths() {
        var rng = SeededGenerator(seed: 7)
        let data = rng.bytes(1000)
        let flat = s(Base64Encoder.encode(data, lineLength: 0))
        for width in [1, 3, 10, 75] {
            let wrapped = s(Base64Encoder.encode(data, lineLength: width, lineEnding: .lf))
            #expect(wrapped.split(separator: "\n").allSatisfy { $0.count <= width })
            #expect(wrapped.replacingOccurrences(of: "\n", with: "") == flat)
        }
    }

    @Test(arguments: chunkSizes)
    func chunkedEncodingMatchesOneShot(size: Int) {
        var rng = SeededGenerator(seed: UInt64(size))
        for length in [0, 1, 2, 3, 56, 57, 58, 1000, 10_000] {
            let data = rng.bytes(length)
            for ending in [LineEnding.crlf, .lf] {
                var encoder = Base64Encoder(lineEnding: ending)
                let out = chunked(data, size: size, { encoder.encode($0) }, finish: { encoder.finish() })
                #expect(out == Base64Encoder.encode(data, lineEnding: ending))
                var decoder = Base64Decoder()
                #expect(chunked(out, size: size, { decoder.decode($0) }, finish: { decoder.finish() }) == data)
            }
        }
    }

    @Test func roundTripEveryLength() {
        var rng = SeededGenerator(seed: 42)
        for length in 0...4096 {
            let data = rng.bytes(length)
            let encoded = Base64Encoder.encode(data)
            #expect(Base64Decoder.decode(encoded) == data, "length \(length)")
        }
    }

    @Test func lenientDecoding() {
        #expect(s(Base64Decoder.decode(b("Zm9v\r\nYmFy"))) == "foobar")
        #expect(s(Base64Decoder.decode(b(" Z m 9 v Y g"))) == "foob")  // missing padding
        #expect(s(Base64Decoder.decode(b("Zm9vYg==ignored"))) == "foob")  // padding ends the data
        var d = Base64Decoder()
        #expect(s(d.decode(b("Zm9v!!Yg=="))) == "foob")
        #expect(d.sawInvalidCharacters)
        #expect(Base64Decoder.decode(b("Z")) == [])  // a lone character carries no byte
        #expect(s(Base64Decoder.decode(b("=Zm9v"))) == "foo")  // stray padding before data is skipped
    }

    @Test(arguments: chunkSizes)
    func decodesLFAndCRLFInputAcrossChunks(size: Int) {
        var rng = SeededGenerator(seed: 99)
        let data = rng.bytes(5000)
        for ending in [LineEnding.lf, .crlf] {
            let encoded = Base64Encoder.encode(data, lineEnding: ending)
            var decoder = Base64Decoder()
            #expect(chunked(encoded, size: size, { decoder.decode($0) }, finish: { decoder.finish() }) == data)
        }
    }
}

@Suite struct QuotedPrintableTests {
    @Test func rules() {
        // Rule (1) and (2): literal printable ASCII, "=" and 8-bit escaped in upper-case hex.
        #expect(s(QuotedPrintableEncoder.encode(b("a=b é"))) == "a=3Db =C3=A9")
        // Rule (3): trailing whitespace before a line break and at the end is encoded.
        #expect(s(QuotedPrintableEncoder.encode(b("a \r\nb\t"))) == "a=20\r\nb=09")
        #expect(s(QuotedPrintableEncoder.encode(b("a \nb"), options: .init(lineEnding: .lf))) == "a=20\nb")
        // Rule (4): LF alone becomes the configured line ending; a bare CR is escaped.
        #expect(s(QuotedPrintableEncoder.encode(b("a\nb\rc"))) == "a\r\nb=0Dc")
        // Binary mode escapes line breaks.
        #expect(s(QuotedPrintableEncoder.encode(b("a\r\n"), options: .init(isText: false))) == "a=0D=0A")
        // RFC 2049 §3 (8): "From " and a lone dot at line start.
        let opts = QuotedPrintableEncoder.Options(encodeLeadingF: true, encodeLeadingDot: true)
        #expect(s(QuotedPrintableEncoder.encode(b("From me\n.\nx.F"), options: opts)) == "=46rom me\r\n=2E\r\nx.F")
    }

    @Test func softBreaksKeepLinesShort() {
        let first = [UInt8](repeating: 0x61, count: 200) + [UInt8](repeating: 0xFF, count: 100)
        let long = first + b("\n") + [UInt8](repeating: 0x20, count: 90)
        let encoded = QuotedPrintableEncoder.encode(long)
        let lines = s(encoded).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= QuotedPrintableEncoder.maxLineLength })
        #expect(lines.dropLast().allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
        #expect(QuotedPrintableDecoder.decode(encoded) == first + b("\r\n") + [UInt8](repeating: 0x20, count: 90))
    }

    @Test func lenientDecoding() {
        #expect(s(QuotedPrintableDecoder.decode(b("caf=c3=a9"))) == "café")  // lower-case hex
        #expect(s(QuotedPrintableDecoder.decode(b("soft=\r\nbreak soft=\nlf"))) == "softbreak softlf")
        #expect(s(QuotedPrintableDecoder.decode(b("pad= \t\r\nded"))) == "padded")  // soft break after blanks
        #expect(s(QuotedPrintableDecoder.decode(b("trail  \r\nx \t\ny  "))) == "trail\r\nx\ny")  // rule (3)
        #expect(s(QuotedPrintableDecoder.decode(b("a=G1 b=4 =x"))) == "a=G1 b=4 =x")  // invalid kept
        #expect(s(QuotedPrintableDecoder.decode(b("end="))) == "end")
        #expect(s(QuotedPrintableDecoder.decode(b("a = b"))) == "a = b")
        #expect(s(QuotedPrintableDecoder.decode(b("bare\rcr"))) == "bare\rcr")
    }

    @Test(arguments: chunkSizes)
    func chunkingDoesNotChangeOutput(size: Int) {
        var rng = SeededGenerator(seed: UInt64(size) &+ 1000)
        let alphabet = b("ab =\t\r\nZ.F") + [0xC3, 0xA9, 0x00]
        for length in [0, 1, 2, 77, 1000, 9000] {
            let data = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            for ending in [LineEnding.crlf, .lf] {
                let opts = QuotedPrintableEncoder.Options(lineEnding: ending, encodeLeadingF: true, encodeLeadingDot: true)
                var encoder = QuotedPrintableEncoder(options: opts)
                let out = chunked(data, size: size, { encoder.encode($0) }, finish: { encoder.finish() })
                #expect(out == QuotedPrintableEncoder.encode(data, options: opts))
                var decoder = QuotedPrintableDecoder()
                let back = chunked(out, size: size, { decoder.decode($0) }, finish: { decoder.finish() })
                #expect(back == QuotedPrintableDecoder.decode(out))
            }
            // Decoding arbitrary (hand-written) input is chunk-independent too.
            var decoder = QuotedPrintableDecoder()
            #expect(chunked(data, size: size, { decoder.decode($0) }, finish: { decoder.finish() }) == QuotedPrintableDecoder.decode(data))
        }
    }

    @Test func roundTripEveryLength() {
        var rng = SeededGenerator(seed: 4242)
        for length in 0...4096 {
            let data = rng.bytes(length)
            let encoded = QuotedPrintableEncoder.encode(data, options: .init(isText: false))
            #expect(encoded.allSatisfy { $0 < 0x80 })
            #expect(QuotedPrintableDecoder.decode(encoded) == data, "length \(length)")
        }
    }

    @Test func textRoundTripWithCRLFAndLF() {
        var rng = SeededGenerator(seed: 5)
        let words = ["hello", "wörld", "=", " ", "  ", "\t", "From", ".", "x"]
        for ending in [LineEnding.crlf, .lf] {
            var text = ""
            for _ in 0..<2000 {
                text += words[Int.random(in: 0..<words.count, using: &rng)]
                if Int.random(in: 0..<8, using: &rng) == 0 { text += ending == .crlf ? "\r\n" : "\n" }
            }
            let encoded = QuotedPrintableEncoder.encode(b(text), options: .init(lineEnding: ending))
            // Trailing whitespace is encoded, so nothing is lost to rule (3).
            #expect(s(QuotedPrintableDecoder.decode(encoded)) == text)
        }
    }
}
