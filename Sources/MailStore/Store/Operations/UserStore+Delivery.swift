// Delivery: a message into a mailbox, exactly once per delivery id (DESIGN.md rule 3).
//
// Steps, each one atomic (docs/SPOOL.md, "Delivery"):
//   1. write transaction: the delivery id's row. "done" → return the first result;
//      "pending" (an earlier attempt crashed) → resume with its file name; none → check
//      the quota and insert "pending" with a new base name carrying D<hash> and the
//      sizes (S= the file, W= the wire size, counted before this step).
//   2. the message into FOLDER/tmp/, fsynced; renamed into new/ (cur/ when it has flags);
//      the directory fsynced. A resumed attempt first looks for the file in new/ and cur/
//      and skips this step when the earlier attempt got that far.
//   3. write transaction: the quota again (exact), the message row with the next UID and
//      MODSEQ, its FTS5 text, the delivery row "done". Then the caller is answered.
// A crash anywhere leaves at most a "pending" row and a file in tmp/ or new/; a retry with
// the same id finishes the delivery, and `check()` indexes a renamed file on its own (it
// recognises D<hash>). A real error (not a simulated crash) removes what the attempt wrote.

import Foundation
import GRDB

extension UserStore {
    /// Delivers a message (an MDA, SMTP local delivery). Returns once the file is fsynced
    /// in the Maildir and indexed. The same `deliveryID` delivered again — after a
    /// crash, a timeout, a retry — stores nothing new and returns the first result.
    /// Throws `.quotaExceeded` when the account is full, `.noSuchMailbox`.
    public func deliver(
        _ source: MessageSource, to mailbox: String = MailboxName.inbox, deliveryID: String,
        flags: MessageFlags = [], keywords: [String] = [], internalDate: Date? = nil
    ) async throws(StoreError) -> DeliveryResult {
        let name = try MailboxName.validated(mailbox)
        for keyword in keywords where !Keyword.isValid(keyword) { throw .invalidKeyword(keyword) }
        // The bytes and their wire size (for the W= in the name and the index), both
        // off the caller's thread.
        let fileSystem = self.fileSystem
        let (bytes, wireSize) = try await blocking { () throws -> ([UInt8], Int) in
            let bytes: [UInt8]
            switch source {
            case .bytes(let given): bytes = given
            case .file(let url): bytes = try fileSystem.readFile(url.path)
            }
            return (bytes, WireSize.of(bytes))
        }
        let hash = MaildirFileName.deliveryHash(deliveryID)
        let now = options.clock()
        let date = internalDate ?? now
        let quota = self.quota
        let hostname = options.hostname
        let fault = options.faultHook

        // Step 1: the intent.
        let plan = try await write { db -> DeliveryPlan in
            if let existing = try Self.deliveryRow(db, hash: hash) {
                if existing.done, let result = try Self.result(db, of: existing) { return .finished(result) }
                if let row = try Row.fetchOne(db, sql: "SELECT name FROM mailbox WHERE id = ?", arguments: [existing.mailboxID]) {
                    return .resume(mailbox: row["name"], mailboxID: existing.mailboxID, baseName: existing.baseName)
                }
                try db.execute(sql: "DELETE FROM delivery WHERE hash = ?", arguments: [hash])
            }
            let row = try IndexDatabase.requireMailbox(db, named: name)
            try Self.enforce(quota, adding: bytes.count, db)
            let base = MaildirFileName.makeBaseName(
                now: now, hostname: hostname, size: bytes.count, wireSize: wireSize, deliveryHash: hash)
            try db.execute(
                sql: "INSERT INTO delivery(hash, state, mailbox_id, base_name, size, created) VALUES (?, 'pending', ?, ?, ?, ?)",
                arguments: [hash, row.id, base, bytes.count, now.timeIntervalSince1970])
            return .fresh(mailbox: name, mailboxID: row.id, baseName: base)
        }
        let target: (mailbox: String, mailboxID: Int64, baseName: String)
        switch plan {
        case .finished(let result): return result
        case .fresh(let mailbox, let id, let base), .resume(let mailbox, let id, let base): target = (mailbox, id, base)
        }
        var placed: String?
        do {
            try fault?(.recorded)
            // Step 2: the file.
            let folder = folderPath(target.mailbox)
            let maxText = options.maxIndexedTextBytes
            let resuming: Bool = if case .resume = plan { true } else { false }
            let name = MaildirFileName(baseName: target.baseName, info: nil)
                .withFlags(flags, keywords: keywords)
            // Where a fresh attempt puts the file: what to remove if a later step fails.
            placed = folder + (name.flagLetters.isEmpty ? "/new/" + target.baseName : "/cur/" + name.fileName)
            let (file, analysis) = try await io.run { () throws -> (MaildirFileName.Placed, AnalyzedMessage) in
                let file = try (resuming ? Self.findFile(base: target.baseName, in: folder, fileSystem) : nil)
                    ?? Self.writeNewFile(
                        bytes, base: target.baseName, name: name, folder: folder, date: date, fileSystem, fault: fault)
                return (file, MessageAnalysis.analyze(bytes, maxTextBytes: maxText))
            }
            placed = folder + "/" + file.subdir + "/" + file.name.fileName
            try fault?(.directorySynced)

            // Step 3: the index.
            let (flagsInName, keywordsInName) = file.name.flags
            let result = try await write { db -> DeliveryResult in
                if let existing = try Self.deliveryRow(db, hash: hash), existing.done, var result = try Self.result(db, of: existing) {
                    // `check()` indexed this attempt's own file meanwhile: it is still this delivery.
                    result.wasAlreadyDelivered = existing.baseName != target.baseName || resuming
                    return result
                }
                guard let mailboxRow = try Row.fetchOne(db, sql: "SELECT * FROM mailbox WHERE id = ?", arguments: [target.mailboxID])
                    .map(MailboxRow.init)
                else { throw StoreError.noSuchMailbox(target.mailbox) }
                try Self.enforce(quota, adding: bytes.count, db)
                // The file must still be there (a concurrent failed attempt removes its own).
                guard try fileSystem.status(folder + "/" + file.subdir + "/" + file.name.fileName) != nil else {
                    throw StoreError.fileSystem(
                        path: folder + "/" + file.subdir + "/" + file.name.fileName, operation: "deliver",
                        reason: "the file vanished before it was indexed; try again")
                }
                let message = NewMessage(
                    baseName: target.baseName, subdir: file.subdir, fileName: file.name.fileName, size: bytes.count,
                    wireSize: wireSize, internalDate: date, flags: flags.union(flagsInName),
                    keywords: Keyword.normalized(keywords + keywordsInName), recent: true, deliveryHash: hash, analysis: analysis)
                let (uid, _) = try IndexDatabase.insertMessage(db, mailboxID: mailboxRow.id, message)
                try db.execute(
                    sql: """
                        INSERT INTO delivery(hash, state, mailbox_id, base_name, uid, uidvalidity, size, created)
                        VALUES (?, 'done', ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(hash) DO UPDATE SET state = 'done', uid = excluded.uid, uidvalidity = excluded.uidvalidity
                        """,
                    arguments: [hash, mailboxRow.id, target.baseName, Int64(uid), Int64(mailboxRow.uidValidity), bytes.count,
                                now.timeIntervalSince1970])
                return DeliveryResult(
                    mailbox: mailboxRow.name, uidValidity: mailboxRow.uidValidity, uid: uid, size: bytes.count,
                    wasAlreadyDelivered: false)
            }
            try fault?(.indexed)
            await announceChanges()
            return result
        } catch {
            let failure = StoreError.wrap(error, database: indexPath)
            if case .simulatedCrash = failure { throw failure }
            await undoDelivery(hash: hash, placed: placed)
            throw failure
        }
    }

