// Quota (at and over the limit, reported usage) and change notification (own changes at
// once, another process's changes by polling).

import Foundation
import Testing
@testable import MailStore

@Suite struct QuotaTests {
    let sandbox: StoreSandbox

    init() throws { sandbox = try StoreSandbox() }

    @Test func bytesQuotaAllowsExactlyTheLimit() async throws {
        let size = Int64(sampleMessage(0).count)
        let store = try await sandbox.open(StoreSandbox.options(quota: Quota(bytes: size * 2)))
        _ = try await store.deliver(.bytes(sampleMessage(0)), deliveryID: "a")
        _ = try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "b")
        #expect(try await store.usage().bytes == size * 2)
        do {
            _ = try await store.deliver(.bytes(sampleMessage(2)), deliveryID: "c")
            Issue.record("delivered over quota")
        } catch .quotaExceeded(let exceeded) {
            #expect(exceeded.resource == .bytes)
            #expect(exceeded.limit == size * 2)
            #expect(exceeded.usage == size * 2)
            #expect(!exceeded.isPermanent)
            #expect(StoreError.quotaExceeded(exceeded).isTemporary)
        }
        #expect(sandbox.messageFiles().count == 2)
        #expect(sandbox.files("tmp").isEmpty)
        // Room again after an expunge.
        _ = try await store.expunge(in: "INBOX", uids: [1], onlyDeleted: false)
        _ = try await store.deliver(.bytes(sampleMessage(2)), deliveryID: "c")
    }

    @Test func messageLargerThanTheWholeQuotaIsPermanent() async throws {
        let store = try await sandbox.open(StoreSandbox.options(quota: Quota(bytes: 10)))
        await #expect {
            _ = try await store.deliver(.bytes(sampleMessage(0)), deliveryID: "big")
        } throws: { error in
            guard case StoreError.quotaExceeded(let exceeded) = error else { return false }
            return exceeded.isPermanent && !StoreError.quotaExceeded(exceeded).isTemporary
        }
    }

    @Test func messageCountQuotaAcrossMailboxesAndCopies() async throws {
        let store = try await sandbox.open(StoreSandbox.options(quota: Quota(messages: 3)))
        _ = try await store.deliver(.bytes(sampleMessage(0)), deliveryID: "a")
        _ = try await store.deliver(.bytes(sampleMessage(1)), to: "Sent", deliveryID: "b")
        _ = try await store.copy(uids: [1], from: "INBOX", to: "Archive")
        await #expect(throws: StoreError.self) { try await store.copy(uids: [1], from: "INBOX", to: "Archive") }
        await #expect(throws: StoreError.self) { try await store.deliver(.bytes(sampleMessage(2)), deliveryID: "c") }
        let usage = try await store.usage()
        #expect(usage.messages == 3)
        #expect(usage.quota.messages == 3)
        // A move does not add: allowed at the limit.
        _ = try await store.move(uids: [1], from: "Archive", to: "Trash")
        // Raising the quota applies at once.
        store.setQuota(Quota(messages: 4))
        _ = try await store.deliver(.bytes(sampleMessage(2)), deliveryID: "c")
    }

    @Test func concurrentDeliveriesNeverPassTheQuota() async throws {
        let size = Int64(sampleMessage(10).count)
        let store = try await sandbox.open(StoreSandbox.options(quota: Quota(bytes: size * 5)))
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<12 {
                group.addTask { (try? await store.deliver(.bytes(sampleMessage(10 + index % 10)), deliveryID: "q\(index)")) != nil }
            }
            var delivered = 0
            for await ok in group where ok { delivered += 1 }
            return delivered
        }
        #expect(try await store.usage().bytes <= size * 5)
        #expect(outcomes == Int(try await store.usage().messages))
        #expect(sandbox.messageFiles().count == outcomes)
    }
}

@Suite struct ChangeNotificationTests {
    let sandbox: StoreSandbox

    init() throws { sandbox = try StoreSandbox() }

