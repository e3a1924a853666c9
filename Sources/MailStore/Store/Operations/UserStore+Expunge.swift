// Expunge, copy and move (RFC 9051 §6.4.3, §6.4.7, RFC 6851, RFC 4315 COPYUID).
//
// Order, chosen so that a crash never loses a message and never brings back one that
// was expunged (docs/SPOOL.md):
// - expunge: files are unlinked inside the write transaction, then the rows deleted and
//   the expunge logged; commit. A crash before the commit leaves rows without files,
//   which `check()` expunges. (Rows first would leave files that `check()` would
//   resurrect as new messages.)
// - copy: the copies are hard-linked (or written and fsynced) into the target's cur/
//   under new base names, the directory fsynced, then one transaction adds the rows. A
//   crash between leaves files that `check()` indexes: the copy happens anyway.
// - move: each file is renamed into the target folder inside the one transaction that
//   adds the target rows and expunges the source rows. A crash before the commit leaves
//   source rows without files (expunged by `check()`) and target files without rows
//   (added by it): the move completes, with UIDs assigned by `check()`.

import Foundation
import GRDB

extension UserStore {
    // MARK: - Expunge

    /// Removes messages for good: with `uids`, those of them (UID EXPUNGE, POP3 DELE at
    /// QUIT); without, every message. With `onlyDeleted` (IMAP EXPUNGE), only messages
    /// with \Deleted go. Returns the UIDs removed and the MODSEQ of the removal.
    public func expunge(in mailbox: String, uids: [UInt32]? = nil, onlyDeleted: Bool = true) async throws(StoreError) -> ExpungeResult {
        let name = try MailboxName.validated(mailbox)
        let folder = folderPath(name)
        let fileSystem = self.fileSystem
        let result = try await write { db -> ExpungeResult in
            let mailboxRow = try IndexDatabase.requireMailbox(db, named: name)
            var rows = try IndexDatabase.messages(db, mailboxID: mailboxRow.id, uids: uids)
            if onlyDeleted { rows = rows.filter { $0.flags.contains(.deleted) } }
            var removed: [MessageRow] = []
            for row in rows where try Self.removeFile(of: row, folder: folder, fileSystem) {
                removed.append(row)
            }
            let modSeq = try IndexDatabase.expunge(db, mailboxID: mailboxRow.id, rows: removed)
            return ExpungeResult(uids: removed.map(\.uid), modSeq: modSeq ?? mailboxRow.highestModSeq)
        }
        if !result.uids.isEmpty { await announceChanges() }
        return result
    }

    /// Unlinks a message's file (looked up by base name if it was renamed); true when the
    /// file is gone, false when it could not be removed (the row then stays).
    private static func removeFile(of row: MessageRow, folder: String, _ fileSystem: any MaildirFileSystem) throws -> Bool {
        do {
            try fileSystem.removeFile(folder + "/" + row.relativePath)
            return true
        } catch let error as FileSystemError where error.isNotFound {
            guard let found = try findFile(base: row.baseName, in: folder, fileSystem) else { return true }
            do {
                try fileSystem.removeFile(folder + "/" + found.subdir + "/" + found.name.fileName)
                return true
            } catch let error as FileSystemError where error.isNotFound {
                return true
            } catch {
                return false
            }
        } catch {
            return false
        }
    }

    // MARK: - Copy

