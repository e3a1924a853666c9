// Builder and 7-bit downgrade tests: structure, encodings, boundaries, and Python's reading
// of what we build.
import Foundation
import Testing
@testable import MIME

@Suite struct BuildTests {
    func sample(_ seed: UInt64) -> (MessageBuilder, [UInt8]) {
        var rng = SeededGenerator(seed: seed)
        let binary = rng.bytes(3000)
        var builder = MessageBuilder(from: Mailbox(displayName: "Jürgen Müller", localPart: "j", domain: "example.test"), subject: "Grüße — a subject that is long enough to need more than one encoded word, really")
        builder.to = [.mailbox(Mailbox(displayName: "Doe, John", localPart: "john", domain: "example.test")), .group(Group(displayName: "Team", members: []))]
        builder.date = Date(timeIntervalSince1970: 1_057_049_557)
        builder.messageID = "fixed@example.test"
        builder.body = .mixed([
            .alternative([.text("Hello, world.\nFrom the start of a line.\n.\nCafé ☕\n"), .text("<p>Hello</p>", subtype: "html")]),
            .attachment(binary, type: ContentType(type: "application", subtype: "octet-stream"), filename: "données €.bin"),
            .content(b("plain ascii\n"), type: ContentType(type: "text", subtype: "plain"), filename: "notes.txt", disposition: "inline"),
            .message(b("From: x@example.test\nSubject: inner é\n\nInner body ü\n")),
        ])
        return (builder, binary)
    }

    @Test func buildsWhatItWasAsked() throws {
        let (builder, binary) = sample(1)
        var rng = SeededGenerator(seed: 9)
        let bytes = builder.build(using: &rng)
        #expect(SevenBitDowngrade.isSevenBit(bytes))
        #expect(!s(bytes).contains("\n\n") || s(bytes).contains("\r\n\r\n"))
        let message = try Message(parsing: bytes)
        #expect(message.header["subject"]?.decodedValue == builder.subject)
        #expect(message.header["message-id"]?.value == "<fixed@example.test>")
        #expect(message.header["date"]?.value == MIMEDate(Date(timeIntervalSince1970: 1_057_049_557), zoneOffsetMinutes: TimeZone.current.secondsFromGMT() / 60).description)
        let from = AddressList(parsing: message.header["from"]?.unfoldedValue ?? []).mailboxes
        #expect(from == [Mailbox(displayName: "Jürgen Müller", localPart: "j", domain: "example.test")])
        let to = AddressList(parsing: message.header["to"]?.unfoldedValue ?? [])
        #expect(to.addresses.count == 2)
        let tree = try message.mimeTree()
        #expect(tree.contentType.mimeType == "multipart/mixed")
        #expect(tree.part("1")?.contentType.mimeType == "multipart/alternative")
        #expect(tree.part("1.1")?.decodedText() == "Hello, world.\r\nFrom the start of a line.\r\n.\r\nCafé ☕\r\n")
        #expect(tree.part("1.1")?.transferEncoding == "quoted-printable")
        #expect(tree.part("1.2")?.transferEncoding == "7bit")
        #expect(tree.part("2")?.decodedBody() == binary)
        #expect(tree.part("2")?.filename == "données €.bin")
        #expect(tree.part("2")?.isAttachment == true)
        #expect(tree.part("3")?.isAttachment == false)
        #expect(tree.part("4")?.contentType.mimeType == "message/rfc822")
        #expect(tree.part("4.1")?.decodedText() == "Inner body ü\r\n")
        // Every line is short, none starts with "From ".
        for line in s(bytes).components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78 || !line.contains(" "))
            #expect(!line.hasPrefix("From "))
        }
    }

    @Test func boundariesAvoidTheContent() {
        // A generator that always draws the same token forces a clash, then moves on.
        var builder = MessageBuilder()
        var probe = SeededGenerator(seed: 3)
        let token = MessageBuilder.randomToken(&probe, length: 24)
        builder.body = .mixed([.text("--=_chappe_" + token + "\n")])
        var rng = SeededGenerator(seed: 3)
        let bytes = builder.build(using: &rng)
        let tree = try? MIMEPart(parsing: bytes)
        #expect(tree?.children.count == 1)
        #expect(tree?.contentType.boundary != "=_chappe_" + token)
    }

    @Test func eightBitAllowed() throws {
        var builder = MessageBuilder(body: .text("Grüße\n"))
        builder.allows8bit = true
        let tree = try MIMEPart(parsing: builder.build())
        #expect(tree.transferEncoding == "8bit")
        #expect(tree.decodedText() == "Grüße\r\n")
    }

    /// A report: parameters on the multipart, message/* fields left in 7bit
    /// (RFC 6522 §3, RFC 3464 §2.1).
    @Test func multipartParametersAndSevenBitMessageFields() throws {
        var builder = MessageBuilder(subject: "report")
        builder.body = .multipart(
            "report",
            [.text("see below"), .content(Array("Reporting-MTA: dns; mx.example.test\r\n".utf8), type: ContentType(type: "message", subtype: "delivery-status"))],
            parameters: [MIMEParameter(name: "report-type", value: "delivery-status")])
        let bytes = builder.build()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("Content-Type: multipart/report; report-type=delivery-status;"))
        #expect(text.contains("Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: 7bit\r\n\r\nReporting-MTA: dns; mx.example.test\r\n"))
        let parsed = try MIMEPart(parsing: bytes)
        #expect(parsed.contentType[parameter: "report-type"] == "delivery-status")
        #expect(parsed.part("2")?.decodedText() == "Reporting-MTA: dns; mx.example.test\r\n")
    }

    @Test func pythonReadsWhatWeBuild() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mime-build-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var ours: [ReferenceMessage] = []
        for seed in 1...5 {
            let (builder, _) = sample(UInt64(seed))
            var rng = SeededGenerator(seed: UInt64(seed))
            let bytes = builder.build(using: &rng)
            let name = "built-\(seed).eml"
            try Data(bytes).write(to: directory.appendingPathComponent(name))
            ours.append(try describe(bytes, file: name))
            let downgraded = try SevenBitDowngrade.downgrade(bytes)
            #expect(downgraded == bytes)  // already 7-bit
        }
        let python = try referenceOutput(directory: directory)
        #expect(python.map(\.parts.description) == ours.map(\.parts.description))
        #expect(python.map(\.roots) == ours.map(\.roots))
    }
}