    /// Collects batches from a stream until `done` says enough, or a timeout.
    private func collect(
        _ stream: AsyncStream<MailboxChanges>, timeout: Duration = .seconds(5), until done: @escaping @Sendable ([MailboxChanges]) -> Bool
    ) async -> [MailboxChanges] {
        await withTaskGroup(of: [MailboxChanges]?.self) { group in
            group.addTask {
                var seen: [MailboxChanges] = []
                for await batch in stream {
                    seen.append(batch)
                    if done(seen) { break }
                }
                return seen
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            var result: [MailboxChanges] = []
            for await value in group {
                if let value { result = value }
                group.cancelAll()
                break
            }
            return result
        }
    }

    @Test func ownChangesArriveInOrder() async throws {
        let store = try await sandbox.open()
        _ = try await store.deliver(.bytes(sampleMessage(0)), deliveryID: "0")
        let stream = try await store.subscribe(to: "INBOX")
        let collector = Task { await collect(stream) { batches in batches.contains { !$0.expunged.isEmpty } } }
        _ = try await store.deliver(.bytes(sampleMessage(1)), deliveryID: "1")
        _ = try await store.store(.add([.seen]), uids: [1], in: "INBOX")
        _ = try await store.expunge(in: "INBOX", uids: [2], onlyDeleted: false)
        let batches = await collector.value
        let appended = batches.flatMap(\.appended).map(\.uid)
        let flagged = batches.flatMap(\.flagChanges)
        let expunged = batches.flatMap(\.expunged)
        #expect(appended == [2])
        #expect(flagged.map(\.uid) == [1])
        #expect(flagged.first?.flags == [.seen])
        #expect(expunged == [2])
        let last = try #require(batches.last)
        #expect(last.cursor == (try await store.cursor(of: "INBOX")))
    }

    @Test func anotherProcessesDeliveryIsSeenByPolling() async throws {
        let server = try await sandbox.open(StoreSandbox.options(pollInterval: .milliseconds(100)))
        let stream = try await server.subscribe(to: "INBOX")
        let collector = Task { await collect(stream) { batches in !batches.flatMap(\.appended).isEmpty } }
        // Another store object on the same files stands for `chappe deliver` in another process.
        let other = try await sandbox.open(StoreSandbox.options(reconcile: .ifRebuilt))
        _ = try await other.deliver(.bytes(sampleMessage(5)), deliveryID: "other")
        let batches = await collector.value
        #expect(batches.flatMap(\.appended).map(\.uid) == [1])
    }

    @Test func deletingTheMailboxInvalidatesAndEndsTheStream() async throws {
        let store = try await sandbox.open()
        try await store.createMailbox("Temp")
        let stream = try await store.subscribe(to: "Temp")
        let collector = Task { await collect(stream) { $0.contains(where: \.isInvalidated) } }
        try await store.deleteMailbox("Temp")
        let batches = await collector.value
        #expect(batches.last?.isInvalidated == true)
    }

    @Test func aRebuiltIndexInvalidatesTheOldStoresSubscribers() async throws {
        let server = try await sandbox.open(StoreSandbox.options(pollInterval: .milliseconds(50)))
        let stream = try await server.subscribe(to: "INBOX")
        let collector = Task { await collect(stream) { $0.contains(where: \.isInvalidated) } }
        // `chappe store check` in another process rebuilds a lost index.
        try FileManager.default.removeItem(atPath: sandbox.indexPath)
        _ = try await sandbox.open(StoreSandbox.options(reconcile: .thorough))
        #expect(await server.isIndexReplaced())
        let batches = await collector.value
        #expect(batches.last?.isInvalidated == true)
        let registry = UserStoreRegistry(dataDirectory: sandbox.dataDirectory, options: StoreSandbox.options())
        let first = try await registry.store(for: sandbox.address)
        #expect(try await registry.store(for: sandbox.address) === first)
        try FileManager.default.removeItem(atPath: sandbox.indexPath)
        _ = try await sandbox.open(StoreSandbox.options(reconcile: .thorough))
        let reopened = try await registry.store(for: sandbox.address)
        #expect(reopened !== first)
        #expect(try await reopened.mailboxes().count == 6)
        await registry.closeAll()
    }

    @Test func subscribingFromAnOldCursorCatchesUp() async throws {
        let store = try await sandbox.open()
        let cursor = try await store.cursor(of: "INBOX")
        _ = try await store.deliver(.bytes(sampleMessage(0)), deliveryID: "0")
        let stream = try await store.subscribe(to: "INBOX", from: cursor)
        let batches = await collect(stream) { !$0.isEmpty }
        #expect(batches.first?.appended.map(\.uid) == [1])
    }
}
