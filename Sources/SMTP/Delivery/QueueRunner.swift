// The queue runner: takes committed entries (at once after a commit, at
// start-up for leftovers, and every poll interval for entries that other
// processes such as `chappe send` queued) and delivers their local
// recipients through the store and their remote recipients through the
// remote delivery agent (one transaction per domain), several entries at a
// time. Each pass over an entry ends with one atomic envelope rewrite; the
// store's delivery ids ("<queue id>/<recipient>") make a pass repeated
// after a crash deliver nothing twice (DESIGN.md rule 3). Remote delivery
// records the attempt before dialling and the results after each
// transaction (QueueRunner+Remote.swift); bounces and delay warnings are
// in QueueRunner+Reports.swift.
import Foundation
import Logging
import NIOCore

public struct QueueRunnerConfiguration: Sendable {
    /// The name in Reporting-MTA and the DSN's From.
    public var hostname: String
    /// The waits after the 1st, 2nd, … temporary failure; the last repeats.
    public var retrySchedule: [Duration]
    /// A recipient still failing temporarily after this fails for good (4.4.7).
    public var queueLifetime: Duration
    /// How often the queue folder is looked at for entries queued by others.
    public var pollInterval: Duration
    /// Entries delivered at once: each delivery waits on fsync, and the disk
    /// commits several together (Postfix's default destination concurrency
    /// is 20 as well).
    public var concurrency: Int
    /// After this long in the queue, senders of still deferred recipients
    /// get one delay warning (nil: never).
    public var delayWarningTime: Duration?
    /// Each retry wait is spread by up to this fraction either way, so that
    /// entries deferred together do not come back together.
    public var retryJitter: Double
    /// Who gets the report when a message from `<>` (a bounce) fails.
    public var postmaster: SMTPMailbox?

    public init(
        hostname: String, retrySchedule: [Duration], queueLifetime: Duration, pollInterval: Duration = .seconds(1),
        concurrency: Int = 20, delayWarningTime: Duration? = nil, retryJitter: Double = 0, postmaster: SMTPMailbox? = nil
    ) {
        self.hostname = hostname
        self.retrySchedule = retrySchedule.isEmpty ? [.seconds(300)] : retrySchedule
        self.queueLifetime = queueLifetime
        self.pollInterval = pollInterval
        self.concurrency = max(1, concurrency)
        self.delayWarningTime = delayWarningTime
        self.retryJitter = min(max(retryJitter, 0), 0.5)
        self.postmaster = postmaster
    }
}

/// What one pass over the queue did, for logs and tests.
public struct QueueRunSummary: Sendable, Equatable {
    public var delivered = 0
    public var deferred = 0
    public var failed = 0
    public var bounces = 0
    public var removed = 0
    public var corrupt = 0

    public init() {}

    mutating func add(_ other: QueueRunSummary) {
        delivered += other.delivered
        deferred += other.deferred
        failed += other.failed
        bounces += other.bounces
        removed += other.removed
        corrupt += other.corrupt
    }
}