@Suite struct DowngradeTests {
    @Test func rewritesEightBitPartsOnly() throws {
        let original = b("""
        From: Zoë <zoe@example.test>\r
        Subject: Grüße\r
        MIME-Version: 1.0\r
        Content-Type: multipart/mixed; boundary="b"\r
        \r
        --b\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        Grüße aus Köln, eine schöne Stadt am Rhein\r
        --b\r
        Content-Type: text/plain\r
        \r
        untouched ascii\r
        --b\r
        Content-Type: application/octet-stream; name="résumé.bin"\r
        Content-Transfer-Encoding: binary\r
        \r
        \u{00FF}\u{00FE}\r
        --b\r
        Content-Type: message/rfc822\r
        Content-Transfer-Encoding: 8bit\r
        \r
        Subject: inner ü\r
        \r
        inner ü\r
        --b--\r

        """)
        let down = try SevenBitDowngrade.downgrade(original)
        #expect(SevenBitDowngrade.isSevenBit(down))
        let before = try MIMEPart(parsing: original)
        let after = try MIMEPart(parsing: down)
        #expect(after.allParts.count == before.allParts.count)
        for (a, b) in zip(after.allParts, before.allParts) {
            #expect(a.section == b.section)
            #expect(a.contentType.mimeType == b.contentType.mimeType)
            if case .single = a.body { #expect(a.decodedBody() == b.decodedBody(), "part \(a.section)") }
        }
        let message = try Message(parsing: down)
        #expect(message.header["subject"]?.decodedValue == "Grüße")
        #expect(AddressList(parsing: message.header["from"]?.unfoldedValue ?? []).mailboxes.first?.displayName == "Zoë")
        #expect(after.part("1")?.transferEncoding == "quoted-printable")
        #expect(after.part("3")?.transferEncoding == "base64")
        #expect(after.part("3")?.filename == "résumé.bin")
        #expect(after.part("4")?.transferEncoding == "7bit")
        #expect(after.part("4.1")?.decodedText() == "inner ü")
        // The untouched part keeps its bytes.
        #expect(s(down).contains("Content-Type: text/plain\r\n\r\nuntouched ascii\r\n"))
    }
}
