// Reconciliation: what other programs do to the Maildir (add, remove, rename files and
// folders) and a lost or corrupt index, brought back into the index by check().

import Foundation
import GRDB
import Testing
@testable import MailStore

@Suite struct ReconcileTests {
    let sandbox: StoreSandbox

    init() throws { sandbox = try StoreSandbox() }

    private func deliver(_ store: UserStore, _ count: Int, to mailbox: String = "INBOX") async throws {
        for index in 0..<count {
            _ = try await store.deliver(.bytes(sampleMessage(index)), to: mailbox, deliveryID: "\(mailbox)-\(index)")
        }
    }

    private func write(_ bytes: [UInt8], to path: String, modified: Date? = nil) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        if let modified { try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path) }
    }

    @Test func cleanStoreReportsNothing() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 2)
        let report = try await store.check()
        #expect(report.isEmpty)
        #expect(report.description == "index and Maildir agree")
    }

    @Test func filesAddedByAnotherProgramGetNewUIDsInOrder() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 1)
        let date = Date(timeIntervalSince1970: 1_600_000_000)
        try write(sampleMessage(50), to: sandbox.maildir + "/new/1600000002.mutt.host", modified: date)
        try write(sampleMessage(51), to: sandbox.maildir + "/cur/1600000001.script.host:2,RS", modified: date)
        try write(sampleMessage(52), to: sandbox.maildir + "/new/.hidden-temp")
        let report = try await store.check()
        #expect(report.messagesAdded == 2)
        let messages = try await store.messages(in: "INBOX")
        #expect(messages.map(\.uid) == [1, 2, 3])
        // Ordered by the time in their names: 1600000001 before 1600000002.
        #expect(messages[1].flags == [.answered, .seen])
        #expect(messages[1].isRecent == false)
        #expect(messages[2].isRecent == true)
        #expect(messages[2].internalDate == date)
        #expect(try await store.readMessage(in: "INBOX", uid: 3) == sampleMessage(50))
        #expect(try await store.search(in: "INBOX", header: .subject, contains: "number 51") == [2])
        #expect(try await store.check().isEmpty)
    }

    @Test func filesRemovedByAnotherProgramAreExpunged() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 3)
        let validity = try await store.status("INBOX").uidValidity
        let modSeq = try await store.status("INBOX").highestModSeq
        let victim = try #require(try await store.messages(in: "INBOX").first { $0.uid == 2 })
        try FileManager.default.removeItem(atPath: victim.path)
        let report = try await store.check()
        #expect(report.messagesExpunged == 1)
        #expect(try await store.messages(in: "INBOX").map(\.uid) == [1, 3])
        let changes = try await store.changes(in: "INBOX", since: MailboxCursor(uidValidity: validity, uidNext: 4, highestModSeq: modSeq))
        #expect(changes.expunged == [2])
    }

    @Test func flagsRenamedByAnotherProgramAreTaken() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 2)
        _ = try await store.store(.add([.flagged], keywords: ["Work"]), uids: [2], in: "INBOX")
        let modSeq = try await store.status("INBOX").highestModSeq
        let messages = try await store.messages(in: "INBOX")
        // mutt reads message 1 (new → cur, seen) and unflags and marks message 2 replied and passed.
        try FileManager.default.moveItem(
            atPath: messages[0].path, toPath: sandbox.maildir + "/cur/" + messages[0].baseName + ":2,S")
        try FileManager.default.moveItem(
            atPath: messages[1].path, toPath: sandbox.maildir + "/cur/" + messages[1].baseName + ":2,PR")
        let report = try await store.check()
        #expect(report.flagsUpdated == 2)
        let after = try await store.messages(in: "INBOX")
        #expect(after.map(\.flags) == [[.seen], [.answered]])
        #expect(after[1].keywords == ["$Forwarded", "Work"])
        #expect(after.allSatisfy { $0.modSeq > modSeq })
        #expect(try await store.readMessage(in: "INBOX", uid: 2) == sampleMessage(1))
    }

    @Test func foldersAddedAndRemovedOutsideBecomeMailboxes() async throws {
        let store = try await sandbox.open()
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: sandbox.maildir + "/.Restored/" + sub, withIntermediateDirectories: true)
        }
        try write(sampleMessage(9), to: sandbox.maildir + "/.Restored/cur/1.x.host:2,S")
        try FileManager.default.removeItem(atPath: sandbox.maildir + "/.Archive")
        try FileManager.default.createDirectory(atPath: sandbox.maildir + "/.NotAMailbox", withIntermediateDirectories: true)
        let report = try await store.check()
        #expect(report.mailboxesAdded == ["Restored"])
        #expect(report.mailboxesRemoved == ["Archive"])
        #expect(try await store.messages(in: "Restored").map(\.flags) == [[.seen]])
        #expect(try await store.mailbox(named: "NotAMailbox") == nil)
    }

    @Test func deletedIndexIsRebuiltKeepingFlagsFromFileNames() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 3)
        try await deliver(store, 2, to: "Sent")
        _ = try await store.store(.add([.seen, .answered]), uids: [1], in: "INBOX")
        _ = try await store.store(.add([.deleted]), uids: [2], in: "Sent")
        try await store.createMailbox("Projects.chappe")
        let oldValidity = try await store.status("INBOX").uidValidity
        let before = try await snapshot(store)
        await store.close()
        try FileManager.default.removeItem(atPath: sandbox.indexPath)
        try? FileManager.default.removeItem(atPath: sandbox.indexPath + "-wal")
        try? FileManager.default.removeItem(atPath: sandbox.indexPath + "-shm")

        let (rebuilt, report) = try await sandbox.openWithReport()
        #expect(report?.indexCreated == true)
        #expect(try await snapshot(rebuilt) == before)
        #expect(try await rebuilt.mailbox(named: "Projects.chappe") != nil)
        #expect(try await rebuilt.mailbox(named: "Sent")?.specialUse == .sent)
        #expect(try await rebuilt.status("INBOX").uidValidity > oldValidity)
    }

    @Test func corruptIndexIsMovedAsideAndRebuilt() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 2)
        _ = try await store.store(.add([.flagged]), uids: [2], in: "INBOX")
        let before = try await snapshot(store)
        await store.close()
        try? FileManager.default.removeItem(atPath: sandbox.indexPath + "-wal")
        try? FileManager.default.removeItem(atPath: sandbox.indexPath + "-shm")
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: sandbox.indexPath))

        let (rebuilt, report) = try await sandbox.openWithReport(StoreSandbox.options(reconcile: .ifRebuilt))
        let moved = try #require(report?.corruptIndexMovedTo)
        #expect(FileManager.default.fileExists(atPath: moved))
        #expect(try await snapshot(rebuilt) == before)
        #expect(report?.description.contains("corrupt index moved to") == true)
    }

    @Test func damagedPagesAreFoundByTheThoroughCheck() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 30)
        await store.close()
        // Keep the header (a valid database to open) and damage the pages after it.
        let path = sandbox.indexPath
        let pool = try DatabaseQueue(path: path)
        try await pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try pool.close()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count > 16384)
        for index in 4096..<min(bytes.count, 4096 * 6) { bytes[index] = UInt8(truncatingIfNeeded: index * 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let (rebuilt, report) = try await sandbox.openWithReport(StoreSandbox.options(reconcile: .thorough))
        #expect(report?.corruptIndexMovedTo != nil)
        #expect(try await rebuilt.messages(in: "INBOX").count == 30)
    }

    @Test func staleTemporaryFilesAndDeletedFoldersAreCleaned() async throws {
        let store = try await sandbox.open()
        let old = Date(timeIntervalSinceNow: -40 * 3600)
        try write([1, 2, 3], to: sandbox.maildir + "/tmp/old.partial", modified: old)
        try write([1, 2, 3], to: sandbox.maildir + "/tmp/fresh.partial")
        try FileManager.default.createDirectory(atPath: sandbox.maildir + "/tmp/deleted.1.2/cur", withIntermediateDirectories: true)
        let report = try await store.check()
        #expect(report.temporaryFilesRemoved == 2)
        #expect(sandbox.files("tmp") == ["fresh.partial"])
    }

    /// (mailbox, base name, flags, size, bytes) of every message: what a rebuild must keep.
    private func snapshot(_ store: UserStore) async throws -> [String] {
        var out: [String] = []
        for mailbox in try await store.mailboxes() {
            for message in try await store.messages(in: mailbox.name) {
                let bytes = try await store.readMessage(in: mailbox.name, uid: message.uid)
                out.append("\(mailbox.name) \(message.baseName) \(message.flags.rawValue) \(message.size) \(bytes.hashValue) \(message.uid)")
            }
        }
        return out.sorted()
    }
}
