// Reply encoding (one encoder, multi-line, enhanced codes on every line —
// RFC 2034 §4), the streaming reply parser, and encode→parse round trips.
import NIOCore
import Testing

@testable import SMTP

@Suite("SMTP replies")
struct ReplyTests {
    @Test func encodesSingleLine() {
        #expect(SMTPReply(250, .undefined, "OK").wire == "250 2.0.0 OK\r\n")
        #expect(SMTPReply(550, .badMailbox, "no such user").wire == "550 5.1.1 no such user\r\n")
        #expect(SMTPReply(452, .tooManyRecipients, "too many recipients").wire == "452 4.5.3 too many recipients\r\n")
        #expect(SMTPReply(354, nil, "go ahead").wire == "354 go ahead\r\n")
        #expect(SMTPReply(334, nil, "").wire == "334 \r\n")
        #expect(SMTPReply(538, .encryptionRequired, "x").enhancedCode == "5.7.11")
    }

    @Test func encodesMultiLineWithTheCodeOnEveryLine() {
        let reply = SMTPReply(214, .helpOK, ["one", "two", "three"])
        #expect(reply.wire == "214-2.0.0 one\r\n214-2.0.0 two\r\n214 2.0.0 three\r\n")
        let ehlo = SMTPReply(250, nil, ["mx greets you", "PIPELINING", "HELP"])
        #expect(ehlo.wire == "250-mx greets you\r\n250-PIPELINING\r\n250 HELP\r\n")
        #expect(ehlo.description == "250-mx greets you\r\n250-PIPELINING\r\n250 HELP")
    }

    @Test func neutralisesControlCharacters() {
        let reply = SMTPReply(501, .syntaxError, "bad\r\n250 injected")
        #expect(reply.wire == "501 5.5.2 bad  250 injected\r\n")
        #expect(SMTPReply.quoted("a\"b\r\n") == "\"a\\\"b??\"")
        #expect(SMTPReply.quoted(String(repeating: "x", count: 100)).count == 64 + 5)
    }

    @Test func parsesReplies() throws {
        var parser = SMTPReplyParser()
        var buffer = ByteBuffer(string: "250-mx greets you\r\n250-SIZE 100\r\n250 HELP\r\n220 2.0.0 ready\r\n")
        let first = try parser.next(from: &buffer)
        #expect(first == SMTPReply(250, nil, ["mx greets you", "SIZE 100", "HELP"]))
        let second = try parser.next(from: &buffer)
        #expect(second == SMTPReply(220, .undefined, "ready"))
        #expect(try parser.next(from: &buffer) == nil)
    }

    @Test func incompleteReplyLeavesTheBufferAlone() throws {
        var parser = SMTPReplyParser()
        var buffer = ByteBuffer(string: "250-first\r\n250 sec")
        #expect(try parser.next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 18)
        buffer.writeString("ond\r\n")
        #expect(try parser.next(from: &buffer) == SMTPReply(250, nil, ["first", "second"]))
    }

    @Test func refusesMalformedReplies() {
        var parser = SMTPReplyParser()
        var bad = ByteBuffer(string: "hello\r\n")
        #expect(throws: SMTPReplyParseError.malformedLine("hello")) { try parser.next(from: &bad) }
        var changed = ByteBuffer(string: "250-a\r\n251 b\r\n")
        #expect(throws: SMTPReplyParseError.codeChanged(expected: 250, found: 251)) { try parser.next(from: &changed) }
        var small = SMTPReplyParser(maxReplyBytes: 16)
        var long = ByteBuffer(string: "250-" + String(repeating: "x", count: 40))
        #expect(throws: SMTPReplyParseError.tooLong(limit: 16)) { try small.next(from: &long) }
    }

    @Test(arguments: [
        SMTPReply(250, .undefined, "OK"),
        SMTPReply(550, .badMailbox, ["first line", "second line"]),
        SMTPReply(220, nil, "mx.example.test ESMTP Chappe"),
        SMTPReply(421, .badConnection, "idle timeout"),
        SMTPReply(214, .helpOK, SMTPCommandTable.helpReply().lines),
    ])
    func roundTrips(_ reply: SMTPReply) throws {
        var parser = SMTPReplyParser()
        var buffer = reply.encoded()
        #expect(try parser.next(from: &buffer) == reply)
        #expect(buffer.readableBytes == 0)
    }

    /// RFC 2034 §4: every 2xx/4xx/5xx reply but the greeting and EHLO/HELO
    /// carries an enhanced code whose class agrees with the reply code.
    @Test func catalogueRepliesCarryAgreeingEnhancedCodes() {
        let replies: [SMTPReply] = [
            .ok, .shuttingDown, .idleTimeout, .tooManyErrors, .lineTooLong, .bareLineEnding, .cannotVerify,
            .expnDisabled, .readyForTLS, .tlsNotAvailable, .tlsRequired, .authRequired, .encryptionRequired,
            .authSucceeded, .authInvalid, .authCancelled, .authBadBase64, .authLineTooLong, .authMechanism,
            .tooManyRecipients, .lookupFailed, .bareLineEndingInData, .spoolFailure, .messageTooBig(limit: 1),
            .mailLoop(limit: 1), .declaredTooBig(limit: 1), .nonASCIISender, .nonASCIIRecipient,
            SMTPCommandTable.sequenceReply(.mail, in: .initial), .refusal(.unknownCommand("X")),
            .refusal(.unknownParameter(.mail, "X")), .refusal(.invalidPath(.rcpt, "x")),
        ]
        for reply in replies {
            #expect(reply.enhancedCode?.hasPrefix("\(reply.code / 100).") == true, "\(reply)")
        }
        #expect(SMTPReply.greeting("mx").enhancedCode == nil)
        #expect(SMTPReply.startData.enhancedCode == nil)
    }

    @Test func sequenceRepliesComeFromTheTable() {
        #expect(SMTPCommandTable.sequenceReply(.mail, in: .initial).description == "503 5.5.1 send EHLO or HELO first")
        #expect(SMTPCommandTable.sequenceReply(.rcpt, in: .greeted).description == "503 5.5.1 need MAIL before RCPT")
        #expect(SMTPCommandTable.sequenceReply(.data, in: .mailGiven).description == "554 5.5.1 no valid recipients")
        #expect(SMTPCommandTable.sequenceReply(.mail, in: .recipientsGiven).description == "503 5.5.1 nested MAIL command")
        #expect(
            SMTPCommandTable.sequenceReply(.auth, in: .mailGiven).description
                == "503 5.5.1 AUTH is not allowed during a mail transaction")
        #expect(
            SMTPCommandTable.sequenceReply(.data, in: .chunking).description
                == "503 5.5.1 DATA cannot follow BDAT in the same transaction")
        #expect(SMTPCommandTable.sequenceReply(.bdat, in: .chunkingFailed).description == "503 5.5.1 the transaction failed; send RSET")
    }

    @Test func helpComesFromTheTable() {
        let help = SMTPCommandTable.helpReply()
        #expect(help.code == 214)
        for entry in SMTPCommandTable.entries {
            #expect(help.lines.contains { $0.contains(entry.verb.rawValue) })
        }
        #expect(SMTPCommandTable.helpReply(topic: "bdat").lines == ["BDAT size [LAST]", SMTPCommandTable.spec(.bdat).help])
        #expect(SMTPCommandTable.helpReply(topic: "nope").code == 504)
    }
}
