// The IMAP session on mailboxes and changes, against the memory twin: LIST,
// STATUS, CREATE/RENAME/DELETE, APPEND, COPY/MOVE, EXPUNGE, and what one
// session sees of another's STORE, EXPUNGE and deliveries (RFC 9051 §7.5.1),
// with IDLE woken by the store's change stream.
import MailStore
import Testing

@testable import IMAP

@Suite("IMAP session mailboxes and changes")
struct IMAPSessionMailboxTests {
    static func loggedIn(_ backend: MemoryBackend) async throws -> SessionDriver {
        var driver = try SessionDriver(backend: backend)
        _ = await driver.connect()
        _ = await driver.send("l LOGIN alice secret\r\n")
        return driver
    }

    // MARK: - Mailboxes

    @Test func listWithSpecialUseChildrenAndStatus() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        try await mail.createMailbox("Lists.swift", specialUse: nil)
        var driver = try await Self.loggedIn(backend)
        let all = lines(await driver.send("a LIST \"\" \"*\"\r\n"))
        #expect(all.first == "* LIST (\\HasNoChildren) \".\" INBOX")
        #expect(all.contains("* LIST (\\HasNoChildren \\Sent) \".\" Sent"))
        #expect(all.contains("* LIST (\\Noselect \\HasChildren) \".\" Lists"))
        #expect(all.contains("* LIST (\\HasNoChildren) \".\" Lists.swift"))
        #expect(all.last == "a OK LIST completed")
        #expect(await driver.send("b LIST \"\" \"\"\r\n") == "* LIST (\\Noselect) \".\" \"\"\r\nb OK LIST completed\r\n")
        #expect(await driver.send("c LIST \"\" %\r\n").contains("Lists.swift") == false)
        let special = lines(await driver.send("d LIST (SPECIAL-USE) \"\" *\r\n"))
        #expect(special.count == 6 && !special.contains { $0.contains("INBOX") })
        let status = lines(await driver.send("e LIST \"\" INBOX RETURN (STATUS (MESSAGES UNSEEN))\r\n"))
        #expect(status == ["* LIST (\\HasNoChildren) \".\" INBOX", "* STATUS INBOX (MESSAGES 2 UNSEEN 2)", "e OK LIST completed"])
        let lsub = lines(await driver.send("f LSUB \"\" *\r\n"))
        #expect(lsub.contains("* LSUB (\\HasNoChildren) \".\" INBOX") && !lsub.contains { $0.contains("Lists") })
    }

    @Test func createRenameDeleteSubscribeAndStatus() async throws {
        let (backend, _) = IMAPSessionTests.backend()
        var driver = try await Self.loggedIn(backend)
        #expect(await driver.send("a CREATE Projects.\r\n") == "a OK CREATE completed\r\n")
        #expect(await driver.send("b CREATE Projects\r\n") == "b NO [ALREADYEXISTS] mailbox \"Projects\" already exists\r\n")
        #expect(await driver.send("c RENAME Projects Work\r\n") == "c OK RENAME completed\r\n")
        #expect(await driver.send("d SUBSCRIBE Work\r\n") == "d OK SUBSCRIBE completed\r\n")
        #expect(await driver.send("e LIST (SUBSCRIBED) \"\" W*\r\n").hasPrefix("* LIST (\\HasNoChildren \\Subscribed) \".\" Work\r\n"))
        #expect(await driver.send("f DELETE Work\r\n") == "f OK DELETE completed\r\n")
        #expect(await driver.send("g DELETE INBOX\r\n").hasPrefix("g NO [CANNOT]"))
        let status = await driver.send("h STATUS INBOX (MESSAGES UIDNEXT UNSEEN DELETED SIZE HIGHESTMODSEQ)\r\n")
        #expect(status.hasPrefix("* STATUS INBOX (MESSAGES 2 UIDNEXT 3 UNSEEN 2 DELETED 0 SIZE "))
        #expect(await driver.send("i CREATE Archive2 (USE (\\Archive))\r\n") == "i OK CREATE completed\r\n")
        #expect(await driver.send("j NAMESPACE\r\n") == "* NAMESPACE ((\"\" \".\")) NIL NIL\r\nj OK NAMESPACE completed\r\n")
    }

    @Test func renamingInboxMovesItsMessagesAndKeepsIt() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        var driver = try await Self.loggedIn(backend)
        #expect(await driver.send("a RENAME INBOX Old\r\n") == "a OK RENAME completed\r\n")
        #expect(mail.uids().isEmpty)
        #expect(mail.uids(in: "Old") == [1, 2])
        #expect(await driver.send("b STATUS INBOX (MESSAGES)\r\n") == "* STATUS INBOX (MESSAGES 0)\r\nb OK STATUS completed\r\n")
    }

    @Test func modifiedUTF7NamesForIMAP4rev1() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        var driver = try await Self.loggedIn(backend)
        #expect(await driver.send("a CREATE \"Entw&APw-rfe\"\r\n") == "a OK CREATE completed\r\n")
        #expect(try await mail.mailboxes().contains { $0.name == "Entwürfe" })
        #expect(await driver.send("b LIST \"\" Entw*\r\n") == "* LIST (\\HasNoChildren) \".\" Entw&APw-rfe\r\nb OK LIST completed\r\n")
    }

    // MARK: - APPEND

    @Test func appendStoresAndAnswersAppendUID() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        var driver = try await Self.loggedIn(backend)
        let message = "Subject: appended\r\n\r\nbody\r\n"
        #expect(await driver.send("a APPEND Drafts (\\Draft) \"05-Jan-2024 10:00:00 +0100\" {\(message.utf8.count)}\r\n") == "+ ready for literal data\r\n")
        let answer = await driver.send(message + "\r\n")
        let validity = try #require(try await mail.mailboxes().first { $0.name == "Drafts" }?.uidValidity)
        #expect(answer == "a OK [APPENDUID \(validity) 1] APPEND completed\r\n")
        #expect(mail.bytes(of: 1, in: "Drafts") == Array(message.utf8))
        #expect(mail.flags(of: 1, in: "Drafts") == .draft)
        #expect(await driver.send("b APPEND Nowhere {4}\r\n") == "b NO [TRYCREATE] no mailbox \"Nowhere\"\r\n")
        // A non-synchronising literal refused at once: its octets are skipped.
        #expect(await driver.send("c APPEND Nowhere {4+}\r\nabcd\r\nd NOOP\r\n") == "c NO [TRYCREATE] no mailbox \"Nowhere\"\r\nd OK NOOP completed\r\n")
        #expect(await driver.send("e APPEND INBOX (\\Recent) {4}\r\n") == "e BAD invalid flag in APPEND (\\Recent cannot be stored)\r\n")
    }

    @Test func appendToTheSelectedMailboxReportsExists() async throws {
        let (backend, _) = IMAPSessionTests.backend()
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        let answer = lines(await driver.send("a APPEND INBOX {4+}\r\nbody\r\n"))
        #expect(answer.contains("* 3 EXISTS"))
        #expect(answer.last?.hasPrefix("a OK [APPENDUID ") == true)
    }

    // MARK: - COPY, MOVE, EXPUNGE

    @Test func copyAndMoveAnswerCopyUID() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        let archive = try #require(try await mail.mailboxes().first { $0.name == "Archive" }?.uidValidity)
        #expect(await driver.send("a COPY 1:2 Archive\r\n") == "a OK [COPYUID \(archive) 1:2 1:2] COPY completed\r\n")
        #expect(await driver.send("b COPY 1 Nowhere\r\n") == "b NO [TRYCREATE] no mailbox \"Nowhere\"\r\n")
        let moved = await driver.send("c UID MOVE 1 Archive\r\n")
        #expect(moved == "* OK [COPYUID \(archive) 1 3] moved\r\n* 1 EXPUNGE\r\nc OK UID MOVE completed\r\n")
        #expect(mail.uids() == [2])
        #expect(mail.uids(in: "Archive") == [1, 2, 3])
    }

    @Test func expungeAndUIDExpunge() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        mail.deliver("Subject: third\r\n\r\n3\r\n")
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        _ = await driver.send("a STORE 1:3 +FLAGS.SILENT (\\Deleted)\r\n")
        #expect(await driver.send("b UID EXPUNGE 2\r\n") == "* 2 EXPUNGE\r\nb OK EXPUNGE completed\r\n")
        #expect(await driver.send("c EXPUNGE\r\n") == "* 1 EXPUNGE\r\n* 1 EXPUNGE\r\nc OK EXPUNGE completed\r\n")
        #expect(mail.uids().isEmpty)
    }

    @Test func closeExpungesSilentlyUnselectDoesNot() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        _ = await driver.send("a STORE 1 +FLAGS.SILENT (\\Deleted)\r\n")
        #expect(await driver.send("b UNSELECT\r\n") == "b OK UNSELECT completed\r\n")
        #expect(mail.uids() == [1, 2])
        _ = await driver.send("c SELECT INBOX\r\n")
        #expect(await driver.send("d CLOSE\r\n") == "d OK CLOSE completed\r\n")
        #expect(mail.uids() == [2])
    }

    // MARK: - Two sessions (RFC 9051 §7.5.1)

    @Test func aSessionSeesAnotherSessionsStoreAndExpungeWhereAllowed() async throws {
        let (backend, _) = IMAPSessionTests.backend()
        var alpha = try SessionDriver(backend: backend)
        var beta = try SessionDriver(backend: backend)
        await alpha.loginAndSelect()
        await beta.loginAndSelect()
        _ = await beta.send("a STORE 2 +FLAGS.SILENT (\\Flagged)\r\n")
        let noop = await alpha.send("b NOOP\r\n")
        // alpha selected first, so the messages are \\Recent in alpha.
        #expect(noop == "* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))\r\nb OK NOOP completed\r\n")
        _ = await beta.send("c STORE 1 +FLAGS.SILENT (\\Deleted)\r\nd EXPUNGE\r\n")
        // Not during FETCH, STORE or SEARCH: numbers must not move under them.
        #expect(await alpha.send("e FETCH 2 UID\r\n") == "* 2 FETCH (UID 2)\r\ne OK FETCH completed\r\n")
        #expect(await alpha.send("f SEARCH ALL\r\n") == "* SEARCH 2\r\nf OK SEARCH completed\r\n")
        #expect(await alpha.send("g NOOP\r\n") == "* 1 EXPUNGE\r\ng OK NOOP completed\r\n")
        #expect(await alpha.send("h FETCH 1 UID\r\n") == "* 1 FETCH (UID 2)\r\nh OK FETCH completed\r\n")
    }

    @Test func uidCommandsMayReportExpunges() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        var alpha = try SessionDriver(backend: backend)
        await alpha.loginAndSelect()
        _ = try await mail.store(.add(.deleted), uids: [1], in: "INBOX", unchangedSince: nil)
        _ = try await mail.expunge(in: "INBOX", uids: nil)
        #expect(await alpha.send("a UID FETCH 2 FLAGS\r\n") == "* 2 FETCH (UID 2 FLAGS (\\Recent))\r\n* 1 EXPUNGE\r\na OK UID FETCH completed\r\n")
    }

    @Test func newMessagesAppearAsExists() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        mail.deliver("Subject: late\r\n\r\nx\r\n")
        #expect(await driver.send("a NOOP\r\n") == "* 3 EXISTS\r\n* 3 RECENT\r\na OK NOOP completed\r\n")
        #expect(await driver.send("b FETCH 3 FLAGS\r\n") == "* 3 FETCH (FLAGS (\\Recent))\r\nb OK FETCH completed\r\n")
    }

    // MARK: - IDLE (RFC 9051 §6.3.13)

    @Test func idleReportsADeliveryWhenWoken() async throws {
        let (backend, mail) = IMAPSessionTests.backend()
        var driver = try SessionDriver(backend: backend)
        await driver.loginAndSelect()
        #expect(await driver.send("a IDLE\r\n") == "+ idling\r\n")
        mail.deliver("Subject: while idling\r\n\r\nx\r\n")
        try await driver.waitForWakeUps(1)
        #expect(await driver.wake() == "* 3 EXISTS\r\n* 3 RECENT\r\n")
        _ = try await mail.store(.add(.flagged), uids: [1], in: "INBOX", unchangedSince: nil)
        try await driver.waitForWakeUps(2)
        #expect(await driver.wake() == "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\n")
        #expect(await driver.send("DONE\r\n") == "a OK IDLE terminated\r\n")
        // The watch is gone with the IDLE.
        let deadline = ContinuousClock.now + .seconds(30)
        while mail.watcherCount > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(mail.watcherCount == 0)
    }

    @Test func idleInTheAuthenticatedStateAndABadLine() async throws {
        let (backend, _) = IMAPSessionTests.backend()
        var driver = try await Self.loggedIn(backend)
        #expect(await driver.send("a IDLE\r\n") == "+ idling\r\n")
        #expect(await driver.send("b NOOP\r\n") == "a BAD expected DONE\r\n")
        #expect(await driver.send("c NOOP\r\n") == "c OK NOOP completed\r\n")
    }
}
