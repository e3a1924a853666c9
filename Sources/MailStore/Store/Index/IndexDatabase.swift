// Opening index.sqlite, and the row-level helpers every operation shares: mailbox lookup,
// UID and MODSEQ allocation, message rows in and out. Everything here runs inside a GRDB
// access (a transaction on GRDB's queues), never on a caller's thread.
//
// Durability: WAL with synchronous=NORMAL (GRDB's default for a pool). A commit survives
// a kill -9 (it is in the WAL before COMMIT returns); after a power loss the last commits
// may be lost, and then `check()` finds the fsynced files that lost their rows and indexes
// them again, delivery hashes included (docs/SPOOL.md).

import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct MailboxRow: Sendable, Hashable {
    var id: Int64
    var name: String
    var uidValidity: UInt32
    var uidNext: UInt32
    var highestModSeq: UInt64
    var specialUse: SpecialUse?
    var messageCount: Int
    var totalSize: Int64

    init(row: Row) {
        id = row["id"]
        name = row["name"]
        uidValidity = UInt32(truncatingIfNeeded: row["uidvalidity"] as Int64)
        uidNext = UInt32(truncatingIfNeeded: row["uidnext"] as Int64)
        highestModSeq = UInt64(max(0, row["highestmodseq"] as Int64))
        specialUse = (row["special_use"] as String?).flatMap(SpecialUse.init(rawValue:))
        messageCount = row["message_count"]
        totalSize = row["total_size"]
    }
}

struct MessageRow: Sendable, Hashable {
    var id: Int64
    var mailboxID: Int64
    var uid: UInt32
    var baseName: String
    var subdir: String
    var fileName: String
    var size: Int
    var internalDate: Date
    var flags: MessageFlags
    var keywords: [String]
    var recent: Bool
    var modSeq: UInt64
    var deliveryHash: String?
    /// Octets with CRLF line endings; nil for a row indexed before wire sizes were kept
    /// and not filled in yet (see `UserStore.fillWireSizes`).
    var wireSize: Int?

    static let columns = "id, mailbox_id, uid, base_name, subdir, file_name, size, internal_date, flags, keywords, recent, modseq, delivery_hash, wire_size"

    init(row: Row) {
        id = row["id"]
        mailboxID = row["mailbox_id"]
        uid = UInt32(truncatingIfNeeded: row["uid"] as Int64)
        baseName = row["base_name"]
        subdir = row["subdir"]
        fileName = row["file_name"]
        size = row["size"]
        internalDate = Date(timeIntervalSince1970: row["internal_date"])
        flags = MessageFlags(rawValue: row["flags"])
        keywords = Keyword.decode(row["keywords"])
        recent = row["recent"]
        modSeq = UInt64(max(0, row["modseq"] as Int64))
        deliveryHash = row["delivery_hash"]
        wireSize = row["wire_size"]
    }

    var relativePath: String { subdir + "/" + fileName }
}

/// A file to add to the index, with its parsed data.
struct NewMessage: Sendable {
    var baseName: String
    var subdir: String
    var fileName: String
    /// The file's size.
    var size: Int
    /// The octets sent with CRLF line endings (`WireSize`).
    var wireSize: Int
    var internalDate: Date
    var flags: MessageFlags
    var keywords: [String]
    var recent: Bool
    var deliveryHash: String?
    var analysis: AnalyzedMessage
}

enum IndexDatabase {
    /// How the index was found when the store opened.
    enum Opening: Sendable, Equatable {
        case existing
        case created
        /// A corrupt index was moved to `movedTo` and a new one created.
        case replacedCorrupt(movedTo: String)
    }

