// Change notification for IMAP IDLE and for sessions that poll (NOOP).
//
// Every subscriber holds a cursor — (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) of what it has
// seen — and receives `MailboxChanges` batches: the messages appended, flags changed and
// UIDs expunged since its cursor, computed from the index (MODSEQs and the expunge log).
// The same query serves in-process changes and other processes' changes, so both look
// alike to a session:
// - after each of its own commits the store runs a pass at once (latency: one read
//   transaction after the commit);
// - while anyone subscribes, a poll every `StoreOptions.changePollInterval` (250 ms by
//   default) compares the subscribed mailboxes' counters — one indexed read — and runs a
//   pass when another process (`chappe deliver`, a second server) changed them.
// Passes never overlap: a poke during a pass makes the pass run once more. The poll also
// notices when another process replaced index.sqlite (`chappe store check` rebuilt it):
// every subscriber then gets an invalidated batch, so sessions drop this store.

import Foundation
import Synchronization

/// What a session has seen of a mailbox.
public struct MailboxCursor: Sendable, Hashable {
    public var uidValidity: UInt32
    public var uidNext: UInt32
    public var highestModSeq: UInt64

    public init(uidValidity: UInt32, uidNext: UInt32, highestModSeq: UInt64) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.highestModSeq = highestModSeq
    }
}

/// The changes to a mailbox since a cursor, in the order a session reports them:
/// expunges, then flag changes, then new messages (RFC 9051 §7.4.1, §7.3.1, §7.5.2).
public struct MailboxChanges: Sendable, Hashable {
    /// The cursor after these changes.
    public var cursor: MailboxCursor
    public var expunged: [UInt32]
    public var flagChanges: [MessageFlagState]
    public var appended: [MessageSummary]
    /// The mailbox was deleted, renamed away or got a new UIDVALIDITY: the session must
    /// drop its view (IMAP: BYE or a fresh SELECT).
    public var isInvalidated: Bool

    public var isEmpty: Bool { expunged.isEmpty && flagChanges.isEmpty && appended.isEmpty && !isInvalidated }

    public init(
        cursor: MailboxCursor, expunged: [UInt32], flagChanges: [MessageFlagState], appended: [MessageSummary],
        isInvalidated: Bool
    ) {
        self.cursor = cursor
        self.expunged = expunged
        self.flagChanges = flagChanges
        self.appended = appended
        self.isInvalidated = isInvalidated
    }
}

final class ChangeMonitor: Sendable {
    struct Subscriber {
        var mailbox: String
        var cursor: MailboxCursor
        var continuation: AsyncStream<MailboxChanges>.Continuation
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var passRunning = false
        var passRequested = false
        var poller: Task<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())
    let pollInterval: Duration

    init(pollInterval: Duration) {
        self.pollInterval = pollInterval
    }

    /// Registers a subscriber; `startPoller` runs when the first one arrives.
    func add(
        mailbox: String, cursor: MailboxCursor, continuation: AsyncStream<MailboxChanges>.Continuation,
        startPoller: () -> Task<Void, Never>
    ) -> Int? {
        state.withLock { state -> Int? in
            guard !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = Subscriber(mailbox: mailbox, cursor: cursor, continuation: continuation)
            if state.poller == nil { state.poller = startPoller() }
            return id
        }
    }

    func remove(_ id: Int) {
        let poller = state.withLock { state -> Task<Void, Never>? in
            state.subscribers[id] = nil
            guard state.subscribers.isEmpty else { return nil }
            defer { state.poller = nil }
            return state.poller
        }
        poller?.cancel()
    }

    var hasSubscribers: Bool { state.withLock { !$0.subscribers.isEmpty } }

    /// The subscribers' mailboxes and cursors.
    func snapshot() -> [(id: Int, mailbox: String, cursor: MailboxCursor)] {
        state.withLock { state in state.subscribers.map { ($0.key, $0.value.mailbox, $0.value.cursor) } }
    }

    /// Sends `changes` to a subscriber whose cursor is still `from`, and advances it.
    func deliver(_ changes: MailboxChanges, to id: Int, from: MailboxCursor) {
        // Yield under the lock keeps batches in cursor order; finish outside it, since
        // finishing runs onTermination, which removes the subscriber (and takes the lock).
        let finished = state.withLock { state -> AsyncStream<MailboxChanges>.Continuation? in
            guard var subscriber = state.subscribers[id], subscriber.cursor == from else { return nil }
            subscriber.cursor = changes.cursor
            state.subscribers[id] = subscriber
            subscriber.continuation.yield(changes)
            return changes.isInvalidated ? subscriber.continuation : nil
        }
        finished?.finish()
    }

    /// True when the caller should run a pass now; false when one is running (it will
    /// run again for this request).
    func beginPass() -> Bool {
        state.withLock { state in
            if state.passRunning {
                state.passRequested = true
                return false
            }
            state.passRunning = true
            state.passRequested = false
            return true
        }
    }

    /// True when another pass was requested meanwhile (the caller loops).
    func endPass() -> Bool {
        state.withLock { state in
            if state.passRequested {
                state.passRequested = false
                return true
            }
            state.passRunning = false
            return false
        }
    }

    /// Tells every subscriber its view is gone (the index was replaced by another
    /// process) and ends the streams.
    func invalidateAll() {
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers {
            subscriber.continuation.yield(
                MailboxChanges(cursor: subscriber.cursor, expunged: [], flagChanges: [], appended: [], isInvalidated: true))
            subscriber.continuation.finish()
        }
    }

    /// Ends every stream (the store closes).
    func finishAll() {
        let (subscribers, poller) = state.withLock { state in
            state.finished = true
            defer {
                state.subscribers = [:]
                state.poller = nil
            }
            return (Array(state.subscribers.values), state.poller)
        }
        poller?.cancel()
        for subscriber in subscribers { subscriber.continuation.finish() }
    }
}