    /// COPY: new messages in `target` with the same content, flags and keywords, \Recent,
    /// new UIDs (returned in source UID order, for COPYUID). Counts against the quota.
    public func copy(uids: [UInt32], from source: String, to target: String) async throws(StoreError) -> CopyResult {
        let sourceName = try MailboxName.validated(source)
        let targetName = try MailboxName.validated(target)
        let sourceFolder = folderPath(sourceName)
        let targetFolder = folderPath(targetName)
        let quota = self.quota
        let (rows, validity) = try await read { db -> ([MessageRow], UInt32) in
            let sourceRow = try IndexDatabase.requireMailbox(db, named: sourceName)
            let targetRow = try IndexDatabase.requireMailbox(db, named: targetName)
            let rows = try IndexDatabase.messages(db, mailboxID: sourceRow.id, uids: uids)
            try Self.enforce(quota, adding: rows.reduce(0) { $0 + $1.size }, count: rows.count, db)
            return (rows, targetRow.uidValidity)
        }
        guard !rows.isEmpty else { return CopyResult(uidValidity: validity, mapping: [], expungeModSeq: nil) }
        let now = options.clock()
        let hostname = options.hostname
        let fileSystem = self.fileSystem
        // The copies on disk first.
        let copies = try await blocking { () throws -> [(MessageRow, MaildirFileName)] in
            var copies: [(MessageRow, MaildirFileName)] = []
            for row in rows {
                let base = MaildirFileName.makeBaseName(
                    now: now, hostname: hostname, size: row.size, wireSize: row.wireSize, deliveryHash: nil)
                let name = MaildirFileName(baseName: base, info: nil).withFlags(row.flags, keywords: row.keywords)
                if try Self.linkOrCopy(row, from: sourceFolder, to: targetFolder + "/cur/" + name.fileName, fileSystem) {
                    copies.append((row, name))
                }
            }
            if !copies.isEmpty { try fileSystem.syncDirectory(targetFolder + "/cur") }
            return copies
        }
        do {
            let result = try await write { db -> CopyResult in
                let targetRow = try IndexDatabase.requireMailbox(db, named: targetName)
                try Self.enforce(quota, adding: copies.reduce(0) { $0 + $1.0.size }, count: copies.count, db)
                var mapping: [UIDPair] = []
                for (row, name) in copies {
                    guard let uid = try Self.insertCopy(
                        db, of: row, into: targetRow.id, baseName: name.baseName, subdir: "cur", fileName: name.fileName,
                        keepsDeliveryHash: false)
                    else {
                        try? fileSystem.removeFile(targetFolder + "/cur/" + name.fileName)
                        continue
                    }
                    mapping.append(UIDPair(source: row.uid, target: uid))
                }
                return CopyResult(uidValidity: targetRow.uidValidity, mapping: mapping, expungeModSeq: nil)
            }
            await announceChanges()
            return result
        } catch {
            for (_, name) in copies { try? await blocking { try fileSystem.removeFile(targetFolder + "/cur/" + name.fileName) } }
            throw error
        }
    }

    /// A hard link to the message's file at `destination`, or a written and fsynced copy
    /// when links are not possible; false when the source file is gone.
    private static func linkOrCopy(_ row: MessageRow, from folder: String, to destination: String, _ fileSystem: any MaildirFileSystem) throws -> Bool {
        var sourcePath = folder + "/" + row.relativePath
        if try fileSystem.status(sourcePath) == nil {
            guard let found = try findFile(base: row.baseName, in: folder, fileSystem) else { return false }
            sourcePath = folder + "/" + found.subdir + "/" + found.name.fileName
        }
        do {
            try fileSystem.link(sourcePath, to: destination)
        } catch let error as FileSystemError where error.isNotFound {
            return false
        } catch {
            let bytes = try fileSystem.readFile(sourcePath)
            try fileSystem.createFile(destination, contents: bytes, modificationTime: row.internalDate, sync: true)
        }
        return true
    }

