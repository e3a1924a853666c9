// Structure tests: part numbers, byte ranges, delimiters, defects and the tree limits.
import Testing
@testable import MIME

@Suite struct StructureTests {
    let nested = b("""
    Content-Type: multipart/mixed; boundary=o\r
    \r
    pre\r
    --o\r
    Content-Type: text/plain\r
    \r
    one\r
    --o\r
    Content-Type: message/rfc822\r
    \r
    Subject: inner\r
    Content-Type: multipart/alternative; boundary=i\r
    \r
    --i\r
    \r
    a\r
    --i\r
    Content-Type: text/html\r
    \r
    <b>b</b>\r
    --i--\r
    --o--\r
    epi\r

    """)

    @Test func partNumbersAndRanges() throws {
        let tree = try MIMEPart(parsing: nested)
        #expect(tree.allParts.map(\.section) == ["", "1", "2", "2", "2.1", "2.2"])
        #expect(tree.allParts.map(\.isMessageRoot) == [true, false, false, true, false, false])
        let one = try #require(tree.part("1"))
        #expect(s(one.rawBody) == "one")
        #expect(s(nested[one.headerRange]) == "Content-Type: text/plain\r\n\r\n")
        let html = try #require(tree.part("2.2"))
        #expect(s(html.rawBody) == "<b>b</b>")
        #expect(html.contentType.mimeType == "text/html")
        #expect(tree.part("2.1")?.contentType.mimeType == "text/plain")
        if case .multipart(_, let preamble, let epilogue) = tree.body {
            #expect(s(nested[preamble]) == "pre")
            #expect(s(nested[epilogue]) == "epi\r\n")
        } else {
            Issue.record("root is not multipart")
        }
        #expect(tree.part("2")?.contentType.mimeType == "message/rfc822")
        #expect(tree.defects.isEmpty)
    }

    @Test func singlePartMessageBodyIsPartOne() throws {
        let tree = try MIMEPart(parsing: b("Subject: x\n\nbody\n"))
        #expect(tree.section == "1")
        #expect(tree.part("1")?.decodedText() == "body\n")
        #expect(tree.charset == "us-ascii")
    }

    @Test func missingBoundaries() throws {
        let noParam = try MIMEPart(parsing: b("Content-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n"))
        #expect(noParam.children.isEmpty && noParam.defects == [.noBoundaryInMultipart(offset: 0)])
        let noStart = try MIMEPart(parsing: b("Content-Type: multipart/mixed; boundary=x\n\nno delimiter\n"))
        #expect(noStart.children.isEmpty && noStart.defects == [.startBoundaryNotFound(offset: 43)])
        let noClose = try MIMEPart(parsing: b("Content-Type: multipart/mixed; boundary=x\n\n--x\n\nlast\n"))
        #expect(noClose.children.count == 1 && s(noClose.children[0].rawBody) == "last")
        #expect(noClose.defects.count == 1)
    }

    @Test func adjacentDelimitersMakeNoPart() throws {
        let tree = try MIMEPart(parsing: b("Content-Type: multipart/mixed; boundary=x\n\n--x\n--x\n\none\n--x\n--x--\n"))
        #expect(tree.children.count == 1)
        #expect(s(tree.children[0].rawBody) == "one")
    }

    @Test func lenientUnquotedBoundaryWithEquals() throws {
        // RFC 2045 §5.1 wants "=" quoted; Outlook-style unquoted boundaries are accepted
        // (Python's email does not: a known, deliberate difference).
        let tree = try MIMEPart(parsing: b("Content-Type: multipart/mixed; boundary=----=_Part_1\n\n------=_Part_1\n\nx\n------=_Part_1--\n"))
        #expect(tree.children.count == 1)
    }

    @Test func digestDefaultsToMessage() throws {
        let tree = try MIMEPart(parsing: b("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: s\n\nm\n--d--\n"))
        #expect(tree.part("1")?.contentType.mimeType == "message/rfc822")
        #expect(tree.part("1.1")?.decodedText() == "m")
    }

