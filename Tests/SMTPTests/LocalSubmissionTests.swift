// `chappe send`'s message preparation: -t with Bcc removal, added fields,
// sendmail's "." rule and -i, default and null senders, line endings.
import Foundation
import Testing

@testable import SMTP

@Suite("Local submission (chappe send)")
struct LocalSubmissionTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func submission(_ configure: (inout LocalSubmission) -> Void = { _ in }) -> LocalSubmission {
        var submission = LocalSubmission(user: "root", domain: "example.test", hostname: "mx.example.test")
        configure(&submission)
        return submission
    }

    func text(_ prepared: LocalSubmission.Prepared) -> String { String(decoding: prepared.message, as: UTF8.self) }

    @Test("-t takes To, Cc and Bcc (folded, grouped), removes Bcc, and adds nothing that is there")
    func extractRecipients() throws {
        let input = "From: Me <me@example.test>\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <x@y>\n"
            + "To: Bob <bob@example.test>,\n  carol@example.test\nCc: team: dave@remote.test;\nBcc: eve@example.test,\n"
            + "\tfrank@example.test\nSubject: s\n\nbody\n"
        let prepared = try submission { $0.extractRecipients = true }.prepare(Array(input.utf8), now: now)
        #expect(prepared.envelope.recipients.map(\.address.description) == [
            "bob@example.test", "carol@example.test", "dave@remote.test", "eve@example.test", "frank@example.test",
        ])
        #expect(text(prepared) == "From: Me <me@example.test>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <x@y>\r\n"
            + "To: Bob <bob@example.test>,\r\n  carol@example.test\r\nCc: team: dave@remote.test;\r\nSubject: s\r\n\r\nbody\r\n")
        #expect(prepared.envelope.reversePath.description == "<root@example.test>")
        #expect(prepared.envelope.isSubmission)
    }

    @Test("missing From, Date and Message-ID are added; an unqualified recipient gets the local domain")
    func addedFields() throws {
        let prepared = try submission { $0.recipients = ["bob"]; $0.sender = "cron" }
            .prepare(Array("Subject: s\n\nbody\n".utf8), now: now)
        #expect(prepared.envelope.recipients.map(\.address.description) == ["bob@example.test"])
        #expect(prepared.envelope.reversePath.description == "<cron@example.test>")
        let message = text(prepared)
        #expect(message.hasPrefix("Subject: s\r\nFrom: cron@example.test\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <"))
        #expect(message.contains("@mx.example.test>\r\n\r\nbody\r\n"))
    }

    @Test("a lone \".\" ends the message unless -i")
    func dots() throws {
        let input = Array("Subject: s\n\none\n.\ntwo\n".utf8)
        let ended = try submission { $0.recipients = ["bob@example.test"] }.prepare(input, now: now)
        #expect(text(ended).hasSuffix("\r\n\r\none\r\n"))
        let kept = try submission { $0.recipients = ["bob@example.test"]; $0.ignoreDots = true }.prepare(input, now: now)
        #expect(text(kept).hasSuffix("\r\n\r\none\r\n.\r\ntwo\r\n"))
    }

    @Test("-f <> is the null sender; no recipients, bad addresses and empty input are refused")
    func failures() throws {
        let prepared = try submission { $0.recipients = ["bob@example.test"]; $0.sender = "<>" }
            .prepare(Array("Subject: s\n\nx\n".utf8), now: now)
        #expect(prepared.envelope.reversePath == .null)
        #expect(throws: LocalSubmission.Failure.noRecipients) {
            try submission().prepare(Array("Subject: s\n\nx\n".utf8), now: now)
        }
        #expect(throws: LocalSubmission.Failure.emptyMessage) {
            try submission { $0.recipients = ["bob@example.test"] }.prepare([], now: now)
        }
        #expect(throws: (any Error).self) {
            try submission { $0.recipients = ["bad address@@x"] }.prepare(Array("Subject: s\n\nx\n".utf8), now: now)
        }
    }

    @Test("an 8-bit message is queued as 8BITMIME")
    func eightBit() throws {
        let prepared = try submission { $0.recipients = ["bob@example.test"] }
            .prepare(Array("Subject: caf\u{E9}\n\nx\n".utf8), now: now)
        #expect(prepared.envelope.body == .eightBitMIME)
    }
}
