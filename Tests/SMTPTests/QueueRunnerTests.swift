// The queue runner over the queue's twin and over the file queue with a
// delivery agent twin that, like the store, keeps each delivery id once:
// local delivery with Return-Path, remote recipients left pending,
// deferral and expiry, bounces (RFC 3464) and exactly-once across a crash.
import Foundation
import Logging
import NIOCore
import Synchronization
import MailStore
import Testing

@testable import SMTP

/// Mailboxes in memory; a delivery id already seen stores nothing (as
/// `UserStore.deliver` does).
final class MemoryMailboxes: LocalDeliveryAgent {
    private let state = Mutex<(messages: [String: [[UInt8]]], ids: Set<String>, calls: Int)>(([:], [], 0))
    private let outcomes = Mutex<[String: LocalDeliveryOutcome]>([:])

    func setOutcome(_ outcome: LocalDeliveryOutcome?, for mailbox: String) {
        outcomes.withLock { $0[mailbox] = outcome }
    }

    func deliver(_ message: [UInt8], to mailbox: SMTPMailbox, deliveryID: String) async -> LocalDeliveryOutcome {
        if let outcome = outcomes.withLock({ $0[mailbox.description] }) { return outcome }
        state.withLock { state in
            state.calls += 1
            guard state.ids.insert(mailbox.description + " " + deliveryID).inserted else { return }
            state.messages[mailbox.description, default: []].append(message)
        }
        return .delivered
    }

    func messages(_ mailbox: String) -> [[UInt8]] {
        state.withLock { $0.messages[mailbox] ?? [] }
    }

    var calls: Int { state.withLock { $0.calls } }
}

/// A clock the test moves.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { self.now } }
}

struct RunnerFixture {
    let queue: any QueueStore
    let mailboxes = MemoryMailboxes()
    let clock: TestClock
    let runner: QueueRunner

