// UserStore: one user's mail — a Maildir and its SQLite index — and the API that SMTP
// delivery, POP3, IMAP and the CLI use.
//
// Layout (DESIGN.md "Data on disk"): data_dir/mail/DOMAIN/LOCAL/Maildir/ (tmp, new, cur;
// INBOX is the root, other mailboxes Maildir++ folders ".Name") and
// data_dir/mail/DOMAIN/LOCAL/index.sqlite (see IndexSchema.swift, docs/SPOOL.md).
//
// Invariants:
// - The Maildir is the truth for which messages exist and for the flags in their file
//   names; the index adds UIDs, MODSEQs, keywords and parsed data, and can be rebuilt
//   from the Maildir (`check()`), with a new UIDVALIDITY when UIDs cannot be kept.
// - Every state change is one atomic step: a rename after an fsync, or one SQLite
//   transaction; file renames and unlinks that go with a row change run inside that
//   row's write transaction, so two processes never race on the same file.
// - UIDs grow strictly per mailbox and are never reused; every change takes a new MODSEQ.
// - No blocking work on the caller's thread: SQLite on GRDB's queues, files on the
//   store's `BlockingExecutor` (DESIGN.md rule 2). The store object is shared by every
//   session of the user in a process (`UserStoreRegistry`); other processes (`chappe
//   deliver`) share the files and rely on SQLite's WAL locking.

import Foundation
import GRDB
import Synchronization

public final class UserStore: Sendable {
    public let address: MailAddress
    /// data_dir/mail/DOMAIN/LOCAL
    public let root: String
    /// root/Maildir
    public let maildir: String
    /// root/index.sqlite
    public let indexPath: String
    /// How the index was found at open.
    let opening: IndexDatabase.Opening
    /// Whether the first `check()` (which reports `opening`) is still to come.
    let openingUnreported = Mutex(true)

    let database: DatabasePool
    let fileSystem: any MaildirFileSystem
    let io: BlockingExecutor
    let options: StoreOptions
    let quotaState: Mutex<Quota>
    let monitor: ChangeMonitor
    let reconcileGate = AsyncGate()
    /// Device and inode of index.sqlite at open (see `isIndexReplaced`).
    private let indexIdentity: [UInt64]

    private init(
        address: MailAddress, root: String, database: DatabasePool, opening: IndexDatabase.Opening,
        options: StoreOptions, io: BlockingExecutor, indexIdentity: [UInt64]
    ) {
        self.address = address
        self.root = root
        maildir = root + "/Maildir"
        indexPath = root + "/index.sqlite"
        self.database = database
        self.opening = opening
        self.options = options
        fileSystem = options.fileSystem
        self.io = io
        quotaState = Mutex(options.quota)
        monitor = ChangeMonitor(pollInterval: options.changePollInterval)
        self.indexIdentity = indexIdentity
    }

    // MARK: - Opening

    /// The folder of a user's mail under data_dir: mail/DOMAIN/LOCAL, from the lowercased
    /// address, with bytes unsafe in a file name written as %XX.
    public static func userDirectory(dataDirectory: String, address: MailAddress) -> String {
        let normalized = address.normalized
        let at = normalized.lastIndex(of: "@") ?? normalized.endIndex
        let local = String(normalized[..<at])
        let domain = at < normalized.endIndex ? String(normalized[normalized.index(after: at)...]) : ""
        return dataDirectory + "/mail/" + pathComponent(domain) + "/" + pathComponent(local)
    }

