// What the delivery runner and the `chappe queue` tools need from the
// queue, beyond taking messages in (`MessageSpool`). `FileQueue` keeps it
// under data_dir/queue/ (docs/SPOOL.md); `MemoryQueue` is its twin for
// tests (STYLE.md rule 10).
import Foundation

public protocol QueueStore: MessageSpool {
    /// The committed entries, oldest first.
    func activeIDs() async throws -> [QueueID]
    func entry(_ id: QueueID) async throws -> QueueEntry
    /// The message as delivered: the Received field, then the stored bytes.
    func message(_ id: QueueID) async throws -> [UInt8]
    /// Replaces the entry's envelope in one atomic step.
    func update(_ entry: QueueEntry) async throws
    /// Removes an entry in one atomic step: a finished one (not `durably`:
    /// passed over again after a crash, it delivers nothing twice), or one
    /// the operator deleted (`durably`: it must not come back).
    func remove(_ id: QueueID, durably: Bool) async throws
    /// Moves an unreadable entry aside so it never stops the runner.
    func moveAside(_ id: QueueID) async
    /// Called after each commit (the runner's wake-up).
    func setCommitObserver(_ observer: @escaping @Sendable (QueueID) -> Void)
}

/// The commit observer, kept in a struct: a bare closure stored in a
/// `Mutex` and read back with `withLock { $0 }` gains a reabstraction
/// thunk at every read, so each call went through one more layer than the
/// last (quadratic time, and in the end a stack overflow).
struct CommitObserver: Sendable {
    let call: @Sendable (QueueID) -> Void
}

/// Where a simulated crash stops the queue (tests only).
public enum QueueStep: String, Sendable {
    /// The message file is fsynced, the envelope not yet written.
    case messageSynced
    /// Both files are fsynced in tmp/, not yet renamed into active/.
    case envelopeSynced
    /// Renamed into active/, the directories not yet fsynced.
    case renamed
    /// A rewritten envelope is fsynced as envelope.json.new, not yet renamed.
    case rewriteSynced
    /// An entry is about to be removed.
    case removing
}

public struct SimulatedQueueCrash: Error, Sendable, Equatable {
    public let step: QueueStep
    public init(_ step: QueueStep) { self.step = step }
}

public enum QueueError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchEntry(QueueID)
    case writerFinished(QueueID)

    public var description: String {
        switch self {
        case .noSuchEntry(let id): return "no queue entry \(id)"
        case .writerFinished(let id): return "queue entry \(id) was already committed or discarded"
        }
    }
}
