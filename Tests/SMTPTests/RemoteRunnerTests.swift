// The queue runner with the remote agent's twin: one transaction per
// domain, a 4xx then success on a later attempt, 5xx per recipient giving
// one DSN with exactly the failed recipients and the remote reply, the
// delay warning, expiry after queue_lifetime, and bounces of bounces.
import Foundation
import Logging
import Testing

@testable import SMTP

struct RemoteRunnerFixture {
    let queue: MemoryQueue
    let clock = TestClock()
    let remote = MemoryRemoteDeliveryAgent()
    let runner: QueueRunner

    init(delayWarning: Duration? = nil) {
        let clock = self.clock
        queue = MemoryQueue(clock: clock.function)
        let resolver = AliasingRecipientResolver(
            aliases: AliasTable(entries: [], localDomains: ["example.test"]),
            directory: MemoryDirectory(mailboxes: ["alice@example.test", "postmaster@example.test"]))
        runner = QueueRunner(
            queue: queue, resolver: resolver, agent: MemoryMailboxes(),
            configuration: QueueRunnerConfiguration(
                hostname: "mx.example.test", retrySchedule: [.seconds(60), .seconds(120)], queueLifetime: .seconds(3600),
                delayWarningTime: delayWarning, postmaster: outboundMailbox("postmaster@example.test")),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, clock: clock.function, remote: remote)
    }

    /// The entries other than `id`: the DSNs queued.
    func reports(besides id: QueueID) async throws -> [QueueEntry] {
        var out: [QueueEntry] = []
        for other in try await queue.activeIDs() where other != id { out.append(try await queue.entry(other)) }
        return out
    }
}

@Suite("Queue runner, remote delivery")
struct RemoteRunnerTests {
    @Test("one transaction per domain, with the message as queued (no Return-Path); delivered entries go")
    func transactionPerDomain() async throws {
        let fixture = RemoteRunnerFixture()
        let id = try await spool(
            sampleMessage, into: fixture.queue,
            envelope: testEnvelope(to: ["a@one.test", "b@two.test", "c@one.test"]))
        let summary = await fixture.runner.runOnce()
        #expect(summary.delivered == 3)
        let transactions = fixture.remote.transactions
        #expect(transactions.map(\.domain) .sorted() == ["one.test", "two.test"])
        let one = transactions.first { $0.domain == "one.test" }
        #expect(one?.recipients.map(\.address.description) == ["a@one.test", "c@one.test"])
        #expect(one.map { String(decoding: $0.bytes, as: UTF8.self).hasPrefix("Received: test\r\n") } == true)
        #expect(try await fixture.queue.activeIDs().contains(id) == false)
    }

