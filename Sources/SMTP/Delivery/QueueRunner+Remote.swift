// Remote delivery from the queue runner: the due non-local recipients of
// an entry, grouped by domain, one transaction per domain (RFC 5321 §5.1
// routes by domain; several recipients share one message). The attempt is
// on disk before the first connection (STYLE.md rule 9) and the results
// after each transaction, so a recipient marked delivered is never sent
// to again; a crash after a peer's 250 and before the save sends that
// transaction again (RFC 5321 §6.1 allows duplicates, never losses).
import Foundation

extension QueueRunner {
    /// Delivers the recipients at `indices`; false when the envelope could
    /// not be saved before dialling (nothing was sent then).
    func deliverRemotely(
        _ entry: inout QueueEntry, indices: [Int], message: [UInt8], now: Date, summary: inout QueueRunSummary
    ) async -> Bool {
        guard let remote, !indices.isEmpty else { return true }
        guard await save(entry) else { return false }
        var groups: [(domain: String, indices: [Int])] = []
        for index in indices {
            let domain = entry.recipients[index].address.domain.lowercased()
            if let position = groups.firstIndex(where: { $0.domain == domain }) {
                groups[position].indices.append(index)
            } else {
                groups.append((domain, [index]))
            }
        }
        let envelope = entry.envelope
        let transactions = groups.map { group in
            (
                group.indices,
                OutboundMessage(
                    domain: group.domain, reversePath: envelope.reversePath,
                    recipients: group.indices.map { entry.recipients[$0].recipient }, bytes: message,
                    envelopeID: envelope.envelopeID, ret: envelope.ret, smtpUTF8: envelope.smtpUTF8)
            )
        }
        // The domains of one entry at once; their results are applied and saved one by one.
        await withTaskGroup(of: ([Int], RemoteDeliveryReport).self) { group in
            for (indices, outbound) in transactions {
                group.addTask { (indices, await remote.deliver(outbound)) }
            }
            for await (indices, report) in group {
                apply(report, to: &entry, indices: indices, now: now, summary: &summary)
                _ = await save(entry)
            }
        }
        return true
    }

    private func apply(
        _ report: RemoteDeliveryReport, to entry: inout QueueEntry, indices: [Int], now: Date,
        summary: inout QueueRunSummary
    ) {
        for (position, index) in indices.enumerated() {
            let result =
                position < report.results.count
                ? report.results[position] : .temporary("4.4.0 the delivery agent gave no result")
            let address = entry.recipients[index].address
            entry.recipients[index].diagnostic = result.reply
            entry.recipients[index].remoteMTA = result.reply == nil ? nil : report.remoteMTA
            switch result.kind {
            case .delivered:
                entry.recipients[index].state = .delivered(at: now)
                entry.recipients[index].lastError = nil
                summary.delivered += 1
                logger.info("\(entry.id): delivered to <\(address)> via \(report.remoteMTA ?? "?"): \(result.reason)")
            case .temporary:
                deferOrExpire(&entry, index: index, reason: result.reason, now: now, summary: &summary)
            case .permanent:
                entry.recipients[index].state = .failed(reason: result.reason, at: now)
                entry.recipients[index].lastError = result.reason
                summary.failed += 1
                logger.notice("\(entry.id): <\(address)> failed: \(result.reason)")
            }
        }
    }
}
