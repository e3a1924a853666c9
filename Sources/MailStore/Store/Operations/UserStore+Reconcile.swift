// Reconciliation: bring the index in line with the Maildir after other programs changed
// it (mutt, a script, a restored backup), after a crash, or when the index was lost.
//
// The Maildir is the truth: a folder without a row becomes a mailbox (new UIDVALIDITY); a
// row without a folder goes; a file without a row gets the next UID (files ordered by
// the time in their names), its flags from its name, its delivery id from D<hash>; a row
// without a file is expunged (logged with a MODSEQ like any expunge); a file whose info
// changed gives its flags to the row (new MODSEQ). Keywords other than $Forwarded are
// only in the index, so a rebuilt index has none. A new file's wire size is counted
// from the bytes read for parsing (a W= in its name is not needed); rows indexed before
// wire sizes were kept get theirs from their name's W= when its S= matches the file,
// else from the file (`fillWireSizes`). Files are never renamed to add a W=.
//
// Each mailbox is done in three phases so that no write transaction waits on parsing:
// list the folder, read and parse the unknown files, then one write transaction that
// re-checks every difference against the disk (stat) before acting on it — a concurrent
// delivery, flag change or expunge by this or another process is never undone.

import Foundation
import GRDB
import Synchronization

/// What `check()` changed.
public struct ReconcileReport: Sendable, Hashable, CustomStringConvertible {
    public struct MailboxReport: Sendable, Hashable {
        public var added = 0
        public var expunged = 0
        public var flagsUpdated = 0
        public var deliveriesRecovered = 0
        /// Rows indexed before wire sizes were kept that got theirs now.
        public var wireSizesFilled = 0
        public init() {}
    }

    public init() {}

    /// The index was created now: from an empty Maildir, or rebuilt from files.
    public var indexCreated = false
    /// A corrupt index was moved here before the rebuild.
    public var corruptIndexMovedTo: String?
    public var mailboxesAdded: [String] = []
    public var mailboxesRemoved: [String] = []
    public var mailboxes: [String: MailboxReport] = [:]
    public var temporaryFilesRemoved = 0
    public var deliveryRowsPruned = 0

    public var messagesAdded: Int { mailboxes.values.reduce(0) { $0 + $1.added } }
    public var messagesExpunged: Int { mailboxes.values.reduce(0) { $0 + $1.expunged } }
    public var flagsUpdated: Int { mailboxes.values.reduce(0) { $0 + $1.flagsUpdated } }

    /// Nothing disagreed between index and Maildir (wire sizes filled in do not count).
    public var isEmpty: Bool {
        mailboxesAdded.isEmpty && mailboxesRemoved.isEmpty && messagesAdded == 0 && messagesExpunged == 0 && flagsUpdated == 0
    }

    public var description: String {
        var lines: [String] = []
        if let moved = corruptIndexMovedTo { lines.append("corrupt index moved to \(moved); rebuilt from the Maildir") }
        else if indexCreated { lines.append("index created from the Maildir") }
        for name in mailboxesAdded { lines.append("mailbox \(name): added (folder found without index entry)") }
        for name in mailboxesRemoved { lines.append("mailbox \(name): removed (folder is gone)") }
        for (name, report) in mailboxes.sorted(by: { $0.key < $1.key })
        where report.added + report.expunged + report.flagsUpdated + report.wireSizesFilled > 0 {
            var parts: [String] = []
            if report.added > 0 { parts.append("\(report.added) added") }
            if report.deliveriesRecovered > 0 { parts.append("\(report.deliveriesRecovered) interrupted deliveries completed") }
            if report.expunged > 0 { parts.append("\(report.expunged) expunged (files gone)") }
            if report.flagsUpdated > 0 { parts.append("\(report.flagsUpdated) flags taken from file names") }
            if report.wireSizesFilled > 0 { parts.append("\(report.wireSizesFilled) wire sizes recorded") }
            lines.append("mailbox \(name): " + parts.joined(separator: ", "))
        }
        if temporaryFilesRemoved > 0 { lines.append("\(temporaryFilesRemoved) stale files removed from tmp/") }
        if lines.isEmpty { lines.append("index and Maildir agree") }
        return lines.joined(separator: "\n")
    }
}