    /// IMAP APPEND (RFC 9051 §6.3.12): a delivery with a fresh id, flags and date.
    public func append(
        _ bytes: [UInt8], to mailbox: String, flags: MessageFlags = [], keywords: [String] = [], internalDate: Date? = nil
    ) async throws(StoreError) -> DeliveryResult {
        try await deliver(
            .bytes(bytes), to: mailbox, deliveryID: "append:" + UUID().uuidString, flags: flags, keywords: keywords,
            internalDate: internalDate)
    }

    // MARK: - Steps

    private enum DeliveryPlan: Sendable {
        case finished(DeliveryResult)
        case fresh(mailbox: String, mailboxID: Int64, baseName: String)
        case resume(mailbox: String, mailboxID: Int64, baseName: String)
    }

    struct DeliveryRow {
        var done: Bool
        var mailboxID: Int64
        var baseName: String
        var uid: UInt32?
        var uidValidity: UInt32?
        var size: Int
    }

    static func deliveryRow(_ db: Database, hash: String) throws -> DeliveryRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM delivery WHERE hash = ?", arguments: [hash]).map { row in
            DeliveryRow(
                done: (row["state"] as String) == "done", mailboxID: row["mailbox_id"], baseName: row["base_name"],
                uid: (row["uid"] as Int64?).map { UInt32(truncatingIfNeeded: $0) },
                uidValidity: (row["uidvalidity"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }, size: row["size"])
        }
    }

    /// The result of a finished delivery, as first returned.
    private static func result(_ db: Database, of row: DeliveryRow) throws -> DeliveryResult? {
        guard let uid = row.uid, let validity = row.uidValidity else { return nil }
        let name = try String.fetchOne(db, sql: "SELECT name FROM mailbox WHERE id = ?", arguments: [row.mailboxID]) ?? MailboxName.inbox
        return DeliveryResult(mailbox: name, uidValidity: validity, uid: uid, size: row.size, wasAlreadyDelivered: true)
    }

    /// Writes tmp/BASE.RANDOM, fsyncs it, renames it into new/ (or cur/ with flags) and
    /// fsyncs that directory.
    private static func writeNewFile(
        _ bytes: [UInt8], base: String, name: MaildirFileName, folder: String, date: Date,
        _ fileSystem: any MaildirFileSystem, fault: (@Sendable (DeliveryStep) throws -> Void)?
    ) throws -> MaildirFileName.Placed {
        let placed = name.flagLetters.isEmpty
            ? MaildirFileName.Placed(subdir: "new", name: MaildirFileName(baseName: base, info: nil))
            : MaildirFileName.Placed(subdir: "cur", name: name)
        let temporary = folder + "/tmp/" + base + "." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            try fileSystem.createFile(temporary, contents: bytes, modificationTime: date, sync: true)
        } catch {
            try? fileSystem.removeFile(temporary)
            throw error
        }
        try fault?(.written)
        try fault?(.fileSynced)
        do {
            try fileSystem.rename(temporary, to: folder + "/" + placed.subdir + "/" + placed.name.fileName)
        } catch {
            try? fileSystem.removeFile(temporary)
            throw error
        }
        try fault?(.renamed)
        try fileSystem.syncDirectory(folder + "/" + placed.subdir)
        return placed
    }

    /// The file with base name `base` in new/ or cur/ of a folder, if there is one.
    static func findFile(base: String, in folder: String, _ fileSystem: any MaildirFileSystem) throws -> MaildirFileName.Placed? {
        if try fileSystem.status(folder + "/new/" + base) != nil {
            return MaildirFileName.Placed(subdir: "new", name: MaildirFileName(baseName: base, info: nil))
        }
        for subdir in ["cur", "new"] {
            for entry in try fileSystem.contentsOfDirectory(folder + "/" + subdir) {
                let name = MaildirFileName(parsing: entry)
                if name.baseName == base { return MaildirFileName.Placed(subdir: subdir, name: name) }
            }
        }
        return nil
    }

    /// After a real failure: remove the file this attempt placed (unless a concurrent
    /// attempt indexed it) and the pending row.
    private func undoDelivery(hash: String, placed: String?) async {
        let fileSystem = self.fileSystem
        _ = try? await write { db in
            guard let row = try Self.deliveryRow(db, hash: hash), !row.done else { return }
            if let placed {
                try? fileSystem.removeFile(placed)
                try? fileSystem.syncDirectory((placed as NSString).deletingLastPathComponent)
            }
            try db.execute(sql: "DELETE FROM delivery WHERE hash = ?", arguments: [hash])
        }
    }
}

extension MaildirFileName {
    /// A file's place in a folder: its subdirectory ("new", "cur") and its name.
    struct Placed: Sendable {
        var subdir: String
        var name: MaildirFileName
    }
}
