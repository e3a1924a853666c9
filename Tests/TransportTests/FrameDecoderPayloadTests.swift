// Parser fixtures for the payload modes of FrameDecoder: the dot-stuffed
// payload (RFC 5321 §4.5.2, RFC 3977 §3.1.1) with its size cap and
// bare-CR/LF policy (the SMTP smuggling defence), and the counted payload
// (IMAP literals). Every input is fed whole and in chunks of 1, 16, 1024
// and 4096 bytes; a line "DATA" starts a dot-stuffed payload, "LIT n" a
// counted one.
import NIOCore
import Testing
@testable import Transport

@Suite("FrameDecoder payloads")
struct FrameDecoderPayloadTests {
    let smtp = Framing(payload: DotStuffedOptions(maxBytes: 1 << 20, lineEndings: .reject))

    // MARK: - Un-stuffing

    @Test func payloadIsUnstuffedAndLinesResumeAfterIt() {
        #expect(smtp.events("DATA\r\nline 1\r\n..x\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("line 1\r\n.x\r\n"), .end(nil), .text("NEXT"),
        ])
    }

    @Test func payloadStartingWithAStuffedDot() {
        #expect(smtp.events("DATA\r\n..hidden\r\n.\r\n") == [.text("DATA"), .data(".hidden\r\n"), .end(nil)])
    }

    /// RFC 5321 §4.5.2: a line starting with "." and holding more loses that
    /// first "." even when the client forgot to stuff it.
    @Test func unstuffedLeadingDotIsDropped() {
        #expect(smtp.events("DATA\r\n.hidden\r\n.\r\n") == [.text("DATA"), .data("hidden\r\n"), .end(nil)])
    }

    @Test func singleDotLineInsideThePayload() {
        #expect(smtp.events("DATA\r\na\r\n..\r\nb\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("a\r\n.\r\nb\r\n"), .end(nil), .text("NEXT"),
        ])
    }

    @Test func emptyPayload() {
        #expect(smtp.events("DATA\r\n.\r\nNEXT\r\n") == [.text("DATA"), .end(nil), .text("NEXT")])
    }

    @Test func dotsInsideALineAreData() {
        #expect(smtp.events("DATA\r\na.b\r\n x.\r\n...\r\n.\r\n") == [
            .text("DATA"), .data("a.b\r\n x.\r\n..\r\n"), .end(nil),
        ])
    }

    @Test func endMarkerSplitAtEveryByte() {
        var decoder = smtp.makeDecoder()
        decoder.expect(.dotStuffed(smtp.payload))
        var buffer = ByteBuffer(string: "x\r")
        #expect(decoder.next(from: &buffer) == .payload(ByteBuffer(string: "x")))
        #expect(decoder.next(from: &buffer) == nil)
        for byte in ["\n", ".", "\r"] {
            buffer.writeString(byte)
            let event = decoder.next(from: &buffer)
            #expect(event == nil || event == .payload(ByteBuffer(string: "\r\n")), "after \(visible(Array(byte.utf8)))")
        }
        buffer.writeString("\nNEXT\r\n")
        #expect(decoder.next(from: &buffer) == .payloadEnd(nil))
        #expect(decoder.mode == .lines)
        #expect(decoder.next(from: &buffer) == .line(ByteBuffer(string: "NEXT")))
    }

    // MARK: - Bare CR and LF in .reject mode: never an end, always an error

    @Test func lfDotLfDoesNotEndThePayload() {
        #expect(smtp.events("DATA\r\nhi\n.\nECHO smuggled\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("hi"), .end(.bareLineEnding), .text("NEXT"),
        ])
    }

    @Test func crDotCrDoesNotEndThePayload() {
        #expect(smtp.events("DATA\r\nhi\r.\rECHO smuggled\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("hi"), .end(.bareLineEnding), .text("NEXT"),
        ])
    }

    @Test func lfDotCrlfDoesNotEndThePayload() {
        #expect(smtp.events("DATA\r\nhi\n.\r\nECHO smuggled\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("hi"), .end(.bareLineEnding), .text("NEXT"),
        ])
    }

    @Test func crlfDotLfDoesNotEndThePayload() {
        #expect(smtp.events("DATA\r\nhi\r\n.\nECHO smuggled\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("hi\r\n"), .end(.bareLineEnding), .text("NEXT"),
        ])
    }

    @Test func bareCRBeforeTheEndMarker() {
        #expect(smtp.events("DATA\r\nhi\r\n.\rx\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("hi\r\n"), .end(.bareLineEnding), .text("NEXT"),
        ])
    }

    @Test func nothingIsDeliveredAfterTheViolation() {
        let input = "DATA\r\nbefore\r\nbad\nafter 1\r\nafter 2\r\n.\r\nNEXT\r\n"
        for size in chunkSizes {
            let events = smtp.run(Array(input.utf8), chunkSize: size).events
            #expect(events == [.text("DATA"), .data("before\r\nbad"), .end(.bareLineEnding), .text("NEXT")])
        }
    }

    // MARK: - .normalize and .passThrough

    @Test func normalizeDeliversBareEndingsAsCRLFButNeverEndsOnThem() {
        let framing = Framing(payload: DotStuffedOptions(maxBytes: 1 << 20, lineEndings: .normalize))
        #expect(framing.events("DATA\r\nhi\n.\nmore\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("hi\r\n.\r\nmore\r\n"), .end(nil), .text("NEXT"),
        ])
        #expect(framing.events("DATA\r\na\rb\r.\rc\r\n.\r\n") == [
            .text("DATA"), .data("a\r\nb\r\n.\r\nc\r\n"), .end(nil),
        ])
    }

    @Test func passThroughDeliversBareEndingsAsTheyCame() {
        let framing = Framing(payload: DotStuffedOptions(maxBytes: 1 << 20, lineEndings: .passThrough))
        #expect(framing.events("DATA\r\nhi\n.\nmore\r.\r\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("hi\n.\nmore\r.\r\r\n"), .end(nil), .text("NEXT"),
        ])
    }

    // MARK: - Size cap (counted after un-stuffing, CRLFs included)

    @Test func payloadExactlyAtTheCapPasses() {
        let framing = Framing(payload: DotStuffedOptions(maxBytes: 8, lineEndings: .reject))
        #expect(framing.events("DATA\r\n123456\r\n.\r\nNEXT\r\n") == [
            .text("DATA"), .data("123456\r\n"), .end(nil), .text("NEXT"),
        ])
        // The stuffing dot does not count.
        #expect(framing.events("DATA\r\n..23456\r\n.\r\n") == [.text("DATA"), .data(".23456\r\n"), .end(nil)])
    }

    @Test func payloadOneOverTheCapIsReadToTheEndThenLinesResume() {
        let framing = Framing(payload: DotStuffedOptions(maxBytes: 8, lineEndings: .reject))
        #expect(framing.events("DATA\r\n1234567\r\n.\r\nNEXT\r\n") == [.text("DATA"), .end(.tooLarge), .text("NEXT")])
    }

    @Test func largePayloadOverTheCapIsDiscardedNotBuffered() {
        let framing = Framing(payload: DotStuffedOptions(maxBytes: 100, lineEndings: .reject))
        let body = String(repeating: "0123456789012345678901234567890123456789\r\n", count: 200)
        let run = framing.run(Array(("DATA\r\n" + body + ".\r\nNEXT\r\n").utf8), chunkSize: 1024)
        #expect(run.violations == [])
        let delivered = run.events.reduce(0) { total, event in
            if case .payload(let bytes) = event { return total + bytes.count }
            return total
        }
        #expect(delivered <= 100)
        #expect(comparable(run.events) == [.text("DATA"), .end(.tooLarge), .text("NEXT")])
    }

    @Test func firstErrorWins() {
        let framing = Framing(payload: DotStuffedOptions(maxBytes: 4, lineEndings: .reject))
        #expect(framing.events("DATA\r\na\nlong line\r\n.\r\n") == [.text("DATA"), .data("a"), .end(.bareLineEnding)])
    }

    // MARK: - Chunking

    @Test func payloadIsDeliveredInChunksOfAtMostMaxChunkSize() {
        // Lines of 3 bytes plus CRLF meet the chunk boundary at every offset.
        for maxChunkSize in [2, 3, 4, 5, 7] {
            let framing = Framing(maxChunkSize: maxChunkSize)
            let body = "abc\r\nde\r\n\r\nf\r\nghijklmnop\r\n"
            let run = framing.run(Array(("DATA\r\n" + body + ".\r\n").utf8), chunkSize: Int.max)
            #expect(run.violations == [], "maxChunkSize \(maxChunkSize)")
            #expect(run.events == [.text("DATA"), .data(body), .end(nil)], "maxChunkSize \(maxChunkSize)")
        }
    }

    @Test func bigPayloadComesInSeveralChunks() {
        var decoder = Framing(maxChunkSize: 1000).makeDecoder()
        decoder.expect(.dotStuffed(smtp.payload))
        var buffer = ByteBuffer(string: String(repeating: "x", count: 4500) + "\r\n.\r\n")
        var sizes: [Int] = []
        while let event = decoder.next(from: &buffer) {
            if case .payload(let chunk) = event { sizes.append(chunk.readableBytes) }
            if case .payloadEnd = event { break }
        }
        #expect(sizes.allSatisfy { $0 <= 1000 })
        #expect(sizes.reduce(0, +) == 4502)
        #expect(sizes.count >= 5)
    }

    // MARK: - Counted payload

    @Test func countedZeroBytesEndsAtOnce() {
        #expect(smtp.events("LIT 0\r\nNEXT\r\n") == [.text("LIT 0"), .end(nil), .text("NEXT")])
    }

    @Test func countedPayloadIsRawBytesFollowedByALine() {
        #expect(smtp.events("LIT 9\r\nab\r\n.\r\n\ncNEXT\r\n") == [
            .text("LIT 9"), .data("ab\r\n.\r\n\nc"), .end(nil), .text("NEXT"),
        ])
    }

    @Test func countedPayloadSplitAndChunked() {
        let framing = Framing(maxChunkSize: 3)
        let run = framing.run(Array("LIT 10\r\n0123456789LIT 1\r\nxDONE\r\n".utf8), chunkSize: 4)
        #expect(run.violations == [])
        #expect(run.events == [
            .text("LIT 10"), .data("0123456789"), .end(nil), .text("LIT 1"), .data("x"), .end(nil), .text("DONE"),
        ])
    }

    @Test func countedPayloadWaitsForItsBytes() {
        var decoder = smtp.makeDecoder()
        decoder.expect(.counted(4))
        var buffer = ByteBuffer(string: "ab")
        #expect(decoder.next(from: &buffer) == .payload(ByteBuffer(string: "ab")))
        #expect(decoder.next(from: &buffer) == nil)
        #expect(!decoder.isAtLineBoundary)
        buffer.writeString("cdE\r\n")
        #expect(decoder.next(from: &buffer) == .payload(ByteBuffer(string: "cd")))
        #expect(decoder.next(from: &buffer) == .payloadEnd(nil))
        #expect(decoder.next(from: &buffer) == .line(ByteBuffer(string: "E")))
    }
}
