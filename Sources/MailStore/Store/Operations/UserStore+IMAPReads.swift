// Reads shaped for IMAP: many messages in one trip to the store's I/O pool for FETCH of
// bodies (going through `openMessage` costs an index query and three thread hand-offs
// per message, most of the time for small messages, as POP3 measured), and the message
// numbers of SELECT in one narrow indexed read (bench/imap, docs/BENCHMARKS.md).

import Foundation
import GRDB

extension UserStore {
    /// The bytes of messages listed by `messages(in:)`, read from the paths the listing
    /// gave, all on one pool thread. A file renamed since (a flag change) is found by its
    /// base name; a message whose file is gone (expunged meanwhile) is left out.
    public func readMessages(_ summaries: [MessageSummary], in mailbox: String) async throws(StoreError) -> [UInt32: [UInt8]] {
        let name = try MailboxName.validated(mailbox)
        let folder = folderPath(name)
        let fileSystem = self.fileSystem
        return try await blocking {
            var found: [UInt32: [UInt8]] = [:]
            for summary in summaries {
                do {
                    found[summary.uid] = try fileSystem.readFile(summary.path)
                } catch let error as FileSystemError where error.isNotFound {
                    guard let placed = try Self.findFile(base: summary.baseName, in: folder, fileSystem) else { continue }
                    do {
                        found[summary.uid] = try fileSystem.readFile(folder + "/" + placed.subdir + "/" + placed.name.fileName)
                    } catch let error as FileSystemError where error.isNotFound {
                        continue
                    }
                }
            }
            return found
        }
    }
}

/// What IMAP SELECT needs of every message: its UID (the sequence numbers) and
/// whether it is seen or \Recent, without building full summaries.
public struct MailboxNumbers: Sendable, Hashable {
    /// Every message's UID, ascending.
    public var uids: [UInt32]
    /// The UID of the first message without \Seen.
    public var firstUnseen: UInt32?
    /// Whether any message is still \Recent (unclaimed).
    public var hasRecent: Bool

    public init(uids: [UInt32], firstUnseen: UInt32?, hasRecent: Bool) {
        self.uids = uids
        self.firstUnseen = firstUnseen
        self.hasRecent = hasRecent
    }
}

extension UserStore {
    /// The UIDs of a mailbox with the first unseen one, in one indexed read: SELECT of a
    /// large mailbox costs a few milliseconds instead of listing every message.
    public func messageNumbers(in mailbox: String) async throws(StoreError) -> MailboxNumbers {
        let name = try MailboxName.validated(mailbox)
        return try await read { db in
            let mailboxRow = try IndexDatabase.requireMailbox(db, named: name)
            var numbers = MailboxNumbers(uids: [], firstUnseen: nil, hasRecent: false)
            numbers.uids.reserveCapacity(mailboxRow.messageCount)
            let seen = Int64(MessageFlags.seen.rawValue)
            let rows = try Row.fetchCursor(
                db, sql: "SELECT uid, flags, recent FROM message WHERE mailbox_id = ? ORDER BY uid", arguments: [mailboxRow.id])
            while let row = try rows.next() {
                let uid = UInt32(truncatingIfNeeded: row[0] as Int64)
                numbers.uids.append(uid)
                if numbers.firstUnseen == nil, (row[1] as Int64) & seen == 0 { numbers.firstUnseen = uid }
                if row[2] as Bool { numbers.hasRecent = true }
            }
            return numbers
        }
    }
}
