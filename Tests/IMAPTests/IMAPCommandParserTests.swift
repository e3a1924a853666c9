// Parser failures with their reply text, incomplete input, depth limits and
// the auxiliary entry points (STYLE.md rules 1, 3, 11).
import Testing

@testable import IMAP

struct FailureFixture: Sendable, CustomTestStringConvertible {
    let wire: [UInt8]
    let tag: String?
    let message: String

    init(_ wire: String, tag: String? = "A1", _ message: String) {
        self.wire = bytes(wire)
        self.tag = tag
        self.message = message
    }

    init(bytes wire: [UInt8], tag: String? = "A1", _ message: String) {
        self.wire = wire
        self.tag = tag
        self.message = message
    }

    var testDescription: String { String(text(wire).map { $0 == "\r\n" ? "⏎" : $0 }.prefix(60)) }
}

let failureFixtures: [FailureFixture] = [
    FailureFixture("", tag: nil, "empty command line"),
    FailureFixture("+1 NOOP", tag: nil, "missing or invalid tag"),
    FailureFixture(" A1 NOOP", tag: nil, "missing or invalid tag"),
    FailureFixture("A{1 NOOP", tag: nil, "missing or invalid tag"),
    FailureFixture("A1", "expected SP before command name, found end of command"),
    FailureFixture("A1  NOOP", "expected command name, found SP"),
    FailureFixture("A1 FROB", "unknown command FROB"),
    FailureFixture("A1 NOOP extra", "expected end of command, found SP"),
    FailureFixture("A1 NOOP\r", "expected end of command, found octet 0x0D"),
    FailureFixture("A1 LOGIN alice", "expected SP before password, found end of command"),
    FailureFixture("A1 SELECT", "expected SP before mailbox name, found end of command"),
    FailureFixture(#"A1 LOGIN "alice"#, "expected closing DQUOTE of user name, found end of command"),
    FailureFixture(#"A1 LOGIN "a\b" x"#, #"expected \" or \\ in user name, found "b"""#),
    FailureFixture("A1 LOGIN {5}\r\nal\0ce x", "NUL octet in string"),
    FailureFixture(bytes: bytes("A1 LOGIN \"") + [0xFF] + bytes("\" x"), "user name is not valid UTF-8"),
    FailureFixture("A1 LOGIN {5}\r\nab", #"expected 5 octets of literal data, found "ab""#),
    FailureFixture("A1 LOGIN {5+}x", #"expected CRLF after literal length, found "x""#),
    FailureFixture("A1 LOGIN ~{1}\r\na b", #"expected SP before password, found "{1}""#),
    FailureFixture("A1 AUTHENTICATE PLAIN abc", "expected base64, found 3 characters"),
    FailureFixture("A1 AUTHENTICATE", "expected SP before SASL mechanism, found end of command"),
    FailureFixture("A1 ENABLE", "expected SP before capability name, found end of command"),
    FailureFixture("A1 SELECT INBOX (QRESYNC (1 2))", "unsupported SELECT parameter QRESYNC"),
    FailureFixture("A1 CREATE x (FOO)", "unsupported CREATE parameter FOO"),
    FailureFixture("A1 FETCH 0 FLAGS", "message number in message set out of range"),
    FailureFixture("A1 FETCH 4294967296 FLAGS", "message number in message set out of range"),
    FailureFixture("A1 FETCH 1: FLAGS", "expected message set, found SP"),
    FailureFixture("A1 FETCH , FLAGS", #"expected message set, found ",""#),
    FailureFixture("A1 FETCH 1 BODY[HEADER", #"expected "]" closing section, found end of command"#),
    FailureFixture("A1 FETCH 1 BODY[MIME]", #"expected section text (HEADER, HEADER.FIELDS, TEXT or MIME), found "MIME]""#),
    FailureFixture("A1 FETCH 1 BODY.PEEK", #"expected "[" after BODY.PEEK, found end of command"#),
    FailureFixture("A1 FETCH 1 BODY[]<1>", #"expected "." in partial range, found ">""#),
    FailureFixture("A1 FETCH 1 BODY[]<1.0>", "partial length out of range"),
    FailureFixture("A1 FETCH 1 FOO", "unsupported FETCH item FOO"),
    FailureFixture("A1 FETCH 1 (FLAGS", #"expected ")" closing FETCH items, found end of command"#),
    FailureFixture("A1 FETCH 1 FLAGS (VANISHED)", "unsupported FETCH modifier VANISHED"),
    FailureFixture("A1 FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)", "CHANGEDSINCE given twice"),
    FailureFixture("A1 STORE 1 FLAGS (\\Seen", #"expected ")" closing flag list, found end of command"#),
    FailureFixture("A1 STORE 1 XFLAGS (\\Seen)", #"expected FLAGS, +FLAGS or -FLAGS, found "XFLAGS""#),
    FailureFixture("A1 STORE 1 FLAGS (\\*)", #"expected flag name after "\", found "*)""#),
    FailureFixture("A1 SEARCH", "expected SP before search key, found end of command"),
    FailureFixture("A1 SEARCH FOO", "unsupported search key FOO"),
    FailureFixture("A1 SEARCH BEFORE 32-Jan-2020", "invalid date 32-Jan-2020"),
    FailureFixture("A1 SEARCH BEFORE 29-Feb-2023", "invalid date 29-Feb-2023"),
    FailureFixture("A1 SEARCH BEFORE 1-Foo-2020", #"expected month name, found "Foo-2020""#),
    FailureFixture("A1 SEARCH OR SEEN", "expected SP before second search key of OR, found end of command"),
    FailureFixture("A1 SEARCH (SEEN", #"expected ")" closing search key group, found end of command"#),
    FailureFixture("A1 SEARCH RETURN (FOO) ALL", "unsupported search return option FOO"),
    FailureFixture(#"A1 SEARCH MODSEQ "/foo" all 1"#, #"MODSEQ entry name must be "/flags/<flag>""#),
    FailureFixture(#"A1 SEARCH MODSEQ "/flags/\\seen" any 1"#, #"expected MODSEQ entry type (priv, shared or all), found "any""#),
    FailureFixture(#"A1 LIST (RECURSIVEMATCH) "" *"#, "RECURSIVEMATCH requires another selection option such as SUBSCRIBED"),
    FailureFixture(#"A1 LIST (REMOTE RECURSIVEMATCH) "" *"#, "RECURSIVEMATCH requires another selection option such as SUBSCRIBED"),
    FailureFixture(#"A1 LIST (FOO) "" *"#, "unsupported LIST selection option FOO"),
    FailureFixture(#"A1 LIST "" * RETURN (FOO)"#, "unsupported LIST return option FOO"),
    FailureFixture(#"A1 LIST "" * FOO"#, #"expected RETURN, found "FOO""#),
    FailureFixture("A1 STATUS INBOX (MESSAGES FOO)", "unsupported STATUS item FOO"),
    FailureFixture("A1 STATUS INBOX ()", "expected STATUS item, found \")\""),
    FailureFixture("A1 APPEND INBOX", "expected SP before message literal, found end of command"),
    FailureFixture("A1 APPEND INBOX hello", #"expected message literal, found "hello""#),
    FailureFixture(#"A1 APPEND INBOX "31-Jun-2020 10:00:00 +0000" {1}"# + "\r\nx", "invalid date 31-Jun-2020 10:00:00 +0000"),
    FailureFixture(#"A1 APPEND INBOX "1-Jun-2020 24:00:00 +0000" {1}"# + "\r\nx", "invalid date 1-Jun-2020 24:00:00 +0000"),
    FailureFixture("A1 UID FOO 1", "unknown command UID FOO"),
    FailureFixture("A1 UID", "expected SP before command after UID, found end of command"),
    FailureFixture("A1 ID (\"name\")", "expected SP before ID field value, found \")\""),
    FailureFixture("A1 COPY 1", "expected SP before destination mailbox, found end of command"),
]

@Suite("IMAP command parser")
struct IMAPCommandParserTests {
    @Test(arguments: failureFixtures)
    func refuses(_ fixture: FailureFixture) {
        guard case .failure(let error) = IMAPCommandParser.parse(fixture.wire) else {
            Issue.record("parsed \(fixture.testDescription)")
            return
        }
        #expect(error.description == fixture.message)
        #expect(error.tag == fixture.tag)
    }

    @Test func errorsBecomeBADResponses() {
        guard case .failure(let tagged) = parse("A1 FROB"), case .failure(let untagged) = parse("+ NOOP") else {
            Issue.record("parsed")
            return
        }
        #expect(encode(tagged.response) == "A1 BAD unknown command FROB\r\n")
        #expect(encode(untagged.response) == "* BAD missing or invalid tag\r\n")
    }

    /// Recursion through "(", NOT and OR stops at maxNestingDepth.
    @Test func nestingIsBounded() {
        let depth = IMAPCommandParser.maxNestingDepth
        let okNot = "A1 SEARCH " + String(repeating: "NOT ", count: depth) + "SEEN"
        let deepNot = "A1 SEARCH " + String(repeating: "NOT ", count: depth + 1) + "SEEN"
        let okParens = "A1 SEARCH " + String(repeating: "(", count: depth) + "SEEN" + String(repeating: ")", count: depth)
        let deepParens = "A1 SEARCH " + String(repeating: "(", count: depth + 1) + "SEEN" + String(repeating: ")", count: depth + 1)
        let deepOr = "A1 SEARCH " + String(repeating: "OR SEEN ", count: depth + 1) + "SEEN"
        #expect((try? parse(okNot).get()) != nil)
        #expect((try? parse(okParens).get()) != nil)
        for line in [deepNot, deepParens, deepOr] {
            guard case .failure(let error) = parse(line) else {
                Issue.record("parsed a too deep search")
                continue
            }
            #expect(error.description == "nesting deeper than \(depth) levels")
        }
        let hostile = "A1 SEARCH " + String(repeating: "(", count: 100_000)
        #expect(throws: IMAPParseError.self) { try parse(hostile).get() }
    }

    // MARK: - Incremental parsing

    @Test func incompleteInputNeedsMoreAndLeavesTheBufferAlone() throws {
        for partial in ["", "A1 NOOP", "A1 NOOP\r", "A1 LOGIN {5}\r\nali", "A1 LOGIN {5}\r\nalice", "A1 LOGIN {5}\r\nalice x"] {
            var buffer = ArraySlice(bytes(partial))
            #expect(try IMAPCommandParser.next(from: &buffer) == nil)
            #expect(text(buffer) == partial)
        }
    }

    @Test func pipelinedCommandsComeOneAtATime() throws {
        var buffer = ArraySlice(bytes("A1 NOOP\r\nA2 LOGIN {5}\r\nalice x\nA3 CAPA"))
        #expect(try IMAPCommandParser.next(from: &buffer) == IMAPCommand(tag: "A1", .noop))
        #expect(try IMAPCommandParser.next(from: &buffer) == IMAPCommand(tag: "A2", .login(username: "alice", password: "x")))
        #expect(try IMAPCommandParser.next(from: &buffer) == nil)
        #expect(text(buffer) == "A3 CAPA")
    }

    /// A literal may end in CR; only the terminator of the last line goes.
    @Test func literalDataEndingInCRBeforeABareLF() throws {
        var buffer = ArraySlice(bytes("A1 LOGIN x {1}\r\n\r\nA2 LOGIN y {1}\r\n\r\r\n"))
        #expect(try IMAPCommandParser.next(from: &buffer) == IMAPCommand(tag: "A1", .login(username: "x", password: "\r")))
        #expect(try IMAPCommandParser.next(from: &buffer) == IMAPCommand(tag: "A2", .login(username: "y", password: "\r")))
        #expect(buffer.isEmpty)
    }

    @Test func anErrorLeavesTheBufferAloneAndCommandLengthSkipsIt() throws {
        var buffer = ArraySlice(bytes("A1 FROB {3}\r\na\r\n\r\nA2 NOOP\r\n"))
        #expect(throws: IMAPParseError(tag: "A1", kind: .unknownCommand("FROB"), offset: 7)) {
            try IMAPCommandParser.next(from: &buffer)
        }
        #expect(buffer.count == 27)
        let length = try #require(IMAPCommandParser.commandLength(in: buffer))
        #expect(length == 18)
        buffer.removeFirst(length)
        #expect(try IMAPCommandParser.next(from: &buffer) == IMAPCommand(tag: "A2", .noop))
    }

    // MARK: - IDLE and AUTHENTICATE lines

    @Test func idleDone() throws {
        try IMAPCommandParser.parseIdleDone(bytes("DONE"))
        try IMAPCommandParser.parseIdleDone(bytes("done"))
        #expect(throws: IMAPParseError(tag: nil, kind: .expected("DONE", found: "\"DONE!\""), offset: 0)) {
            try IMAPCommandParser.parseIdleDone(bytes("DONE!"))
        }
        #expect(throws: IMAPParseError.self) { try IMAPCommandParser.parseIdleDone(bytes("A2 NOOP")) }
    }

    @Test func authenticationResponses() {
        #expect(IMAPCommandParser.parseAuthenticationResponse(bytes("*")) == .success(.cancel))
        #expect(IMAPCommandParser.parseAuthenticationResponse(bytes("")) == .success(.data("")))
        #expect(IMAPCommandParser.parseAuthenticationResponse(bytes("dGVzdA==")) == .success(.data("dGVzdA==")))
        guard case .failure(let error) = IMAPCommandParser.parseAuthenticationResponse(bytes("dGVzdA= x")) else {
            Issue.record("accepted bad base64")
            return
        }
        #expect(error.description == "expected base64, found 7 characters")
        #expect(IMAPCommandEncoder.authenticationResponse(.cancel) == bytes("*\r\n"))
        #expect(IMAPCommandEncoder.authenticationResponse(.data("dGVzdA==")) == bytes("dGVzdA==\r\n"))
        #expect(IMAPCommandEncoder.idleDone == bytes("DONE\r\n"))
    }

    // MARK: - Values

    @Test func inboxIsCaseInsensitiveButOnlyForASCII() {
        #expect(IMAPMailboxName("inBox") == .inbox)
        #expect(IMAPMailboxName("inbox").isInbox)
        #expect(!IMAPMailboxName("ınbox").isInbox)
        #expect(!IMAPMailboxName("INBOX/Sub").isInbox)
    }

    @Test func flagsCompareCaseInsensitively() {
        #expect(IMAPFlag("\\SEEN") == .seen)
        #expect(Set<IMAPFlag>([.seen, "\\seen", "$Junk", "$junk"]).count == 2)
        #expect(IMAPFlag.seen.isSystemFlag)
        #expect(!IMAPFlag("$Junk").isSystemFlag)
        #expect(IMAPMailboxAttribute("\\hasnochildren") == .hasNoChildren)
    }

    @Test func datesConvertToInstants() throws {
        let date = try #require(IMAPDate(year: 1996, month: 7, day: 17))
        let dateTime = try #require(IMAPDateTime(date: date, hour: 2, minute: 44, second: 25, zoneMinutes: -420))
        #expect(dateTime.secondsSince1970 == 837_596_665)
        #expect(IMAPDateTime(secondsSince1970: 837_596_665, zoneMinutes: -420) == dateTime)
        #expect(IMAPDateTime(secondsSince1970: 0)?.description == " 1-Jan-1970 00:00:00 +0000")
        #expect(IMAPDateTime(secondsSince1970: -1)?.description == "31-Dec-1969 23:59:59 +0000")
        #expect(IMAPDate(daysSince1970: 0)?.description == "1-Jan-1970")
        #expect(IMAPDate(year: 2000, month: 2, day: 29) != nil)
        #expect(IMAPDate(year: 1900, month: 2, day: 29) == nil)
        #expect(IMAPDateTime(secondsSince1970: .max, zoneMinutes: 60) == nil)
        #expect(IMAPDateTime(secondsSince1970: 0, zoneMinutes: 24 * 60) == nil)
    }

    @Test func descriptionsMaskCredentials() {
        #expect(IMAPCommand(tag: "A1", .login(username: "alice", password: "secret")).description == #"A1 LOGIN alice "***""#)
        let auth = IMAPCommand(tag: "A2", .authenticate(mechanism: "PLAIN", initialResponse: .data("AGFsaWNlAHNlY3JldA==")))
        #expect(auth.description == "A2 AUTHENTICATE PLAIN ***")
        #expect(IMAPCommand(tag: "A3", .select(.inbox, IMAPSelectParameters())).description == "A3 SELECT INBOX")
    }
}
