// The client's reading of server responses: fixtures from RFC 9051 §7 and
// what Dovecot and our server send, with literals spliced in, and the
// malformed cases the client must reject without crashing.
import Testing

@testable import IMAP

@Suite("IMAP server responses (client side)")
struct IMAPServerResponseTests {
    func parse(_ line: String, _ literals: [String] = []) throws -> IMAPServerResponse {
        try IMAPServerResponse.parse(line: Array(line.utf8), literals: literals.map { Array($0.utf8) })
    }

    @Test func greetingWithCapabilityCode() throws {
        let response = try parse("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.")
        #expect(response.kind == .untagged && response.status == "OK")
        #expect(response.code == [.atom("CAPABILITY"), .atom("IMAP4rev1"), .atom("STARTTLS"), .atom("AUTH=PLAIN")])
        #expect(response.statusText == "Dovecot ready.")
    }

    @Test func taggedStatusAndContinuation() throws {
        let done = try parse("C7 NO [TRYCREATE] Mailbox doesn't exist: Foo")
        #expect(done.kind == .tagged("C7") && done.status == "NO" && done.statusText == "Mailbox doesn't exist: Foo")
        let more = try parse("+ ")
        #expect(more.kind == .continuation && more.values.isEmpty)
    }

    @Test func selectData() throws {
        #expect(try parse("* 172 EXISTS").numbered! == (172, "EXISTS"))
        let validity = try parse("* OK [UIDVALIDITY 3857529045] UIDs valid")
        #expect(validity.code == [.atom("UIDVALIDITY"), .number(3_857_529_045)])
        let flags = try parse("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        #expect(flags.values[1] == .list([.atom("\\Answered"), .atom("\\Flagged"), .atom("\\Deleted"), .atom("\\Seen"), .atom("\\Draft")]))
    }

    @Test func fetchWithALiteralBody() throws {
        let body = "Subject: hi\r\n\r\nline (with parens) and \"quotes\"\r\n"
        let response = try parse("* 12 FETCH (UID 4827313 RFC822.SIZE 44 BODY[] {\(body.utf8.count)})", [body])
        #expect(response.numbered! == (12, "FETCH"))
        #expect(response.fetchAttribute("UID") == .number(4_827_313))
        #expect(response.fetchAttribute("BODY[]") == .string(Array(body.utf8)))
        let header = try parse("* 1 FETCH (BODY[HEADER.FIELDS (TO FROM)] {4} UID 9)", ["To:\r\n"])
        #expect(header.fetchAttribute("BODY[HEADER.FIELDS (TO FROM)]") == .string(Array("To:\r\n".utf8)))
        #expect(header.fetchAttribute("UID") == .number(9))
    }

    @Test func listWithQuotedAndLiteralNames() throws {
        let quoted = try parse("* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"")
        #expect(quoted.values[3] == .string(Array("Sent Items".utf8)))
        let literal = try parse("* LIST () \".\" {5}", ["a\"b c"])
        #expect(literal.values[3].text == "a\"b c")
        let nilDelimiter = try parse("* LIST (\\Noselect) NIL \"\"")
        #expect(nilDelimiter.values[2] == .nilValue)
    }

    @Test func escapesInQuotedStrings() throws {
        let response = try parse("* 1 FETCH (ENVELOPE (\"a \\\"b\\\" \\\\c\" NIL))")
        guard case .list(let envelope)? = response.fetchAttribute("ENVELOPE") else {
            Issue.record("no ENVELOPE")
            return
        }
        #expect(envelope[0] == .string(Array("a \"b\" \\c".utf8)))
    }

    @Test(arguments: [
        "* 1 FETCH (UID 2", "* 1 FETCH (BODY[] {5})", "* 1 FETCH (X \"unterminated", "* 1 FETCH ) stray", "",
    ])
    func malformedResponsesAreRefused(_ line: String) {
        #expect(throws: IMAPServerResponse.Malformed.self) { try parse(line) }
    }

    @Test func nestingIsBounded() {
        let deep = "* X " + String(repeating: "(", count: 100) + String(repeating: ")", count: 100)
        #expect(throws: IMAPServerResponse.Malformed.self) { try parse(deep) }
    }

    @Test func literalSizesAtTheEndOfALine() {
        #expect(IMAPClient.literalSize(endingLine: "* 1 FETCH (BODY[] {123}") == 123)
        #expect(IMAPClient.literalSize(endingLine: "* LIST () \".\" {5+}") == 5)
        #expect(IMAPClient.literalSize(endingLine: "* OK done {x}") == nil)
        #expect(IMAPClient.literalSize(endingLine: "* OK {99999999999999999}") == nil)
    }

    /// Random bytes never crash the reader.
    @Test func boundedFuzz() {
        var generator = SplitMix(seed: 0x1A2B)
        let alphabet = Array("* ()[]{}\"\\ABC123 \r~+<>.".utf8)
        for _ in 0..<5000 {
            let length = Int(generator.next() % 60)
            let line = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            _ = try? IMAPServerResponse.parse(line: line, literals: [[0x41]])
        }
    }
}

/// A small seeded generator for the fuzz test.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