    init(queue: (any QueueStore)? = nil, clock: TestClock = TestClock()) {
        self.clock = clock
        let queue = queue ?? MemoryQueue(clock: clock.function)
        self.queue = queue
        let aliases = AliasTable(
            entries: (try? AliasFile.parse("team: bob, carol\nfar: someone@remote.test, bob\n").get()) ?? [],
            localDomains: ["example.test"])
        let resolver = AliasingRecipientResolver(
            aliases: aliases,
            directory: MemoryDirectory(mailboxes: ["bob@example.test", "carol@example.test", "alice@example.test"]))
        runner = QueueRunner(
            queue: queue, resolver: resolver, agent: mailboxes,
            configuration: QueueRunnerConfiguration(
                hostname: "mx.example.test", retrySchedule: [.seconds(300), .seconds(900)], queueLifetime: .seconds(3600)),
            logger: Logger(label: "test"), clock: clock.function)
    }
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite("Queue runner")
struct QueueRunnerTests {
    @Test("a local recipient gets the message with Return-Path and Received; the entry goes")
    func localDelivery() async throws {
        let fixture = RunnerFixture()
        let id = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["bob@example.test"]))
        let summary = await fixture.runner.runOnce()
        #expect(summary.delivered == 1 && summary.removed == 1)
        #expect(fixture.mailboxes.messages("bob@example.test") == [
            Array(("Return-Path: <alice@example.test>\r\nReceived: test\r\n" + sampleMessage).utf8)
        ])
        #expect(try await fixture.queue.activeIDs().contains(id) == false)
    }

    @Test("a list delivers to each member once; a remote target joins the entry, pending")
    func aliases() async throws {
        let fixture = RunnerFixture()
        let id = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["team@example.test", "far@example.test"]))
        await fixture.runner.runOnce()
        #expect(fixture.mailboxes.messages("bob@example.test").count == 2)
        #expect(fixture.mailboxes.messages("carol@example.test").count == 1)
        let entry = try await fixture.queue.entry(id)
        #expect(entry.recipients.map(\.address.description) == ["team@example.test", "far@example.test", "someone@remote.test"])
        #expect(entry.recipients.last?.state == .pending)
        #expect(entry.recipients.last?.lastError == "remote delivery is not configured")
    }

    @Test("a remote recipient stays queued and pending, the local one is delivered")
    func remoteStaysPending() async throws {
        let fixture = RunnerFixture()
        let id = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["bob@example.test", "x@remote.test"]))
        await fixture.runner.runOnce()
        await fixture.runner.runOnce()
        let entry = try await fixture.queue.entry(id)
        #expect(entry.recipients[1].state == .pending)
        #expect(entry.recipients[1].lastError == "remote delivery is not configured")
        #expect(fixture.mailboxes.messages("bob@example.test").count == 1)
        #expect(entry.attempts == 1)
    }

    @Test("a temporary failure defers by the retry schedule, then expires into a bounce")
    func deferral() async throws {
        let fixture = RunnerFixture()
        fixture.mailboxes.setOutcome(.temporary("4.2.2 mailbox full"), for: "bob@example.test")
        let id = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["bob@example.test"]))
        await fixture.runner.runOnce()
        var entry = try await fixture.queue.entry(id)
        #expect(entry.recipients[0].state == .deferred(reason: "4.2.2 mailbox full", nextAttempt: fixture.clock.now.addingTimeInterval(300)))
        // Not due yet: nothing happens.
        fixture.clock.advance(100)
        #expect(await fixture.runner.runOnce() == QueueRunSummary())
        // Due: the second step of the schedule.
        fixture.clock.advance(200)
        await fixture.runner.runOnce()
        entry = try await fixture.queue.entry(id)
        #expect(entry.recipients[0].state == .deferred(reason: "4.2.2 mailbox full", nextAttempt: fixture.clock.now.addingTimeInterval(900)))
        // A flush retries at once; past the lifetime, the recipient fails.
        fixture.clock.advance(3600)
        let summary = await fixture.runner.runOnce(force: true)
        #expect(summary.failed == 1 && summary.bounces == 1 && summary.removed == 1)
    }

    @Test("an unknown mailbox bounces to the sender with the null sender (RFC 3464)")
    func bounce() async throws {
        let fixture = RunnerFixture()
        let original = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["nobody@example.test", "bob@example.test"]))
        let summary = await fixture.runner.runOnce()
        #expect(summary.failed == 1 && summary.delivered == 1 && summary.bounces == 1)
        let ids = try await fixture.queue.activeIDs()
        #expect(!ids.contains(original))
        #expect(ids.count == 1)
        guard let dsnID = ids.first else { return }
        let entry = try await fixture.queue.entry(dsnID)
        #expect(entry.envelope.reversePath == .null)
        #expect(entry.recipients.map(\.address.description) == ["alice@example.test"])
        let dsn = text(try await fixture.queue.message(dsnID))
        #expect(dsn.contains("Content-Type: multipart/report; report-type=delivery-status;"))
        #expect(dsn.contains("From: Mail Delivery System <MAILER-DAEMON@mx.example.test>"))
        #expect(dsn.contains("To: alice@example.test"))
        #expect(dsn.contains("Auto-Submitted: auto-replied"))
        #expect(dsn.contains("Content-Type: message/delivery-status"))
        #expect(dsn.contains("Content-Type: message/rfc822"))
        #expect(dsn.contains("<nobody@example.test>: 5.1.1"))
        #expect(!dsn.contains("<bob@example.test>:"))
        // RFC 3464 §2.1: the delivery-status fields in 7bit, readable as they are.
        #expect(dsn.contains("Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: 7bit\r\n\r\nReporting-MTA: dns; mx.example.test\r\n"))
        #expect(dsn.contains("Original-Envelope-Id: env-1\r\n"))
        #expect(dsn.contains("\r\n\r\nFinal-Recipient: rfc822; nobody@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
        #expect(dsn.contains("Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.test>: no such mailbox\r\n"))
        // The DSN itself is delivered to alice on the next pass, and never bounces.
        await fixture.runner.runOnce()
        #expect(fixture.mailboxes.messages("alice@example.test").count == 1)
        #expect(text(fixture.mailboxes.messages("alice@example.test")[0]).hasPrefix("Return-Path: <>\r\n"))
        #expect(try await fixture.queue.activeIDs().isEmpty)
    }

    @Test("RET=HDRS returns the header only; NOTIFY=NEVER and the null sender get no DSN")
    func bounceVariants() async throws {
        let fixture = RunnerFixture()
        _ = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["nobody@example.test"], ret: .headers))
        var never = testEnvelope(to: ["nobody@example.test"])
        never.recipients[0].notify = .never
        _ = try await spool(sampleMessage, into: fixture.queue, envelope: never)
        _ = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(from: nil, to: ["nobody@example.test"]))
        let summary = await fixture.runner.runOnce()
        #expect(summary.failed == 3 && summary.bounces == 1 && summary.removed == 3)
        let ids = try await fixture.queue.activeIDs()
        #expect(ids.count == 1)
        guard let id = ids.first else { return }
        let dsn = text(try await fixture.queue.message(id))
        #expect(dsn.contains("Content-Type: text/rfc822-headers"))
        #expect(!dsn.contains("line two"))
    }

    @Test("a crash after delivery but before the entry's removal delivers nothing twice")
    func exactlyOnceAcrossCrash() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let crash = CrashSwitch()
        let queue = try FileQueue(directory: folder.path + "/queue", faultHook: crash.hook)
        let fixture = RunnerFixture(queue: queue)
        let id = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test", "carol@example.test"]))
        crash.arm(.removing)
        await fixture.runner.runOnce()
        // Finished by local deliveries, the entry goes without an envelope
        // rewrite: it still says pending, and the pass is repeated after "restart".
        #expect(try await queue.entry(id).recipients.map(\.state) == [.pending, .pending])
        // The restarted server: a fresh queue and runner, the same mailboxes (the store outlives the crash).
        let restarted = try FileQueue(directory: folder.path + "/queue")
        let runner = QueueRunner(
            queue: restarted, resolver: AliasingRecipientResolver(
                aliases: AliasTable(entries: [], localDomains: ["example.test"]),
                directory: MemoryDirectory(mailboxes: ["bob@example.test", "carol@example.test"])),
            agent: fixture.mailboxes,
            configuration: QueueRunnerConfiguration(hostname: "mx.example.test", retrySchedule: [], queueLifetime: .seconds(60)),
            logger: Logger(label: "test"))
        let summary = await runner.runOnce()
        #expect(summary.delivered == 2 && summary.removed == 1)
        #expect(fixture.mailboxes.messages("bob@example.test").count == 1)
        #expect(fixture.mailboxes.messages("carol@example.test").count == 1)
        #expect(fixture.mailboxes.calls == 4)
        #expect(try await restarted.activeIDs().isEmpty)
    }

    @Test("an unreadable entry moves aside and the others are delivered")
    func corruptEntry() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        let fixture = RunnerFixture(queue: queue)
        let bad = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test"]))
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: folder.path + "/queue/active/\(bad)/envelope.json"))
        _ = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test"]))
        let summary = await fixture.runner.runOnce()
        #expect(summary.corrupt == 1 && summary.delivered == 1)
        #expect(folder.names("queue/corrupt") == [bad.rawValue])
    }

    @Test("run() delivers a commit without waiting for the poll, and stops when cancelled")
    func runLoop() async throws {
        let fixture = RunnerFixture()
        let runner = fixture.runner
        let task = Task { await runner.run() }
        _ = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["bob@example.test"]))
        // Bounded wait for the delivery (no timing assertion: only an upper bound).
        for _ in 0..<500 where fixture.mailboxes.messages("bob@example.test").isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(fixture.mailboxes.messages("bob@example.test").count == 1)
        task.cancel()
        await task.value
    }
}