    /// Adds a row for a copy of `row` in another mailbox, reusing its parsed data and
    /// full text; returns the new UID, or nil when the source row is gone.
    static func insertCopy(
        _ db: Database, of row: MessageRow, into mailboxID: Int64, baseName: String, subdir: String, fileName: String,
        keepsDeliveryHash: Bool
    ) throws -> UInt32? {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM message WHERE id = ?", arguments: [row.id]) == true else { return nil }
        guard let counters = try Row.fetchOne(
            db,
            sql: "UPDATE mailbox SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1 WHERE id = ? RETURNING uidnext, highestmodseq",
            arguments: [mailboxID])
        else { throw StoreError.database(path: "index", reason: "mailbox \(mailboxID) vanished") }
        let uid = (counters["uidnext"] as Int64) - 1
        let modSeq: Int64 = counters["highestmodseq"]
        try db.execute(
            sql: """
                INSERT INTO message(mailbox_id, uid, base_name, subdir, file_name, size, internal_date, flags, keywords,
                    recent, modseq, delivery_hash, header_size, sent_date, subject, from_text, to_text, cc_text, bcc_text,
                    message_id, in_reply_to, envelope, body_structure, wire_size)
                SELECT ?, ?, ?, ?, ?, size, internal_date, flags, keywords, 1, ?, \(keepsDeliveryHash ? "delivery_hash" : "NULL"),
                    header_size, sent_date, subject, from_text, to_text, cc_text, bcc_text, message_id, in_reply_to,
                    envelope, body_structure, wire_size
                FROM message WHERE id = ?
                """,
            arguments: [mailboxID, uid, baseName, subdir, fileName, modSeq, row.id])
        let newID = db.lastInsertedRowID
        try db.execute(
            sql: "INSERT INTO message_text(rowid, headers, body) SELECT ?, headers, body FROM message_text WHERE rowid = ?",
            arguments: [newID, row.id])
        try IndexDatabase.recordKeywords(db, mailboxID: mailboxID, row.keywords)
        return UInt32(truncatingIfNeeded: uid)
    }

    // MARK: - Move

    /// MOVE (RFC 6851): the files are renamed into `target` and the rows moved in one
    /// transaction — new UIDs there, an expunge (with its MODSEQ) in `source`.
    public func move(uids: [UInt32], from source: String, to target: String) async throws(StoreError) -> CopyResult {
        let sourceName = try MailboxName.validated(source)
        let targetName = try MailboxName.validated(target)
        let sourceFolder = folderPath(sourceName)
        let targetFolder = folderPath(targetName)
        let fileSystem = self.fileSystem
        if sourceName == targetName { throw .mailboxNotChangeable(sourceName, reason: "cannot move messages into the same mailbox") }
        let result = try await write { db -> CopyResult in
            let sourceRow = try IndexDatabase.requireMailbox(db, named: sourceName)
            let targetRow = try IndexDatabase.requireMailbox(db, named: targetName)
            var moved: [(from: String, to: String)] = []
            do {
                var mapping: [UIDPair] = []
                var gone: [MessageRow] = []
                for row in try IndexDatabase.messages(db, mailboxID: sourceRow.id, uids: uids) {
                    var placed = MaildirFileName.Placed(subdir: row.subdir, name: MaildirFileName(parsing: row.fileName))
                    var from = sourceFolder + "/" + row.relativePath
                    if try fileSystem.status(from) == nil {
                        guard let found = try Self.findFile(base: row.baseName, in: sourceFolder, fileSystem) else { continue }
                        placed = found
                        from = sourceFolder + "/" + found.subdir + "/" + found.name.fileName
                    }
                    let to = targetFolder + "/" + placed.subdir + "/" + placed.name.fileName
                    try fileSystem.rename(from, to: to)
                    moved.append((from, to))
                    guard let uid = try Self.insertCopy(
                        db, of: row, into: targetRow.id, baseName: row.baseName, subdir: placed.subdir,
                        fileName: placed.name.fileName, keepsDeliveryHash: true)
                    else { continue }
                    mapping.append(UIDPair(source: row.uid, target: uid))
                    gone.append(row)
                }
                let modSeq = try IndexDatabase.expunge(db, mailboxID: sourceRow.id, rows: gone)
                return CopyResult(uidValidity: targetRow.uidValidity, mapping: mapping, expungeModSeq: modSeq)
            } catch {
                for (from, to) in moved.reversed() { try? fileSystem.rename(to, to: from) }
                throw error
            }
        }
        if !result.mapping.isEmpty { await announceChanges() }
        return result
    }
}
