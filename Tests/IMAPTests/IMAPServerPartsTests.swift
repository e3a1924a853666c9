// The pure pieces of the IMAP server: LIST pattern matching, body section
// location in a multipart message, header field selection, and CRLF line
// endings fed in pieces.
import MailStore
import Testing

@testable import IMAP

@Suite("IMAP server parts")
struct IMAPServerPartsTests {
    @Test(arguments: [
        ("INBOX", "*", true), ("INBOX", "inbox", true), ("INBOX.Sub", "InBoX.%", true), ("Lists.swift", "%", false),
        ("Lists.swift", "Lists.%", true), ("Lists.swift.nio", "Lists.%", false), ("Lists.swift.nio", "L*o", true),
        ("Sent", "S%t", true), ("Sent", "s*", false),
    ])
    func listPatterns(name: String, pattern: String, matches: Bool) {
        #expect(IMAPMailboxListing.matches(name, pattern: pattern) == matches)
    }

    static let multipart = """
        Subject: parts\r
        Content-Type: multipart/mixed; boundary="b"\r
        \r
        preamble\r
        --b\r
        Content-Type: text/plain\r
        \r
        first part\r
        --b\r
        Content-Type: message/rfc822\r
        \r
        Subject: inner\r
        From: x@example.test\r
        \r
        inner body\r
        --b--\r

        """

    @Test func sectionsOfAMultipartMessage() throws {
        let bytes = Array(Self.multipart.utf8)
        let root = MessageStructure.analyze(bytes).bodyStructure
        func text(_ section: IMAPSection) -> String? {
            IMAPMessageParts.locate(section, root: root, size: bytes.count).map { location in
                var data = Array(bytes[location.range])
                if let fields = location.fields {
                    data = IMAPMessageParts.headerFields(data, names: fields.names, excluded: fields.excluded)
                }
                return String(decoding: data, as: UTF8.self)
            }
        }
        #expect(text(IMAPSection(part: [1])) == "first part")
        #expect(text(IMAPSection(part: [1], text: .mime)) == "Content-Type: text/plain\r\n\r\n")
        #expect(text(IMAPSection(part: [2], text: .header)) == "Subject: inner\r\nFrom: x@example.test\r\n\r\n")
        #expect(text(IMAPSection(part: [2], text: .text)) == "inner body")
        #expect(text(IMAPSection(part: [2, 1])) == "inner body")
        #expect(text(IMAPSection(part: [3])) == nil)
        #expect(text(IMAPSection(part: [1], text: .header)) == nil, "HEADER after a number needs a MESSAGE/RFC822 part")
        #expect(text(IMAPSection(text: .headerFieldsNot(["content-type"]))) == "Subject: parts\r\n\r\n")
        let structure = IMAPMessageParts.structure(root, extensible: true)
        guard case .multipart(let multipart) = structure, case .singlepart(let inner) = multipart.parts[1],
            case .message(let envelope, _, _) = inner.kind
        else {
            Issue.record("unexpected structure \(structure)")
            return
        }
        #expect(multipart.subtype == "mixed" && envelope.subject == "inner")
    }

    @Test func headerFieldsKeepContinuationLines() {
        let header = Array("Subject: a\r\n long\r\nX-Other: b\r\nTo: c\r\n\r\n".utf8)
        let picked = IMAPMessageParts.headerFields(header, names: ["subject", "to"], excluded: false)
        #expect(String(decoding: picked, as: UTF8.self) == "Subject: a\r\n long\r\nTo: c\r\n\r\n")
    }

    @Test(arguments: [1, 2, 3, 7])
    func crlfNormalizerAcrossPieces(piece: Int) {
        let input = Array("a\nb\r\nc\rd\r".utf8)
        var normalizer = CRLFNormalizer()
        var out: [UInt8] = []
        var index = 0
        while index < input.count {
            out += normalizer.normalize(input[index..<min(index + piece, input.count)])
            index += piece
        }
        out += normalizer.finish()
        #expect(String(decoding: out, as: UTF8.self) == "a\r\nb\r\nc\r\nd\r\n")
    }
}
