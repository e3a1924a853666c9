// Parser fixtures for the line mode of FrameDecoder (STYLE.md rules 1, 3, 4,
// 11): success, incomplete and failure, each fed whole and in chunks of 1,
// 16, 1024 and 4096 bytes, with CRLF and with bare-LF input.
import NIOCore
import Testing
@testable import Transport

@Suite("FrameDecoder lines")
struct FrameDecoderLineTests {
    let strict = Framing(maxLineLength: 64, lineEndings: .strict)
    let tolerant = Framing(maxLineLength: 64, lineEndings: .tolerateBareLF)

    // MARK: - Success

    @Test func crlfLinesAtEveryChunkSize() {
        #expect(strict.events("HELO a\r\nMAIL FROM:<b@c>\r\n\r\nQUIT\r\n") == [
            .text("HELO a"), .text("MAIL FROM:<b@c>"), .text(""), .text("QUIT"),
        ])
    }

    @Test func lineSplitBetweenCRAndLF() {
        var decoder = strict.makeDecoder()
        var buffer = ByteBuffer(string: "ECHO a\r")
        #expect(decoder.next(from: &buffer) == nil)
        // Rule 1: "need more bytes" leaves the buffer untouched.
        #expect(buffer.readableBytes == 7)
        buffer.writeString("\nNEXT")
        #expect(decoder.next(from: &buffer) == .line(ByteBuffer(string: "ECHO a")))
        #expect(decoder.next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 4)
        buffer.writeString("\r\n")
        #expect(decoder.next(from: &buffer) == .line(ByteBuffer(string: "NEXT")))
        #expect(buffer.readableBytes == 0)
    }

    @Test func lineSplitAcrossManyPieces() {
        let input = Array("ECHO split across pieces\r\nECHO b\r\n".utf8)
        let cuts = [0..<3, 3..<10, 10..<24, 24..<25, 25..<26, 26..<input.count]
        #expect(strict.run(input, pieces: cuts).events == [.text("ECHO split across pieces"), .text("ECHO b")])
    }

    @Test func tolerantPolicyTakesBareLFAndCRLF() {
        #expect(tolerant.events("ONE\nTWO\r\nTHREE\n") == [.text("ONE"), .text("TWO"), .text("THREE")])
    }

    @Test func tolerantPolicyKeepsBareCRAsData() {
        #expect(tolerant.events("A\rB\nC\r\r\n") == [.text("A\rB"), .text("C\r")])
    }

    // MARK: - Incomplete

    @Test func partialLineWaitsAndLeavesTheBufferAlone() {
        var decoder = strict.makeDecoder()
        var buffer = ByteBuffer(string: "ECHO not yet")
        #expect(decoder.next(from: &buffer) == nil)
        #expect(decoder.next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 12)
        #expect(decoder.isAtLineBoundary)
    }

    @Test func emptyInputYieldsNothing() {
        #expect(strict.events("") == [])
    }

    // MARK: - Failure: bare line endings under the strict policy

    @Test func strictPolicyRefusesBareLFThenReadsOn() {
        #expect(strict.events("A\nB\r\n") == [.bareLineEnding, .text("B")])
    }

    @Test func strictPolicyRefusesBareCRInsideALine() {
        #expect(strict.events("A\rB\r\nC\r\n") == [.bareLineEnding, .text("C")])
    }

    @Test func strictPolicyRefusesCRCRLF() {
        #expect(strict.events("A\r\r\nB\r\n") == [.bareLineEnding, .text("B")])
    }

    // MARK: - Failure: the line length limit (line ending included)

    @Test func lineExactlyAtTheLimitPasses() {
        let framing = Framing(maxLineLength: 10, lineEndings: .strict)
        #expect(framing.events("12345678\r\nNEXT\r\n") == [.text("12345678"), .text("NEXT")])
        let bareLF = Framing(maxLineLength: 10, lineEndings: .tolerateBareLF)
        #expect(bareLF.events("123456789\nNEXT\n") == [.text("123456789"), .text("NEXT")])
    }

    /// One byte over the limit: one `lineTooLong`, and the next line is read
    /// normally. Fed whole, the over-long line and the next one arrive in
    /// the same buffer.
    @Test func lineOneOverTheLimitIsReportedOnceAndTheNextLineIsRead() {
        let framing = Framing(maxLineLength: 10, lineEndings: .strict)
        #expect(framing.events("123456789\r\nNEXT\r\n") == [.lineTooLong, .text("NEXT")])
    }

    @Test func lineOneOverTheLimitFedOneByteAtATime() {
        let framing = Framing(maxLineLength: 10, lineEndings: .strict)
        let run = framing.run(Array("123456789\r\nNEXT\r\n".utf8), chunkSize: 1)
        #expect(run.events == [.lineTooLong, .text("NEXT")])
    }

    @Test func veryLongLineKeepsMemoryBoundedAndIsReportedOnce() {
        let framing = Framing(maxLineLength: 16, lineEndings: .strict)
        let input = String(repeating: "x", count: 10_000) + "\r\nECHO after\r\n"
        // The harness checks that no more than the limit is ever kept.
        #expect(framing.events(input) == [.lineTooLong, .text("ECHO after")])
    }

    @Test func overLongLineEndingInBareLFIsStillTooLong() {
        let framing = Framing(maxLineLength: 8, lineEndings: .strict)
        #expect(framing.events("0123456789\nOK\r\n") == [.lineTooLong, .text("OK")])
    }

    @Test func twoOverLongLinesInARow() {
        let framing = Framing(maxLineLength: 8, lineEndings: .tolerateBareLF)
        #expect(framing.events("0123456789\n0123456789\nOK\n") == [.lineTooLong, .lineTooLong, .text("OK")])
    }

    @Test func overLongLineIsNotABoundaryUntilItsEnd() {
        var decoder = Framing(maxLineLength: 8, lineEndings: .strict).makeDecoder()
        var buffer = ByteBuffer(string: "0123456789")
        #expect(decoder.next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 0, "the over-long part is dropped, not kept")
        #expect(!decoder.isAtLineBoundary)
        buffer.writeString("abc\r\n")
        #expect(decoder.next(from: &buffer) == .lineTooLong)
        #expect(decoder.isAtLineBoundary)
    }
}