public actor QueueRunner {
    let queue: any QueueStore
    let resolver: AliasingRecipientResolver
    let agent: any LocalDeliveryAgent
    /// Delivers non-local recipients; nil leaves them pending.
    let remote: (any RemoteDeliveryAgent)?
    let configuration: QueueRunnerConfiguration
    let clock: @Sendable () -> Date
    let logger: Logger
    /// Brings in what users without access to the queue left in the
    /// maildrop, at every look at the folder.
    let pickup: MaildropPickup?
    /// What the dispatcher of `run()` acts on, in order.
    private enum Event: Sendable {
        /// Committed by this process: deliver it as soon as a slot is free.
        case committed(QueueID)
        /// Look at the queue folder for new and due entries (`force`: every
        /// entry, deferred or not).
        case scan(force: Bool)
        /// A delivery slot is free again.
        case finished(QueueID)
    }

    private let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation
    /// When each entry seen needs the runner next (nil: only remote
    /// recipients are left, which this runner does not deliver), so that a
    /// poll reads only new and due entries.
    private var nextVisit: [QueueID: Date?] = [:]
    /// Entries waiting for a slot, in arrival order, and those in one.
    private var waiting: [QueueID] = []
    private var waitingIndex = 0
    private var queued: Set<QueueID> = []
    private var inFlight: Set<QueueID> = []
    /// Entries to retry now, deferred recipients included (a flush).
    private var forced: Set<QueueID> = []

    public init(
        queue: any QueueStore, resolver: AliasingRecipientResolver, agent: any LocalDeliveryAgent,
        configuration: QueueRunnerConfiguration, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
        pickup: MaildropPickup? = nil, remote: (any RemoteDeliveryAgent)? = nil
    ) {
        self.pickup = pickup
        self.remote = remote
        self.queue = queue
        self.resolver = resolver
        self.agent = agent
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        (events, eventSink) = AsyncStream.makeStream(of: Event.self)
        let sink = eventSink
        queue.setCommitObserver { id in sink.yield(.committed(id)) }
    }

    /// Asks for a look at the queue folder soon (`QUEUE-KICK` on the control
    /// socket, after `chappe send`).
    public nonisolated func kick() {
        eventSink.yield(.scan(force: false))
    }

    /// Retries deferred recipients now (`chappe queue flush`).
    public func flush() {
        eventSink.yield(.scan(force: true))
    }

    /// Removes an entry without delivering it (`chappe queue delete`).
    public func delete(_ id: QueueID) async throws {
        try await queue.remove(id, durably: true)
        logger.notice("queue entry \(id) deleted")
    }

    /// Runs until the task is cancelled. Entries committed here are taken
    /// at once; the folder is looked at on start-up, on a kick and every poll
    /// interval for entries queued by others and for due retries. Up to
    /// `concurrency` entries are processed at a time, each by one task; a
    /// new entry takes the first free slot rather than waiting for a pass
    /// to end.
    public func run() async {
        let sink = eventSink
        let interval = configuration.pollInterval
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    sink.yield(.scan(force: false))
                }
            }
            sink.yield(.scan(force: false))
            for await event in events {
                switch event {
                case .committed(let id): enqueue(id, force: false)
                case .scan(let force): await scan(force: force)
                case .finished(let id): inFlight.remove(id)
                }
                while inFlight.count < configuration.concurrency, let id = nextWaiting() {
                    inFlight.insert(id)
                    let force = forced.remove(id) != nil
                    group.addTask {
                        _ = await self.process(id, force: force)
                        sink.yield(.finished(id))
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Queues the entries of the folder that are new or due.
    private func scan(force: Bool) async {
        await pickup?.pickUp()
        let ids: [QueueID]
        do {
            ids = try await queue.activeIDs()
        } catch {
            logger.error("cannot list the queue: \(error)")
            return
        }
        let present = Set(ids)
        nextVisit = nextVisit.filter { present.contains($0.key) }
        let now = clock()
        for id in ids where force || isDue(id, now: now) {
            enqueue(id, force: force)
        }
    }

    private func isDue(_ id: QueueID, now: Date) -> Bool {
        guard let known = nextVisit[id] else { return true }
        guard let due = known else { return false }
        return due <= now
    }

    private func enqueue(_ id: QueueID, force: Bool) {
        if force { forced.insert(id) }
        guard !inFlight.contains(id), queued.insert(id).inserted else { return }
        waiting.append(id)
    }

    private func nextWaiting() -> QueueID? {
        guard waitingIndex < waiting.count else {
            waiting.removeAll(keepingCapacity: true)
            waitingIndex = 0
            return nil
        }
        let id = waiting[waitingIndex]
        waitingIndex += 1
        queued.remove(id)
        return id
    }

    /// One pass over every entry; `force` retries deferred recipients now.
    @discardableResult
    public func runOnce(force: Bool = false) async -> QueueRunSummary {
        var summary = QueueRunSummary()
        let ids: [QueueID]
        do {
            ids = try await queue.activeIDs()
        } catch {
            logger.error("cannot list the queue: \(error)")
            return summary
        }
        let present = Set(ids)
        nextVisit = nextVisit.filter { present.contains($0.key) }
        let now = clock()
        let due = ids.filter { force || isDue($0, now: now) }
        // Up to `concurrency` entries at once; each is processed by one task
        // only, and the actor serialises their bookkeeping between awaits.
        await withTaskGroup(of: QueueRunSummary.self) { group in
            var next = 0
            while next < due.count && next < configuration.concurrency {
                let id = due[next]
                group.addTask { await self.process(id, force: force) }
                next += 1
            }
            for await partial in group {
                summary.add(partial)
                guard next < due.count, !Task.isCancelled else { continue }
                let id = due[next]
                group.addTask { await self.process(id, force: force) }
                next += 1
            }
        }
        return summary
    }

    // MARK: - One entry

    private func process(_ id: QueueID, force: Bool) async -> QueueRunSummary {
        var summary = QueueRunSummary()
        nextVisit[id] = nil
        var entry: QueueEntry
        do {
            entry = try await queue.entry(id)
        } catch QueueError.noSuchEntry {
            return summary  // deleted meanwhile
        } catch {
            // STYLE.md rule 9: a corrupt entry moves aside and never stops the runner.
            logger.error("queue entry \(id) is unreadable, moved aside: \(error)")
            await queue.moveAside(id)
            summary.corrupt += 1
            return summary
        }
        let now = clock()
        let due = entry.recipients.indices.filter { isDue(entry.recipients[$0], now: now, force: force) }
        let unreported = entry.recipients.contains { if case .failed = $0.state { !$0.reported } else { false } }
        if due.isEmpty && !unreported {
            if entry.isFinished {
                await remove(id, summary: &summary)
            } else {
                remember(entry)
            }
            return summary
        }
        if !due.isEmpty {
            let message: [UInt8]
            do {
                message = try await queue.message(id)
            } catch {
                logger.error("queue entry \(id): cannot read the message, moved aside: \(error)")
                await queue.moveAside(id)
                summary.corrupt += 1
                return summary
            }
            entry.attempts += 1
            let delivered = Array("Return-Path: \(entry.envelope.reversePath)\r\n".utf8) + message
            for index in due where isLocal(entry.recipients[index].address) || remote == nil {
                await deliver(&entry, index: index, message: delivered, now: now, summary: &summary)
            }
            if remote != nil {
                // Due remote recipients, with the targets local aliases added just now.
                let remoteDue = entry.recipients.indices.filter {
                    !isLocal(entry.recipients[$0].address) && isDue(entry.recipients[$0], now: now, force: force)
                }
                guard await deliverRemotely(&entry, indices: remoteDue, message: message, now: now, summary: &summary)
                else { return summary }
            }
            // Finished by local deliveries alone: the removal is the pass's
            // one step. Should a crash undo it, the next pass delivers again
            // and each store answers the repeated delivery id with the first
            // result, so the rewrite (two fsyncs) would only cost.
            let finishedLocally = entry.isFinished && entry.recipients.allSatisfy { isLocal($0.address) }
            if finishedLocally {
                await remove(id, summary: &summary)
                return summary
            }
            guard await save(entry) else { return summary }
        }
        await report(&entry, now: now, summary: &summary)
        await warnOfDelay(&entry, now: now, summary: &summary)
        if entry.isFinished {
            await remove(id, summary: &summary)
        } else {
            remember(entry)
        }
        return summary
    }

    /// Notes when the entry is due again: its earliest deferred recipient;
    /// none when only remote recipients wait. An entry whose update failed
    /// is not remembered, so the next pass retries it.
    private func remember(_ entry: QueueEntry) {
        let unreported = entry.recipients.contains { if case .failed = $0.state { !$0.reported } else { false } }
        if unreported { return }
        var earliest: Date?
        for recipient in entry.recipients {
            switch recipient.state {
            case .deferred(_, let next): earliest = min(earliest ?? next, next)
            case .pending where isLocal(recipient.address) || remote != nil || recipient.lastError == nil: return
            case .pending, .delivered, .failed: continue
            }
        }
        nextVisit[entry.id] = .some(earliest)
    }

    func isDue(_ recipient: QueuedRecipient, now: Date, force: Bool) -> Bool {
        switch recipient.state {
        case .pending:
            // Without a remote agent, remote recipients wait; they are noted once.
            return isLocal(recipient.address) || remote != nil || recipient.lastError == nil
        case .deferred(_, let next): return force || next <= now
        case .delivered, .failed: return false
        }
    }

    func isLocal(_ mailbox: SMTPMailbox) -> Bool {
        resolver.aliases.localDomains.contains(mailbox.domain.lowercased())
    }

    private func deliver(
        _ entry: inout QueueEntry, index: Int, message: [UInt8], now: Date, summary: inout QueueRunSummary
    ) async {
        let recipient = entry.recipients[index]
        guard isLocal(recipient.address) else {
            entry.recipients[index].lastError = Self.noRemoteAgent
            return
        }
        let outcome = await deliverLocally(recipient.address, entry: &entry, message: message)
        switch outcome {
        case .delivered:
            entry.recipients[index].state = .delivered(at: now)
            entry.recipients[index].lastError = nil
            summary.delivered += 1
            logger.info("\(entry.id): delivered to <\(recipient.address)>")
        case .temporary(let reason):
            deferOrExpire(&entry, index: index, reason: reason, now: now, summary: &summary)
        case .permanent(let reason):
            entry.recipients[index].state = .failed(reason: reason, at: now)
            entry.recipients[index].lastError = reason
            summary.failed += 1
            logger.notice("\(entry.id): <\(recipient.address)> failed: \(reason)")
        }
    }

    /// Delivers to every mailbox `address` expands to; remote targets of an
    /// alias join the entry as pending recipients.
    private func deliverLocally(_ address: SMTPMailbox, entry: inout QueueEntry, message: [UInt8]) async -> LocalDeliveryOutcome {
        let expansion: ExpansionResult
        let missing: [SMTPMailbox]
        do {
            (expansion, missing) = try await resolver.deliveryMailboxes(for: address)
        } catch {
            return .temporary("4.3.0 mailbox lookup failed: \(error)")
        }
        if expansion.mailboxes.isEmpty && expansion.remote.isEmpty {
            return .permanent("5.1.1 <\(address)>: no such mailbox")
        }
        for mailbox in missing {
            logger.warning("\(entry.id): <\(address)> expands to <\(mailbox)>, which does not exist")
        }
        var permanent: String?
        var deliveredCount = 0
        // One id per queue entry and envelope recipient: each user's store
        // keeps its own delivery ids, so the members of a list share it.
        let deliveryID = "\(entry.id)/\(address)"
        for mailbox in expansion.mailboxes {
            switch await agent.deliver(message, to: mailbox, deliveryID: deliveryID) {
            case .delivered: deliveredCount += 1
            case .temporary(let reason): return .temporary(reason)
            case .permanent(let reason): permanent = reason
            }
        }
        for target in expansion.remote where !entry.recipients.contains(where: { $0.address == target }) {
            entry.recipients.append(
                QueuedRecipient(EnvelopeRecipient(address: target), lastError: remote == nil ? Self.noRemoteAgent : nil))
        }
        if let permanent, deliveredCount == 0, expansion.remote.isEmpty { return .permanent(permanent) }
        return .delivered
    }

    /// A temporary failure: deferred per `retry_schedule` (the last wait
    /// repeating, spread by the jitter), or failed with 4.4.7 once the
    /// entry is older than `queue_lifetime` (RFC 5321 §4.5.4.1).
    func deferOrExpire(_ entry: inout QueueEntry, index: Int, reason: String, now: Date, summary: inout QueueRunSummary) {
        let address = entry.recipients[index].address
        entry.recipients[index].lastError = reason
        if now >= entry.arrival.addingTimeInterval(Self.seconds(configuration.queueLifetime)) {
            entry.recipients[index].state = .failed(reason: "4.4.7 delivery time expired: \(reason)", at: now)
            summary.failed += 1
            logger.warning("\(entry.id): <\(address)> expired: \(reason)")
            return
        }
        let schedule = configuration.retrySchedule
        var wait = Self.seconds(schedule[min(max(entry.attempts - 1, 0), schedule.count - 1)])
        let jitter = configuration.retryJitter
        if jitter > 0 { wait *= Double.random(in: (1 - jitter)...(1 + jitter)) }
        entry.recipients[index].state = .deferred(reason: reason, nextAttempt: now.addingTimeInterval(wait))
        summary.deferred += 1
        logger.notice("\(entry.id): <\(address)> deferred: \(reason)")
    }

    static let noRemoteAgent = "remote delivery is not configured"

    // MARK: - Bookkeeping

    func save(_ entry: QueueEntry) async -> Bool {
        do {
            try await queue.update(entry)
            return true
        } catch {
            logger.error("cannot update queue entry \(entry.id): \(error)")
            return false
        }
    }

    private func remove(_ id: QueueID, summary: inout QueueRunSummary) async {
        do {
            try await queue.remove(id, durably: false)
            summary.removed += 1
        } catch {
            logger.error("cannot remove finished queue entry \(id): \(error)")
        }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
