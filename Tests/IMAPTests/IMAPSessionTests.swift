// The IMAP session machine fed bytes, its effects run against the memory
// twin of the store, no sockets (STYLE.md rule 5): states, authentication,
// SELECT, FETCH, STORE and SEARCH.
import MailStore
import Testing

@testable import IMAP

@Suite("IMAP session")
struct IMAPSessionTests {
    static let first = "From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: first\r\nMessage-ID: <1@example.test>\r\n\r\nHello Alice,\r\nthe blue hat.\r\n"
    static let second = "From: carol@example.test\r\nSubject: second\r\n\r\none\r\ntwo\r\n"

    static func backend() -> (MemoryBackend, MemoryMail) {
        let backend = MemoryBackend()
        let mail = backend.addUser("alice", password: "secret")
        mail.deliver(first)
        mail.deliver(second)
        return (backend, mail)
    }

    // MARK: - Greeting and authentication

    @Test func greetingAnnouncesWhatIsHonoured() async throws {
        var driver = try SessionDriver(backend: MemoryBackend())
        let greeting = await driver.connect()
        #expect(greeting.hasPrefix("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 "))
        for capability in ["STARTTLS", "IDLE", "UIDPLUS", "MOVE", "LITERAL-", "SASL-IR", "ESEARCH", "CONDSTORE", "AUTH=PLAIN"] {
            #expect(greeting.contains(" \(capability)"), "\(capability) missing from \(greeting)")
        }
        #expect(!greeting.contains("LOGINDISABLED"))
    }

    @Test func plaintextLoginIsRefusedAwayFromLoopbackUntilTLS() async throws {
        var driver = try SessionDriver(backend: Self.backend().0, loopback: false)
        #expect(await driver.connect().contains("LOGINDISABLED"))
        #expect(await driver.send("a LOGIN alice secret\r\n") == "a NO [PRIVACYREQUIRED] passwords need TLS; use STARTTLS first\r\n")
        #expect(await driver.send("b STARTTLS\r\nc NOOP\r\n") == "b OK begin TLS negotiation now\r\n")
        #expect(driver.startedTLS)
        _ = await driver.tlsEstablished()
        // The NOOP pipelined before the handshake was dropped.
        let capability = await driver.send("d CAPABILITY\r\n")
        #expect(!capability.contains("STARTTLS") && capability.contains("AUTH=PLAIN"))
        #expect(await driver.send("e LOGIN alice secret\r\n").hasPrefix("e OK [CAPABILITY "))
    }