    @Test("a 4xx defers with the reply; the next attempt after the schedule delivers, and only that recipient")
    func temporaryThenSuccess() async throws {
        let fixture = RemoteRunnerFixture()
        fixture.remote.script("b@remote.test", [
            RemoteRecipientResult(.temporary, "4.2.1 mx said: 451 4.2.1 busy", reply: "451 4.2.1 busy"),
            RemoteRecipientResult(.delivered, "2.0.0 ok", reply: "250 ok"),
        ])
        let id = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["a@remote.test", "b@remote.test"]))
        await fixture.runner.runOnce()
        let entry = try await fixture.queue.entry(id)
        #expect(entry.recipients[0].state.word == "delivered")
        #expect(entry.recipients[1].state == .deferred(
            reason: "4.2.1 mx said: 451 4.2.1 busy", nextAttempt: fixture.clock.now.addingTimeInterval(60)))
        #expect(entry.attempts == 1)
        await fixture.runner.runOnce()
        #expect(fixture.remote.transactions.count == 1)  // not due yet
        fixture.clock.advance(61)
        let summary = await fixture.runner.runOnce()
        #expect(summary.delivered == 1)
        #expect(fixture.remote.transactions.last?.recipients.map(\.address.description) == ["b@remote.test"])
        #expect(try await fixture.queue.activeIDs().isEmpty)
    }

    @Test("5xx for two of three recipients: one DSN listing exactly those, with the remote reply and Remote-MTA")
    func permanentFailures() async throws {
        let fixture = RemoteRunnerFixture()
        for address in ["a@remote.test", "c@remote.test"] {
            fixture.remote.script(address, [
                RemoteRecipientResult(.permanent, "5.1.1 mx said: 550 5.1.1 no such user", reply: "550 5.1.1 no such user")
            ])
        }
        let id = try await spool(
            sampleMessage, into: fixture.queue,
            envelope: testEnvelope(to: ["a@remote.test", "b@remote.test", "c@remote.test"]))
        let summary = await fixture.runner.runOnce()
        #expect(summary.failed == 2 && summary.delivered == 1 && summary.bounces == 1)
        let reports = try await fixture.reports(besides: id)
        #expect(reports.count == 1)
        let dsn = reports.first
        #expect(dsn?.envelope.reversePath == .null)
        #expect(dsn?.recipients.map(\.address.description) == ["alice@example.test"])
        let text = String(decoding: try await fixture.queue.message(try #require(dsn?.id)), as: UTF8.self)
        #expect(text.contains("Final-Recipient: rfc822; a@remote.test"))
        #expect(text.contains("Final-Recipient: rfc822; c@remote.test"))
        #expect(!text.contains("Final-Recipient: rfc822; b@remote.test"))
        #expect(text.contains("Diagnostic-Code: smtp; 550 5.1.1 no such user"))
        #expect(text.contains("Remote-MTA: dns; mx.remote.test"))
        #expect(text.contains("Status: 5.1.1"))
    }

    @Test("a delay warning once after delay_warning_time (Action: delayed), none with NOTIFY=FAILURE")
    func delayWarning() async throws {
        let fixture = RemoteRunnerFixture(delayWarning: .seconds(100))
        let busy = RemoteRecipientResult(.temporary, "4.4.1 no answer", reply: nil)
        fixture.remote.script("a@remote.test", [busy])
        fixture.remote.script("b@remote.test", [busy])
        var envelope = testEnvelope(to: ["a@remote.test", "b@remote.test"])
        envelope.recipients[1].notify = .on([.failure])
        let id = try await spool(sampleMessage, into: fixture.queue, envelope: envelope)
        await fixture.runner.runOnce()
        #expect(try await fixture.reports(besides: id).isEmpty)
        fixture.clock.advance(130)
        let summary = await fixture.runner.runOnce()
        #expect(summary.bounces == 1)
        let reports = try await fixture.reports(besides: id)
        let text = String(decoding: try await fixture.queue.message(try #require(reports.first?.id)), as: UTF8.self)
        #expect(text.contains("Action: delayed"))
        #expect(text.contains("Final-Recipient: rfc822; a@remote.test"))
        #expect(!text.contains("b@remote.test>") && !text.contains("rfc822; b@remote.test"))
        #expect(text.contains("Will-Retry-Until: "))
        #expect(try await fixture.queue.entry(id).delayReportedAt != nil)
        fixture.clock.advance(130)
        #expect(await fixture.runner.runOnce().bounces == 0)
    }

    @Test("after queue_lifetime a temporary failure fails with 4.4.7 → Status 5.4.7 in the DSN")
    func lifetimeExpiry() async throws {
        let fixture = RemoteRunnerFixture()
        fixture.remote.script("a@remote.test", [RemoteRecipientResult(.temporary, "4.4.1 no answer from any host")])
        let id = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(to: ["a@remote.test"]))
        await fixture.runner.runOnce()
        fixture.clock.advance(3700)
        let summary = await fixture.runner.runOnce()
        #expect(summary.failed == 1 && summary.bounces == 1)
        #expect(try await fixture.queue.activeIDs().contains(id) == false)
        let reports = try await fixture.reports(besides: id)
        let text = String(decoding: try await fixture.queue.message(try #require(reports.first?.id)), as: UTF8.self)
        #expect(text.contains("Status: 5.4.7"))
    }

    @Test("a failed bounce (from <>) is reported to the postmaster; a failed report to the postmaster is dropped")
    func doubleBounce() async throws {
        let fixture = RemoteRunnerFixture()
        fixture.remote.script("x@remote.test", [RemoteRecipientResult(.permanent, "5.1.1 gone", reply: "550 5.1.1 gone")])
        let id = try await spool(sampleMessage, into: fixture.queue, envelope: testEnvelope(from: nil, to: ["x@remote.test"]))
        await fixture.runner.runOnce()
        let reports = try await fixture.reports(besides: id)
        #expect(reports.count == 1)
        #expect(reports.first?.recipients.map(\.address.description) == ["postmaster@example.test"])
        #expect(reports.first?.envelope.reversePath == .null)
    }
}
