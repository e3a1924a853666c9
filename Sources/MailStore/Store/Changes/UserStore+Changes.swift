// Changes since a cursor (CONDSTORE-style, from MODSEQs and the expunge log), and the
// subscription API built on it (see ChangeMonitor.swift for latency and design).

import Foundation
import GRDB

extension UserStore {
    /// The mailbox's cursor now (what a SELECT would report).
    public func cursor(of mailbox: String) async throws(StoreError) -> MailboxCursor {
        let name = try MailboxName.validated(mailbox)
        return try await read { db in
            let row = try IndexDatabase.requireMailbox(db, named: name)
            return MailboxCursor(uidValidity: row.uidValidity, uidNext: row.uidNext, highestModSeq: row.highestModSeq)
        }
    }

    /// What changed in `mailbox` since `cursor`: expunged UIDs (below the cursor's UIDNEXT),
    /// flag changes of messages the cursor knew, and messages appended after it.
    public func changes(in mailbox: String, since cursor: MailboxCursor) async throws(StoreError) -> MailboxChanges {
        let name = try MailboxName.validated(mailbox)
        let folder = folderPath(name)
        return try await read { db in try Self.changes(db, mailbox: name, folder: folder, since: cursor) }
    }

    static func changes(_ db: Database, mailbox name: String, folder: String, since cursor: MailboxCursor) throws -> MailboxChanges {
        guard let row = try IndexDatabase.mailbox(db, named: name), row.uidValidity == cursor.uidValidity else {
            return MailboxChanges(cursor: cursor, expunged: [], flagChanges: [], appended: [], isInvalidated: true)
        }
        let now = MailboxCursor(uidValidity: row.uidValidity, uidNext: row.uidNext, highestModSeq: row.highestModSeq)
        var changes = MailboxChanges(cursor: now, expunged: [], flagChanges: [], appended: [], isInvalidated: false)
        guard now != cursor else { return changes }
        changes.expunged = try Int64.fetchAll(
            db, sql: "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? AND uid < ? ORDER BY uid",
            arguments: [row.id, Int64(cursor.highestModSeq), Int64(cursor.uidNext)]
        ).map { UInt32(truncatingIfNeeded: $0) }
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(MessageRow.columns) FROM message WHERE mailbox_id = ? AND (modseq > ? OR uid >= ?) ORDER BY uid",
            arguments: [row.id, Int64(cursor.highestModSeq), Int64(cursor.uidNext)]
        ).map(MessageRow.init)
        for message in rows {
            if message.uid >= cursor.uidNext {
                changes.appended.append(summary(message, folder: folder))
            } else {
                changes.flagChanges.append(
                    MessageFlagState(uid: message.uid, flags: message.flags, keywords: message.keywords, modSeq: message.modSeq))
            }
        }
        return changes
    }

    /// A row as sessions see it. A wire size still unknown (a row indexed before wire
    /// sizes were kept, whose file could not be read) is given as the file size.
    static func summary(_ row: MessageRow, folder: String) -> MessageSummary {
        MessageSummary(
            uid: row.uid, size: row.size, wireSize: row.wireSize ?? row.size, internalDate: row.internalDate,
            flags: row.flags, keywords: row.keywords, modSeq: row.modSeq, isRecent: row.recent,
            path: folder + "/" + row.relativePath, baseName: row.baseName)
    }

    /// A stream of the changes to `mailbox` after `cursor` (by default, from now on),
    /// for IMAP IDLE. Own changes arrive right after their commit, other processes'
    /// within `StoreOptions.changePollInterval`. The stream ends when the mailbox is
    /// invalidated (last batch has `isInvalidated`) or the store closes; cancel the
    /// consuming task (or drop the stream) to unsubscribe.
    public func subscribe(to mailbox: String, from cursor: MailboxCursor? = nil) async throws(StoreError) -> AsyncStream<MailboxChanges> {
        let name = try MailboxName.validated(mailbox)
        let start: MailboxCursor
        if let cursor { start = cursor } else { start = try await self.cursor(of: name) }
        let (stream, continuation) = AsyncStream<MailboxChanges>.makeStream(bufferingPolicy: .unbounded)
        let interval = monitor.pollInterval
        let id = monitor.add(mailbox: name, cursor: start, continuation: continuation) {
            Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let store = self, !Task.isCancelled else { return }
                    if await store.isIndexReplaced() {
                        store.monitor.invalidateAll()
                        return
                    }
                    await store.announceChanges()
                }
            }
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.monitor.remove(id) }
        if start != (try? await self.cursor(of: name)) { await announceChanges() }
        return stream
    }

    /// Runs change passes until no more are requested. A subscriber whose mailbox did not
    /// move costs one mailbox-row read.
    func announceChanges() async {
        guard monitor.hasSubscribers, monitor.beginPass() else { return }
        repeat {
            let subscribers = monitor.snapshot()
            let folders = Dictionary(subscribers.map { ($0.mailbox, folderPath($0.mailbox)) }, uniquingKeysWith: { a, _ in a })
            let results = try? await read { db -> [(Int, MailboxCursor, MailboxChanges)] in
                var cache: [String: [MailboxCursor: MailboxChanges]] = [:]
                var out: [(Int, MailboxCursor, MailboxChanges)] = []
                for subscriber in subscribers {
                    if let cached = cache[subscriber.mailbox]?[subscriber.cursor] {
                        out.append((subscriber.id, subscriber.cursor, cached))
                        continue
                    }
                    let changes = try Self.changes(
                        db, mailbox: subscriber.mailbox, folder: folders[subscriber.mailbox] ?? "", since: subscriber.cursor)
                    cache[subscriber.mailbox, default: [:]][subscriber.cursor] = changes
                    out.append((subscriber.id, subscriber.cursor, changes))
                }
                return out
            }
            for (id, from, changes) in results ?? [] where !changes.isEmpty {
                monitor.deliver(changes, to: id, from: from)
            }
        } while monitor.endPass()
    }
}
