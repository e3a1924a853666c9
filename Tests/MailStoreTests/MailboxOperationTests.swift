// Mailboxes (create, rename, delete with children, subscriptions, names) and the
// message operations between them: expunge, copy, move.

import Foundation
import Testing
@testable import MailStore

@Suite struct MailboxOperationTests {
    let sandbox: StoreSandbox

    init() throws { sandbox = try StoreSandbox() }

    private func deliver(_ store: UserStore, _ count: Int, to mailbox: String = "INBOX") async throws {
        for index in 0..<count {
            _ = try await store.deliver(.bytes(sampleMessage(index)), to: mailbox, deliveryID: "\(mailbox)-\(index)")
        }
    }

    // MARK: - Names

    @Test func mailboxNamesAreValidatedAndMapToMaildirPlusPlusFolders() throws {
        #expect(try MailboxName.validated("inbox") == "INBOX")
        #expect(try MailboxName.validated("Inbox.Lists") == "INBOX.Lists")
        #expect(try MailboxName.validated("Lists.swift") == "Lists.swift")
        #expect(try MailboxName.validated("Événements") == "Événements")
        for bad in ["", ".a", "a.", "a..b", "a/b", "a*", "100%", "tab\there", String(repeating: "x", count: 300)] {
            #expect(throws: StoreError.self) { try MailboxName.validated(bad) }
        }
        #expect(MailboxName.folder(for: "INBOX") == "")
        #expect(MailboxName.folder(for: "Lists.swift") == ".Lists.swift")
        #expect(MailboxName.mailbox(forFolder: ".Lists.swift") == "Lists.swift")
        #expect(MailboxName.mailbox(forFolder: "..") == nil)
        #expect(MailboxName.mailbox(forFolder: "cur") == nil)
    }

    @Test func userFoldersAreSafePathComponents() throws {
        let odd = try MailAddress("\"a/b\"@Example.TEST")
        let path = UserStore.userDirectory(dataDirectory: "/d", address: odd)
        #expect(path == "/d/mail/example.test/a%2Fb")
        let plain = UserStore.userDirectory(dataDirectory: "/d", address: try MailAddress("Alice.Smith@example.test"))
        #expect(plain == "/d/mail/example.test/alice.smith")
    }

    // MARK: - Create, rename, delete

    @Test func createRenameDeleteWithChildren() async throws {
        let store = try await sandbox.open()
        try await store.createMailbox("Lists")
        try await store.createMailbox("Lists.swift")
        try await store.createMailbox("Lists.swift.nio")
        await #expect(throws: StoreError.mailboxExists("Lists")) { try await store.createMailbox("Lists") }
        #expect(FileManager.default.fileExists(atPath: sandbox.maildir + "/.Lists.swift.nio/cur"))
        #expect(FileManager.default.fileExists(atPath: sandbox.maildir + "/.Lists/maildirfolder"))
        try await deliver(store, 2, to: "Lists.swift")
        let validity = try await store.status("Lists.swift").uidValidity
        try await store.setSubscribed("Lists.swift", true)

        try await store.renameMailbox("Lists", to: "Groups")
        let names = Set(try await store.mailboxes().map(\.name))
        #expect(names.isSuperset(of: ["Groups", "Groups.swift", "Groups.swift.nio"]))
        #expect(!names.contains("Lists") && !names.contains("Lists.swift"))
        #expect(FileManager.default.fileExists(atPath: sandbox.maildir + "/.Groups.swift.nio/cur"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.maildir + "/.Lists.swift"))
        // UIDs and UIDVALIDITY survive a rename; subscriptions follow it.
        #expect(try await store.status("Groups.swift").uidValidity == validity)
        #expect(try await store.messages(in: "Groups.swift").map(\.uid) == [1, 2])
        #expect(try await store.readMessage(in: "Groups.swift", uid: 2) == sampleMessage(1))
        #expect(try await store.subscriptions().contains("Groups.swift"))

        await #expect(throws: StoreError.self) { try await store.renameMailbox("Groups", to: "Groups.swift.deeper") }
        await #expect(throws: StoreError.mailboxExists("Sent")) { try await store.renameMailbox("Groups", to: "Sent") }
        await #expect(throws: StoreError.noSuchMailbox("Nothing")) { try await store.renameMailbox("Nothing", to: "Else") }

        // Deleting a parent keeps its children (the parent becomes a \Noselect name).
        try await store.deleteMailbox("Groups")
        let after = Set(try await store.mailboxes().map(\.name))
        #expect(!after.contains("Groups"))
        #expect(after.contains("Groups.swift") && after.contains("Groups.swift.nio"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.maildir + "/.Groups"))
        #expect(FileManager.default.fileExists(atPath: sandbox.maildir + "/.Groups.swift/cur"))
        // A name that only holds children cannot be deleted; INBOX cannot be deleted.
        await #expect(throws: StoreError.self) { try await store.deleteMailbox("Groups") }
        await #expect(throws: StoreError.self) { try await store.deleteMailbox("INBOX") }

        try await store.deleteMailbox("Groups.swift")
        #expect(try await store.mailbox(named: "Groups.swift") == nil)
        #expect(sandbox.files("tmp").isEmpty, "the deleted folder is removed from tmp/")
        // The subscription stays (RFC 9051 §6.3.7) until unsubscribed.
        #expect(try await store.subscriptions().contains("Groups.swift"))
        try await store.setSubscribed("Groups.swift", false)
        #expect(!(try await store.subscriptions().contains("Groups.swift")))
    }

