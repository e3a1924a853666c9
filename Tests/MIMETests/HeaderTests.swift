// Header tests: field splitting, folding, lookup, byte identity, limits, and the lexer.
import Testing
@testable import MIME

@Suite struct HeaderTests {
    @Test func fieldsFoldingAndLookup() throws {
        let text = "Subject:   hello  world  \r\n  folded\r\nX-A: 1\r\nx-a: 2\r\nFrom : obs@example.test\r\n\r\nbody"
        let message = try Message(parsing: b(text))
        #expect(message.header.count == 4)
        #expect(message.header["SUBJECT"]?.value == "hello  world    folded")
        #expect(message.header.all("X-a").map(\.value) == ["1", "2"])
        #expect(message.header["from"]?.name == "From")
        #expect(s(message.body) == "body")
        #expect(message.serialized() == b(text))
        #expect(message.defects.isEmpty)
    }

    @Test func bareLFAndMissingFinalLineEnding() throws {
        let text = "A: 1\nB: 2\n continued\n\nline\nlast"
        let message = try Message(parsing: b(text))
        #expect(message.header["b"]?.value == "2 continued")
        #expect(message.separator == [0x0A])
        #expect(s(message.body) == "line\nlast")
        #expect(message.serialized() == b(text))
        let headerOnly = try Message(parsing: b("A: 1"))
        #expect(headerOnly.header["a"]?.value == "1" && headerOnly.body.isEmpty)
        #expect(headerOnly.serialized() == b("A: 1"))
    }

    @Test func linesWithoutColonStartTheBody() throws {
        let text = "From sender@example.test Mon Jan  1 00:00:00 2024\nA: 1\nnot a header\nB: 2\n\nx"
        let message = try Message(parsing: b(text))
        #expect(message.header.first?.isMalformed == true)  // the mbox envelope line is kept
        #expect(message.header["a"]?.value == "1")
        #expect(message.header["b"] == nil)
        #expect(s(message.body) == "not a header\nB: 2\n\nx")
        #expect(message.defects.contains(.missingHeaderBodySeparator(offset: 55)))
        #expect(message.serialized() == b(text))
    }

    @Test func eightBitHeadersAreKept() throws {
        let bytes: [UInt8] = b("Subject: ") + [0xC3, 0xA9, 0x74, 0xC3, 0xA9] + b("\r\nX: ") + [0xE9] + b("\r\n\r\n")
        let message = try Message(parsing: bytes)
        #expect(message.header["subject"]?.value == "été")
        #expect(message.header["x"]?.value == "é")  // not UTF-8: read as Latin-1
        #expect(message.serialized() == bytes)
    }

    @Test func editedHeaderSerialises() throws {
        var message = try Message(parsing: b("A: 1\r\n\r\nbody\r\n"))
        message.header.insert(HeaderField(name: "Received", value: "from x by y; Tue, 1 Jul 2003 10:52:37 +0200"), at: 0)
        #expect(s(message.serialized()) == "Received: from x by y; Tue, 1 Jul 2003 10:52:37 +0200\r\nA: 1\r\n\r\nbody\r\n")
    }

    @Test func longValuesFold() {
        let words = (0..<40).map { "word\($0)" }.joined(separator: " ")
        let field = HeaderField(name: "Subject", value: words)
        let lines = s(field.raw).components(separatedBy: "\r\n").dropLast()
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(field.value == words)
    }

    @Test func headerCountLimit() {
        let limits = MIMELimits(maxNestingDepth: 5, maxParts: 10, maxHeaderFields: 3, maxHeaderFieldBytes: 100)
        #expect(throws: MIMEError.tooManyHeaderFields(limit: 3)) {
            try Message(parsing: b("A: 1\nB: 2\nC: 3\nD: 4\n\n"), limits: limits)
        }
        #expect(throws: Never.self) { try Message(parsing: b("A: 1\nB: 2\nC: 3\n\n"), limits: limits) }
    }

    @Test func headerSizeLimit() {
        let limits = MIMELimits(maxNestingDepth: 5, maxParts: 10, maxHeaderFields: 3, maxHeaderFieldBytes: 40)
        let long = "A: " + String(repeating: "x ", count: 10) + "\n" + String(repeating: " y\n", count: 10) + "\n"
        #expect(throws: MIMEError.headerFieldTooLong(offset: 0, limit: 40)) { try Message(parsing: b(long), limits: limits) }
        #expect(throws: Never.self) { try Message(parsing: b("A: short\n\n"), limits: limits) }
    }

    @Test func lexer() {
        let tokens = Lexer.tokens(b(#"a.b "q\"x" (c (nested)) <[1.2.3.4]>"#), mode: .rfc5322, keepComments: true)
        #expect(tokens.map(\.kind) == [.atom, .quoted, .comment, .special, .domainLiteral, .special])
        #expect(s(tokens[1].bytes) == "q\"x")
        #expect(s(tokens[2].bytes) == "c (nested)")
        #expect(Lexer.tokens(b("text/plain"), mode: .mime).count == 3)
    }
}

@Suite struct EncodedWordTests {
    @Test func decodes() {
        #expect(EncodedWord.decodeUnstructured(b("=?utf-8?q?caf=C3=A9?= =?utf-8?q?_ok?=  tail ")) == "café ok  tail ")
        #expect(EncodedWord.decodeUnstructured(b("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=")) == "If you can read this yo")
        #expect(EncodedWord.decodeUnstructured(b("a =?iso-8859-1?q?=E9?= b")) == "a é b")
        #expect(EncodedWord.decodeUnstructured(b("=?windows-1252?q?=80?=")) == "€")
        #expect(EncodedWord.decodeUnstructured(b("=?iso-8859-15?q?=A4?=")) == "€")
        #expect(EncodedWord.decodeUnstructured(b("=?utf-8*en?q?hi?=")) == "hi")  // RFC 2231 §5 language
        // A character split over two words survives.
        #expect(EncodedWord.decodeUnstructured(b("=?utf-8?q?=C3?= =?utf-8?q?=A9?=")) == "é")
        // Unknown charsets and malformed words are kept as written.
        #expect(EncodedWord.decodeUnstructured(b("=?x-unknown?q?abc?= x")) == "=?x-unknown?q?abc?= x")
        #expect(EncodedWord.decodeUnstructured(b("=?utf-8?x?abc?=")) == "=?utf-8?x?abc?=")
        #expect(EncodedWord.decodeUnstructured(b("=?utf-8?q?a b?=")) == "=?utf-8?q?a b?=")
        // Blanks between an encoded word and text stay; between two words they go.
        #expect(EncodedWord.decodeUnstructured(b("=?utf-8?q?a?=  =?utf-8?q?b?= c")) == "ab c")
    }

    @Test func encodesRoundTrip() {
        for text in ["plain ascii", "café au lait", "日本語のテキストがとても長い場合には複数の単語に分割されなければならない", "mixed Grüße and more words here", String(repeating: "é", count: 100)] {
            let encoded = EncodedWord.encodeUnstructured(text)
            #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
            for word in encoded.split(separator: " ") where word.hasPrefix("=?") {
                #expect(word.utf8.count <= EncodedWord.maxLength)
            }
            #expect(EncodedWord.decodeUnstructured(Array(encoded.utf8)) == text)
            let phrase = EncodedWord.encode(text, context: .phrase)
            #expect(EncodedWord.decodeUnstructured(Array(phrase.utf8)) == text)
        }
        #expect(EncodedWord.encodeUnstructured("hello") == "hello")
    }
}