extension UserStore {
    /// Reconciles every mailbox with its folder (`chappe store check`, and `open`).
    public func check() async throws(StoreError) -> ReconcileReport {
        try await reconcileGate.withGate { () async throws(StoreError) -> ReconcileReport in
            var report = ReconcileReport()
            let first = openingUnreported.withLock { unreported in
                defer { unreported = false }
                return unreported
            }
            switch first ? opening : .existing {
            case .existing: break
            case .created: report.indexCreated = true
            case .replacedCorrupt(let movedTo):
                report.indexCreated = true
                report.corruptIndexMovedTo = movedTo
            }
            try await reconcileMailboxes(&report)
            for mailbox in try await read({ db in try IndexDatabase.allMailboxes(db).map(\.name) }) {
                var mailboxReport = try await reconcile(mailbox: mailbox)
                mailboxReport.wireSizesFilled = try await fillWireSizes(in: mailbox)
                report.mailboxes[mailbox] = mailboxReport
            }
            try await cleanUp(&report)
            await announceChanges()
            return report
        }
    }

    // MARK: - Mailboxes

    private func reconcileMailboxes(_ report: inout ReconcileReport) async throws(StoreError) {
        let maildir = self.maildir
        let fileSystem = self.fileSystem
        let onDisk = try await blocking { () throws -> Set<String> in
            var names: Set<String> = [MailboxName.inbox]
            for entry in try fileSystem.contentsOfDirectory(maildir) {
                guard let name = MailboxName.mailbox(forFolder: entry),
                      try fileSystem.status(maildir + "/" + entry + "/cur")?.isDirectory == true else { continue }
                names.insert(name)
            }
            return names
        }
        let now = options.clock()
        let (added, removed) = try await write { db -> ([String], [String]) in
            let rows = try IndexDatabase.allMailboxes(db)
            let known = Set(rows.map(\.name))
            var added: [String] = []
            var removed: [String] = []
            let usedSpecialUses = Set(rows.compactMap(\.specialUse))
            for name in onDisk.subtracting(known).sorted() {
                let specialUse = MailboxName.defaults.first { $0.name == name }?.specialUse
                _ = try IndexDatabase.insertMailbox(
                    db, name: name, specialUse: specialUse.flatMap { usedSpecialUses.contains($0) ? nil : $0 }, now: now)
                added.append(name)
            }
            for row in rows where !onDisk.contains(row.name) {
                // Gone since the listing? Check again under the write lock.
                let folder = maildir + "/" + MailboxName.folder(for: row.name)
                if try fileSystem.status(folder + "/cur") != nil { continue }
                try db.execute(sql: "DELETE FROM mailbox WHERE id = ?", arguments: [row.id])
                removed.append(row.name)
            }
            return (added, removed)
        }
        if !added.isEmpty {
            try await blocking {
                for name in added { try Self.createFolder(maildir + "/" + MailboxName.folder(for: name), isInbox: name == MailboxName.inbox, fileSystem) }
            }
        }
        report.mailboxesAdded = added.filter { !(report.indexCreated && $0 == MailboxName.inbox) }
        report.mailboxesRemoved = removed
    }

    // MARK: - One mailbox

    private struct FoundFile: Sendable {
        var placed: MaildirFileName.Placed
        var size: Int
        var wireSize: Int
        var modificationTime: Date
        var analysis: AnalyzedMessage
    }

