// The queue's in-memory twin (STYLE.md rule 10): the same contract as
// `FileQueue`, for tests of the session, the runner and the tools.
import Foundation
import NIOCore
import Synchronization

public final class MemoryQueue: QueueStore {
    struct Stored {
        var entry: QueueEntry
        var bytes: [UInt8]
    }

    private let entries = Mutex<[QueueID: Stored]>([:])
    private let order = Mutex<[QueueID]>([])
    private let observer = Mutex<CommitObserver?>(nil)
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    public func begin(_ envelope: Envelope) async throws -> any SpoolWriter {
        MemorySpoolWriter(queue: self, id: QueueIDGenerator.make(now: clock()), envelope: envelope, arrival: clock())
    }

    func store(_ entry: QueueEntry, bytes: [UInt8]) {
        entries.withLock { $0[entry.id] = Stored(entry: entry, bytes: bytes) }
        order.withLock { $0.append(entry.id) }
        let observer = self.observer.withLock { $0 }
        observer?.call(entry.id)
    }

    public func setCommitObserver(_ observer: @escaping @Sendable (QueueID) -> Void) {
        self.observer.withLock { $0 = CommitObserver(call: observer) }
    }

    public func activeIDs() async throws -> [QueueID] {
        let present = entries.withLock { Set($0.keys) }
        return order.withLock { $0.filter(present.contains) }
    }

    public func entry(_ id: QueueID) async throws -> QueueEntry {
        guard let stored = entries.withLock({ $0[id] }) else { throw QueueError.noSuchEntry(id) }
        return stored.entry
    }

    public func message(_ id: QueueID) async throws -> [UInt8] {
        guard let stored = entries.withLock({ $0[id] }) else { throw QueueError.noSuchEntry(id) }
        return Array(stored.entry.received.utf8) + stored.bytes
    }

    public func update(_ entry: QueueEntry) async throws {
        try entries.withLock { entries in
            guard entries[entry.id] != nil else { throw QueueError.noSuchEntry(entry.id) }
            entries[entry.id]?.entry = entry
        }
    }

    public func remove(_ id: QueueID, durably: Bool) async throws {
        try entries.withLock { entries in
            guard entries.removeValue(forKey: id) != nil else { throw QueueError.noSuchEntry(id) }
        }
    }

    public func moveAside(_ id: QueueID) async {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }
}

actor MemorySpoolWriter: SpoolWriter {
    nonisolated let queueID: QueueID
    private let queue: MemoryQueue
    private let envelope: Envelope
    private let arrival: Date
    private var bytes: [UInt8] = []
    private var finished = false

    init(queue: MemoryQueue, id: QueueID, envelope: Envelope, arrival: Date) {
        self.queue = queue
        self.queueID = id
        self.envelope = envelope
        self.arrival = arrival
    }

    func append(_ chunk: ByteBuffer) async throws {
        guard !finished else { throw QueueError.writerFinished(queueID) }
        bytes += chunk.readableBytesView
    }

    func commit(prepending header: String) async throws -> QueueID {
        guard !finished else { throw QueueError.writerFinished(queueID) }
        finished = true
        queue.store(QueueEntry(id: queueID, envelope: envelope, received: header, arrival: arrival, size: bytes.count), bytes: bytes)
        return queueID
    }

    func abort() async {
        finished = true
        bytes = []
    }
}
