// The parsed data in the index: envelope, body structure with byte ranges, header fields
// for SEARCH, and FTS5 over decoded text (quoted-printable, base64, encoded words, HTML).

import Foundation
import Testing
@testable import MailStore

@Suite struct SearchAndStructureTests {
    let sandbox: StoreSandbox

    init() throws { sandbox = try StoreSandbox() }

    static let multipart: [UInt8] = Array("""
        From: =?utf-8?q?J=C3=B6rg?= <jorg@example.test>\r
        Sender: list@example.test\r
        To: team: alice@example.test, "Carol C." <carol@example.test>;, dave@example.test\r
        Cc: erin@example.test\r
        Subject: =?utf-8?b?R3LDvMOfZQ==?= from the build\r
        Date: Wed, 2 Jul 2025 08:00:00 +0000\r
        Message-ID: <multi@example.test>\r
        In-Reply-To: <parent@example.test>\r
        MIME-Version: 1.0\r
        Content-Type: multipart/mixed; boundary="XYZ"\r
        \r
        preamble\r
        --XYZ\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: quoted-printable\r
        \r
        Caf=C3=A9 au lait and the pipeline report.\r
        --XYZ\r
        Content-Type: text/html; charset=utf-8\r
        \r
        <html><style>.x{}</style><body><p>Second <b>zebra</b> part</p></body></html>\r
        --XYZ\r
        Content-Type: message/rfc822\r
        \r
        From: inner@example.test\r
        Subject: Inner\r
        \r
        inner body text\r
        --XYZ\r
        Content-Type: application/octet-stream; name="blob.bin"\r
        Content-Disposition: attachment; filename="blob.bin"\r
        Content-Transfer-Encoding: base64\r
        \r
        AAECAwQ=\r
        --XYZ--\r

        """.utf8)