    @Test func renamingInboxMovesItsMessages() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 3)
        try await store.renameMailbox("INBOX", to: "Old")
        #expect(try await store.messages(in: "INBOX").isEmpty)
        #expect(try await store.messages(in: "Old").count == 3)
        #expect(sandbox.messageFiles().isEmpty)
        #expect(sandbox.messageFiles(in: "Old").count == 3)
    }

    // MARK: - Expunge, copy, move

    @Test func expungeRemovesFilesRowsAndLogsTheModSeq() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 4)
        _ = try await store.store(.add([.deleted]), uids: [2, 3], in: "INBOX")
        let result = try await store.expunge(in: "INBOX")
        #expect(result.uids == [2, 3])
        #expect(try await store.status("INBOX").highestModSeq == result.modSeq)
        #expect(try await store.messages(in: "INBOX").map(\.uid) == [1, 4])
        #expect(sandbox.messageFiles().count == 2)
        // POP3-style: chosen UIDs, whatever their flags.
        let pop = try await store.expunge(in: "INBOX", uids: [4], onlyDeleted: false)
        #expect(pop.uids == [4])
        #expect(sandbox.messageFiles().count == 1)
        let usage = try await store.usage()
        #expect(usage.messages == 1)
        #expect(usage.bytes == Int64(sampleMessage(0).count))
    }

    @Test func copyKeepsFlagsGivesNewUIDsAndLinksTheFile() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 3)
        _ = try await store.store(.add([.seen], keywords: ["Work"]), uids: [2], in: "INBOX")
        let result = try await store.copy(uids: [2, 3, 99], from: "INBOX", to: "Archive")
        #expect(result.mapping == [UIDPair(source: 2, target: 1), UIDPair(source: 3, target: 2)])
        #expect(result.uidValidity == (try await store.status("Archive").uidValidity))
        let copied = try await store.messages(in: "Archive")
        #expect(copied.map(\.flags) == [[.seen], []])
        #expect(copied.first?.keywords == ["Work"])
        #expect(copied.allSatisfy { $0.isRecent })
        #expect(try await store.readMessage(in: "Archive", uid: 1) == sampleMessage(1))
        #expect(try await store.messages(in: "INBOX").count == 3)
        #expect(sandbox.files("cur", in: "Archive").count == 2)
        // Full text and envelope come along.
        #expect(try await store.search(in: "Archive", text: "message 2", scope: .body) == [2])
        #expect(try await store.messageDetails(in: "Archive", uids: [1]).first?.envelope.subject == "Message number 1")
        // The copy is a separate message: expunging the original leaves it.
        _ = try await store.expunge(in: "INBOX", uids: [2], onlyDeleted: false)
        #expect(try await store.readMessage(in: "Archive", uid: 1) == sampleMessage(1))
    }

    @Test func moveRenamesFilesAndExpungesTheSource() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 3)
        _ = try await store.store(.add([.flagged]), uids: [1], in: "INBOX")
        let before = try await store.status("INBOX").highestModSeq
        let result = try await store.move(uids: [1, 3], from: "INBOX", to: "Trash")
        #expect(result.mapping == [UIDPair(source: 1, target: 1), UIDPair(source: 3, target: 2)])
        #expect((result.expungeModSeq ?? 0) > before)
        #expect(try await store.messages(in: "INBOX").map(\.uid) == [2])
        let moved = try await store.messages(in: "Trash")
        #expect(moved.map(\.flags) == [[.flagged], []])
        #expect(sandbox.messageFiles().count == 1)
        #expect(sandbox.messageFiles(in: "Trash").count == 2)
        #expect(try await store.readMessage(in: "Trash", uid: 2) == sampleMessage(2))
        let changes = try await store.changes(
            in: "INBOX", since: MailboxCursor(uidValidity: try await store.status("INBOX").uidValidity, uidNext: 4, highestModSeq: before))
        #expect(changes.expunged == [1, 3])
        await #expect(throws: StoreError.self) { try await store.move(uids: [2], from: "INBOX", to: "INBOX") }
    }

    @Test func readingAVanishedFileSaysSo() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 1)
        let path = try #require(try await store.messages(in: "INBOX").first?.path)
        try FileManager.default.removeItem(atPath: path)
        await #expect(throws: StoreError.messageVanished(mailbox: "INBOX", uid: 1)) {
            try await store.readMessage(in: "INBOX", uid: 1)
        }
        await #expect(throws: StoreError.noSuchMessage(mailbox: "INBOX", uid: 9)) {
            try await store.readMessage(in: "INBOX", uid: 9)
        }
    }

    @Test func anOpenFileStaysReadableAfterExpunge() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 1)
        let file = try await store.openMessage(in: "INBOX", uid: 1)
        _ = try await store.expunge(in: "INBOX", uids: [1], onlyDeleted: false)
        #expect(try await file.readAll() == sampleMessage(0))
        #expect(try await file.read(offset: 6, count: 3) == Array("Bob".utf8))
        file.close()
    }
}
