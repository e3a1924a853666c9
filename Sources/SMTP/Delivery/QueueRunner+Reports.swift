// The queue runner's reports to senders (RFC 3464, built by
// `DeliveryStatusNotification`): one failure DSN per pass for the failed
// recipients not reported yet, and one delay warning per entry once it has
// waited `delay_warning_time`. Reports go out with the null sender; a
// failed message from `<>` (a bounce) is reported to the postmaster, and
// a failed report to the postmaster is only logged, so nothing loops.
import Foundation
import NIOCore

extension QueueRunner {
    /// Queues one DSN for the failed recipients not reported yet, then marks
    /// them reported. A crash between the two steps sends the DSN twice,
    /// never not at all.
    func report(_ entry: inout QueueEntry, now: Date, summary: inout QueueRunSummary) async {
        let indices = entry.recipients.indices.filter {
            if case .failed = entry.recipients[$0].state { !entry.recipients[$0].reported } else { false }
        }
        guard !indices.isEmpty else { return }
        let failures = indices.compactMap { index -> DeliveryStatusNotification.Failure? in
            let recipient = entry.recipients[index]
            guard DeliveryStatusNotification.wantsReport(recipient.recipient),
                case .failed(let reason, _) = recipient.state
            else { return nil }
            return .init(
                recipient: recipient.recipient, reason: reason, diagnostic: recipient.diagnostic,
                remoteMTA: recipient.remoteMTA)
        }
        let dsn = DeliveryStatusNotification(reportingMTA: configuration.hostname, entry: entry, failures: failures)
        let recipient = reportRecipient(for: entry, failures: failures)
        if !failures.isEmpty, let recipient {
            guard await queueReport(dsn, to: recipient, now: now, summary: &summary) else { return }
        } else if !failures.isEmpty {
            logger.warning("\(entry.id): failed bounce to the postmaster dropped, so that reports do not loop")
        }
        for index in indices { entry.recipients[index].reported = true }
        _ = await save(entry)
    }

    /// Queues a delay warning (RFC 3464 Action: delayed) once per entry,
    /// for the deferred recipients whose NOTIFY asks for it or is absent.
    func warnOfDelay(_ entry: inout QueueEntry, now: Date, summary: inout QueueRunSummary) async {
        guard let delay = configuration.delayWarningTime, entry.delayReportedAt == nil,
            let sender = entry.envelope.reversePath.mailbox,
            now >= entry.arrival.addingTimeInterval(Self.seconds(delay))
        else { return }
        let delayed = entry.recipients.compactMap { recipient -> DeliveryStatusNotification.Failure? in
            guard case .deferred(let reason, _) = recipient.state,
                DeliveryStatusNotification.wantsDelayReport(recipient.recipient)
            else { return nil }
            return .init(
                recipient: recipient.recipient, reason: reason, diagnostic: recipient.diagnostic,
                remoteMTA: recipient.remoteMTA)
        }
        guard !delayed.isEmpty else { return }
        let until = entry.arrival.addingTimeInterval(Self.seconds(configuration.queueLifetime))
        let dsn = DeliveryStatusNotification(
            reportingMTA: configuration.hostname, entry: entry, failures: delayed, kind: .delay(willRetryUntil: until))
        guard await queueReport(dsn, to: sender, now: now, summary: &summary) else { return }
        entry.delayReportedAt = now
        _ = await save(entry)
    }

    /// The sender; for a failed bounce the postmaster, unless the bounce
    /// that failed was already going to the postmaster.
    private func reportRecipient(
        for entry: QueueEntry, failures: [DeliveryStatusNotification.Failure]
    ) -> SMTPMailbox? {
        if let sender = entry.envelope.reversePath.mailbox { return sender }
        guard let postmaster = configuration.postmaster else { return nil }
        let toPostmaster = failures.contains { $0.recipient.address.localPart.lowercased() == "postmaster" }
        return toPostmaster ? nil : postmaster
    }

    /// Queues `dsn` for `recipient` with the null sender; false when it
    /// could not be queued (tried again at the next pass).
    private func queueReport(
        _ dsn: DeliveryStatusNotification, to recipient: SMTPMailbox, now: Date, summary: inout QueueRunSummary
    ) async -> Bool {
        guard let envelope = dsn.envelope(receivedAt: now, postmaster: recipient) else { return false }
        do {
            let original = try await queue.message(dsn.entry.id)
            let writer = try await queue.begin(envelope)
            var buffer = ByteBufferAllocator().buffer(capacity: 0)
            buffer.writeBytes(dsn.message(original: original, now: now, to: recipient))
            try await writer.append(buffer)
            let bounce = try await writer.commit(prepending: "")
            summary.bounces += 1
            logger.info("\(dsn.entry.id): DSN \(bounce) queued for <\(recipient)>")
            return true
        } catch {
            logger.error("\(dsn.entry.id): cannot queue the DSN, trying again later: \(error)")
            return false
        }
    }
}