    private func reconcile(mailbox name: String) async throws(StoreError) -> ReconcileReport.MailboxReport {
        let folder = folderPath(name)
        let fileSystem = self.fileSystem
        let maxText = options.maxIndexedTextBytes
        // Phase 1: the folder.
        let listing = try await blocking { try Self.listMessages(in: folder, fileSystem) }
        // Phase 2: parse the files the index does not know.
        let knownBases = try await read { db -> Set<String> in
            guard let row = try IndexDatabase.mailbox(db, named: name) else { return [] }
            return Set(try String.fetchAll(db, sql: "SELECT base_name FROM message WHERE mailbox_id = ?", arguments: [row.id]))
        }
        let unknown = listing.values.filter { !knownBases.contains($0.name.baseName) }
        let found = try await blocking { () throws -> [FoundFile] in
            var found: [FoundFile] = []
            for placed in unknown {
                let path = folder + "/" + placed.subdir + "/" + placed.name.fileName
                guard let status = try fileSystem.status(path), !status.isDirectory,
                      let bytes = try? fileSystem.readFile(path) else { continue }
                found.append(FoundFile(
                    placed: placed, size: bytes.count, wireSize: WireSize.of(bytes),
                    modificationTime: status.modificationTime,
                    analysis: MessageAnalysis.analyze(bytes, maxTextBytes: maxText)))
            }
            // New UIDs in delivery order: the time in the name, then the name.
            func key(_ file: FoundFile) -> (Int, Int) {
                file.placed.name.orderHint ?? (Int(file.modificationTime.timeIntervalSince1970), 0)
            }
            return found.sorted {
                let (left, right) = (key($0), key($1))
                return left != right ? left < right : $0.placed.name.baseName < $1.placed.name.baseName
            }
        }
        // Phase 3: apply, re-checking against the disk.
        let now = options.clock()
        return try await write { db -> ReconcileReport.MailboxReport in
            var report = ReconcileReport.MailboxReport()
            guard let mailboxRow = try IndexDatabase.mailbox(db, named: name) else { return report }
            let rows = try IndexDatabase.messages(db, mailboxID: mailboxRow.id)
            var missing: [MessageRow] = []
            var flagModSeq: UInt64?
            for row in rows {
                let rowPath = folder + "/" + row.relativePath
                guard let onDisk = listing[row.baseName] else {
                    if try fileSystem.status(rowPath) == nil { missing.append(row) }
                    continue
                }
                if onDisk.subdir == row.subdir && onDisk.name.fileName == row.fileName { continue }
                if try fileSystem.status(rowPath) != nil { continue }  // renamed by us after the listing
                let (nameFlags, nameKeywords) = onDisk.name.flags
                let keywords = Keyword.normalized(
                    row.keywords.filter { $0.caseInsensitiveCompare(Keyword.forwarded) != .orderedSame } + nameKeywords)
                var modSeq = row.modSeq
                if nameFlags != row.flags || keywords != row.keywords {
                    if flagModSeq == nil { flagModSeq = try IndexDatabase.nextModSeq(db, mailboxID: mailboxRow.id) }
                    modSeq = flagModSeq ?? modSeq
                    report.flagsUpdated += 1
                }
                try db.execute(
                    sql: "UPDATE message SET flags = ?, keywords = ?, modseq = ?, subdir = ?, file_name = ? WHERE id = ?",
                    arguments: [nameFlags.rawValue, Keyword.encode(keywords), Int64(modSeq), onDisk.subdir, onDisk.name.fileName, row.id])
            }
            let known = Set(rows.map(\.baseName))
            for file in found where !known.contains(file.placed.name.baseName) {
                let path = folder + "/" + file.placed.subdir + "/" + file.placed.name.fileName
                guard try fileSystem.status(path) != nil else { continue }
                let (flags, keywords) = file.placed.name.flags
                let hash = file.placed.name.deliveryHash
                let (uid, _) = try IndexDatabase.insertMessage(
                    db, mailboxID: mailboxRow.id,
                    NewMessage(
                        baseName: file.placed.name.baseName, subdir: file.placed.subdir, fileName: file.placed.name.fileName,
                        size: file.size, wireSize: file.wireSize, internalDate: file.modificationTime, flags: flags,
                        keywords: keywords, recent: file.placed.subdir == "new", deliveryHash: hash, analysis: file.analysis))
                report.added += 1
                if let hash {
                    // The delivery this file belongs to is done now (or, after a rebuild, remembered again).
                    let existing = try Self.deliveryRow(db, hash: hash)
                    if existing == nil || existing?.done == false {
                        try db.execute(
                            sql: """
                                INSERT INTO delivery(hash, state, mailbox_id, base_name, uid, uidvalidity, size, created)
                                VALUES (?, 'done', ?, ?, ?, ?, ?, ?)
                                ON CONFLICT(hash) DO UPDATE SET state = 'done', mailbox_id = excluded.mailbox_id,
                                    base_name = excluded.base_name, uid = excluded.uid, uidvalidity = excluded.uidvalidity
                                """,
                            arguments: [hash, mailboxRow.id, file.placed.name.baseName, Int64(uid), Int64(mailboxRow.uidValidity),
                                        file.size, now.timeIntervalSince1970])
                        if existing != nil { report.deliveriesRecovered += 1 }
                    }
                }
            }
            _ = try IndexDatabase.expunge(db, mailboxID: mailboxRow.id, rows: missing)
            report.expunged = missing.count
            return report
        }
    }