    func nestedMessage(depth: Int) -> [UInt8] {
        var text = "Content-Type: text/plain\n\nbottom\n"
        for level in 0..<depth {
            text = "Content-Type: multipart/mixed; boundary=b\(level)\n\n--b\(level)\n" + text + "--b\(level)--\n"
        }
        return b(text)
    }

    @Test func nestingDepthLimit() throws {
        let limits = MIMELimits(maxNestingDepth: 5, maxParts: 100, maxHeaderFields: 100, maxHeaderFieldBytes: 1000)
        let within = try MIMEPart(parsing: nestedMessage(depth: 5), limits: limits)
        #expect(within.allParts.count == 6)
        #expect(within.allParts.allSatisfy { $0.defects.isEmpty })
        let beyond = try MIMEPart(parsing: nestedMessage(depth: 6), limits: limits)
        #expect(beyond.allParts.count == 6)
        #expect(beyond.allParts.last?.defects.contains { if case .nestingTooDeep = $0 { true } else { false } } == true)
        // The default limit survives very deep hostile input without exhausting the stack.
        let deep = try MIMEPart(parsing: nestedMessage(depth: 5000))
        #expect(deep.allParts.count == MIMELimits.default.maxNestingDepth + 1)
    }

    @Test func partCountLimit() throws {
        let limits = MIMELimits(maxNestingDepth: 5, maxParts: 10, maxHeaderFields: 100, maxHeaderFieldBytes: 1000)
        func message(_ parts: Int) -> [UInt8] {
            b("Content-Type: multipart/mixed; boundary=p\n\n" + String(repeating: "--p\n\nx\n", count: parts) + "--p--\n")
        }
        #expect(try MIMEPart(parsing: message(9), limits: limits).children.count == 9)
        let beyond = try MIMEPart(parsing: message(20), limits: limits)
        #expect(beyond.children.count == 9)
        #expect(beyond.defects.contains { if case .tooManyParts = $0 { true } else { false } })
    }

    @Test func messageRoundTripsAfterEditing() throws {
        var message = try Message(parsing: nested)
        #expect(message.serialized() == nested)
        message.header.removeAll(named: "content-type")
        message.header.append(name: "Content-Type", value: "multipart/mixed; boundary=o")
        let tree = try message.mimeTree()
        #expect(tree.allParts.count == 6)
    }
}

@Suite struct FieldTests {
    @Test func contentType() throws {
        let type = try #require(ContentType(parsing: b(#"Text/HTML (comment) ; Charset="UTF-8" ; format=flowed; name="a \"b\".txt""#)))
        #expect(type.mimeType == "text/html")
        #expect(type.charset == "UTF-8")
        #expect(type[parameter: "FORMAT"] == "flowed")
        #expect(type[parameter: "name"] == #"a "b".txt"#)
        #expect(ContentType(parsing: b("garbage")) == nil)
        #expect(ContentType(parsing: b("text/plain; charset=us-ascii (Plain text)"))?.charset == "us-ascii")
        let built = ContentType(type: "application", subtype: "pdf", parameters: [MIMEParameter(name: "name", value: "a b.pdf")])
        #expect(built.description == #"application/pdf; name="a b.pdf""#)
        #expect(ContentType(parsing: b(built.description)) == built)
    }

    @Test func rfc2231() throws {
        let d = try #require(ContentDisposition(parsing: b("attachment; filename*0*=iso-8859-1'fr'caf%E9; filename*1=\" au lait.txt\"")))
        #expect(d.filename == "café au lait.txt")
        #expect(d.isAttachment)
        // Sections out of order are put in order; an RFC 2231 value beats a plain one.
        let e = try #require(ContentDisposition(parsing: b("inline; filename=plain.txt; filename*1=b; filename*0=a")))
        #expect(e.filename == "ab")
        // Writing: non-ASCII values become RFC 2231, long ones continue.
        let long = String(repeating: "é", count: 40) + ".txt"
        let written = ContentDisposition(kind: "attachment", parameters: [MIMEParameter(name: "filename", value: long)]).description
        #expect(written.contains("filename*0*=utf-8''%C3%A9"))
        #expect(written.utf8.allSatisfy { $0 < 0x80 })
        #expect(ContentDisposition(parsing: b(written))?.filename == long)
    }

