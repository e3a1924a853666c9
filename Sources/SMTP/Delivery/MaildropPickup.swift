// The server's half of the maildrop (`Maildrop`): each complete file
// becomes a queue entry, prepared as its owner's `chappe send` would have
// prepared it (their name in From and the envelope sender, their user id
// in Received), queued durably, then removed. A crash between the two
// queues it twice, never not at all. A file that cannot be taken (not a
// regular file, too large, not ours) moves to queue/corrupt/.
import Foundation
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct MaildropPickup: Sendable {
    let queueDirectory: String
    let spool: any MessageSpool
    let domain: String
    let hostname: String
    let maxMessageSize: Int
    let logger: Logger

    public init(
        queueDirectory: String, spool: any MessageSpool, domain: String, hostname: String, maxMessageSize: Int,
        logger: Logger
    ) {
        self.queueDirectory = queueDirectory
        self.spool = spool
        self.domain = domain
        self.hostname = hostname
        self.maxMessageSize = maxMessageSize
        self.logger = logger
    }

    /// Takes every waiting file; returns how many were queued.
    @discardableResult
    public func pickUp() async -> Int {
        // The listing, reads and removals block: they run on the queue's
        // I/O threads, like every other file operation of the queue.
        let queueDirectory = self.queueDirectory
        let names = (try? await QueueFiles.run { Maildrop.waiting(queueDirectory: queueDirectory) }) ?? []
        var queued = 0
        for name in names {
            let path = Maildrop.directory(inQueue: queueDirectory) + "/" + name
            do {
                try await take(path)
                _ = try? await QueueFiles.run { unlink(path) }
                queued += 1
            } catch {
                logger.error("maildrop file \(name) refused, moved to queue/corrupt: \(error)")
                _ = try? await QueueFiles.run { rename(path, queueDirectory + "/corrupt/maildrop-" + name) }
            }
        }
        return queued
    }

    private func take(_ path: String) async throws {
        // The options line and the sendmail conventions may add a little to
        // the message; the prepared message is checked exactly below.
        let maxBytes = maxMessageSize + 64 * 1024
        let dropped = try await QueueFiles.run { try Maildrop.read(path, maxBytes: maxBytes) }
        var submission = LocalSubmission(user: Maildrop.userName(dropped.owner), domain: domain, hostname: hostname)
        submission.userID = dropped.owner
        submission.recipients = dropped.options.recipients
        submission.sender = dropped.options.sender
        submission.extractRecipients = dropped.options.extractRecipients
        submission.ignoreDots = dropped.options.ignoreDots
        let now = Date()
        let zone = TimeZone.current.secondsFromGMT(for: now) / 60
        let prepared = try submission.prepare(dropped.input, now: now, zoneOffsetMinutes: zone)
        guard prepared.message.count <= maxMessageSize else {
            throw Maildrop.Failure("the message is larger than [smtp] max_message_size (\(maxMessageSize) octets)")
        }
        let writer = try await spool.begin(prepared.envelope)
        var buffer = ByteBufferAllocator().buffer(capacity: prepared.message.count)
        buffer.writeBytes(prepared.message)
        try await writer.append(buffer)
        let id = try await writer.commit(prepending: submission.receivedField(id: writer.queueID, now: now, zoneOffsetMinutes: zone))
        logger.info("\(id): picked up from the maildrop, submitted by \(submission.user)")
    }
}