    private static func pathComponent(_ text: String) -> String {
        var out = ""
        for (index, byte) in text.utf8.enumerated() {
            let safe: Bool
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "+"):
                safe = true
            case UInt8(ascii: "."):
                safe = index > 0
            default:
                safe = false
            }
            if safe {
                out.append(Character(Unicode.Scalar(byte)))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (byte < 16 ? "0" + hex : hex)
            }
        }
        return out.isEmpty ? "%00" : out
    }

    /// Opens (creating if needed) the store of `address` under `dataDirectory`, and
    /// reconciles it with its Maildir as `options.reconcile` says. A new account gets the
    /// default mailboxes (`MailboxName.defaults`); a missing or corrupt index is rebuilt
    /// from the Maildir. Returns the store and, when reconciliation ran, its report.
    public static func open(
        dataDirectory: String, address: MailAddress, options: StoreOptions = StoreOptions()
    ) async throws(StoreError) -> (store: UserStore, report: ReconcileReport?) {
        let root = userDirectory(dataDirectory: dataDirectory, address: address)
        let io = BlockingExecutor(width: options.ioConcurrency)
        let fileSystem = options.fileSystem
        let indexPath = root + "/index.sqlite"
        let verify = options.reconcile == .thorough
        let opened: (DatabasePool, IndexDatabase.Opening, [UInt64])
        do {
            opened = try await io.run {
                for folder in ["tmp", "new", "cur"] { try fileSystem.createDirectory(root + "/Maildir/" + folder) }
                let (pool, opening) = try IndexDatabase.open(
                    path: indexPath, busyTimeout: options.busyTimeout, verify: verify, now: options.clock())
                let identity = try fileSystem.status(indexPath)?.identity ?? []
                return (pool, opening, identity)
            }
        } catch {
            throw StoreError.wrap(error, database: indexPath)
        }
        let store = UserStore(
            address: address, root: root, database: opened.0, opening: opened.1, options: options, io: io,
            indexIdentity: opened.2)
        let hasMailboxes = try await store.hasMailboxes()
        if opened.1 == .created || !hasMailboxes {
            try await store.createDefaultMailboxes()
        }
        var report: ReconcileReport?
        if options.reconcile != .ifRebuilt || opened.1 != .existing {
            report = try await store.check()
        }
        return (store, report)
    }

    /// Whether index.sqlite is no longer the file this store opened (another process
    /// rebuilt it); the registry then opens a fresh store.
    public func isIndexReplaced() async -> Bool {
        let fileSystem = self.fileSystem
        let path = indexPath
        let identity = (try? await io.run { try fileSystem.status(path)?.identity }) ?? nil
        return identity != indexIdentity
    }

    /// Stops change polling and closes the index. Later calls fail.
    public func close() async {
        monitor.finishAll()
        try? database.close()
    }

    // MARK: - Quota

    /// Replaces the quota (after `chappe user` changed it, for instance).
    public func setQuota(_ quota: Quota) {
        quotaState.withLock { $0 = quota }
    }

    public var quota: Quota { quotaState.withLock { $0 } }

    /// The bytes and messages the account uses, with its quota.
    public func usage() async throws(StoreError) -> QuotaUsage {
        let quota = self.quota
        return try await read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COALESCE(SUM(total_size), 0) AS bytes, COALESCE(SUM(message_count), 0) AS messages FROM mailbox")
            return QuotaUsage(bytes: row?["bytes"] ?? 0, messages: row?["messages"] ?? 0, quota: quota)
        }
    }

    /// Throws `.quotaExceeded` when adding `size` bytes and one message would pass the
    /// quota. Runs inside a transaction.
    static func enforce(_ quota: Quota, adding size: Int, count: Int = 1, _ db: Database) throws {
        guard quota.bytes != nil || quota.messages != nil else { return }
        let row = try Row.fetchOne(db, sql: "SELECT COALESCE(SUM(total_size), 0) AS bytes, COALESCE(SUM(message_count), 0) AS messages FROM mailbox")
        let bytes: Int64 = row?["bytes"] ?? 0
        let messages: Int64 = row?["messages"] ?? 0
        if let limit = quota.messages, messages + Int64(count) > limit {
            throw StoreError.quotaExceeded(QuotaExceeded(resource: .messages, limit: limit, usage: messages, requested: Int64(count)))
        }
        if let limit = quota.bytes, bytes + Int64(size) > limit {
            throw StoreError.quotaExceeded(QuotaExceeded(resource: .bytes, limit: limit, usage: bytes, requested: Int64(size)))
        }
    }

    // MARK: - Paths

    /// The folder of a mailbox: the Maildir root for INBOX, "Maildir/.Name" otherwise.
    func folderPath(_ mailbox: String) -> String {
        let folder = MailboxName.folder(for: mailbox)
        return folder.isEmpty ? maildir : maildir + "/" + folder
    }

    func path(_ mailbox: String, _ row: MessageRow) -> String {
        folderPath(mailbox) + "/" + row.relativePath
    }

    /// Creates tmp, new and cur of a mailbox folder (and Maildir++'s "maildirfolder" marker).
    static func createFolder(_ path: String, isInbox: Bool, _ fileSystem: any MaildirFileSystem) throws {
        for sub in ["tmp", "new", "cur"] { try fileSystem.createDirectory(path + "/" + sub) }
        if !isInbox, try fileSystem.status(path + "/maildirfolder") == nil {
            do {
                try fileSystem.createFile(path + "/maildirfolder", contents: [], modificationTime: nil, sync: false)
            } catch let error as FileSystemError where error.isAlreadyExisting {}
        }
    }

    // MARK: - Running work

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await database.read(body)
        } catch {
            throw StoreError.wrap(error, database: indexPath)
        }
    }

    /// A write transaction that the caller's cancellation does not interrupt: a session
    /// that goes away mid-operation must not leave a step half done (a delivery whose
    /// file is placed but whose row never comes).
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        let database = self.database
        let transaction = Task { try await database.write(body) }
        do {
            return try await transaction.value
        } catch {
            throw StoreError.wrap(error, database: indexPath)
        }
    }

    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws(StoreError) -> T {
        do {
            return try await io.run(work)
        } catch {
            throw StoreError.wrap(error, database: indexPath)
        }
    }

    private func hasMailboxes() async throws(StoreError) -> Bool {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mailbox") ?? 0 > 0 }
    }

    private func createDefaultMailboxes() async throws(StoreError) {
        for (name, specialUse) in MailboxName.defaults {
            _ = try await createMailboxIfMissing(name, specialUse: specialUse, subscribe: true)
        }
    }
}

/// An async mutual exclusion for one operation at a time (reconciliation) without
/// blocking a thread while waiting.
final class AsyncGate: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func withGate<T: Sendable>(_ body: () async throws(StoreError) -> T) async throws(StoreError) -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if !state.busy {
                    state.busy = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