    @Test func addresses() {
        let list = AddressList(parsing: b(#"Mary Smith <mary@x.test>, jdoe@example.org, "Doe, John" <j@x>, Group: a@b, c@d;, <@route,@r2:boss@nil.test>, =?utf-8?q?J=C3=BCrgen?= <j@u>, broken"#))
        #expect(list.mailboxes.map(\.address) == ["mary@x.test", "jdoe@example.org", "j@x", "a@b", "c@d", "boss@nil.test", "j@u", "broken"])
        #expect(list.mailboxes.map { $0.displayName ?? "" } == ["Mary Smith", "", "Doe, John", "", "", "", "Jürgen", ""])
        if case .group(let g) = list.addresses[3] { #expect(g.displayName == "Group" && g.members.count == 2) } else { Issue.record("no group") }
        let formatted = list.description
        #expect(AddressList(parsing: b(formatted)) == list)
        #expect(Mailbox(displayName: "Zoë", localPart: "z", domain: "x.test").description == "=?utf-8?q?Zo=C3=AB?= <z@x.test>")
        #expect(Mailbox(displayName: "A. B", localPart: "a b", domain: "x").description == #""A. B" <"a b"@x>"#)
        #expect(Mailbox("\"q\" <q@x>")?.displayName == "q")
    }

    @Test func dates() throws {
        let d = try #require(MIMEDate(parsing: b("Tue, 1 Jul 2003 10:52:37 +0200")))
        #expect(d.description == "Tue, 1 Jul 2003 10:52:37 +0200")
        #expect(d.date.timeIntervalSince1970 == 1_057_049_557)
        #expect(MIMEDate(parsing: b("21 Nov 97 09:55:06 GMT"))?.year == 1997)
        #expect(MIMEDate(parsing: b("21 Nov 03 09:55 EST"))?.description == "Fri, 21 Nov 2003 09:55:00 -0500")
        #expect(MIMEDate(parsing: b("Thu,\n 13 Feb 1969 23:32 -0330 (Newfoundland Time)"))?.zoneOffsetMinutes == -210)
        #expect(MIMEDate(parsing: b("1 Jan 103 00:00:00 -0000"))?.year == 2003)
        #expect(MIMEDate(parsing: b("1 Jan 2003 00:00:00 -0000"))?.isZoneKnown == false)
        #expect(MIMEDate(parsing: b("not a date")) == nil)
        #expect(MIMEDate(parsing: b("32 Jan 2003 00:00")) == nil)
        let now = MIMEDate(Date(timeIntervalSince1970: 951_782_400), zoneOffsetMinutes: 60)  // leap day 2000
        #expect(now.description == "Tue, 29 Feb 2000 01:00:00 +0100")
        #expect(MIMEDate(parsing: b(now.description))?.date == now.date)
    }

    @Test func charsets() {
        #expect(Charset.decode([0xE9], charset: "ISO_8859-1:1987") == "é")
        #expect(Charset.decode([0x80], charset: "cp1252") == "€")
        #expect(Charset.decode([0xA4], charset: "latin9") == "€")
        #expect(Charset.decode([0xC4, 0xE3, 0xBA, 0xC3], charset: "gb2312") == "你好")
        #expect(Charset.decode([0x82, 0xA0], charset: "shift_jis") == "あ")
        #expect(Charset.decode([0x41], charset: "x-unknown") == nil)
        for n in [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16] { #expect(Charset.isSupported("iso-8859-\(n)")) }
    }
}

import Foundation
