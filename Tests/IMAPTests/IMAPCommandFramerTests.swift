// The framer fed whole and in small chunks: literals of both kinds, streamed
// APPEND, every limit crossed, resynchronisation (STYLE.md rules 3, 4, 11).
import Testing

@testable import IMAP

private func command(_ wire: String) -> IMAPFrame { .command(bytes(wire)) }
private func messageBytes(_ data: String) -> IMAPFrame { .append(.messageBytes(ArraySlice(bytes(data)))) }
private func begin(
    _ size: UInt64, flags: [IMAPFlag] = [], date: IMAPDateTime? = nil, binary: Bool = false, sync: Bool = true
) -> IMAPFrame {
    .append(
        .beginMessage(
            IMAPAppendMessageHeader(
                options: IMAPAppendOptions(flags: flags, internalDate: date), size: size, isBinary: binary,
                isSynchronizing: sync)))
}

private let chunkSizes = [1, 2, 3, 16, 1024, 4096, 1 << 20]

private let transcript =
    "A1 NOOP\r\nA2 LOGIN {5}\r\nalice {6+}\r\nsecret\r\nA3 APPEND INBOX (\\Seen) {13}\r\nHello\r\nWorld!\r\nA4 SELECT INBOX\r\n"

private let transcriptFrames: [IMAPFrame] = [
    command("A1 NOOP"),
    .continuationRequest,
    command("A2 LOGIN {5}\r\nalice {6+}\r\nsecret"),
    .append(.start(tag: "A3", mailbox: .inbox)),
    begin(13, flags: [.seen]),
    .continuationRequest,
    messageBytes("Hello\r\nWorld!"),
    .append(.endMessage),
    .append(.finish),
    command("A4 SELECT INBOX"),
]

@Suite("IMAP command framer")
struct IMAPCommandFramerTests {
    @Test(arguments: chunkSizes)
    func framesATranscriptAtAnyChunkSize(_ chunk: Int) {
        #expect(frames(bytes(transcript), chunk: chunk) == transcriptFrames)
    }

    /// Bare LF ends lines too; the frames handed out are canonical (CRLF).
    @Test(arguments: [1, 16, 4096])
    func acceptsBareLF(_ chunk: Int) {
        let lf = "A1 NOOP\nA2 LOGIN {5}\nalice {6+}\nsecret\nA3 APPEND INBOX (\\Seen) {13}\nHello\r\nWorld!\nA4 SELECT INBOX\n"
        #expect(frames(bytes(lf), chunk: chunk) == transcriptFrames)
    }

