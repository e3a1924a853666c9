// Mailboxes: list, create, delete, rename, subscribe, status (RFC 9051 §6.3).
//
// Crash safety (docs/SPOOL.md):
// - create: folder first (tmp, new, cur), then the row. A crash between leaves a folder
//   without a row, which `check()` adopts as the same mailbox.
// - delete: inside the write transaction the folder is renamed into Maildir/tmp/ (out of
//   sight), then the row goes (with its messages); after the commit the folder is removed.
//   A crash before the commit leaves a row without a folder, which `check()` drops; after
//   it, a folder in tmp/ that `check()` removes.
// - rename: folders renamed inside the write transaction that renames the rows; a failed
//   rename puts back the folders already moved. Children move with their parent.

import Foundation
import GRDB

extension UserStore {
    // MARK: - Listing

    /// Every mailbox, sorted by name, with its subscription state and counters.
    public func mailboxes() async throws(StoreError) -> [MailboxInfo] {
        try await read { db in
            let subscribed = Set(try String.fetchAll(db, sql: "SELECT name FROM subscription"))
            return try IndexDatabase.allMailboxes(db).map { Self.info($0, subscribed: subscribed.contains($0.name)) }
        }
    }

    /// One mailbox, or nil.
    public func mailbox(named name: String) async throws(StoreError) -> MailboxInfo? {
        let name = try MailboxName.validated(name)
        return try await read { db in
            guard let row = try IndexDatabase.mailbox(db, named: name) else { return nil }
            let subscribed = try Bool.fetchOne(db, sql: "SELECT 1 FROM subscription WHERE name = ?", arguments: [name]) ?? false
            return Self.info(row, subscribed: subscribed)
        }
    }

    static func info(_ row: MailboxRow, subscribed: Bool) -> MailboxInfo {
        MailboxInfo(
            name: row.name, uidValidity: row.uidValidity, uidNext: row.uidNext, highestModSeq: row.highestModSeq,
            specialUse: row.specialUse, isSubscribed: subscribed, messageCount: row.messageCount, totalSize: row.totalSize)
    }

    /// The subscribed names (RFC 9051 §6.3.7: they may name no mailbox).
    public func subscriptions() async throws(StoreError) -> [String] {
        try await read { db in try String.fetchAll(db, sql: "SELECT name FROM subscription ORDER BY name") }
    }