    @Test func envelopeAndBodyStructureAreStored() async throws {
        let store = try await sandbox.open()
        _ = try await store.deliver(.bytes(Self.multipart), deliveryID: "m")
        let details = try #require(try await store.messageDetails(in: "INBOX").first)
        let envelope = details.envelope
        #expect(envelope.subject == "=?utf-8?b?R3LDvMOfZQ==?= from the build")
        #expect(envelope.date == "Wed, 2 Jul 2025 08:00:00 +0000")
        #expect(envelope.messageID == "<multi@example.test>")
        #expect(envelope.inReplyTo == "<parent@example.test>")
        #expect(envelope.from == [StoredAddress(name: "Jörg", mailbox: "jorg", host: "example.test")])
        #expect(envelope.sender == [StoredAddress(name: nil, mailbox: "list", host: "example.test")])
        #expect(envelope.replyTo == envelope.from)
        // A group: start marker, members, end marker (RFC 9051 §7.5.2).
        #expect(envelope.to == [
            StoredAddress(name: nil, mailbox: "team", host: nil),
            StoredAddress(name: nil, mailbox: "alice", host: "example.test"),
            StoredAddress(name: "Carol C.", mailbox: "carol", host: "example.test"),
            StoredAddress(name: nil, mailbox: nil, host: nil),
            StoredAddress(name: nil, mailbox: "dave", host: "example.test"),
        ])
        #expect(envelope.bcc.isEmpty)

        let root = details.bodyStructure
        #expect(root.type == "multipart" && root.subtype == "mixed")
        #expect(root.parameters.contains(StoredParameter(name: "boundary", value: "XYZ")))
        #expect(root.parts.map(\.section) == ["1", "2", "3", "4"])
        let text = root.parts[0]
        #expect(text.encoding == "quoted-printable")
        #expect(text.lines == 1)
        let file = try await store.readMessage(in: "INBOX", uid: 1)
        #expect(Array(file[text.bodyOffset..<text.bodyEnd]) == Array("Caf=C3=A9 au lait and the pipeline report.".utf8))
        #expect(text.size == text.bodyEnd - text.bodyOffset)
        let message = root.parts[2]
        #expect(message.type == "message" && message.subtype == "rfc822")
        #expect(message.envelope?.subject == "Inner")
        #expect(message.parts.first?.section == "3.1")
        let attachment = root.parts[3]
        #expect(attachment.disposition == "attachment")
        #expect(attachment.dispositionParameters == [StoredParameter(name: "filename", value: "blob.bin")])
        #expect(details.headerSize == (Self.multipart.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? 0))
    }

    @Test func fullTextSearchFindsDecodedText() async throws {
        let store = try await sandbox.open()
        _ = try await store.deliver(.bytes(Self.multipart), deliveryID: "m")
        _ = try await store.deliver(.bytes(sampleMessage(2, body: "nothing to see")), deliveryID: "p")
        // Quoted-printable decoded, case ignored, substrings match (IMAP SEARCH semantics).
        #expect(try await store.search(in: "INBOX", text: "CAFÉ AU", scope: .body) == [1])
        #expect(try await store.search(in: "INBOX", text: "ipelin", scope: .body) == [1])
        // HTML text without tags or styles.
        #expect(try await store.search(in: "INBOX", text: "second zebra", scope: .body) == [])
        #expect(try await store.search(in: "INBOX", text: "zebra", scope: .body) == [1])
        #expect(try await store.search(in: "INBOX", text: ".x{}", scope: .body) == [])
        // Header text is in TEXT, not in BODY; encoded words are decoded.
        #expect(try await store.search(in: "INBOX", text: "Grüße", scope: .text) == [1])
        #expect(try await store.search(in: "INBOX", text: "Grüße", scope: .body) == [])
        // Short strings and quotes.
        #expect(try await store.search(in: "INBOX", text: "to", scope: .body) == [2])
        #expect(try await store.search(in: "INBOX", text: "\"quoted\"", scope: .text) == [])
        #expect(try await store.search(in: "INBOX", text: "", scope: .text) == [1, 2])
        // Expunged messages leave the index.
        _ = try await store.expunge(in: "INBOX", uids: [1], onlyDeleted: false)
        #expect(try await store.search(in: "INBOX", text: "zebra", scope: .body) == [])
    }

    @Test func headerSearchUsesDecodedFields() async throws {
        let store = try await sandbox.open()
        _ = try await store.deliver(.bytes(Self.multipart), deliveryID: "m")
        _ = try await store.deliver(.bytes(sampleMessage(2)), deliveryID: "p")
        #expect(try await store.search(in: "INBOX", header: .from, contains: "JÖRG".lowercased()) == [1])
        #expect(try await store.search(in: "INBOX", header: .from, contains: "BOB@") == [2])
        #expect(try await store.search(in: "INBOX", header: .to, contains: "carol") == [1])
        #expect(try await store.search(in: "INBOX", header: .cc, contains: "erin") == [1])
        #expect(try await store.search(in: "INBOX", header: .subject, contains: "grüße") == [1])
        #expect(try await store.search(in: "INBOX", header: .messageID, contains: "msg-2@") == [2])
        #expect(try await store.search(in: "INBOX", header: .inReplyTo, contains: "parent") == [1])
        let dates = try await store.sentDates(in: "INBOX")
        #expect(dates[1] == Date(timeIntervalSince1970: 1_751_443_200))
    }

    @Test func unparsableMessagesAreStillStored() async throws {
        let store = try await sandbox.open()
        // No header/body separator, a binary tail: stored and served byte for byte.
        let odd: [UInt8] = Array("garbage without header\n".utf8) + [0, 255, 13, 10]
        let result = try await store.deliver(.bytes(odd), deliveryID: "odd")
        #expect(try await store.readMessage(in: "INBOX", uid: result.uid) == odd)
        #expect(try await store.messageDetails(in: "INBOX").count == 1)
    }
}
