// Delivery: files land fsynced in new/, byte-identical, indexed once per delivery id —
// also when the delivery "crashes" at each step and is retried, or fails for real.

import Foundation
import GRDB
import Testing
@testable import MailStore

@Suite struct DeliveryTests {
    let sandbox: StoreSandbox

    init() throws { sandbox = try StoreSandbox() }

    @Test func newAccountGetsTheDefaultMailboxes() async throws {
        let store = try await sandbox.open()
        let mailboxes = try await store.mailboxes()
        #expect(Set(mailboxes.map(\.name)) == ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"])
        #expect(mailboxes.first { $0.name == "Sent" }?.specialUse == .sent)
        #expect(mailboxes.first { $0.name == "Junk" }?.specialUse == .junk)
        #expect(mailboxes.allSatisfy { $0.isSubscribed })
        for name in ["Sent", "Drafts", "Trash", "Junk", "Archive"] {
            for sub in ["tmp", "new", "cur"] {
                #expect(FileManager.default.fileExists(atPath: sandbox.folder(name) + "/" + sub))
            }
        }
        // A mailbox the user deleted is not created again on the next open.
        try await store.deleteMailbox("Junk")
        await store.close()
        let again = try await sandbox.open()
        #expect(try await again.mailbox(named: "Junk") == nil)
    }

    @Test func deliveredFileIsInNewByteIdenticalAndIndexed() async throws {
        let store = try await sandbox.open()
        let message = sampleMessage(1)
        let date = Date(timeIntervalSince1970: 1_750_000_000)
        let result = try await store.deliver(.bytes(message), deliveryID: "q1", internalDate: date)
        #expect(result.uid == 1)
        #expect(result.mailbox == "INBOX")
        #expect(result.size == message.count)
        #expect(!result.wasAlreadyDelivered)
        let files = sandbox.files("new")
        #expect(files.count == 1)
        #expect(sandbox.files("tmp").isEmpty)
        let name = try #require(files.first)
        #expect(name.hasSuffix(".test.host,W=\(message.count),S=\(message.count)"))
        #expect(name.contains("D" + MaildirFileName.deliveryHash("q1")))
        #expect(sandbox.messageFiles().first?.bytes == message)
        let attributes = try FileManager.default.attributesOfItem(atPath: sandbox.maildir + "/new/" + name)
        #expect((attributes[.modificationDate] as? Date).map { abs($0.timeIntervalSince(date)) < 1 } == true)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let listed = try await store.messages(in: "INBOX")
        #expect(listed.map(\.uid) == [1])
        #expect(listed.first?.size == message.count)
        #expect(listed.first?.isRecent == true)
        #expect(listed.first?.internalDate == date)
        #expect(try await store.readMessage(in: "INBOX", uid: 1) == message)
        #expect(try await store.readMessage(in: "INBOX", uid: 1, range: 0..<5) == Array("From:".utf8))
    }

