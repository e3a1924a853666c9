// The friendly form of `chappe send`: the message built from a body, the
// recipients and files, then prepared as any other local submission.
import Foundation
import MIME
import Testing

@testable import SMTP

@Suite("Composed message (chappe send --to)")
struct ComposedMessageTests {
    @Test("To and Cc in the header, Bcc only in the envelope; From added by the submission")
    func recipientsAndHeader() throws {
        var composed = ComposedMessage(body: "Hello\nsecond line\n")
        composed.to = ["bob@example.test"]
        composed.cc = ["Carol <carol@example.test>"]
        composed.bcc = ["eve@example.test"]
        composed.subject = "Caf\u{E9}"
        let (message, recipients) = try composed.build(hostname: "mx.example.test")
        #expect(recipients == ["bob@example.test", "carol@example.test", "eve@example.test"])
        let text = String(decoding: message, as: UTF8.self)
        #expect(text.contains("To: bob@example.test\r\n"))
        #expect(text.contains("Cc: Carol <carol@example.test>\r\n"))
        #expect(!text.contains("eve@"))
        #expect(text.contains("Subject: =?utf-8?"))
        #expect(text.contains("Content-Type: text/plain; charset=us-ascii\r\n"))
        #expect(text.hasSuffix("\r\n\r\nHello\r\nsecond line\r\n"))
        var submission = LocalSubmission(user: "alice", domain: "example.test", hostname: "mx.example.test")
        submission.recipients = recipients
        let prepared = try submission.prepare(message, now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(String(decoding: prepared.message, as: UTF8.self).contains("\r\nFrom: alice@example.test\r\n"))
        #expect(prepared.envelope.recipients.count == 3)
    }

    @Test("attachments make multipart/mixed with each file's type; a message file stays unencoded")
    func attachments() throws {
        var composed = ComposedMessage(body: "see attached")
        composed.to = ["bob@example.test"]
        let pdf: [UInt8] = [0x25, 0x50, 0x44, 0x46, 0x00, 0xFF, 0x0A]
        let mail = Array("Subject: inner\r\n\r\nforwarded\r\n".utf8)
        composed.attachments = [.init(filename: "a.pdf", data: pdf), .init(filename: "fw.eml", data: mail)]
        let (message, _) = try composed.build(hostname: "mx.example.test")
        let parsed = try MIMEPart(parsing: message)
        #expect(parsed.contentType.type == "multipart" && parsed.contentType.subtype == "mixed")
        let text = String(decoding: message, as: UTF8.self)
        #expect(text.contains("Content-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n"))
        #expect(text.contains(Data(pdf).base64EncodedString()))
        #expect(text.contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nSubject: inner\r\n"))
    }

    @Test("a bad address and no recipient are refused with what to fix", arguments: [["not an address"], []])
    func refusals(to: [String]) {
        var composed = ComposedMessage(body: "x")
        composed.to = to
        #expect(throws: (to.isEmpty ? ComposedMessage.Failure.noRecipients : .badAddress("not an address"))) {
            try composed.build(hostname: "mx.example.test")
        }
    }

    @Test("types by extension", arguments: [("a.PDF", "application/pdf"), ("b.txt", "text/plain"), ("c", "application/octet-stream"), ("d.jpeg", "image/jpeg")])
    func types(name: String, type: String) {
        let found = ComposedMessage.contentType(forFileNamed: name)
        #expect("\(found.type)/\(found.subtype)" == type)
    }
}