    /// The message files of a folder by base name; a base in both new/ and cur/ counts once (cur/).
    static func listMessages(in folder: String, _ fileSystem: any MaildirFileSystem) throws -> [String: MaildirFileName.Placed] {
        var files: [String: MaildirFileName.Placed] = [:]
        for subdir in ["new", "cur"] {
            let entries: [String]
            do {
                entries = try fileSystem.contentsOfDirectory(folder + "/" + subdir)
            } catch let error as FileSystemError where error.isNotFound {
                try fileSystem.createDirectory(folder + "/" + subdir)
                continue
            }
            for entry in entries where !entry.hasPrefix(".") {
                let name = MaildirFileName(parsing: entry)
                files[name.baseName] = MaildirFileName.Placed(subdir: subdir, name: name)
            }
        }
        return files
    }

    // MARK: - Housekeeping

    /// Old files in every tmp/, folders of deleted mailboxes, forgotten delivery rows.
    private func cleanUp(_ report: inout ReconcileReport) async throws(StoreError) {
        let fileSystem = self.fileSystem
        let now = options.clock()
        let lifetime = options.tmpFileLifetime
        let folders = try await read { db in try IndexDatabase.allMailboxes(db).map(\.name) }.map(folderPath)
        let maildir = self.maildir
        report.temporaryFilesRemoved = try await blocking { () throws -> Int in
            var removed = 0
            for folder in Set(folders + [maildir]) {
                guard let entries = try? fileSystem.contentsOfDirectory(folder + "/tmp") else { continue }
                for entry in entries {
                    let path = folder + "/tmp/" + entry
                    guard let status = try fileSystem.status(path) else { continue }
                    if folder == maildir && entry.hasPrefix("deleted.") && status.isDirectory {
                        try fileSystem.removeTree(path)  // a deleted mailbox whose removal was interrupted
                        removed += 1
                    } else if !status.isDirectory && now.timeIntervalSince(status.modificationTime) > lifetime {
                        try fileSystem.removeFile(path)
                        removed += 1
                    }
                }
            }
            return removed
        }
        let memory = options.deliveryMemory
        report.deliveryRowsPruned = try await write { db in
            try db.execute(
                sql: "DELETE FROM delivery WHERE (state = 'done' AND created < ?) OR (state = 'pending' AND created < ?)",
                arguments: [now.timeIntervalSince1970 - memory, now.timeIntervalSince1970 - lifetime])
            return db.changesCount
        }
    }
}
