// The response encoder, byte for byte: status responses with every code,
// data responses, FETCH items, ENVELOPE and BODYSTRUCTURE against RFC 9051
// §7.5.2 and §8, streamed bodies, and the choice of string form.
import Testing

@testable import IMAP

struct ResponseFixture: Sendable, CustomTestStringConvertible {
    let response: IMAPResponse
    let wire: String

    init(_ response: IMAPResponse, _ wire: String) {
        self.response = response
        self.wire = wire
    }

    var testDescription: String { String(wire.prefix(60)) }
}

private func ok(_ code: IMAPResponseCode, _ text: String = "done") -> IMAPResponse {
    .tagged(IMAPTaggedResponse(tag: "A1", status: .ok, code: code, text))
}

let responseCodeFixtures: [ResponseFixture] = [
    ResponseFixture(ok(.alert), "A1 OK [ALERT] done"),
    ResponseFixture(ok(.badCharset([])), "A1 OK [BADCHARSET] done"),
    ResponseFixture(ok(.badCharset(["UTF-8", "US-ASCII"])), "A1 OK [BADCHARSET (UTF-8 US-ASCII)] done"),
    ResponseFixture(ok(.capability(["IMAP4rev2", "IMAP4rev1", "AUTH=PLAIN", "LITERAL-"])), "A1 OK [CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN LITERAL-] done"),
    ResponseFixture(ok(.parse), "A1 OK [PARSE] done"),
    ResponseFixture(ok(.permanentFlags([.deleted, .seen, .wildcard])), #"A1 OK [PERMANENTFLAGS (\Deleted \Seen \*)] done"#),
    ResponseFixture(ok(.readOnly), "A1 OK [READ-ONLY] done"),
    ResponseFixture(ok(.readWrite), "A1 OK [READ-WRITE] done"),
    ResponseFixture(ok(.tryCreate), "A1 OK [TRYCREATE] done"),
    ResponseFixture(ok(.uidNext(4392)), "A1 OK [UIDNEXT 4392] done"),
    ResponseFixture(ok(.uidValidity(3_857_529_045)), "A1 OK [UIDVALIDITY 3857529045] done"),
    ResponseFixture(ok(.unseen(12)), "A1 OK [UNSEEN 12] done"),
    ResponseFixture(ok(.appendUID(uidValidity: 38505, uids: .single(3955))), "A1 OK [APPENDUID 38505 3955] done"),
    ResponseFixture(
        ok(.copyUID(uidValidity: 38505, source: IMAPSequenceSet("304,319:320")!, destination: IMAPSequenceSet("3956:3958")!)),
        "A1 OK [COPYUID 38505 304,319:320 3956:3958] done"),
    ResponseFixture(ok(.uidNotSticky), "A1 OK [UIDNOTSTICKY] done"),
    ResponseFixture(ok(.highestModSeq(715_194_045_007)), "A1 OK [HIGHESTMODSEQ 715194045007] done"),
    ResponseFixture(ok(.noModSeq), "A1 OK [NOMODSEQ] done"),
    ResponseFixture(ok(.modified(IMAPSequenceSet("7,9")!)), "A1 OK [MODIFIED 7,9] done"),
    ResponseFixture(ok(.closed), "A1 OK [CLOSED] done"),
    ResponseFixture(ok(.alreadyExists), "A1 OK [ALREADYEXISTS] done"),
    ResponseFixture(ok(.nonExistent), "A1 OK [NONEXISTENT] done"),
    ResponseFixture(ok(.inUse), "A1 OK [INUSE] done"),
    ResponseFixture(ok(.cannot), "A1 OK [CANNOT] done"),
    ResponseFixture(ok(.limit), "A1 OK [LIMIT] done"),
    ResponseFixture(ok(.overQuota), "A1 OK [OVERQUOTA] done"),
    ResponseFixture(ok(.tooBig), "A1 OK [TOOBIG] done"),
    ResponseFixture(ok(.authenticationFailed), "A1 OK [AUTHENTICATIONFAILED] done"),
    ResponseFixture(ok(.authorizationFailed), "A1 OK [AUTHORIZATIONFAILED] done"),
    ResponseFixture(ok(.expired), "A1 OK [EXPIRED] done"),
    ResponseFixture(ok(.privacyRequired), "A1 OK [PRIVACYREQUIRED] done"),
    ResponseFixture(ok(.contactAdmin), "A1 OK [CONTACTADMIN] done"),
    ResponseFixture(ok(.noPerm), "A1 OK [NOPERM] done"),
    ResponseFixture(ok(.unavailable), "A1 OK [UNAVAILABLE] done"),
    ResponseFixture(ok(.expungeIssued), "A1 OK [EXPUNGEISSUED] done"),
    ResponseFixture(ok(.corruption), "A1 OK [CORRUPTION] done"),
    ResponseFixture(ok(.serverBug), "A1 OK [SERVERBUG] done"),
    ResponseFixture(ok(.clientBug), "A1 OK [CLIENTBUG] done"),
    ResponseFixture(ok(.notSaved), "A1 OK [NOTSAVED] done"),
    ResponseFixture(ok(.hasChildren), "A1 OK [HASCHILDREN] done"),
    ResponseFixture(ok(.unknownCTE), "A1 OK [UNKNOWN-CTE] done"),
    ResponseFixture(ok(.useAttr), "A1 OK [USEATTR] done"),
    ResponseFixture(ok(.other("X-FOO", nil)), "A1 OK [X-FOO] done"),
    ResponseFixture(ok(.other("X-FOO", "bar] baz")), "A1 OK [X-FOO bar baz] done"),
]

let statusFixtures: [ResponseFixture] = [
    ResponseFixture(.tagged(IMAPTaggedResponse(tag: "a002", status: .ok, code: .readWrite, "SELECT completed")),
        "a002 OK [READ-WRITE] SELECT completed"),
    ResponseFixture(.tagged(IMAPTaggedResponse(tag: "A1", status: .no, code: .tryCreate, "no such mailbox")),
        "A1 NO [TRYCREATE] no such mailbox"),
    ResponseFixture(.tagged(IMAPTaggedResponse(tag: "A1", status: .bad, "unknown command FROB")), "A1 BAD unknown command FROB"),
    ResponseFixture(.tagged(IMAPTaggedResponse(tag: "A1", status: .ok, "")), "A1 OK completed"),
    ResponseFixture(.tagged(IMAPTaggedResponse(tag: "A1", status: .no, code: .alert, "")), "A1 NO [ALERT] failed"),
    ResponseFixture(.untagged(.condition(.ok, IMAPResponseText(code: .uidValidity(3_857_529_045), text: "UIDs valid"))),
        "* OK [UIDVALIDITY 3857529045] UIDs valid"),
    ResponseFixture(.untagged(.condition(.no, IMAPResponseText(text: "disk is full"))), "* NO disk is full"),
    ResponseFixture(.untagged(.condition(.bad, IMAPResponseText(text: "line too long"))), "* BAD line too long"),
    ResponseFixture(.untagged(.condition(.preauth, IMAPResponseText(text: "welcome"))), "* PREAUTH welcome"),
    ResponseFixture(.untagged(.condition(.bye, IMAPResponseText(text: "IMAP4rev2 server terminating connection"))),
        "* BYE IMAP4rev2 server terminating connection"),
    ResponseFixture(
        .untagged(.condition(.ok, IMAPResponseText(code: .capability(["STARTTLS", "AUTH=SCRAM-SHA-256", "LOGINDISABLED", "IMAP4rev2"]),
            text: "IMAP4rev2 Service Ready"))),
        "* OK [CAPABILITY STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED IMAP4rev2] IMAP4rev2 Service Ready"),
    // Text cannot break the line, and is 7-bit outside UTF8=ACCEPT.
    ResponseFixture(.tagged(IMAPTaggedResponse(tag: "A1", status: .no, "bad\r\nA2 OK forged")), "A1 NO bad  A2 OK forged"),
    ResponseFixture(.tagged(IMAPTaggedResponse(tag: "A1", status: .no, "Entwürfe fehlt")), "A1 NO Entw?rfe fehlt"),
    ResponseFixture(.continuation("Ready for literal data"), "+ Ready for literal data"),
    ResponseFixture(.continuation("dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ=="),
        "+ dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ=="),
    ResponseFixture(.continuation(""), "+ "),
]

let dataFixtures: [ResponseFixture] = [
    ResponseFixture(.untagged(.capability(["IMAP4rev2", "IMAP4rev1", "LITERAL+", "AUTH=PLAIN"])),
        "* CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+ AUTH=PLAIN"),
    ResponseFixture(.untagged(.enabled(["CONDSTORE", "UTF8=ACCEPT"])), "* ENABLED CONDSTORE UTF8=ACCEPT"),
    ResponseFixture(.untagged(.enabled([])), "* ENABLED"),
    ResponseFixture(.untagged(.list(IMAPListResponse(attributes: [.hasNoChildren], delimiter: "/", name: .inbox))),
        #"* LIST (\HasNoChildren) "/" INBOX"#),
    ResponseFixture(.untagged(.list(IMAPListResponse(attributes: [.noSelect], delimiter: nil, name: "foo bar"))),
        #"* LIST (\Noselect) NIL "foo bar""#),
    ResponseFixture(.untagged(.list(IMAPListResponse(attributes: [], delimiter: "\\", name: "a\\b"))),
        #"* LIST () "\\" "a\\b""#),
    ResponseFixture(.untagged(.list(IMAPListResponse(attributes: [.hasNoChildren, .drafts], delimiter: ".", name: "Drafts"))),
        #"* LIST (\HasNoChildren \Drafts) "." Drafts"#),
    ResponseFixture(
        .untagged(.list(IMAPListResponse(attributes: [], delimiter: "/", name: "Foo", extended: [.childInfo(["SUBSCRIBED"])]))),
        #"* LIST () "/" Foo ("CHILDINFO" ("SUBSCRIBED"))"#),
    ResponseFixture(
        .untagged(.list(IMAPListResponse(attributes: [], delimiter: "/", name: .inbox, extended: [.oldName("inbox")]))),
        #"* LIST () "/" INBOX ("OLDNAME" ("inbox"))"#),
    ResponseFixture(.untagged(.lsub(IMAPListResponse(attributes: [], delimiter: "/", name: "#news.comp.mail.misc"))),
        #"* LSUB () "/" #news.comp.mail.misc"#),
    ResponseFixture(
        .untagged(.status("blurdybloop", [.messages(231), .uidNext(44292)])), "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)"),
    ResponseFixture(
        .untagged(
            .status(
                "My Box",
                [.messages(1), .uidNext(2), .uidValidity(3), .unseen(4), .deleted(5), .size(6_000_000_000), .recent(7),
                 .highestModSeq(8)])),
        #"* STATUS "My Box" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 3 UNSEEN 4 DELETED 5 SIZE 6000000000 RECENT 7 HIGHESTMODSEQ 8)"#),
    ResponseFixture(.untagged(.exists(23)), "* 23 EXISTS"),
    ResponseFixture(.untagged(.recent(5)), "* 5 RECENT"),
    ResponseFixture(.untagged(.expunge(44)), "* 44 EXPUNGE"),
    ResponseFixture(.untagged(.flags([.answered, .flagged, .deleted, .seen, .draft])),
        #"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)"#),
    ResponseFixture(.untagged(.search([2, 3, 6], modSeq: nil)), "* SEARCH 2 3 6"),
    ResponseFixture(.untagged(.search([], modSeq: nil)), "* SEARCH"),
    // RFC 7162 §3.1.5 example.
    ResponseFixture(.untagged(.search([2, 5, 6, 7, 11, 12, 18, 19, 20, 23], modSeq: 917_162_500)),
        "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)"),
    // RFC 4731 §3.1 examples.
    ResponseFixture(.untagged(.esearch(IMAPESearchResponse(tag: "A282", uid: false, min: 2, count: 3))),
        #"* ESEARCH (TAG "A282") MIN 2 COUNT 3"#),
    ResponseFixture(.untagged(.esearch(IMAPESearchResponse(tag: "A283", uid: false, all: IMAPSequenceSet("2,10:11")))),
        #"* ESEARCH (TAG "A283") ALL 2,10:11"#),
    ResponseFixture(.untagged(.esearch(IMAPESearchResponse(tag: "A285", uid: true, min: 7, max: 3800))),
        #"* ESEARCH (TAG "A285") UID MIN 7 MAX 3800"#),
    ResponseFixture(.untagged(.esearch(IMAPESearchResponse(tag: nil, uid: true, count: 0, modSeq: 1234))),
        "* ESEARCH UID COUNT 0 MODSEQ 1234"),
    ResponseFixture(.untagged(.namespace(IMAPNamespaceResponse(personal: [IMAPNamespaceDescription(prefix: "", delimiter: "/")]))),
        #"* NAMESPACE (("" "/")) NIL NIL"#),
    ResponseFixture(
        .untagged(
            .namespace(
                IMAPNamespaceResponse(
                    personal: [IMAPNamespaceDescription(prefix: "", delimiter: "/")],
                    otherUsers: [IMAPNamespaceDescription(prefix: "~", delimiter: "/")],
                    shared: [IMAPNamespaceDescription(prefix: "#shared/", delimiter: "/"),
                        IMAPNamespaceDescription(prefix: "#public/", delimiter: nil)]))),
        ##"* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/")("#public/" NIL))"##),
    ResponseFixture(.untagged(.id([IMAPIDParameter("name", "Chappe"), IMAPIDParameter("version", nil)])),
        #"* ID ("name" "Chappe" "version" NIL)"#),
    ResponseFixture(.untagged(.id(nil)), "* ID NIL"),
]

private let internalDate = IMAPDateTime(secondsSince1970: 837_596_665, zoneMinutes: -420)!

let fetchFixtures: [ResponseFixture] = [
    ResponseFixture(.untagged(.fetch(23, [.flags([.seen]), .rfc822Size(44827), .uid(447)])),
        #"* 23 FETCH (FLAGS (\Seen) RFC822.SIZE 44827 UID 447)"#),
    ResponseFixture(.untagged(.fetch(12, [.flags([.seen, .deleted])])), #"* 12 FETCH (FLAGS (\Seen \Deleted))"#),
    ResponseFixture(.untagged(.fetch(1, [.internalDate(internalDate)])), #"* 1 FETCH (INTERNALDATE "17-Jul-1996 02:44:25 -0700")"#),
    ResponseFixture(.untagged(.fetch(1, [.internalDate(IMAPDateTime(secondsSince1970: 760_686_745, zoneMinutes: -480)!)])),
        #"* 1 FETCH (INTERNALDATE " 7-Feb-1994 21:52:25 -0800")"#),
    ResponseFixture(.untagged(.fetch(1, [.uid(4), .modSeq(65402)])), "* 1 FETCH (UID 4 MODSEQ (65402))"),
    ResponseFixture(.untagged(.fetch(1, [.bodySection(.complete, origin: nil, data: bytes("Hi\r\n"))])),
        "* 1 FETCH (BODY[] {4}\r\nHi\r\n)"),
    ResponseFixture(.untagged(.fetch(1, [.bodySection(IMAPSection(part: [1, 2], text: .mime), origin: nil, data: nil)])),
        "* 1 FETCH (BODY[1.2.MIME] NIL)"),
    ResponseFixture(.untagged(.fetch(1, [.bodySection(IMAPSection(part: [3], text: .text), origin: 0, data: bytes("abc"))])),
        "* 1 FETCH (BODY[3.TEXT]<0> {3}\r\nabc)"),
    ResponseFixture(
        .untagged(.fetch(1, [.bodySection(IMAPSection(text: .headerFields(["DATE", "FROM"])), origin: nil, data: bytes("\r\n"))])),
        "* 1 FETCH (BODY[HEADER.FIELDS (DATE FROM)] {2}\r\n\r\n)"),
    ResponseFixture(
        .untagged(.fetch(1, [.bodySection(IMAPSection(text: .headerFieldsNot(["X-Spam"])), origin: nil, data: []), .uid(9)])),
        "* 1 FETCH (BODY[HEADER.FIELDS.NOT (X-Spam)] {0}\r\n UID 9)"),
    ResponseFixture(.untagged(.fetch(1, [.binary(part: [1], origin: nil, data: bytes("text"))])), "* 1 FETCH (BINARY[1] {4}\r\ntext)"),
    ResponseFixture(.untagged(.fetch(1, [.binary(part: [2], origin: 5, data: [0, 1, 2])])), "* 1 FETCH (BINARY[2]<5> ~{3}\r\n\0\u{01}\u{02})"),
    ResponseFixture(.untagged(.fetch(1, [.binary(part: [], origin: nil, data: nil)])), "* 1 FETCH (BINARY[] NIL)"),
    ResponseFixture(.untagged(.fetch(1, [.binarySize(part: [1, 1], size: 2279)])), "* 1 FETCH (BINARY.SIZE[1.1] 2279)"),
    ResponseFixture(.untagged(.fetch(1, [.rfc822(bytes("x")), .rfc822Header(bytes("h")), .rfc822Text(nil)])),
        "* 1 FETCH (RFC822 {1}\r\nx RFC822.HEADER {1}\r\nh RFC822.TEXT NIL)"),
]

@Suite("IMAP response encoder")
struct IMAPResponseEncoderTests {
    @Test(arguments: responseCodeFixtures + statusFixtures + dataFixtures + fetchFixtures)
    func encodes(_ fixture: ResponseFixture) {
        #expect(encode(fixture.response) == fixture.wire + "\r\n")
        #expect(fixture.response.description == fixture.wire)
    }

    // MARK: - ENVELOPE and BODYSTRUCTURE

    /// RFC 9051 §8 (and RFC 3501 §8): `a003 fetch 12 full`. The RFC breaks
    /// the line for the page; `1*address` has no separator between addresses.
    @Test func envelopeAndBodyOfTheRFCExample() {
        let gray = IMAPAddress(name: "Terry Gray", adl: nil, mailbox: "gray", host: "cac.washington.edu")
        let envelope = IMAPEnvelope(
            date: "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", subject: "IMAP4rev2 WG mtg summary and minutes",
            from: [gray], sender: [gray], replyTo: [gray],
            to: [IMAPAddress(name: nil, adl: nil, mailbox: "imap", host: "cac.washington.edu")],
            cc: [
                IMAPAddress(name: nil, adl: nil, mailbox: "minutes", host: "CNRI.Reston.VA.US"),
                IMAPAddress(name: "John Klensin", adl: nil, mailbox: "KLENSIN", host: "MIT.EDU"),
            ], bcc: [], inReplyTo: nil, messageID: "<B27397-0100000@cac.washington.ed>")
        let body = IMAPBodyStructure.singlepart(
            IMAPSinglePart(
                type: "TEXT", subtype: "PLAIN", parameters: [IMAPBodyParameter("CHARSET", "US-ASCII")], size: 3028,
                kind: .text(lines: 92)))
        let response = IMAPResponse.untagged(
            .fetch(12, [.flags([.seen]), .internalDate(internalDate), .rfc822Size(4286), .envelope(envelope), .body(body)]))
        let expected =
            #"* 12 FETCH (FLAGS (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("#
            + #""Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" "#
            + #"(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) "#
            + #"(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) "#
            + #"((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "#
            + #""<B27397-0100000@cac.washington.ed>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))"#
            + "\r\n"
        #expect(encode(response) == expected)
    }

    /// RFC 9051 §7.5.2: the two BODYSTRUCTURE examples.
    @Test func bodyStructureOfTheRFCExamples() {
        let plain = IMAPBodyStructure.singlepart(
            IMAPSinglePart(
                type: "TEXT", subtype: "PLAIN", parameters: [IMAPBodyParameter("CHARSET", "US-ASCII")], size: 2279,
                kind: .text(lines: 48)))
        #expect(
            encode(.untagged(.fetch(1, [.bodyStructure(plain)])))
                == #"* 1 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 2279 48))"# + "\r\n")
        let mixed = IMAPBodyStructure.multipart(
            IMAPMultipart(
                parts: [
                    .singlepart(
                        IMAPSinglePart(
                            type: "TEXT", subtype: "PLAIN", parameters: [IMAPBodyParameter("CHARSET", "US-ASCII")], size: 1152,
                            kind: .text(lines: 23))),
                    .singlepart(
                        IMAPSinglePart(
                            type: "TEXT", subtype: "PLAIN",
                            parameters: [IMAPBodyParameter("CHARSET", "US-ASCII"), IMAPBodyParameter("NAME", "cc.diff")],
                            contentID: "<960723163407.20117h@cac.washington.edu>", contentDescription: "Compiler diff",
                            encoding: "BASE64", size: 4554, kind: .text(lines: 73))),
                ], subtype: "MIXED"))
        #expect(
            encode(.untagged(.fetch(1, [.bodyStructure(mixed)])))
                == #"* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)"#
                + #"("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" "#
                + #""Compiler diff" "BASE64" 4554 73) "MIXED"))"# + "\r\n")
    }

    /// A nested multipart with a message/rfc822 part and extension data:
    /// BODYSTRUCTURE carries it, BODY leaves it out (RFC 9051 §7.5.2).
    @Test func nestedMultipartWithExtensionData() {
        let inner = IMAPEnvelope(
            date: nil, subject: "Fwd", from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [], inReplyTo: nil, messageID: nil)
        let tree = IMAPBodyStructure.multipart(
            IMAPMultipart(
                parts: [
                    .multipart(
                        IMAPMultipart(
                            parts: [
                                .singlepart(
                                    IMAPSinglePart(
                                        type: "TEXT", subtype: "PLAIN", parameters: [IMAPBodyParameter("CHARSET", "UTF-8")],
                                        encoding: "QUOTED-PRINTABLE", size: 10, kind: .text(lines: 1),
                                        extensionData: .init(md5: nil, disposition: nil, language: ["en"], location: nil))),
                                .singlepart(
                                    IMAPSinglePart(
                                        type: "TEXT", subtype: "HTML", size: 20, kind: .text(lines: 2),
                                        extensionData: .init(language: ["en", "de"], location: "http://example.test/a"))),
                            ], subtype: "ALTERNATIVE",
                            extensionData: .init(parameters: [IMAPBodyParameter("BOUNDARY", "b2")]))),
                    .singlepart(
                        IMAPSinglePart(
                            type: "MESSAGE", subtype: "RFC822", size: 30,
                            kind: .message(
                                inner,
                                .singlepart(
                                    IMAPSinglePart(
                                        type: "TEXT", subtype: "PLAIN", size: 5, kind: .text(lines: 1),
                                        extensionData: .init(md5: "abc"))), lines: 4),
                            extensionData: .init(
                                md5: nil,
                                disposition: IMAPBodyDisposition(type: "ATTACHMENT", parameters: [IMAPBodyParameter("FILENAME", "fwd.eml")])))),
                    .singlepart(
                        IMAPSinglePart(
                            type: "APPLICATION", subtype: "OCTET-STREAM", encoding: "BASE64", size: 40,
                            extensionData: .init(md5: "Q2hlY2sgSW50ZWdyaXR5IQ=="))),
                ], subtype: "MIXED",
                extensionData: .init(
                    parameters: [IMAPBodyParameter("BOUNDARY", "b1")], disposition: IMAPBodyDisposition(type: "INLINE"),
                    language: [], location: nil)))
        let alternative =
            #"(("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 10 1 NIL NIL "en" NIL)"#
            + #"("TEXT" "HTML" NIL NIL NIL "7BIT" 20 2 NIL NIL ("en" "de") "http://example.test/a")"#
            + #" "ALTERNATIVE" ("BOUNDARY" "b2") NIL NIL NIL)"#
        let message =
            #"("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 30 (NIL "Fwd" NIL NIL NIL NIL NIL NIL NIL NIL)"#
            + #" ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1 "abc" NIL NIL NIL) 4 NIL ("ATTACHMENT" ("FILENAME" "fwd.eml")) NIL NIL)"#
        let application = #"("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 40 "Q2hlY2sgSW50ZWdyaXR5IQ==" NIL NIL NIL)"#
        #expect(
            encode(.untagged(.fetch(3, [.bodyStructure(tree)])))
                == "* 3 FETCH (BODYSTRUCTURE (" + alternative + message + application
                + #" "MIXED" ("BOUNDARY" "b1") ("INLINE" NIL) NIL NIL))"# + "\r\n")
        #expect(
            encode(.untagged(.fetch(3, [.body(tree)])))
                == #"* 3 FETCH (BODY ((("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 10 1)"#
                + #"("TEXT" "HTML" NIL NIL NIL "7BIT" 20 2) "ALTERNATIVE")"#
                + #"("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 30 (NIL "Fwd" NIL NIL NIL NIL NIL NIL NIL NIL)"#
                + #" ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1) 4)"#
                + #"("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 40) "MIXED"))"# + "\r\n")
    }

    // MARK: - Streaming

    @Test func streamsALargeBodyWithoutCopyingIt() {
        let options = IMAPResponseEncoder.Options()
        var buffer: [UInt8] = []
        var fetch = IMAPFetchResponseWriter(sequenceNumber: 12, options: options, into: &buffer)
        fetch.write(.uid(447), into: &buffer)
        fetch.writeStreamingHeader(.bodySection(.complete, origin: nil), size: 11, into: &buffer)
        #expect(text(buffer) == "* 12 FETCH (UID 447 BODY[] {11}\r\n")
        buffer.append(contentsOf: bytes("Hello world"))
        fetch.write(.flags([.seen]), into: &buffer)
        fetch.finish(into: &buffer)
        #expect(text(buffer) == "* 12 FETCH (UID 447 BODY[] {11}\r\nHello world FLAGS (\\Seen))\r\n")

        var binary: [UInt8] = []
        var second = IMAPFetchResponseWriter(sequenceNumber: 1, options: options, into: &binary)
        second.writeStreamingHeader(.binary(part: [2], origin: 0, literal8: true), size: 3, into: &binary)
        binary.append(contentsOf: [0, 0, 0])
        second.writeStreamingHeader(.rfc822Header, size: 0, into: &binary)
        second.writeStreamingHeader(.rfc822Text, size: 0, into: &binary)
        second.writeStreamingHeader(.rfc822, size: 0, into: &binary)
        second.finish(into: &binary)
        #expect(text(binary) == "* 1 FETCH (BINARY[2]<0> ~{3}\r\n\0\0\0 RFC822.HEADER {0}\r\n RFC822.TEXT {0}\r\n RFC822 {0}\r\n)\r\n")
    }

    // MARK: - String forms

    /// atom / quoted / literal / NIL (RFC 9051 §4.3): quoted only for 7-bit
    /// text without CR, LF, NUL (or UTF-8 under UTF8=ACCEPT), literal otherwise.
    @Test func chooseTheStringForm() {
        func status(_ name: String, utf8: Bool = false) -> String {
            encode(.untagged(.status(IMAPMailboxName(name), [.messages(1)])), utf8: utf8)
        }
        #expect(status("INBOX") == "* STATUS INBOX (MESSAGES 1)\r\n")
        #expect(status("a]b") == "* STATUS a]b (MESSAGES 1)\r\n")
        #expect(status("") == "* STATUS \"\" (MESSAGES 1)\r\n")
        #expect(status("My Folder") == "* STATUS \"My Folder\" (MESSAGES 1)\r\n")
        #expect(status("a\"b\\c") == "* STATUS \"a\\\"b\\\\c\" (MESSAGES 1)\r\n")
        #expect(status("a(b)") == "* STATUS \"a(b)\" (MESSAGES 1)\r\n")
        #expect(status("Entwürfe") == "* STATUS {9}\r\nEntwürfe (MESSAGES 1)\r\n")
        #expect(status("Entwürfe", utf8: true) == "* STATUS \"Entwürfe\" (MESSAGES 1)\r\n")
        #expect(status("a\r\nb", utf8: true) == "* STATUS {4}\r\na\r\nb (MESSAGES 1)\r\n")
        let envelope = IMAPEnvelope(
            date: nil, subject: "Grüße", from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [], inReplyTo: "", messageID: "a\0b")
        #expect(
            encode(.untagged(.fetch(1, [.envelope(envelope)])))
                == "* 1 FETCH (ENVELOPE (NIL {7}\r\nGrüße NIL NIL NIL NIL NIL NIL \"\" {3}\r\na\0b))\r\n")
        #expect(
            encode(.untagged(.fetch(1, [.envelope(envelope)])), utf8: true)
                == "* 1 FETCH (ENVELOPE (NIL \"Grüße\" NIL NIL NIL NIL NIL NIL \"\" {3}\r\na\0b))\r\n")
    }

    @Test func tagsAndAtomsCannotBreakTheLine() {
        #expect(encode(.tagged(IMAPTaggedResponse(tag: "A1\r\n* OK", status: .ok, "x"))) == "A1OK OK x\r\n")
        #expect(encode(.tagged(IMAPTaggedResponse(tag: "tag.with]bracket", status: .ok, "x"))) == "tag.with]bracket OK x\r\n")
        #expect(encode(.untagged(.capability(["IMAP4rev2", "BAD]\r\nX"]))) == "* CAPABILITY IMAP4rev2 BADX\r\n")
        #expect(encode(.untagged(.flags(["$Bad)\r\n"]))) == "* FLAGS ($Bad)\r\n")
    }
}