    @Test func sameDeliveryIDTwiceStoresOnce() async throws {
        let store = try await sandbox.open()
        let first = try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "same")
        let second = try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "same")
        #expect(second.uid == first.uid)
        #expect(second.wasAlreadyDelivered)
        #expect(try await store.messages(in: "INBOX").count == 1)
        #expect(sandbox.messageFiles().count == 1)
    }

    @Test func deliveryWithFlagsGoesToCurWithInfo() async throws {
        let store = try await sandbox.open()
        _ = try await store.deliver(
            .bytes(sampleMessage(1)), to: "Drafts", deliveryID: "d", flags: [.draft, .seen], keywords: ["$Forwarded", "work"])
        let cur = sandbox.files("cur", in: "Drafts")
        #expect(cur.count == 1)
        #expect(cur.first?.hasSuffix(":2,DPS") == true)
        let message = try #require(try await store.messages(in: "Drafts").first)
        #expect(message.flags == [.draft, .seen])
        #expect(message.keywords == ["$Forwarded", "work"])
    }

    @Test func deliveryFromAFile() async throws {
        let store = try await sandbox.open()
        let url = URL(fileURLWithPath: sandbox.dataDirectory + "/incoming.eml")
        try Data(sampleMessage(7)).write(to: url)
        let result = try await store.deliver(.file(url), deliveryID: "file")
        #expect(try await store.readMessage(in: "INBOX", uid: result.uid) == sampleMessage(7))
    }

    @Test func unknownMailboxAndBadKeywordAreRefused() async throws {
        let store = try await sandbox.open()
        await #expect(throws: StoreError.noSuchMailbox("Nope")) {
            try await store.deliver(.bytes(sampleMessage()), to: "Nope", deliveryID: "x")
        }
        await #expect(throws: StoreError.invalidKeyword("two words")) {
            try await store.deliver(.bytes(sampleMessage()), deliveryID: "y", keywords: ["two words"])
        }
        #expect(sandbox.messageFiles().isEmpty)
    }

    // MARK: - Crashes

    /// A delivery stopped at `step` as a kill -9 would, then retried with the same id by a
    /// fresh store (a new process) that does not reconcile first: exactly one message.
    @Test(arguments: DeliveryStep.allCases)
    func crashAtEachStepThenRetryDeliversExactlyOnce(step: DeliveryStep) async throws {
        let crashing = try await sandbox.open(StoreSandbox.options(faultHook: { current in
            if current == step { throw SimulatedCrash(at: step) }
        }))
        await #expect(throws: StoreError.simulatedCrash(step: step.rawValue)) {
            try await crashing.deliver(.bytes(sampleMessage(1)), deliveryID: "crash-me")
        }
        await crashing.close()

        let retry = try await sandbox.open(StoreSandbox.options(reconcile: .ifRebuilt))
        let result = try await retry.deliver(.bytes(sampleMessage(1)), deliveryID: "crash-me")
        #expect(result.uid == 1)
        #expect(result.wasAlreadyDelivered == (step == .indexed))
        #expect(try await retry.messages(in: "INBOX").count == 1)
        #expect(sandbox.messageFiles().count == 1)
        #expect(sandbox.messageFiles().first?.bytes == sampleMessage(1))
        // A later full check finds nothing to fix, and leftovers in tmp/ are only the
        // crashed attempt's file (removed by check after tmpFileLifetime).
        let report = try await retry.check()
        #expect(report.messagesAdded == 0 && report.messagesExpunged == 0)
        #expect(try await retry.messages(in: "INBOX").count == 1)
    }

    /// A crash after the rename, then a full check (the server starting) before any retry:
    /// the check indexes the file and completes the delivery; the retry returns it.
    @Test func checkCompletesARenamedButUnindexedDelivery() async throws {
        let crashing = try await sandbox.open(StoreSandbox.options(faultHook: { step in
            if step == .directorySynced { throw SimulatedCrash(at: step) }
        }))
        _ = try? await crashing.deliver(.bytes(sampleMessage(1)), deliveryID: "half")
        await crashing.close()
        let (store, report) = try await sandbox.openWithReport()
        #expect(report?.messagesAdded == 1)
        #expect(report?.mailboxes["INBOX"]?.deliveriesRecovered == 1)
        let retry = try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "half")
        #expect(retry.wasAlreadyDelivered)
        #expect(retry.uid == 1)
        #expect(try await store.messages(in: "INBOX").count == 1)
    }

    /// A crash after the rename with the whole index lost: the rebuilt index knows the
    /// delivery from the D<hash> in the file name.
    @Test func rebuiltIndexRemembersDeliveriesFromFileNames() async throws {
        let store = try await sandbox.open()
        _ = try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "kept")
        await store.close()
        try FileManager.default.removeItem(atPath: sandbox.indexPath)
        let rebuilt = try await sandbox.open(StoreSandbox.options(reconcile: .ifRebuilt))
        let again = try await rebuilt.deliver(.bytes(sampleMessage(1)), deliveryID: "kept")
        #expect(again.wasAlreadyDelivered)
        #expect(try await rebuilt.messages(in: "INBOX").count == 1)
    }

    /// A crash after the rename, then mutt moves the unindexed file to cur/ and marks it
    /// seen: the retry finds it there and indexes it with its flags.
    @Test func retryFindsTheFileWhereAnotherProgramMovedIt() async throws {
        let crashing = try await sandbox.open(StoreSandbox.options(faultHook: { step in
            if step == .directorySynced { throw SimulatedCrash(at: step) }
        }))
        _ = try? await crashing.deliver(.bytes(sampleMessage(1)), deliveryID: "moved")
        await crashing.close()
        let name = try #require(sandbox.files("new").first)
        try FileManager.default.moveItem(atPath: sandbox.maildir + "/new/" + name, toPath: sandbox.maildir + "/cur/" + name + ":2,S")
        let retry = try await sandbox.open(StoreSandbox.options(reconcile: .ifRebuilt))
        let result = try await retry.deliver(.bytes(sampleMessage(1)), deliveryID: "moved")
        #expect(result.uid == 1)
        #expect(try await retry.messages(in: "INBOX").map(\.flags) == [[.seen]])
        #expect(sandbox.messageFiles().count == 1)
    }

    /// A session that goes away does not interrupt a delivery halfway.
    @Test func cancellingTheCallerDoesNotHalveADelivery() async throws {
        let store = try await sandbox.open()
        let task = Task { try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "cancelled") }
        task.cancel()
        _ = try? await task.value
        let messages = try await store.messages(in: "INBOX")
        #expect(messages.count == sandbox.messageFiles().count)
        #expect(try await store.check().isEmpty)
    }

    // MARK: - Real failures clean up

    @Test(arguments: ["create", "rename", "fsyncdir"])
    func failedFileStepLeavesNothingBehind(operation: String) async throws {
        let fileSystem = FaultyFileSystem()
        let store = try await sandbox.open(StoreSandbox.options(fileSystem: fileSystem))
        fileSystem.setRule { $0.operation == operation && !$0.path.hasSuffix("maildirfolder") }
        await #expect(throws: StoreError.self) {
            try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "io")
        }
        fileSystem.setRule(nil)
        #expect(sandbox.messageFiles().isEmpty)
        #expect(sandbox.files("tmp").isEmpty)
        #expect(try await store.messages(in: "INBOX").isEmpty)
        #expect(try sandbox.query { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery") } == 0)
        // The same id delivers normally afterwards.
        let result = try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "io")
        #expect(!result.wasAlreadyDelivered)
        #expect(sandbox.messageFiles().count == 1)
    }

    // MARK: - Concurrency

    @Test func concurrentDeliveriesGetUniqueAscendingUIDs() async throws {
        let store = try await sandbox.open()
        let uids = try await withThrowingTaskGroup(of: [UInt32].self) { group in
            for task in 0..<4 {
                group.addTask {
                    var uids: [UInt32] = []
                    for index in 0..<50 {
                        let result = try await store.deliver(
                            .bytes(sampleMessage(task * 100 + index)), deliveryID: "t\(task)-\(index)")
                        uids.append(result.uid)
                    }
                    return uids
                }
            }
            var all: [[UInt32]] = []
            for try await uids in group { all.append(uids) }
            return all
        }
        for perTask in uids { #expect(perTask == perTask.sorted()) }
        let all = uids.flatMap { $0 }
        #expect(Set(all).count == 200)
        #expect(all.min() == 1 && all.max() == 200)
        #expect(try await store.messages(in: "INBOX").count == 200)
        #expect(sandbox.messageFiles().count == 200)
        #expect(try await store.status("INBOX").uidNext == 201)
    }

    @Test func twoStoresLikeTwoProcessesShareTheIndex() async throws {
        let first = try await sandbox.open()
        let second = try await sandbox.open(StoreSandbox.options(reconcile: .ifRebuilt))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, store) in [first, second].enumerated() {
                group.addTask {
                    for index in 0..<25 { _ = try await store.deliver(.bytes(sampleMessage(index)), deliveryID: "p\(n)-\(index)") }
                }
            }
            try await group.waitForAll()
        }
        let uids = try await first.messages(in: "INBOX").map(\.uid)
        #expect(uids == Array(1...50))
    }

    /// Parallel `chappe deliver` processes on a new account: each opens (and migrates) the
    /// fresh index at the same moment.
    @Test func concurrentFirstOpensOfANewStore() async throws {
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<6 {
                group.addTask {
                    let store = try await sandbox.open(StoreSandbox.options(reconcile: .ifRebuilt))
                    _ = try await store.deliver(.bytes(sampleMessage(index)), deliveryID: "first-\(index)")
                    return try await store.mailboxes().count
                }
            }
            var counts: [Int] = []
            for try await count in group { counts.append(count) }
            return counts
        }
        #expect(counts.count == 6)
        let store = try await sandbox.open()
        #expect(try await store.mailboxes().map(\.name).sorted() == ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"])
        #expect(try await store.messages(in: "INBOX").count == 6)
    }

    @Test func concurrentAttemptsOfOneDeliveryStoreOnce() async throws {
        let store = try await sandbox.open()
        let results = try await withThrowingTaskGroup(of: DeliveryResult.self) { group in
            for _ in 0..<8 { group.addTask { try await store.deliver(.bytes(sampleMessage(3)), deliveryID: "dup") } }
            var results: [DeliveryResult] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(Set(results.map(\.uid)) == [1])
        #expect(try await store.messages(in: "INBOX").count == 1)
        #expect(sandbox.messageFiles().count == 1)
    }
}