    static func configuration(busyTimeout: TimeInterval) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "chappe.index"
        configuration.maximumReaderCount = 8
        return configuration
    }

    /// Opens the index at `path`, creating it if missing and moving it aside (to
    /// "index.sqlite.corrupt-TIME") when SQLite says it is not a database or is corrupt,
    /// or when `verify` is set and PRAGMA quick_check finds damage.
    static func open(path: String, busyTimeout: TimeInterval, verify: Bool, now: Date) throws -> (DatabasePool, Opening) {
        let existed = FileManager.default.fileExists(atPath: path)
        do {
            let pool = try openAndMigrate(path: path, busyTimeout: busyTimeout)
            if verify, let problem = try quickCheck(pool) {
                try pool.close()
                return try replace(path: path, busyTimeout: busyTimeout, now: now, reason: problem)
            }
            return (pool, existed ? .existing : .created)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            return try replace(path: path, busyTimeout: busyTimeout, now: now, reason: error.description)
        }
    }

    private static func openAndMigrate(path: String, busyTimeout: TimeInterval) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration(busyTimeout: busyTimeout))
        // Two processes opening a new index at once (parallel `chappe deliver`) both see
        // no migration applied; the slower one fails on "table exists". Once the other
        // committed, the schema is complete and there is nothing left to do.
        for attempt in 1...5 {
            do {
                try IndexSchema.migrator.migrate(pool)
                return pool
            } catch {
                if try pool.read({ db in try IndexSchema.migrator.hasCompletedMigrations(db) }) { return pool }
                if attempt == 5 { throw error }
                usleep(20_000)
            }
        }
        return pool
    }

    /// "ok" → nil; otherwise the first problem reported.
    static func quickCheck(_ pool: DatabasePool) throws -> String? {
        do {
            let result = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
            return result == "ok" ? nil : (result ?? "quick_check returned nothing")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            return error.description
        }
    }

    private static func replace(path: String, busyTimeout: TimeInterval, now: Date, reason: String) throws -> (DatabasePool, Opening) {
        let aside = path + ".corrupt-\(Int(now.timeIntervalSince1970))"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            if rename(path + suffix, aside + suffix) != 0 {
                throw StoreError.fileSystem(path: path + suffix, operation: "move aside the corrupt index", reason: String(cString: strerror(errno)))
            }
        }
        let pool = try openAndMigrate(path: path, busyTimeout: busyTimeout)
        return (pool, .replacedCorrupt(movedTo: aside))
    }

    // MARK: - Mailboxes

    static func mailbox(_ db: Database, named name: String) throws -> MailboxRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM mailbox WHERE name = ?", arguments: [name]).map(MailboxRow.init)
    }

    static func requireMailbox(_ db: Database, named name: String) throws -> MailboxRow {
        guard let row = try mailbox(db, named: name) else { throw StoreError.noSuchMailbox(name) }
        return row
    }

    static func allMailboxes(_ db: Database) throws -> [MailboxRow] {
        try Row.fetchAll(db, sql: "SELECT * FROM mailbox ORDER BY name").map(MailboxRow.init)
    }

    /// A UIDVALIDITY larger than any this index handed out, near the current time.
    static func newUIDValidity(_ db: Database, now: Date) throws -> UInt32 {
        let last = try Int64.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'last_uidvalidity'") ?? 0
        let clock = Int64(now.timeIntervalSince1970)
        var next = max(clock, last + 1)
        if next > Int64(UInt32.max) || next < 1 { next = 1 }
        try db.execute(
            sql: "INSERT INTO store_meta(key, value) VALUES ('last_uidvalidity', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [next])
        return UInt32(next)
    }

    static func insertMailbox(_ db: Database, name: String, specialUse: SpecialUse?, now: Date) throws -> MailboxRow {
        let validity = try newUIDValidity(db, now: now)
        try db.execute(
            sql: "INSERT INTO mailbox(name, uidvalidity, special_use) VALUES (?, ?, ?)",
            arguments: [name, Int64(validity), specialUse?.rawValue])
        return try requireMailbox(db, named: name)
    }

    /// Takes the next MODSEQ of a mailbox (RFC 7162 §3.1: each change gets a larger one).
    static func nextModSeq(_ db: Database, mailboxID: Int64) throws -> UInt64 {
        let value = try Int64.fetchOne(
            db, sql: "UPDATE mailbox SET highestmodseq = highestmodseq + 1 WHERE id = ? RETURNING highestmodseq",
            arguments: [mailboxID])
        guard let value else { throw StoreError.database(path: "index", reason: "mailbox \(mailboxID) vanished") }
        return UInt64(value)
    }

    // MARK: - Messages

    static func messages(_ db: Database, mailboxID: Int64, uids: [UInt32]? = nil) throws -> [MessageRow] {
        if let uids {
            var rows: [MessageRow] = []
            // Chunks keep the statement under SQLite's variable limit.
            for chunk in stride(from: 0, to: uids.count, by: 500).map({ Array(uids[$0..<min($0 + 500, uids.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let arguments = StatementArguments([mailboxID] + chunk.map { Int64($0) })
                rows += try Row.fetchAll(
                    db, sql: "SELECT \(MessageRow.columns) FROM message WHERE mailbox_id = ? AND uid IN (\(marks))",
                    arguments: arguments
                ).map(MessageRow.init)
            }
            return rows.sorted { $0.uid < $1.uid }
        }
        return try Row.fetchAll(
            db, sql: "SELECT \(MessageRow.columns) FROM message WHERE mailbox_id = ? ORDER BY uid", arguments: [mailboxID]
        ).map(MessageRow.init)
    }

    /// Inserts a message with the mailbox's next UID and MODSEQ; returns both.
    @discardableResult
    static func insertMessage(_ db: Database, mailboxID: Int64, _ message: NewMessage) throws -> (uid: UInt32, modSeq: UInt64) {
        guard let counters = try Row.fetchOne(
            db,
            sql: "UPDATE mailbox SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1 WHERE id = ? RETURNING uidnext, highestmodseq",
            arguments: [mailboxID])
        else { throw StoreError.database(path: "index", reason: "mailbox \(mailboxID) vanished") }
        let uid = (counters["uidnext"] as Int64) - 1
        let modSeq: Int64 = counters["highestmodseq"]
        let analysis = message.analysis
        let encoder = JSONEncoder()
        let envelope = String(decoding: try encoder.encode(analysis.envelope), as: UTF8.self)
        let structure = String(decoding: try encoder.encode(analysis.bodyStructure), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO message(mailbox_id, uid, base_name, subdir, file_name, size, internal_date, flags, keywords,
                    recent, modseq, delivery_hash, header_size, sent_date, subject, from_text, to_text, cc_text, bcc_text,
                    message_id, in_reply_to, envelope, body_structure, wire_size)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                mailboxID, uid, message.baseName, message.subdir, message.fileName, message.size,
                message.internalDate.timeIntervalSince1970, message.flags.rawValue, Keyword.encode(message.keywords),
                message.recent, modSeq, message.deliveryHash, analysis.headerSize, analysis.sentDate?.timeIntervalSince1970,
                analysis.subject, analysis.from, analysis.to, analysis.cc, analysis.bcc, analysis.messageID,
                analysis.inReplyTo, envelope, structure, message.wireSize,
            ])
        let rowID = db.lastInsertedRowID
        try db.execute(
            sql: "INSERT INTO message_text(rowid, headers, body) VALUES (?, ?, ?)",
            arguments: [rowID, analysis.headerText, analysis.bodyText])
        try recordKeywords(db, mailboxID: mailboxID, message.keywords)
        return (UInt32(truncatingIfNeeded: uid), UInt64(modSeq))
    }

    static func recordKeywords(_ db: Database, mailboxID: Int64, _ keywords: [String]) throws {
        for keyword in keywords {
            try db.execute(
                sql: "INSERT OR IGNORE INTO mailbox_keyword(mailbox_id, name) VALUES (?, ?)", arguments: [mailboxID, keyword])
        }
    }

    /// Deletes messages and logs their expunge with one new MODSEQ.
    static func expunge(_ db: Database, mailboxID: Int64, rows: [MessageRow]) throws -> UInt64? {
        guard !rows.isEmpty else { return nil }
        let modSeq = try nextModSeq(db, mailboxID: mailboxID)
        for row in rows {
            try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [row.id])
            try db.execute(
                sql: "INSERT INTO expunged(mailbox_id, uid, modseq) VALUES (?, ?, ?)",
                arguments: [mailboxID, Int64(row.uid), Int64(modSeq)])
        }
        return modSeq
    }
}
