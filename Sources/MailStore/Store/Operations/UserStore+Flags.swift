// Flags: STORE with MODSEQ and UNCHANGEDSINCE (RFC 9051 §6.4.6, RFC 7162 §3.1.3), and
// \Recent (RFC 3501 §2.3.2), with the Maildir file names kept in step.
//
// A flag change renames the file inside the write transaction that updates the row: a
// crash after the rename and before the commit leaves the file name ahead of the row,
// and `check()` takes the name's flags — the change survives. A message leaves new/ for
// cur/ the first time it gets flags, or when a session claims it as \Recent.

import Foundation
import GRDB

extension UserStore {
    /// Changes the flags of the messages `uids` of `mailbox`. With `unchangedSince`, a
    /// message whose MODSEQ is above it is left alone and listed in `modified`. Every
    /// message that changes gets the same new MODSEQ. UIDs that do not exist are ignored.
    public func store(
        _ operation: FlagOperation, uids: [UInt32], in mailbox: String, unchangedSince: UInt64? = nil
    ) async throws(StoreError) -> FlagUpdateResult {
        let name = try MailboxName.validated(mailbox)
        for keyword in operation.keywords where !Keyword.isValid(keyword) { throw .invalidKeyword(keyword) }
        let folder = folderPath(name)
        let fileSystem = self.fileSystem
        let result = try await write { db -> FlagUpdateResult in
            let mailboxRow = try IndexDatabase.requireMailbox(db, named: name)
            var result = FlagUpdateResult(updated: [], unchanged: [], modified: [])
            var modSeq: UInt64?
            for row in try IndexDatabase.messages(db, mailboxID: mailboxRow.id, uids: uids) {
                // RFC 7162 §3.1.3: UNCHANGEDSINCE fails for a message changed after it.
                if let unchangedSince, row.modSeq > unchangedSince {
                    result.modified.append(row.uid)
                    continue
                }
                let (flags, keywords) = operation.apply(to: row.flags, keywords: row.keywords)
                if flags == row.flags && keywords == row.keywords {
                    result.unchanged.append(MessageFlagState(uid: row.uid, flags: flags, keywords: keywords, modSeq: row.modSeq))
                    continue
                }
                guard let placed = try Self.renameForFlags(row, flags: flags, keywords: keywords, folder: folder, fileSystem) else {
                    continue  // the file is gone: check() expunges it
                }
                let next: UInt64
                if let modSeq { next = modSeq } else {
                    next = try IndexDatabase.nextModSeq(db, mailboxID: mailboxRow.id)
                    modSeq = next
                }
                try db.execute(
                    sql: "UPDATE message SET flags = ?, keywords = ?, modseq = ?, subdir = ?, file_name = ? WHERE id = ?",
                    arguments: [flags.rawValue, Keyword.encode(keywords), Int64(next), placed.subdir, placed.name.fileName, row.id])
                try IndexDatabase.recordKeywords(db, mailboxID: mailboxRow.id, keywords)
                result.updated.append(MessageFlagState(uid: row.uid, flags: flags, keywords: keywords, modSeq: next))
            }
            return result
        }
        if !result.updated.isEmpty { await announceChanges() }
        return result
    }

    /// Renames a message's file so its info matches `flags` and `keywords`, moving it to
    /// cur/. When the file is not where the row says (another program renamed it), it is
    /// looked up by base name; nil when it is gone.
    static func renameForFlags(
        _ row: MessageRow, flags: MessageFlags, keywords: [String], folder: String, _ fileSystem: any MaildirFileSystem
    ) throws -> MaildirFileName.Placed? {
        var current = MaildirFileName.Placed(subdir: row.subdir, name: MaildirFileName(parsing: row.fileName))
        let wanted = MaildirFileName.Placed(subdir: "cur", name: current.name.withFlags(flags, keywords: keywords))
        for attempt in 0..<2 {
            if current.subdir == wanted.subdir && current.name == wanted.name { return wanted }
            do {
                try fileSystem.rename(
                    folder + "/" + current.subdir + "/" + current.name.fileName, to: folder + "/cur/" + wanted.name.fileName)
                return wanted
            } catch let error as FileSystemError where error.isNotFound && attempt == 0 {
                guard let found = try findFile(base: row.baseName, in: folder, fileSystem) else { return nil }
                current = found
            }
        }
        return nil
    }

    /// Claims the messages of `mailbox` that are still \Recent: they are returned once, to
    /// the first caller (an IMAP SELECT), and their files move from new/ to cur/ (the
    /// Maildir "seen by a reader" step). Not a flag change: MODSEQs stay.
    public func claimRecent(in mailbox: String) async throws(StoreError) -> [UInt32] {
        let name = try MailboxName.validated(mailbox)
        let folder = folderPath(name)
        let fileSystem = self.fileSystem
        return try await write { db in
            let mailboxRow = try IndexDatabase.requireMailbox(db, named: name)
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(MessageRow.columns) FROM message WHERE mailbox_id = ? AND recent = 1 ORDER BY uid",
                arguments: [mailboxRow.id]
            ).map(MessageRow.init)
            for row in rows {
                var subdir = row.subdir
                var fileName = row.fileName
                if row.subdir == "new",
                   let placed = try? Self.renameForFlags(row, flags: row.flags, keywords: row.keywords, folder: folder, fileSystem) {
                    subdir = placed.subdir
                    fileName = placed.name.fileName
                }
                try db.execute(
                    sql: "UPDATE message SET recent = 0, subdir = ?, file_name = ? WHERE id = ?",
                    arguments: [subdir, fileName, row.id])
            }
            return rows.map(\.uid)
        }
    }
}
