// Every command three ways (STYLE.md rule 2): parse a fixture, encode the
// value, and encode→parse round trip.
import Testing

@testable import IMAP

struct CommandFixture: Sendable, CustomTestStringConvertible {
    /// The frame as the framer delivers it (no final CRLF).
    let wire: String
    let kind: IMAPCommand.Kind
    /// What the encoder writes, when not `wire` itself.
    let canonical: String?
    let tag: String

    init(_ wire: String, _ kind: IMAPCommand.Kind, canonical: String? = nil, tag: String = "A1") {
        self.wire = wire
        self.kind = kind
        self.canonical = canonical
        self.tag = tag
    }

    var testDescription: String {
        String(wire.map { $0 == "\r\n" ? "⏎" : $0 }.prefix(60))
    }
}

private let date = IMAPDateTime(
    date: IMAPDate(year: 1996, month: 7, day: 17)!, hour: 2, minute: 44, second: 25, zoneMinutes: -420)!
private func day(_ year: Int, _ month: Int, _ day: Int) -> IMAPDate { IMAPDate(year: year, month: month, day: day)! }
private func set(_ text: String) -> IMAPSequenceSet { IMAPSequenceSet(text)! }

let anyStateFixtures: [CommandFixture] = [
    CommandFixture("A1 CAPABILITY", .capability),
    CommandFixture("a1 capability", .capability, canonical: "a1 CAPABILITY", tag: "a1"),
    CommandFixture("A1 NOOP", .noop),
    CommandFixture("A1 LOGOUT", .logout),
    CommandFixture(
        #"A1 ID ("name" "sodr" "version" "19.34")"#,
        .id([IMAPIDParameter("name", "sodr"), IMAPIDParameter("version", "19.34")])),
    CommandFixture(#"A1 ID ("name" NIL)"#, .id([IMAPIDParameter("name", nil)])),
    CommandFixture("A1 ID NIL", .id(nil)),
    CommandFixture("A1 ID ()", .id([])),
    CommandFixture("tag.with]bracket NOOP", .noop, tag: "tag.with]bracket"),
]

let notAuthenticatedFixtures: [CommandFixture] = [
    CommandFixture("A1 STARTTLS", .startTLS),
    CommandFixture("A1 AUTHENTICATE PLAIN", .authenticate(mechanism: "PLAIN", initialResponse: nil)),
    CommandFixture("A1 authenticate scram-sha-256", .authenticate(mechanism: "SCRAM-SHA-256", initialResponse: nil),
        canonical: "A1 AUTHENTICATE SCRAM-SHA-256"),
    CommandFixture(
        "A1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==",
        .authenticate(mechanism: "PLAIN", initialResponse: .data("AGFsaWNlAHNlY3JldA=="))),
    CommandFixture("A1 AUTHENTICATE EXTERNAL =", .authenticate(mechanism: "EXTERNAL", initialResponse: .empty)),
    CommandFixture("A1 LOGIN alice secret", .login(username: "alice", password: "secret")),
    CommandFixture(#"A1 LOGIN "alice smith" "pa\"ss\\word""#, .login(username: "alice smith", password: #"pa"ss\word"#)),
    CommandFixture("A1 LOGIN {5}\r\nalice {6}\r\nsecret", .login(username: "alice", password: "secret"),
        canonical: "A1 LOGIN alice secret"),
    // RFC 7888 §3 example.
    CommandFixture("A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man", .login(username: "FRED FOOBAR", password: "fat man"),
        canonical: #"A001 LOGIN "FRED FOOBAR" "fat man""#, tag: "A001"),
    CommandFixture("A1 LOGIN alice {4}\r\na\r\nb", .login(username: "alice", password: "a\r\nb")),
    CommandFixture("A1 LOGIN \"\" \"\"", .login(username: "", password: "")),
]

let authenticatedFixtures: [CommandFixture] = [
    CommandFixture("A1 ENABLE CONDSTORE UTF8=ACCEPT", .enable(["CONDSTORE", "UTF8=ACCEPT"])),
    CommandFixture("A1 SELECT INBOX", .select(.inbox, IMAPSelectParameters())),
    CommandFixture("A1 SELECT iNbOx", .select(.inbox, IMAPSelectParameters()), canonical: "A1 SELECT INBOX"),
    CommandFixture("A1 SELECT INBOX (CONDSTORE)", .select(.inbox, IMAPSelectParameters(condstore: true))),
    CommandFixture("A1 EXAMINE Archive/2024", .examine("Archive/2024", IMAPSelectParameters())),
    CommandFixture(#"A1 EXAMINE "My Folder""#, .examine("My Folder", IMAPSelectParameters())),
    CommandFixture("A1 CREATE foo", .create("foo", specialUse: [])),
    CommandFixture(#"A1 CREATE Drafts (USE (\Drafts))"#, .create("Drafts", specialUse: [.drafts])),
    CommandFixture(#"A1 CREATE Stuff (USE (\Archive \Junk))"#, .create("Stuff", specialUse: [.archive, .junk])),
    CommandFixture("A1 DELETE foo", .delete("foo")),
    CommandFixture("A1 RENAME foo bar", .rename(from: "foo", to: "bar")),
    CommandFixture("A1 SUBSCRIBE foo", .subscribe("foo")),
    CommandFixture("A1 UNSUBSCRIBE foo", .unsubscribe("foo")),
    CommandFixture(#"A1 LIST "" *"#, .list(IMAPListCommand(reference: "", patterns: ["*"]))),
    CommandFixture(#"A1 LIST ~/Mail/ %"#, .list(IMAPListCommand(reference: "~/Mail/", patterns: ["%"]))),
    CommandFixture(
        #"A1 LIST "" (*)"#, .list(IMAPListCommand(reference: "", patterns: ["*"])), canonical: #"A1 LIST "" *"#),
    CommandFixture(
        #"A1 LIST (SUBSCRIBED RECURSIVEMATCH) "" (INBOX Drafts* Sent/%)"#,
        .list(
            IMAPListCommand(
                selectionOptions: [.subscribed, .recursiveMatch], reference: "", patterns: ["INBOX", "Drafts*", "Sent/%"]))),
    CommandFixture(
        #"A1 LIST (SPECIAL-USE) "" * RETURN (SPECIAL-USE)"#,
        .list(IMAPListCommand(selectionOptions: [.specialUse], reference: "", patterns: ["*"], returnOptions: [.specialUse]))),
    CommandFixture(
        #"A1 LIST "" * RETURN (CHILDREN SUBSCRIBED STATUS (MESSAGES UNSEEN))"#,
        .list(
            IMAPListCommand(
                reference: "", patterns: ["*"], returnOptions: [.children, .subscribed, .status([.messages, .unseen])]))),
    CommandFixture(#"A1 LIST (REMOTE) "" *"#, .list(IMAPListCommand(selectionOptions: [.remote], reference: "", patterns: ["*"]))),
    CommandFixture(#"A1 LIST () "" *"#, .list(IMAPListCommand(selectionOptions: [], reference: "", patterns: ["*"]))),
    CommandFixture(#"A1 LIST "" "My Box*""#, .list(IMAPListCommand(reference: "", patterns: ["My Box*"]))),
    CommandFixture(#"A1 LSUB "" *"#, .lsub(reference: "", pattern: "*")),
    CommandFixture("A1 NAMESPACE", .namespace),
    CommandFixture(
        "A1 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ)",
        .status(.inbox, [.messages, .uidNext, .uidValidity, .unseen, .deleted, .size, .recent, .highestModSeq])),
    CommandFixture("A1 APPEND INBOX {5}\r\nhello", .append(.inbox, [IMAPAppendMessage(data: bytes("hello"))])),
    CommandFixture(
        #"A1 APPEND Sent (\Seen $Forwarded) "17-Jul-1996 02:44:25 -0700" {5}"# + "\r\nhello",
        .append("Sent", [IMAPAppendMessage(flags: [.seen, "$Forwarded"], internalDate: date, data: bytes("hello"))])),
    CommandFixture(
        "A1 APPEND INBOX \" 7-Feb-1994 21:52:25 -0800\" {3}\r\nabc",
        .append(
            .inbox,
            [
                IMAPAppendMessage(
                    internalDate: IMAPDateTime(date: day(1994, 2, 7), hour: 21, minute: 52, second: 25, zoneMinutes: -480),
                    data: bytes("abc"))
            ])),
    // MULTIAPPEND (RFC 3502).
    CommandFixture(
        "A1 APPEND INBOX (\\Seen) {3}\r\nabc {4}\r\nde\r\n",
        .append(.inbox, [IMAPAppendMessage(flags: [.seen], data: bytes("abc")), IMAPAppendMessage(data: bytes("de\r\n"))])),
    // literal8 (RFC 3516 §4.4) may carry NUL.
    CommandFixture("A1 APPEND INBOX ~{3}\r\na\0c", .append(.inbox, [IMAPAppendMessage(data: [0x61, 0, 0x63], isBinary: true)])),
    CommandFixture("A1 APPEND {5}\r\nINBOX () {1}\r\nx", .append(.inbox, [IMAPAppendMessage(data: bytes("x"))]),
        canonical: "A1 APPEND INBOX {1}\r\nx"),
    CommandFixture("A1 IDLE", .idle),
]

let selectedFixtures: [CommandFixture] = [
    CommandFixture("A1 CHECK", .check),
    CommandFixture("A1 CLOSE", .close),
    CommandFixture("A1 UNSELECT", .unselect),
    CommandFixture("A1 EXPUNGE", .expunge),
    CommandFixture("A1 UID EXPUNGE 3000:3002", .uidExpunge(set("3000:3002"))),
    CommandFixture("A1 SEARCH ALL", .search(IMAPSearchCommand(keys: [.all]))),
    CommandFixture(
        #"A1 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith""#,
        .search(IMAPSearchCommand(keys: [.flagged, .since(day(1994, 2, 1)), .not(.from("Smith"))])),
        canonical: "A1 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith"),
    CommandFixture(
        "A1 SEARCH RETURN (MIN MAX COUNT ALL SAVE) UNSEEN",
        .search(IMAPSearchCommand(returnOptions: [.min, .max, .count, .all, .save], keys: [.unseen]))),
    CommandFixture("A1 SEARCH RETURN () ALL", .search(IMAPSearchCommand(returnOptions: [], keys: [.all]))),
    CommandFixture(
        "A1 SEARCH CHARSET UTF-8 SUBJECT {5}\r\nfünf",
        .search(IMAPSearchCommand(charset: "UTF-8", keys: [.subject("fünf")]))),
    CommandFixture(
        "A1 SEARCH ALL ANSWERED BCC a BEFORE 1-Jan-2020 BODY b CC c DELETED DRAFT FLAGGED FROM d HEADER X-Spam yes "
            + "KEYWORD $Junk LARGER 100 NEW NOT SEEN OLD ON 2-Feb-2021 OR SEEN UNSEEN RECENT SEEN SENTBEFORE 3-Mar-2022 "
            + "SENTON 4-Apr-2023 SENTSINCE 5-May-2024 SINCE 6-Jun-2025 SMALLER 200 SUBJECT e TEXT f TO g UID 1:5,7 "
            + "UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD $NotJunk UNSEEN 1,3:*",
        .search(
            IMAPSearchCommand(keys: [
                .all, .answered, .bcc("a"), .before(day(2020, 1, 1)), .body("b"), .cc("c"), .deleted, .draft, .flagged,
                .from("d"), .header("X-Spam", "yes"), .keyword("$Junk"), .larger(100), .new, .not(.seen), .old,
                .on(day(2021, 2, 2)), .or(.seen, .unseen), .recent, .seen, .sentBefore(day(2022, 3, 3)),
                .sentOn(day(2023, 4, 4)), .sentSince(day(2024, 5, 5)), .since(day(2025, 6, 6)), .smaller(200),
                .subject("e"), .text("f"), .to("g"), .uid(set("1:5,7")), .unanswered, .undeleted, .undraft, .unflagged,
                .unkeyword("$NotJunk"), .unseen, .sequenceSet(set("1,3:*")),
            ]))),
    CommandFixture("A1 SEARCH $", .search(IMAPSearchCommand(keys: [.sequenceSet(.lastCommand)]))),
    CommandFixture(
        "A1 SEARCH 2:4 (SEEN FLAGGED) 4:2",
        .search(IMAPSearchCommand(keys: [.sequenceSet(set("2:4")), .and([.seen, .flagged]), .sequenceSet(set("4:2"))]))),
    CommandFixture(
        #"A1 SEARCH BEFORE "1-Feb-1994""#, .search(IMAPSearchCommand(keys: [.before(day(1994, 2, 1))])),
        canonical: "A1 SEARCH BEFORE 1-Feb-1994"),
    CommandFixture("A1 SEARCH MODSEQ 720162338", .search(IMAPSearchCommand(keys: [.modSeq(720_162_338, entry: nil)]))),
    CommandFixture(
        #"A1 SEARCH MODSEQ "/flags/\\draft" all 620162338"#,
        .search(
            IMAPSearchCommand(keys: [.modSeq(620_162_338, entry: IMAPModSeqEntry(flag: "\\draft", type: .all))]))),
    CommandFixture(
        "A1 UID SEARCH RETURN (COUNT) OR FROM alice (TO bob SUBJECT hi)",
        .uidSearch(
            IMAPSearchCommand(returnOptions: [.count], keys: [.or(.from("alice"), .and([.to("bob"), .subject("hi")]))]))),
    CommandFixture(
        "A1 FETCH 1 ALL", .fetch(set("1"), IMAPFetchAttribute.all, IMAPFetchModifiers()),
        canonical: "A1 FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"),
    CommandFixture(
        "A1 FETCH 1:* FAST", .fetch(set("1:*"), IMAPFetchAttribute.fast, IMAPFetchModifiers()),
        canonical: "A1 FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE)"),
    CommandFixture(
        "A1 FETCH 2 full", .fetch(set("2"), IMAPFetchAttribute.full, IMAPFetchModifiers()),
        canonical: "A1 FETCH 2 (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)"),
    CommandFixture(
        "A1 FETCH 12 (FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE UID MODSEQ)",
        .fetch(
            set("12"),
            [.flags, .internalDate, .rfc822, .rfc822Header, .rfc822Text, .rfc822Size, .envelope, .body, .bodyStructure, .uid, .modSeq],
            IMAPFetchModifiers())),
    CommandFixture("A1 FETCH 1 BODY[]", .fetch(set("1"), [.bodySection(.complete, partial: nil, peek: false)], IMAPFetchModifiers())),
    CommandFixture(
        "A1 FETCH 1 BODY.PEEK[HEADER]",
        .fetch(set("1"), [.bodySection(IMAPSection(text: .header), partial: nil, peek: true)], IMAPFetchModifiers())),
    CommandFixture(
        "A1 FETCH 1 (BODY[HEADER.FIELDS (DATE FROM)] BODY.PEEK[HEADER.FIELDS.NOT (X-Spam)] BODY[TEXT] BODY[1.2.3] "
            + "BODY[1.2.HEADER] BODY[2.MIME] BODY[3.TEXT]<0.1024> BODY[4.HEADER.FIELDS (Subject)])",
        .fetch(
            set("1"),
            [
                .bodySection(IMAPSection(text: .headerFields(["DATE", "FROM"])), partial: nil, peek: false),
                .bodySection(IMAPSection(text: .headerFieldsNot(["X-Spam"])), partial: nil, peek: true),
                .bodySection(IMAPSection(text: .text), partial: nil, peek: false),
                .bodySection(IMAPSection(part: [1, 2, 3]), partial: nil, peek: false),
                .bodySection(IMAPSection(part: [1, 2], text: .header), partial: nil, peek: false),
                .bodySection(IMAPSection(part: [2], text: .mime), partial: nil, peek: false),
                .bodySection(IMAPSection(part: [3], text: .text), partial: IMAPPartial(offset: 0, length: 1024), peek: false),
                .bodySection(IMAPSection(part: [4], text: .headerFields(["Subject"])), partial: nil, peek: false),
            ], IMAPFetchModifiers())),
    CommandFixture(
        "A1 FETCH 1 (BINARY[1] BINARY.PEEK[1.2]<0.100> BINARY.SIZE[1] BINARY[])",
        .fetch(
            set("1"),
            [
                .binary(part: [1], partial: nil, peek: false),
                .binary(part: [1, 2], partial: IMAPPartial(offset: 0, length: 100), peek: true),
                .binarySize(part: [1]), .binary(part: [], partial: nil, peek: false),
            ], IMAPFetchModifiers())),
    CommandFixture(
        "A1 FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)",
        .fetch(set("1:*"), [.flags], IMAPFetchModifiers(changedSince: 12345)),
        canonical: "A1 FETCH 1:* FLAGS (CHANGEDSINCE 12345)"),
    CommandFixture("A1 UID FETCH 100:200 (UID FLAGS)", .uidFetch(set("100:200"), [.uid, .flags], IMAPFetchModifiers())),
    CommandFixture("A1 STORE 2:4 +FLAGS (\\Deleted)", .store(set("2:4"), IMAPStoreModifiers(), IMAPStoreAction(.add, flags: [.deleted]))),
    CommandFixture(
        "A1 STORE 1 -FLAGS.SILENT (\\Seen $Junk)",
        .store(set("1"), IMAPStoreModifiers(), IMAPStoreAction(.remove, silent: true, flags: [.seen, "$Junk"]))),
    CommandFixture("A1 STORE 1 FLAGS ()", .store(set("1"), IMAPStoreModifiers(), IMAPStoreAction(.replace, flags: []))),
    CommandFixture(
        "A1 STORE 1 +FLAGS \\Deleted \\Seen",
        .store(set("1"), IMAPStoreModifiers(), IMAPStoreAction(.add, flags: [.deleted, .seen])),
        canonical: "A1 STORE 1 +FLAGS (\\Deleted \\Seen)"),
    CommandFixture(
        "A1 STORE 1:3 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)",
        .store(set("1:3"), IMAPStoreModifiers(unchangedSince: 320_162_338), IMAPStoreAction(.add, silent: true, flags: [.deleted]))),
    CommandFixture("A1 UID STORE 5 FLAGS (\\Seen)", .uidStore(set("5"), IMAPStoreModifiers(), IMAPStoreAction(.replace, flags: [.seen]))),
    CommandFixture("A1 COPY 2:4 MEETING", .copy(set("2:4"), "MEETING")),
    CommandFixture("A1 MOVE 1:* Trash", .move(set("1:*"), "Trash")),
    CommandFixture("A1 UID COPY 1,3 Archive", .uidCopy(set("1,3"), "Archive")),
    CommandFixture("A1 UID MOVE $ Trash", .uidMove(.lastCommand, "Trash")),
]

let allFixtures = anyStateFixtures + notAuthenticatedFixtures + authenticatedFixtures + selectedFixtures

@Suite("IMAP command fixtures")
struct IMAPCommandFixtureTests {
    @Test(arguments: allFixtures)
    func parsesFixture(_ fixture: CommandFixture) {
        #expect(parse(fixture.wire) == .success(IMAPCommand(tag: fixture.tag, fixture.kind)))
    }

    @Test(arguments: allFixtures)
    func encodesFixture(_ fixture: CommandFixture) {
        let command = IMAPCommand(tag: fixture.tag, fixture.kind)
        #expect(encode(command) == (fixture.canonical ?? fixture.wire) + "\r\n")
    }

    /// encode → parse gives the value back, with every literal mode.
    @Test(arguments: allFixtures)
    func roundTrips(_ fixture: CommandFixture) throws {
        let command = IMAPCommand(tag: fixture.tag, fixture.kind)
        for literals in [IMAPCommandEncoder.Options.Literals.synchronizing, .nonSynchronizing, .nonSynchronizingUpTo4096] {
            for utf8 in [false, true] {
                var buffer = ArraySlice(IMAPCommandEncoder(options: .init(literals: literals, utf8Accept: utf8)).encode(command).bytes)
                #expect(try IMAPCommandParser.next(from: &buffer) == command)
                #expect(buffer.isEmpty)
            }
        }
    }

    /// The fixtures cover every command of the table.
    @Test func fixturesCoverTheCommandTable() {
        let covered = Set(allFixtures.map(\.kind.name))
        let table = Set(IMAPCommandTable.commands.map(\.name))
        #expect(covered == table)
    }
}