    @Test func framedCommandsParse() throws {
        var parsed: [IMAPCommand] = []
        for case .command(let frame) in frames(bytes(transcript), chunk: 7) {
            parsed.append(try IMAPCommandParser.parse(frame).get())
        }
        #expect(
            parsed == [
                IMAPCommand(tag: "A1", .noop), IMAPCommand(tag: "A2", .login(username: "alice", password: "secret")),
                IMAPCommand(tag: "A4", .select(.inbox, IMAPSelectParameters())),
            ])
    }

    @Test func needsMoreInputAndCountsWhatIsBuffered() {
        var framer = IMAPCommandFramer()
        framer.append(bytes("A1 NO"))
        #expect(framer.next() == nil)
        #expect(framer.bufferedByteCount == 5)
        framer.append(bytes("OP\r\nA2"))
        #expect(framer.next() == command("A1 NOOP"))
        #expect(framer.next() == nil)
        #expect(framer.bufferedByteCount == 2)
    }

    @Test(arguments: chunkSizes)
    func zeroLengthLiterals(_ chunk: Int) {
        let input = "A1 LOGIN {0}\r\n {0+}\r\n\r\nA2 APPEND INBOX {0+}\r\n\r\n"
        #expect(
            frames(bytes(input), chunk: chunk) == [
                .continuationRequest, command("A1 LOGIN {0}\r\n {0+}\r\n"),
                .append(.start(tag: "A2", mailbox: .inbox)), begin(0, sync: false), .append(.endMessage), .append(.finish),
            ])
    }

    /// Literal data ending in CR: the CR stays in the literal.
    @Test(arguments: [1, 4096])
    func literalEndingInCR(_ chunk: Int) {
        #expect(
            frames(bytes("A1 LOGIN x {1+}\r\n\r\nA2 NOOP\r\n"), chunk: chunk) == [
                command("A1 LOGIN x {1+}\r\n\r"), command("A2 NOOP"),
            ])
    }

    // MARK: - APPEND streaming

    @Test(arguments: chunkSizes)
    func appendWithALiteralMailboxName(_ chunk: Int) {
        let input = "A1 APPEND {5}\r\nDraft {3}\r\nabc\r\n"
        #expect(
            frames(bytes(input), chunk: chunk) == [
                .continuationRequest, .append(.start(tag: "A1", mailbox: "Draft")), begin(3), .continuationRequest,
                messageBytes("abc"), .append(.endMessage), .append(.finish),
            ])
    }

    @Test(arguments: chunkSizes)
    func multiappend(_ chunk: Int) throws {
        let input = "A1 APPEND INBOX {3+}\r\nabc (\\Seen) \"17-Jul-1996 02:44:25 -0700\" ~{2+}\r\nd\0\r\n"
        let date = try #require(IMAPDateTime(secondsSince1970: 837_596_665, zoneMinutes: -420))
        #expect(
            frames(bytes(input), chunk: chunk) == [
                .append(.start(tag: "A1", mailbox: .inbox)), begin(3, sync: false), messageBytes("abc"), .append(.endMessage),
                begin(2, flags: [.seen], date: date, binary: true, sync: false), messageBytes("d\0"), .append(.endMessage),
                .append(.finish),
            ])
    }

    @Test(arguments: chunkSizes)
    func multiappendSyntaxErrorIsRejected(_ chunk: Int) {
        let input = "A1 APPEND INBOX {3+}\r\nabc garbage\r\nA2 NOOP\r\n"
        let error = IMAPParseError(tag: "A1", kind: .expected("message literal", found: "\"garbage\""), offset: 1)
        #expect(
            frames(bytes(input), chunk: chunk) == [
                .append(.start(tag: "A1", mailbox: .inbox)), begin(3, sync: false), messageBytes("abc"), .append(.endMessage),
                .rejected(IMAPFramingError(tag: "A1", kind: .appendSyntax(error))), command("A2 NOOP"),
            ])
    }

    /// A bad second message with a non-synchronising literal: its octets are skipped.
    @Test(arguments: [1, 4096])
    func multiappendBadOptionsBeforeALiteral(_ chunk: Int) {
        let input = "A1 APPEND INBOX {1+}\r\na (\\Seen {9+}\r\nA3 NOOP\r\n \r\nA2 NOOP\r\n"
        let error = IMAPParseError(tag: "A1", kind: .expected("flag", found: "end of command"), offset: 8)
        #expect(
            frames(bytes(input), chunk: chunk) == [
                .append(.start(tag: "A1", mailbox: .inbox)), begin(1, sync: false), messageBytes("a"), .append(.endMessage),
                .rejected(IMAPFramingError(tag: "A1", kind: .appendSyntax(error))), command("A2 NOOP"),
            ])
    }

    /// The server refuses at beginMessage (e.g. NO [TRYCREATE]): no "+" is
    /// sent for a synchronising literal and the client sends nothing.
    @Test func abortBeforeTheContinuationRequest() {
        var framer = IMAPCommandFramer()
        framer.append(bytes("A1 APPEND Nowhere {100}\r\n"))
        #expect(framer.next() == .append(.start(tag: "A1", mailbox: "Nowhere")))
        #expect(framer.next() == begin(100))
        framer.abortCommand()
        #expect(framer.next() == nil)
        framer.append(bytes("A2 NOOP\r\n"))
        #expect(framer.next() == command("A2 NOOP"))
    }

    @Test(arguments: chunkSizes)
    func abortOfANonSynchronizingMessageSkipsItsOctets(_ chunk: Int) {
        var framer = IMAPCommandFramer()
        var output: [IMAPFrame] = []
        let input = bytes("A1 APPEND INBOX {9+}\r\nA3 NOOP\r\n (\\Seen) {2+}\r\nxy\r\nA2 NOOP\r\n")
        var offset = 0
        while offset < input.count {
            framer.append(input[offset..<min(offset + chunk, input.count)])
            offset += chunk
            while let frame = framer.next() {
                output.append(frame)
                if case .append(.beginMessage) = frame { framer.abortCommand() }
            }
        }
        #expect(output == [.append(.start(tag: "A1", mailbox: .inbox)), begin(9, sync: false), command("A2 NOOP")])
    }

    /// The store fails while the message streams in: the rest is skipped.
    @Test func abortInTheMiddleOfAMessage() {
        var framer = IMAPCommandFramer()
        framer.append(bytes("A1 APPEND INBOX {10}\r\n"))
        #expect(framer.next() == .append(.start(tag: "A1", mailbox: .inbox)))
        #expect(framer.next() == begin(10))
        #expect(framer.next() == .continuationRequest)
        framer.append(bytes("hello"))
        #expect(framer.next() == messageBytes("hello"))
        framer.abortCommand()
        framer.append(bytes("world\r\nA2 NOOP\r\n"))
        #expect(framer.next() == command("A2 NOOP"))
        #expect(framer.next() == nil)
    }

    /// Aborting after an argument literal drops the rest of its line.
    @Test func abortAfterAnArgumentLiteral() {
        var framer = IMAPCommandFramer()
        framer.append(bytes("A1 LOGIN {5}\r\n"))
        #expect(framer.next() == .continuationRequest)
        framer.append(bytes("alice x"))
        #expect(framer.next() == nil)
        framer.abortCommand()
        framer.append(bytes("y\r\nA2 NOOP\r\n"))
        #expect(framer.next() == command("A2 NOOP"))
        #expect(framer.next() == nil)
    }

    // MARK: - Limits and resynchronisation

    /// The line is refused as soon as it is too long, before its CRLF.
    @Test func overLongLineIsRejectedEarly() {
        var framer = IMAPCommandFramer(configuration: .init(maxLineLength: 64))
        framer.append(bytes("A1 LOGIN " + String(repeating: "x", count: 100)))
        #expect(framer.next() == .rejected(IMAPFramingError(tag: "A1", kind: .lineTooLong(limit: 64))))
        #expect(framer.next() == nil)
        framer.append(bytes("yyy\r\nA2 NOOP\r\n"))
        #expect(framer.next() == command("A2 NOOP"))
    }

    /// An over-long line ending in "{N+}": the N octets are skipped too.
    @Test(arguments: chunkSizes)
    func overLongLineWithANonSynchronizingLiteral(_ chunk: Int) {
        let input = "A1 LOGIN " + String(repeating: "x", count: 100) + " {9+}\r\nA3 NOOP\r\n rest\r\nA2 NOOP\r\n"
        #expect(
            frames(bytes(input), chunk: chunk, configuration: .init(maxLineLength: 64)) == [
                .rejected(IMAPFramingError(tag: "A1", kind: .lineTooLong(limit: 64))), command("A2 NOOP"),
            ])
    }

    @Test func overLongLineWithoutATagGetsAnUntaggedReply() {
        let output = frames(bytes("+" + String(repeating: "x", count: 100) + "\r\nA2 NOOP\r\n"), chunk: 4096,
            configuration: .init(maxLineLength: 64))
        #expect(output == [.rejected(IMAPFramingError(tag: nil, kind: .lineTooLong(limit: 64))), command("A2 NOOP")])
        guard case .rejected(let error) = output.first else { return }
        #expect(encode(error.response) == "* BAD command line longer than 64 octets\r\n")
    }

    /// A refused synchronising literal: no "+", and the client sends nothing.
    @Test(arguments: chunkSizes)
    func overSizeSynchronizingLiteral(_ chunk: Int) {
        let output = frames(bytes("A1 LOGIN {100}\r\nA2 NOOP\r\n"), chunk: chunk, configuration: .init(maxLiteralSize: 10))
        let error = IMAPFramingError(tag: "A1", kind: .literalTooLarge(size: 100, limit: 10))
        #expect(output == [.rejected(error), command("A2 NOOP")])
        #expect(encode(error.response) == "A1 BAD literal of 100 octets exceeds 10\r\n")
    }

    /// A refused non-synchronising literal: its octets (which look like
    /// commands here) and the rest of the command are skipped.
    @Test(arguments: chunkSizes)
    func overSizeNonSynchronizingLiteral(_ chunk: Int) {
        let input = "A1 LOGIN {20+}\r\nA9 NOOP\r\nA8 LOGOUT\r\n more {3+}\r\nabc\r\nA2 NOOP\r\n"
        #expect(
            frames(bytes(input), chunk: chunk, configuration: .init(maxLiteralSize: 10)) == [
                .rejected(IMAPFramingError(tag: "A1", kind: .literalTooLarge(size: 20, limit: 10))), command("A2 NOOP"),
            ])
    }

    /// RFC 9051 §4.3 / RFC 7888 §5: non-synchronizing literals over 4096
    /// octets are refused under LITERAL-, accepted under LITERAL+.
    @Test(arguments: [1, 4096])
    func nonSynchronizingLiteralLimit(_ chunk: Int) {
        let data = String(repeating: "z", count: 5000)
        let input = bytes("A1 LOGIN {5000+}\r\n" + data + " x\r\nA2 NOOP\r\n")
        #expect(
            frames(input, chunk: chunk) == [
                .rejected(IMAPFramingError(tag: "A1", kind: .nonSynchronizingLiteralTooLarge(size: 5000, limit: 4096))),
                command("A2 NOOP"),
            ])
        let literalPlus = IMAPCommandFramer.Configuration(maxNonSynchronizingLiteralSize: nil)
        #expect(
            frames(input, chunk: chunk, configuration: literalPlus) == [
                command("A1 LOGIN {5000+}\r\n" + data + " x"), command("A2 NOOP"),
            ])
    }

    /// APPEND over max_message_size, synchronising: NO [TOOBIG] and the
    /// client never sends the message.
    @Test(arguments: chunkSizes)
    func appendTooBigSynchronizing(_ chunk: Int) {
        let output = frames(bytes("A1 APPEND INBOX {100}\r\nA2 NOOP\r\n"), chunk: chunk, configuration: .init(maxMessageSize: 10))
        let error = IMAPFramingError(tag: "A1", kind: .messageTooLarge(size: 100, limit: 10), status: .no, code: .tooBig)
        #expect(output == [.rejected(error), command("A2 NOOP")])
        #expect(encode(error.response) == "A1 NO [TOOBIG] message of 100 octets exceeds the limit of 10\r\n")
    }

    /// Non-synchronising: BAD [TOOBIG] (RFC 7888 §5) and the octets are skipped.
    @Test(arguments: chunkSizes)
    func appendTooBigNonSynchronizing(_ chunk: Int) {
        let input = "A1 APPEND INBOX {20+}\r\n" + String(repeating: "m", count: 20) + "\r\nA2 NOOP\r\n"
        let error = IMAPFramingError(tag: "A1", kind: .messageTooLarge(size: 20, limit: 10), status: .bad, code: .tooBig)
        #expect(frames(bytes(input), chunk: chunk, configuration: .init(maxMessageSize: 10)) == [.rejected(error), command("A2 NOOP")])
        #expect(encode(error.response) == "A1 BAD [TOOBIG] message of 20 octets exceeds the limit of 10\r\n")
    }

    @Test(arguments: [1, 4096])
    func appendNonSynchronizingOver4096GetsTOOBIG(_ chunk: Int) {
        let input = "A1 APPEND INBOX {5000+}\r\n" + String(repeating: "m", count: 5000) + "\r\nA2 NOOP\r\n"
        let error = IMAPFramingError(
            tag: "A1", kind: .nonSynchronizingLiteralTooLarge(size: 5000, limit: 4096), status: .bad, code: .tooBig)
        #expect(frames(bytes(input), chunk: chunk) == [.rejected(error), command("A2 NOOP")])
    }

    /// The APPEND message limit is max_message_size, not maxLiteralSize.
    @Test func appendMessagesMayExceedTheArgumentLiteralLimit() {
        let message = String(repeating: "m", count: 200)
        let output = frames(
            bytes("A1 APPEND INBOX {200}\r\n" + message + "\r\n"), chunk: 64,
            configuration: .init(maxLiteralSize: 10, maxCommandSize: 100, maxMessageSize: 1000))
        #expect(
            output == [
                .append(.start(tag: "A1", mailbox: .inbox)), begin(200), .continuationRequest, messageBytes(message),
                .append(.endMessage), .append(.finish),
            ])
    }

    @Test(arguments: chunkSizes)
    func commandTooLarge(_ chunk: Int) {
        let thirty = String(repeating: "c", count: 30)
        let input = "A1 LOGIN {30+}\r\n" + thirty + " {30+}\r\n" + thirty + "\r\nA2 NOOP\r\n"
        #expect(
            frames(bytes(input), chunk: chunk, configuration: .init(maxCommandSize: 50)) == [
                .rejected(IMAPFramingError(tag: "A1", kind: .commandTooLarge(limit: 50))), command("A2 NOOP"),
            ])
    }

    @Test func invalidLiteralLength() {
        #expect(
            frames(bytes("A1 LOGIN {99999999999999999999}\r\nA2 NOOP\r\n"), chunk: 4096) == [
                .rejected(IMAPFramingError(tag: "A1", kind: .invalidLiteralLength)), command("A2 NOOP"),
            ])
    }

    /// Under the limit everything passes through, at the limit exactly too.
    @Test func limitsAreInclusive() {
        let line = "A1 " + String(repeating: "x", count: 61)
        #expect(frames(bytes(line + "\r\n"), chunk: 1, configuration: .init(maxLineLength: 64)) == [command(line)])
        #expect(
            frames(bytes("A1 LOGIN {10}\r\n0123456789 x\r\n"), chunk: 1, configuration: .init(maxLiteralSize: 10)) == [
                .continuationRequest, command("A1 LOGIN {10}\r\n0123456789 x"),
            ])
    }
}