    @Test func wrongPasswordsThenBye() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        _ = await driver.connect()
        #expect(await driver.send("a LOGIN alice wrong\r\n") == "a NO [AUTHENTICATIONFAILED] invalid credentials\r\n")
        _ = await driver.send("b LOGIN alice wrong\r\n")
        let last = await driver.send("c LOGIN alice wrong\r\n")
        #expect(last == "c NO [AUTHENTICATIONFAILED] invalid credentials\r\n* BYE too many failed logins\r\n")
        #expect(driver.closed)
    }

    @Test func authenticatePlainWithAndWithoutInitialResponse() async throws {
        let credentials = "AGFsaWNlAHNlY3JldA=="  // "\0alice\0secret"
        var driver = try SessionDriver(backend: Self.backend().0)
        _ = await driver.connect()
        #expect(await driver.send("a AUTHENTICATE PLAIN \(credentials)\r\n").hasPrefix("a OK [CAPABILITY"))
        var second = try SessionDriver(backend: Self.backend().0)
        _ = await second.connect()
        #expect(await second.send("a AUTHENTICATE PLAIN\r\n") == "+ \r\n")
        #expect(await second.send("\(credentials)\r\n").hasPrefix("a OK [CAPABILITY"))
        var cancelled = try SessionDriver(backend: Self.backend().0)
        _ = await cancelled.connect()
        _ = await cancelled.send("a AUTHENTICATE LOGIN\r\n")
        #expect(await cancelled.send("*\r\n") == "a BAD authentication cancelled\r\n")
    }

    @Test func commandsOutsideTheirStateAreBad() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        _ = await driver.connect()
        #expect(await driver.send("a SELECT INBOX\r\n") == "a BAD log in first\r\n")
        _ = await driver.send("b LOGIN alice secret\r\n")
        #expect(await driver.send("c FETCH 1 FLAGS\r\n") == "c BAD FETCH is not valid in this state\r\n")
    }

    @Test func loginWithASynchronisingLiteralGetsAContinuation() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        _ = await driver.connect()
        #expect(await driver.send("a LOGIN alice {6}\r\n") == "+ ready for literal data\r\n")
        #expect(await driver.send("secret\r\n").hasPrefix("a OK"))
    }

    // MARK: - SELECT

    @Test func selectReportsTheMailbox() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        let answer = lines(await driver.loginAndSelect())
        #expect(answer.contains("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"))
        #expect(answer.contains("* 2 EXISTS"))
        #expect(answer.contains("* 2 RECENT"))
        #expect(answer.contains("* OK [UNSEEN 1] first unseen"))
        #expect(answer.contains { $0.hasPrefix("* OK [UIDVALIDITY ") })
        #expect(answer.contains("* OK [UIDNEXT 3] predicted next UID"))
        #expect(answer.contains("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] flags permitted"))
        #expect(answer.contains { $0.hasPrefix("* OK [HIGHESTMODSEQ ") })
        #expect(answer.last == "s1 OK [READ-WRITE] SELECT completed")
        // A second session does not see them as \Recent any more.
        var other = try SessionDriver(backend: Self.backend().0)
        #expect(lines(await other.loginAndSelect()).contains("* 2 RECENT"))
    }

    @Test func examineIsReadOnlyAndSelectingAgainSaysClosed() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        _ = await driver.connect()
        _ = await driver.send("a LOGIN alice secret\r\n")
        let examine = lines(await driver.send("b EXAMINE INBOX\r\n"))
        #expect(examine.last == "b OK [READ-ONLY] EXAMINE completed")
        #expect(await driver.send("c STORE 1 +FLAGS (\\Seen)\r\n") == "c NO [READ-ONLY] the mailbox is read-only (EXAMINE)\r\n")
        #expect(await driver.send("d FETCH 1 BODY[TEXT]\r\n").contains("FLAGS") == false, "no \\Seen on a read-only mailbox")
        let again = lines(await driver.send("e SELECT INBOX\r\n"))
        #expect(again.first == "* OK [CLOSED] previous mailbox closed")
        let nowhere = await driver.send("f SELECT Nowhere\r\n")
        // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected.
        #expect(nowhere == "* OK [CLOSED] previous mailbox closed\r\nf NO [NONEXISTENT] no mailbox \"Nowhere\"\r\n")
        #expect(await driver.send("g FETCH 1 FLAGS\r\n") == "g BAD FETCH is not valid in this state\r\n")
    }

    @Test func rev2GetsAListInSelectAndNoRecent() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        _ = await driver.connect()
        _ = await driver.send("a LOGIN alice secret\r\n")
        #expect(await driver.send("b ENABLE IMAP4rev2 CONDSTORE\r\n") == "* ENABLED IMAP4rev2 CONDSTORE\r\nb OK ENABLE completed\r\n")
        let answer = lines(await driver.send("c SELECT inbox\r\n"))
        #expect(answer.contains("* LIST (\\HasNoChildren) \".\" INBOX"))
        #expect(!answer.contains { $0.hasSuffix("RECENT") })
        #expect(await driver.send("d SEARCH UNSEEN\r\n") == "* ESEARCH (TAG \"d\") ALL 1:2\r\nd OK SEARCH completed\r\n")
    }

    // MARK: - FETCH

    @Test func fetchItemsAndBodyStructure() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        await driver.loginAndSelect()
        let size = Self.first.utf8.count
        #expect(await driver.send("a FETCH 1 (UID FLAGS RFC822.SIZE)\r\n") == "* 1 FETCH (UID 1 FLAGS (\\Recent) RFC822.SIZE \(size))\r\na OK FETCH completed\r\n")
        let envelope = await driver.send("b FETCH 1 ENVELOPE\r\n")
        #expect(envelope.contains("\"first\" ((\"Bob\" NIL \"bob\" \"example.test\"))"), "\(envelope)")
        let structure = await driver.send("c FETCH 2 BODYSTRUCTURE\r\n")
        #expect(structure.hasPrefix("* 2 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7BIT\" 10 2"), "\(structure)")
        #expect(await driver.send("d UID FETCH 2 FLAGS\r\n") == "* 2 FETCH (UID 2 FLAGS (\\Recent))\r\nd OK UID FETCH completed\r\n")
    }

    @Test func bodyFetchSetsSeenButPeekDoesNot() async throws {
        let (backend, mail) = Self.backend()
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        let peek = await driver.send("a FETCH 2 BODY.PEEK[TEXT]\r\n")
        #expect(peek == "* 2 FETCH (BODY[TEXT] {10}\r\none\r\ntwo\r\n)\r\na OK FETCH completed\r\n")
        #expect(mail.flags(of: 2) == [])
        let read = await driver.send("b FETCH 2 BODY[HEADER.FIELDS (SUBJECT)]\r\n")
        #expect(read == "* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {19}\r\nSubject: second\r\n\r\n FLAGS (\\Seen \\Recent))\r\nb OK FETCH completed\r\n")
        #expect(mail.flags(of: 2) == .seen)
        let partial = await driver.send("c FETCH 1 BODY.PEEK[]<0.6>\r\n")
        #expect(partial == "* 1 FETCH (BODY[]<0> {6}\r\nFrom: )\r\nc OK FETCH completed\r\n")
        #expect(await driver.send("d FETCH 3 FLAGS\r\n") == "d BAD invalid message sequence number\r\n")
    }

    @Test func aLargeMessageIsStreamedWhole() async throws {
        let backend = MemoryBackend()
        let mail = backend.addUser("alice", password: "secret")
        let body = String(repeating: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", count: 3000)
        let message = "Subject: big\r\n\r\n" + body
        mail.deliver(message)
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        let answer = await driver.send("a FETCH 1 BODY.PEEK[]\r\n")
        #expect(answer == "* 1 FETCH (BODY[] {\(message.utf8.count)}\r\n\(message))\r\na OK FETCH completed\r\n")
    }

    @Test func bareLFMessagesGoOutWithCRLF() async throws {
        let backend = MemoryBackend()
        let mail = backend.addUser("alice", password: "secret")
        mail.deliver("Subject: lf\n\nline one\nline two\n")
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        let wire = "Subject: lf\r\n\r\nline one\r\nline two\r\n"
        #expect(await driver.send("a FETCH 1 (RFC822.SIZE BODY.PEEK[])\r\n") == "* 1 FETCH (RFC822.SIZE \(wire.utf8.count) BODY[] {\(wire.utf8.count)}\r\n\(wire))\r\na OK FETCH completed\r\n")
        #expect(await driver.send("b FETCH 1 BODY.PEEK[TEXT]\r\n") == "* 1 FETCH (BODY[TEXT] {20}\r\nline one\r\nline two\r\n)\r\nb OK FETCH completed\r\n")
    }

    @Test func binaryDecodesTheTransferEncoding() async throws {
        let backend = MemoryBackend()
        let mail = backend.addUser("alice", password: "secret")
        mail.deliver("Subject: b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n")
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        #expect(await driver.send("a FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])\r\n") == "* 1 FETCH (BINARY.SIZE[1] 11 BINARY[1] {11}\r\nhello world)\r\na OK FETCH completed\r\n")
    }

    // MARK: - STORE

    @Test func storeAddsRemovesAndReplacesFlags() async throws {
        let (backend, mail) = Self.backend()
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        #expect(await driver.send("a STORE 1 +FLAGS (\\Flagged $Important)\r\n") == "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent $Important))\r\na OK STORE completed\r\n")
        #expect(await driver.send("b STORE 1 -FLAGS.SILENT (\\Flagged)\r\n") == "b OK STORE completed\r\n")
        #expect(mail.flags(of: 1) == [])
        #expect(await driver.send("c UID STORE 1:2 FLAGS (\\Deleted)\r\n").components(separatedBy: "FETCH").count == 3)
        #expect(await driver.send("d STORE 1 +FLAGS (\\Recent)\r\n") == "d BAD invalid flag in STORE (\\Recent cannot be stored)\r\n")
    }

    @Test func unchangedSinceRefusesMessagesChangedSince() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        await driver.loginAndSelect()
        // The highest MODSEQ so far is message 2's.
        let fetched = await driver.send("a FETCH 2 MODSEQ\r\n")
        let modSeq = try #require(fetched.split(separator: "(").last?.split(separator: ")").first.flatMap { UInt64($0) })
        _ = await driver.send("b STORE 1 +FLAGS (\\Answered)\r\n")
        let refused = await driver.send("c STORE 1 (UNCHANGEDSINCE \(modSeq)) +FLAGS (\\Flagged)\r\n")
        #expect(refused == "c OK [MODIFIED 1] STORE completed\r\n")
        let changed = await driver.send("d FETCH 1:2 (FLAGS) (CHANGEDSINCE \(modSeq))\r\n")
        #expect(changed.hasPrefix("* 1 FETCH (FLAGS (\\Answered \\Recent) MODSEQ ("), "\(changed)")
        #expect(!changed.contains("* 2 FETCH"), "\(changed)")
    }

    // MARK: - SEARCH

    @Test func searchKeysAndReturnOptions() async throws {
        let (backend, _) = Self.backend()
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        _ = await driver.send("a STORE 2 +FLAGS (\\Seen)\r\n")
        #expect(await driver.send("b SEARCH UNSEEN\r\n") == "* SEARCH 1\r\nb OK SEARCH completed\r\n")
        #expect(await driver.send("c SEARCH SUBJECT second\r\n") == "* SEARCH 2\r\nc OK SEARCH completed\r\n")
        #expect(await driver.send("d UID SEARCH BODY \"BLUE HAT\"\r\n") == "* SEARCH 1\r\nd OK UID SEARCH completed\r\n")
        #expect(await driver.send("e SEARCH OR FROM carol TEXT alice NOT DELETED\r\n") == "* SEARCH 1 2\r\ne OK SEARCH completed\r\n")
        #expect(await driver.send("f SEARCH HEADER Message-ID <1@example.test>\r\n") == "* SEARCH 1\r\nf OK SEARCH completed\r\n")
        #expect(await driver.send("g SEARCH RETURN (MIN MAX COUNT) ALL\r\n") == "* ESEARCH (TAG \"g\") MIN 1 MAX 2 COUNT 2\r\ng OK SEARCH completed\r\n")
        #expect(await driver.send("h SEARCH LARGER 60 SMALLER 100000\r\n") == "* SEARCH 1\r\nh OK SEARCH completed\r\n")
        #expect(await driver.send("i SEARCH CHARSET KOI8-R ALL\r\n") == "i NO [BADCHARSET (UTF-8 US-ASCII)] unsupported charset\r\n")
    }

    @Test func savedResultIsUsedByDollar() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        await driver.loginAndSelect()
        #expect(await driver.send("a SEARCH RETURN (SAVE) SUBJECT second\r\n") == "a OK SEARCH completed\r\n")
        #expect(await driver.send("b FETCH $ (UID)\r\n") == "* 2 FETCH (UID 2)\r\nb OK FETCH completed\r\n")
        #expect(await driver.send("c SEARCH $\r\n") == "* SEARCH 2\r\nc OK SEARCH completed\r\n")
    }

    // MARK: - Limits

    @Test func tooManyBadCommandsEndTheSession() async throws {
        let configuration = IMAPConfiguration(hostname: "imap.test", maxBadCommands: 3)
        var driver = try SessionDriver(backend: MemoryBackend(), configuration: configuration)
        _ = await driver.connect()
        _ = await driver.send("a BOGUS\r\nb BOGUS\r\n")
        #expect(await driver.send("c BOGUS\r\n") == "c BAD unknown command BOGUS\r\n* BYE too many invalid commands\r\n")
        #expect(driver.closed)
    }

    @Test func pipelinedCommandsAreAnsweredInOrder() async throws {
        var driver = try SessionDriver(backend: Self.backend().0)
        _ = await driver.connect()
        let answer = await driver.send("a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1 UID\r\nd NOOP\r\n")
        let tagged = lines(answer).filter { !$0.hasPrefix("*") }
        #expect(tagged.map { String($0.prefix(4)) } == ["a OK", "b OK", "c OK", "d OK"])
    }

    @Test func aLiteralOverTheLimitIsRefusedAndTheSessionGoesOn() async throws {
        var framing = IMAPCommandFramer.Configuration()
        framing.maxLiteralSize = 16
        framing.maxMessageSize = 1024
        var driver = try SessionDriver(
            backend: Self.backend().0,
            configuration: IMAPConfiguration(hostname: "imap.test", allowPlaintextOnLoopback: true, authFailureDelay: .zero, framing: framing))
        _ = await driver.connect()
        #expect(await driver.send("a LOGIN {100}\r\n") == "a BAD literal of 100 octets exceeds 16\r\n")
        _ = await driver.send("b LOGIN alice secret\r\n")
        #expect(await driver.send("c APPEND INBOX {5000}\r\n") == "c NO [TOOBIG] message of 5000 octets exceeds the limit of 1024\r\n")
        #expect(await driver.send("d NOOP\r\n") == "d OK NOOP completed\r\n")
    }

    @Test func idleTimeoutAndShutdownSayBye() async throws {
        var driver = try SessionDriver(backend: MemoryBackend())
        _ = await driver.connect()
        let timeout = driver.session.timedOut()
        #expect(timeout.count == 2)
        var other = try SessionDriver(backend: MemoryBackend())
        _ = await other.connect()
        guard case .send(let bytes) = other.session.shuttingDown().first else {
            Issue.record("no BYE at shutdown")
            return
        }
        #expect(String(buffer: bytes) == "* BYE [UNAVAILABLE] server shutting down\r\n")
    }
}