@Suite("Store delivery agent")
struct StoreDeliveryAgentTests {
    @Test("the same delivery id stores one message; an unknown account is permanent")
    func exactlyOnceInTheStore() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let accounts = try AccountStore(path: folder.path + "/accounts.sqlite")
        try await accounts.add(try MailAddress("bob@example.test"), password: "pw")
        let stores = UserStoreRegistry(dataDirectory: folder.path)
        let agent = StoreDeliveryAgent(accounts: accounts, stores: stores)
        let message = Array("Return-Path: <a@remote.test>\r\nSubject: once\r\n\r\nbody\r\n".utf8)
        #expect(await agent.deliver(message, to: queueMailbox("bob@example.test"), deliveryID: "Q1/bob@example.test") == .delivered)
        #expect(await agent.deliver(message, to: queueMailbox("bob@example.test"), deliveryID: "Q1/bob@example.test") == .delivered)
        #expect(folder.names("mail/example.test/bob/Maildir/new").count == 1)
        guard case .permanent(let reason) = await agent.deliver(message, to: queueMailbox("nobody@example.test"), deliveryID: "Q1/x")
        else {
            Issue.record("an unknown account must fail permanently")
            return
        }
        #expect(reason.hasPrefix("5.1.1"))
        await stores.closeAll()
    }
}
