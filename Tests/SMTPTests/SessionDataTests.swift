// DATA and BDAT through the session and the twin spool: what is queued
// (byte for byte, with the Received field first), what is refused and
// never queued (smuggling, size, loop guard), streaming to the spool, and
// spool failures.
import Foundation
import NIOCore
import Testing
import Transport

@testable import SMTP

/// Opens a session and a transaction from an outsider to alice.
private func openTransaction(
    _ spool: MemorySpool, configuration: SMTPConfiguration = SessionHarness.configuration(),
    chunkSize: Int = FrameDecoder.defaultChunkSize, extraRecipients: [String] = []
) async -> SessionHarness {
    var harness = SessionHarness(spool: spool, configuration: configuration, chunkSize: chunkSize)
    await harness.connect()
    await harness.send("EHLO client.example\r\nMAIL FROM:<carol@remote.example>\r\nRCPT TO:<alice@example.test>\r\n")
    for recipient in extraRecipients {
        await harness.send("RCPT TO:<\(recipient)>\r\n")
    }
    _ = harness.take()
    return harness
}

private func message(receivedFields: Int, bodyLines: [String] = ["hello"]) -> String {
    var text = ""
    for index in 0..<receivedFields {
        text += "Received: from hop\(index).example by hop\(index + 1).example; Tue, 14 Nov 2023 10:00:00 +0000\r\n"
    }
    text += "Subject: loop\r\n\r\n"
    for line in bodyLines { text += line + "\r\n" }
    return text
}