    /// STATUS counts (RFC 9051 §6.3.11) with HIGHESTMODSEQ (RFC 7162 §3.1.2.1).
    public func status(_ mailbox: String) async throws(StoreError) -> MailboxStatus {
        let name = try MailboxName.validated(mailbox)
        return try await read { db in
            let row = try IndexDatabase.requireMailbox(db, named: name)
            let counts = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(flags & ? = 0), 0) AS unseen, COALESCE(SUM(flags & ? != 0), 0) AS deleted,
                           COALESCE(SUM(recent), 0) AS recent
                    FROM message WHERE mailbox_id = ?
                    """,
                arguments: [MessageFlags.seen.rawValue, MessageFlags.deleted.rawValue, row.id])
            return MailboxStatus(
                messages: row.messageCount, unseen: counts?["unseen"] ?? 0, deleted: counts?["deleted"] ?? 0,
                recent: counts?["recent"] ?? 0, size: row.totalSize, uidNext: row.uidNext, uidValidity: row.uidValidity,
                highestModSeq: row.highestModSeq)
        }
    }

    /// The keywords used in a mailbox so far (for the FLAGS and PERMANENTFLAGS of SELECT).
    public func keywords(in mailbox: String) async throws(StoreError) -> [String] {
        let name = try MailboxName.validated(mailbox)
        return try await read { db in
            let row = try IndexDatabase.requireMailbox(db, named: name)
            return try String.fetchAll(
                db, sql: "SELECT name FROM mailbox_keyword WHERE mailbox_id = ? ORDER BY name", arguments: [row.id])
        }
    }

    // MARK: - Create

    /// Creates a mailbox (RFC 9051 §6.3.4). Parents are not created: in Maildir++ a
    /// missing parent is a \Noselect name. Throws `.mailboxExists`.
    @discardableResult
    public func createMailbox(_ name: String, specialUse: SpecialUse? = nil) async throws(StoreError) -> MailboxInfo {
        let name = try MailboxName.validated(name)
        guard let info = try await createMailboxIfMissing(name, specialUse: specialUse, subscribe: false) else {
            throw .mailboxExists(name)
        }
        return info
    }

    /// Creates the folder and the row unless the row exists; nil when it did.
    func createMailboxIfMissing(_ name: String, specialUse: SpecialUse?, subscribe: Bool) async throws(StoreError) -> MailboxInfo? {
        if try await read({ db in try IndexDatabase.mailbox(db, named: name) != nil }) { return nil }
        let folder = folderPath(name)
        let fileSystem = self.fileSystem
        try await blocking { try Self.createFolder(folder, isInbox: name == MailboxName.inbox, fileSystem) }
        let now = options.clock()
        return try await write { db in
            if try IndexDatabase.mailbox(db, named: name) != nil { return nil }
            let row = try IndexDatabase.insertMailbox(db, name: name, specialUse: specialUse, now: now)
            if subscribe { try db.execute(sql: "INSERT OR IGNORE INTO subscription(name) VALUES (?)", arguments: [name]) }
            return Self.info(row, subscribed: subscribe)
        }
    }

    // MARK: - Delete

    /// Deletes a mailbox and its messages (RFC 9051 §6.3.5). Its children stay (the name
    /// becomes \Noselect for IMAP). Refused for INBOX, and for a name that has no mailbox.
    public func deleteMailbox(_ name: String) async throws(StoreError) {
        let name = try MailboxName.validated(name)
        if name == MailboxName.inbox { throw .mailboxNotChangeable(name, reason: "INBOX cannot be deleted") }
        let folder = folderPath(name)
        let trash = maildir + "/tmp/deleted." + String(options.clock().timeIntervalSince1970) + "." + String(UInt32.random(in: 0...UInt32.max))
        let fileSystem = self.fileSystem
        let moved = try await write { db -> Bool in
            guard try IndexDatabase.mailbox(db, named: name) != nil else {
                let children = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM mailbox WHERE substr(name, 1, length(?1)) = ?1",
                    arguments: [name + "."]) ?? 0
                if children > 0 {
                    throw StoreError.mailboxNotChangeable(name, reason: "it only holds other mailboxes; delete those first")
                }
                throw StoreError.noSuchMailbox(name)
            }
            var moved = false
            if try fileSystem.status(folder) != nil {
                try fileSystem.rename(folder, to: trash)
                moved = true
            }
            do {
                try db.execute(sql: "DELETE FROM mailbox WHERE name = ?", arguments: [name])
            } catch {
                if moved { try? fileSystem.rename(trash, to: folder) }
                throw error
            }
            return moved
        }
        if moved {
            try? await blocking { try fileSystem.removeTree(trash) }
        }
        await announceChanges()
    }

    // MARK: - Rename

    /// Renames a mailbox and its children, keeping UIDVALIDITY and UIDs (RFC 9051 §6.3.6).
    /// Renaming INBOX moves its messages into a new mailbox and leaves INBOX empty.
    public func renameMailbox(_ from: String, to: String) async throws(StoreError) {
        let source = try MailboxName.validated(from)
        let target = try MailboxName.validated(to)
        if target == MailboxName.inbox { throw .mailboxExists(target) }
        if source == MailboxName.inbox {
            try await renameInbox(to: target)
            return
        }
        if target == source || MailboxName.isDescendant(target, of: source) {
            throw .mailboxNotChangeable(source, reason: "a mailbox cannot be renamed into itself or one of its children")
        }
        let maildir = self.maildir
        let fileSystem = self.fileSystem
        try await write { db in
            let names = try String.fetchAll(
                db, sql: "SELECT name FROM mailbox WHERE name = ?1 OR substr(name, 1, length(?2)) = ?2 ORDER BY length(name)",
                arguments: [source, source + "."])
            guard !names.isEmpty else { throw StoreError.noSuchMailbox(source) }
            let renames = names.map { name in (name, target + name.dropFirst(source.count)) }
            for (_, newName) in renames {
                if try IndexDatabase.mailbox(db, named: newName) != nil
                    || fileSystem.status(maildir + "/" + MailboxName.folder(for: newName)) != nil {
                    throw StoreError.mailboxExists(newName)
                }
            }
            var done: [(String, String)] = []
            do {
                for (oldName, newName) in renames {
                    let oldFolder = maildir + "/" + MailboxName.folder(for: oldName)
                    let newFolder = maildir + "/" + MailboxName.folder(for: newName)
                    if try fileSystem.status(oldFolder) != nil {
                        try fileSystem.rename(oldFolder, to: newFolder)
                        done.append((oldFolder, newFolder))
                    }
                    try db.execute(sql: "UPDATE mailbox SET name = ? WHERE name = ?", arguments: [newName, oldName])
                    try db.execute(sql: "UPDATE OR IGNORE subscription SET name = ? WHERE name = ?", arguments: [newName, oldName])
                }
            } catch {
                for (oldFolder, newFolder) in done.reversed() { try? fileSystem.rename(newFolder, to: oldFolder) }
                throw error
            }
        }
        await announceChanges()
    }

    /// RFC 9051 §6.3.6: renaming INBOX moves all its messages to a new mailbox with the
    /// new name; INBOX stays, empty; its children are not renamed.
    private func renameInbox(to target: String) async throws(StoreError) {
        try await createMailbox(target)
        let uids = try await messages(in: MailboxName.inbox).map(\.uid)
        if !uids.isEmpty {
            _ = try await move(uids: uids, from: MailboxName.inbox, to: target)
        }
    }

    // MARK: - Subscriptions

    /// SUBSCRIBE / UNSUBSCRIBE (RFC 9051 §6.3.7, §6.3.8); any valid name may be subscribed.
    public func setSubscribed(_ name: String, _ subscribed: Bool) async throws(StoreError) {
        let name = try MailboxName.validated(name)
        try await write { db in
            if subscribed {
                try db.execute(sql: "INSERT OR IGNORE INTO subscription(name) VALUES (?)", arguments: [name])
            } else {
                try db.execute(sql: "DELETE FROM subscription WHERE name = ?", arguments: [name])
            }
        }
    }
}