@Suite("SMTP DATA and BDAT")
struct SessionDataTests {
    @Test func queuesTheMessageByteForByteAfterTheReceivedField() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("DATA\r\n")
        #expect(harness.take() == "354 end data with <CR><LF>.<CR><LF>\r\n")
        await harness.send("Subject: hi\r\n\r\n..leading dot\r\n.\r\n")
        #expect(harness.take() == "250 2.0.0 OK queued as Q1\r\n")
        let stored = spool.committed
        #expect(stored.count == 1)
        #expect(stored.first?.bodyText == "Subject: hi\r\n\r\n.leading dot\r\n")
        #expect(
            stored.first?.header
                == "Received: from client.example (unknown [192.0.2.7])\r\n\tby mx.example.test (Chappe) with ESMTP id Q1\r\n\tfor <alice@example.test>; Tue, 14 Nov 2023 23:13:20 +0100\r\n"
        )
        #expect(stored.first?.envelope.receivedAt == Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func bareLineFeedInDataIsRefusedAndNothingIsQueued() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("DATA\r\n")
        _ = harness.take()
        // A smuggled second message behind "\n.\n" (the 2023 attacks).
        await harness.send("Subject: one\r\n\r\nhi\n.\nMAIL FROM:<evil@remote.example>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nevil\r\n")
        #expect(harness.take() == "", "\\n.\\n must not end the data")
        await harness.send(".\r\n")
        #expect(harness.take().hasPrefix("554 5.6.0 "))
        #expect(spool.committed.isEmpty)
        #expect(spool.aborted.count == 1)
        // The session is in step: the next command is a command.
        #expect(await harness.command("MAIL FROM:<carol@remote.example>").hasPrefix("250 2.1.0"))
    }

    @Test func normaliseOptionTurnsBareLineEndingsIntoCRLFWithoutEndingTheData() async {
        let spool = MemorySpool()
        let configuration = SessionHarness.configuration { $0.dataLineEndings = .normalize }
        var harness = await openTransaction(spool, configuration: configuration)
        await harness.send("DATA\r\n")
        _ = harness.take()
        await harness.send("Subject: two\r\n\r\nhi\n.\nstill data\r\n.\r\n")
        #expect(harness.take() == "250 2.0.0 OK queued as Q1\r\n")
        #expect(spool.committed.first?.bodyText == "Subject: two\r\n\r\nhi\r\n.\r\nstill data\r\n")
    }

    @Test func dataOverTheSizeLimitIsRefusedAtTheEnd() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("DATA\r\n")
        _ = harness.take()
        let line = String(repeating: "x", count: 98) + "\r\n"
        await harness.send(String(repeating: line, count: 101))
        #expect(harness.take() == "")
        await harness.send(".\r\n")
        #expect(harness.take() == "552 5.3.4 message exceeds the fixed maximum of 10000 octets\r\n")
        #expect(spool.committed.isEmpty)
        #expect(spool.aborted.count == 1)
    }

    @Test func dataOfExactlyTheLimitIsAccepted() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("DATA\r\n")
        _ = harness.take()
        let line = String(repeating: "x", count: 98) + "\r\n"
        await harness.send(String(repeating: line, count: 100) + ".\r\n")
        #expect(harness.take() == "250 2.0.0 OK queued as Q1\r\n")
        #expect(spool.committed.first?.body.count == 10_000)
    }

    @Test(arguments: [1, 16, 1024, 4096])
    func loopGuardCountsReceivedFieldsAcrossChunks(chunkSize: Int) async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool, chunkSize: max(chunkSize, 2))
        await harness.send("DATA\r\n")
        _ = harness.take()
        await harness.send(message(receivedFields: 51) + ".\r\n")
        #expect(harness.take() == "554 5.4.6 too many Received fields (more than 50): mail loop\r\n")
        #expect(spool.committed.isEmpty)

        await harness.send("MAIL FROM:<carol@remote.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
        _ = harness.take()
        // 50 fields, and Received lines in the body do not count.
        let body = Array(repeating: "Received: in the body", count: 10)
        await harness.send(message(receivedFields: 50, bodyLines: body) + ".\r\n")
        #expect(harness.take().hasPrefix("250 2.0.0 OK queued"))
    }

    @Test func loopGuardWhenDripFed() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("DATA\r\n")
        _ = harness.take()
        await harness.drip(message(receivedFields: 51) + ".\r\n")
        #expect(harness.take().hasPrefix("554 5.4.6 "))
    }

    @Test func dsnParametersAreKeptInTheEnvelope() async {
        let spool = MemorySpool()
        var harness = SessionHarness(spool: spool)
        await harness.connect()
        await harness.send(
            "EHLO client.example\r\nMAIL FROM:<> RET=HDRS ENVID=abc+2B1 BODY=8BITMIME SIZE=42\r\n"
                + "RCPT TO:<alice@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Alice+40example.test\r\n"
                + "RCPT TO:<bob@example.test> NOTIFY=NEVER\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
        _ = harness.take()
        await harness.send("Subject: x\r\n\r\n.\r\n")
        #expect(harness.take() == "250 2.0.0 OK queued as Q1\r\n")
        guard let envelope = spool.committed.first?.envelope else {
            Issue.record("nothing queued")
            return
        }
        #expect(envelope.reversePath == .null)
        #expect(envelope.ret == .headers)
        #expect(envelope.envelopeID == "abc+1")
        #expect(envelope.body == .eightBitMIME)
        #expect(envelope.declaredSize == 42)
        #expect(envelope.clientHelo == "client.example")
        #expect(envelope.clientAddress == "192.0.2.7")
        #expect(envelope.listener == "smtp")
        #expect(!envelope.isSubmission)
        #expect(envelope.recipients.map(\.address.description) == ["alice@example.test", "bob@example.test"])
        #expect(envelope.recipients[0].notify == .on([.success, .delay]))
        #expect(envelope.recipients[0].originalRecipient == OriginalRecipient(addressType: "rfc822", address: "Alice@example.test"))
        #expect(envelope.recipients[1].notify == .never)
        #expect(envelope.recipients[1].originalRecipient == nil)
        // Two recipients: no FOR clause (RFC 5321 §4.4).
        #expect(spool.committed.first?.header.contains("for <") == false)
    }

    @Test func envelopeRoundTripsThroughJSON() throws {
        let envelope = Envelope(
            reversePath: .mailbox(try SMTPMailbox("carol@remote.example")),
            recipients: [
                EnvelopeRecipient(
                    address: try SMTPMailbox("josé@example.test"), notify: .on([.failure, .delay]),
                    originalRecipient: OriginalRecipient(addressType: "utf-8", address: "josé@example.test")),
                EnvelopeRecipient(address: try SMTPMailbox("bob@example.test"), notify: .never),
            ],
            envelopeID: "id 1", ret: .full, body: .eightBitMIME, smtpUTF8: true, declaredSize: 10,
            authenticatedUser: "bob", clientAddress: "::1", clientHelo: "[IPv6:::1]", listener: "submission",
            isSubmission: true, receivedAt: Date(timeIntervalSince1970: 1_700_000_000))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(envelope)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"notify\":\"FAILURE,DELAY\""))
        #expect(text.contains("\"reversePath\":\"carol@remote.example\""))
        #expect(try JSONDecoder().decode(Envelope.self, from: data) == envelope)
        var bounce = envelope
        bounce.reversePath = .null
        #expect(try JSONDecoder().decode(Envelope.self, from: encoder.encode(bounce)).reversePath == .null)
        let corrupt = Data(text.replacingOccurrences(of: "bob@example.test", with: "bob@@example").utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Envelope.self, from: corrupt) }
    }

    // MARK: - BDAT

    @Test func bdatOverTheLimitFailsTheTransactionUntilRSET() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("BDAT 6000\r\n" + String(repeating: "a", count: 6000))
        #expect(harness.take() == "250 2.0.0 6000 octets received\r\n")
        await harness.send("BDAT 6000\r\n" + String(repeating: "b", count: 6000))
        #expect(harness.take() == "552 5.3.4 message exceeds the fixed maximum of 10000 octets\r\n")
        #expect(spool.aborted.count == 1)
        // RFC 3030 §2: later chunks in the pipeline are read and dropped.
        await harness.send("BDAT 3 LAST\r\nabcNOOP\r\n")
        #expect(harness.take() == "503 5.5.1 the transaction failed; send RSET\r\n250 2.0.0 OK\r\n")
        #expect(await harness.command("RSET") == "250 2.0.0 OK\r\n")
        #expect(spool.committed.isEmpty)
    }

    @Test func bdatLoopGuardAndBinaryChunks() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        let text = message(receivedFields: 51)
        await harness.send("BDAT \(text.utf8.count) LAST\r\n" + text)
        #expect(harness.take().hasPrefix("554 5.4.6 "))
        await harness.send("RSET\r\nMAIL FROM:<carol@remote.example>\r\nRCPT TO:<alice@example.test>\r\n")
        _ = harness.take()
        // BDAT carries any octets, bare LF included; the end is by count.
        let binary = "Subject: b\n\nline\n.\nQUIT\r\n"
        await harness.send("BDAT \(binary.utf8.count) LAST\r\n" + binary)
        #expect(harness.take() == "250 2.0.0 OK queued as Q2\r\n")
        #expect(spool.committed.first?.bodyText == binary)
        #expect(!harness.closed)
    }

    @Test func rsetInTheMiddleOfChunksAbortsTheEntry() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("BDAT 5\r\nhello")
        _ = harness.take()
        #expect(await harness.command("RSET") == "250 2.0.0 OK\r\n")
        #expect(spool.aborted.map(\.rawValue) == ["Q1"])
        #expect(await harness.command("RCPT TO:<alice@example.test>").hasPrefix("503"))
    }

    // MARK: - Streaming and spool failures

    @Test func largeMessagesGoToTheSpoolInPieces() async {
        let spool = MemorySpool()
        let configuration = SessionHarness.configuration { $0.spoolChunkSize = 1024 }
        var harness = await openTransaction(spool, configuration: configuration, chunkSize: 512)
        await harness.send("DATA\r\n")
        _ = harness.take()
        let body = (0..<90).map { "line \($0) " + String(repeating: "z", count: 90) + "\r\n" }.joined()
        await harness.send("Subject: big\r\n\r\n" + body + ".\r\n")
        #expect(harness.take() == "250 2.0.0 OK queued as Q1\r\n")
        #expect(spool.appendCount > 5)
        #expect(spool.committed.first?.bodyText == "Subject: big\r\n\r\n" + body)
    }

    @Test func spoolThatCannotBeginGets451() async {
        let spool = MemorySpool(failures: .init(begin: true))
        var harness = await openTransaction(spool)
        #expect(await harness.command("DATA") == "451 4.3.0 local error in processing, try again later\r\n")
        await harness.send("BDAT 4 LAST\r\nabcd")
        #expect(harness.take() == "451 4.3.0 local error in processing, try again later\r\n")
        #expect(await harness.command("NOOP") == "250 2.0.0 OK\r\n")
    }

    @Test func spoolThatCannotCommitGets451AndNoQueueEntry() async {
        let spool = MemorySpool(failures: .init(commit: true))
        var harness = await openTransaction(spool)
        await harness.send("DATA\r\n")
        _ = harness.take()
        await harness.send("Subject: x\r\n\r\n.\r\n")
        #expect(harness.take() == "451 4.3.0 local error in processing, try again later\r\n")
        #expect(spool.committed.isEmpty)
        // The transaction is over; a new one can start.
        #expect(await harness.command("MAIL FROM:<carol@remote.example>").hasPrefix("250"))
    }

    @Test func spoolThatFailsMidwayIsAnsweredAtTheEnd() async {
        let spool = MemorySpool(failures: .init(append: true))
        let configuration = SessionHarness.configuration { $0.spoolChunkSize = 100 }
        var harness = await openTransaction(spool, configuration: configuration)
        await harness.send("DATA\r\n")
        _ = harness.take()
        await harness.send(String(repeating: "y", count: 300) + "\r\nmore\r\n")
        #expect(harness.take() == "")
        await harness.send(".\r\n")
        #expect(harness.take() == "451 4.3.0 local error in processing, try again later\r\n")
        #expect(spool.aborted.count == 1)
    }

    // MARK: - Timeouts

    /// RFC 5321 §4.5.3.2: 5 minutes for commands, 3 for each data block.
    @Test func readTimeoutsFollowTheState() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        #expect(harness.timeouts == [.minutes(5)])
        await harness.send("DATA\r\n")
        #expect(harness.timeouts.last == .minutes(3))
        await harness.send(".\r\n")
        #expect(harness.timeouts.last == .minutes(5))
        await harness.send("MAIL FROM:<carol@remote.example>\r\nRCPT TO:<alice@example.test>\r\nBDAT 2\r\n")
        #expect(harness.timeouts.last == .minutes(3))
        await harness.send("ab")
        #expect(harness.timeouts.last == .minutes(5))
    }

    @Test func idleTimeoutInTheMiddleOfChunksAbortsAndCloses() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("BDAT 2\r\nab")
        _ = harness.take()
        await harness.timeOut()
        #expect(harness.take() == "421 4.4.2 idle timeout, closing connection\r\n")
        #expect(harness.closed)
        #expect(spool.aborted.count == 1)
    }

    @Test func timeoutDuringDataAbortsTheEntry() async {
        let spool = MemorySpool()
        var harness = await openTransaction(spool)
        await harness.send("DATA\r\nSubject: half\r\n")
        _ = harness.take()
        await harness.timeOut()
        #expect(harness.take() == "421 4.4.2 idle timeout, closing connection\r\n")
        #expect(spool.aborted.count == 1)
        #expect(spool.committed.isEmpty)
    }
}
