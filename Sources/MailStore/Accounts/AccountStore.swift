// AccountStore: the mail accounts of one installation, in data_dir/accounts.sqlite.
//
// Schema (DatabaseMigrator, migration "v1-account"):
//     account(address TEXT PRIMARY KEY COLLATE NOCASE, password_hash TEXT NOT NULL,
//             created REAL NOT NULL, quota_bytes INTEGER, quota_messages INTEGER)
// `address` is MailAddress.description (local part as given, domain lowercased);
// NOCASE makes lookups case-insensitive, so Alice@ and alice@ are one account.
// `password_hash` is a PasswordHash string; `created` is seconds since 1970 (UTC).
//
// Invariants and choices:
// - The file is created 0600 before SQLite opens it (its -wal and -shm files inherit
//   that mode from it); an existing file keeps the mode the operator gave it.
// - WAL through a DatabasePool: readers (verify, list) never wait for the writer, and
//   `chappe user ...` can change accounts while `chappe serve` runs (busy timeout 5 s).
// - Every async method does its SQLite work on GRDB's own queues and hashes on the
//   store's own KDF queue, never on the caller's thread, so a caller on a NIO event
//   loop is not blocked. Hashing stays out of GRDB's closures on purpose: a slow KDF
//   there would hold the single writer (or a reader) for its whole duration. It stays
//   off Swift's cooperative pool too, where a flood of logins would starve every other
//   task. The KDF queue runs at most (cores - 1, at least 1) hashes at once, so one core
//   is always left to the event loops and at most that many 32 MiB scrypt buffers exist;
//   further logins wait their turn (a natural brake on password guessing).
// - verify(address:password:) costs one KDF whether or not the account exists (a
//   dummy hash stands in for a missing one), and upgrades a hash whose cost is below
//   the current parameters after a successful login.
// - `init` opens and migrates synchronously: call it at start-up, not on an event loop.

import Crypto
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One account as the rest of the suite sees it; the password hash stays inside the store.
public struct Account: Sendable, Equatable {
    public let address: MailAddress
    public let created: Date
    /// Maximum total size of stored mail, in bytes; nil means no limit.
    public let quotaBytes: Int64?
    /// Maximum number of stored messages; nil means no limit.
    public let quotaMessages: Int64?

    public init(address: MailAddress, created: Date, quotaBytes: Int64? = nil, quotaMessages: Int64? = nil) {
        self.address = address
        self.created = created
        self.quotaBytes = quotaBytes
        self.quotaMessages = quotaMessages
    }
}

public final class AccountStore: Sendable {
    /// The database file.
    public let path: String
    private let database: DatabasePool
    private let hasher: PasswordHasher
    private let clock: @Sendable () -> Date
    /// Verified against when the account does not exist (see `verify`).
    private let dummyHash: String
    /// Where the KDF runs (see the top of the file).
    private let kdfQueue: OperationQueue

    /// Opens (creating if needed) the account database at `path`, e.g.
    /// "data_dir/accounts.sqlite", and brings its schema up to date.
    /// - Parameters:
    ///   - hasher: the KDF and its cost; tests pass cheap parameters.
    ///   - clock: the source of `created` dates.
    public init(path: String, hasher: PasswordHasher = PasswordHasher(),
                clock: @escaping @Sendable () -> Date = { Date() }) throws(AccountError) {
        self.path = path
        self.hasher = hasher
        self.clock = clock
        self.dummyHash = hasher.dummyHash()
        kdfQueue = OperationQueue()
        kdfQueue.name = "chappe.accounts.kdf"
        kdfQueue.maxConcurrentOperationCount = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
        try Self.createPrivateFile(at: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "chappe.accounts"
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw .database(path: path, reason: String(describing: error))
        }
    }

    // MARK: - Schema

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-account") { db in
            try db.execute(sql: """
                CREATE TABLE account(
                    address TEXT PRIMARY KEY COLLATE NOCASE,
                    password_hash TEXT NOT NULL,
                    created REAL NOT NULL,
                    quota_bytes INTEGER,
                    quota_messages INTEGER)
                """)
        }
        // RFC 1939 §7 APOP: the server needs the shared secret itself, so
        // it is kept apart from the password's hash, set only on request.
        migrator.registerMigration("v2-apop-secret") { db in
            try db.execute(sql: "ALTER TABLE account ADD COLUMN apop_secret TEXT")
        }
        return migrator
    }

    /// Creates the file, and its folder (0700) if missing, with mode 0600 whatever the
    /// umask; leaves an existing file alone.
    private static func createPrivateFile(at path: String) throws(AccountError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .cannotCreate(path: path, reason: String(describing: error))
            }
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            let code = errno
            if code == EEXIST { return }
            throw .cannotCreate(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        if fchmod(descriptor, 0o600) != 0 {
            throw .cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
    }

    // MARK: - Changing accounts

    /// Creates an account. Throws `.alreadyExists` (whatever the case of the local
    /// part), `.emptyPassword`, `.passwordTooLong`.
    public func add(_ address: MailAddress, password: String) async throws(AccountError) {
        // A cheap look first, so a duplicate does not cost a KDF; the insert checks again.
        if try await stored(address) != nil { throw .alreadyExists(address) }
        let encoded = try await hashInBackground(password)
        let created = clock().timeIntervalSince1970
        try await write { db in
            do {
                try db.execute(
                    sql: "INSERT INTO account(address, password_hash, created) VALUES (?, ?, ?)",
                    arguments: [address.description, encoded, created])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw AccountError.alreadyExists(address)
            }
        }
    }

    /// Deletes an account (its mail is not touched). Throws `.notFound`.
    public func delete(_ address: MailAddress) async throws(AccountError) {
        try await write { db in
            try db.execute(sql: "DELETE FROM account WHERE address = ?", arguments: [address.description])
            if db.changesCount == 0 { throw AccountError.notFound(address) }
        }
    }

    /// Replaces an account's password. Throws `.notFound`, `.emptyPassword`, `.passwordTooLong`.
    public func setPassword(_ address: MailAddress, password: String) async throws(AccountError) {
        if try await stored(address) == nil { throw .notFound(address) }
        let encoded = try await hashInBackground(password)
        try await write { db in
            try db.execute(
                sql: "UPDATE account SET password_hash = ? WHERE address = ?",
                arguments: [encoded, address.description])
            if db.changesCount == 0 { throw AccountError.notFound(address) }
        }
    }

    /// Sets or clears (nil) the account's APOP secret (RFC 1939 §7). It is
    /// stored as given — APOP cannot work from a hash — so it should not be
    /// the account's password. Throws `.notFound`.
    public func setAPOPSecret(_ address: MailAddress, secret: String?) async throws(AccountError) {
        if let secret, secret.isEmpty { throw .emptyPassword }
        try await write { db in
            try db.execute(
                sql: "UPDATE account SET apop_secret = ? WHERE address = ?", arguments: [secret, address.description])
            if db.changesCount == 0 { throw AccountError.notFound(address) }
        }
    }

    /// The account if `digest` is the MD5 of `timestamp` and its APOP secret
    /// (RFC 1939 §7), else nil — also for an unknown user or one without a
    /// secret, after the same work.
    public func verifyAPOP(username: String, timestamp: String, digest: String) async -> Account? {
        var found: (stored: Stored, secret: String?)?
        if let address = try? MailAddress(username) {
            let path = self.path
            found = try? await read { db in
                try Row.fetchOne(
                    db, sql: "SELECT \(Self.columns), apop_secret FROM account WHERE address = ?",
                    arguments: [address.description]
                ).map { row in (try Self.decode(row, path: path), row["apop_secret"] as String?) }
            }
        }
        let secret = found?.secret
        let expected = Insecure.MD5.hash(data: Array((timestamp + (secret ?? "-")).utf8))
            .map { String(format: "%02x", $0) }.joined()
        let given = digest.lowercased()
        var difference = UInt8(expected.utf8.count == given.utf8.count ? 0 : 1)
        for (a, b) in zip(expected.utf8, given.utf8) { difference |= a ^ b }
        guard difference == 0, secret != nil, let found else { return nil }
        return found.stored.account
    }

    /// Sets or clears (nil) an account's quotas. Throws `.notFound`, `.invalidQuota`.
    public func setQuota(_ address: MailAddress, bytes: Int64?, messages: Int64?) async throws(AccountError) {
        if let bytes, bytes < 0 { throw .invalidQuota("bytes", bytes) }
        if let messages, messages < 0 { throw .invalidQuota("messages", messages) }
        try await write { db in
            try db.execute(
                sql: "UPDATE account SET quota_bytes = ?, quota_messages = ? WHERE address = ?",
                arguments: [bytes, messages, address.description])
            if db.changesCount == 0 { throw AccountError.notFound(address) }
        }
    }

    // MARK: - Reading accounts

    /// All accounts, sorted by domain, then by local part (case-insensitively).
    public func list() async throws(AccountError) -> [Account] {
        let path = self.path
        let accounts = try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM account").map {
                try Self.decode($0, path: path).account
            }
        }
        return accounts.sorted { a, b in
            let left = (a.address.domain, a.address.localPart.lowercased(), a.address.localPart)
            let right = (b.address.domain, b.address.localPart.lowercased(), b.address.localPart)
            return left < right
        }
    }

    /// The account for `address` (case-insensitive), or nil.
    public func account(_ address: MailAddress) async throws(AccountError) -> Account? {
        try await stored(address)?.account
    }

    /// The account if `password` is its password, else nil — also when the account
    /// does not exist or the database cannot be read. Costs one KDF in every case
    /// (and a second to upgrade a hash below the current cost after a success).
    public func verify(address: MailAddress, password: String) async -> Account? {
        let found = try? await stored(address)
        let encoded = found?.passwordHash ?? dummyHash
        let hasher = self.hasher
        let matches = await offThread { hasher.verify(password, against: encoded) }
        guard matches, let found else { return nil }
        if hasher.needsRehash(encoded), let upgraded = try? await hashInBackground(password) {
            // Only if the hash is still the one verified: a concurrent passwd wins.
            _ = try? await write { db in
                try db.execute(
                    sql: "UPDATE account SET password_hash = ? WHERE address = ? AND password_hash = ?",
                    arguments: [upgraded, found.account.address.description, encoded])
            }
        }
        return found.account
    }

    /// `verify(address:password:)` for a user name as a client sent it (SASL, USER):
    /// a name that is not a valid address costs the same KDF and returns nil.
    public func verify(username: String, password: String) async -> Account? {
        guard let address = try? MailAddress(username) else {
            let encoded = dummyHash
            let hasher = self.hasher
            _ = await offThread { hasher.verify(password, against: encoded) }
            return nil
        }
        return await verify(address: address, password: password)
    }

    /// The stored hash string, for tests and `chappe store check`; nil if no account.
    func passwordHash(_ address: MailAddress) async throws(AccountError) -> String? {
        try await stored(address)?.passwordHash
    }

    // MARK: - Internals

    private struct Stored: Sendable {
        var account: Account
        var passwordHash: String
    }

    private static let columns = "address, password_hash, created, quota_bytes, quota_messages"

    private func stored(_ address: MailAddress) async throws(AccountError) -> Stored? {
        let path = self.path
        return try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.columns) FROM account WHERE address = ?", arguments: [address.description]
            ).map { try Self.decode($0, path: path) }
        }
    }

    private static func decode(_ row: Row, path: String) throws -> Stored {
        let text: String = row["address"]
        let address: MailAddress
        do {
            address = try MailAddress(text)
        } catch {
            throw AccountError.corrupt(path: path, reason: error.description)
        }
        let account = Account(
            address: address, created: Date(timeIntervalSince1970: row["created"]),
            quotaBytes: row["quota_bytes"], quotaMessages: row["quota_messages"])
        return Stored(account: account, passwordHash: row["password_hash"])
    }

    /// Runs `work` on the KDF queue and suspends the caller until it is done.
    private func offThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            kdfQueue.addOperation { continuation.resume(returning: work()) }
        }
    }

    /// Hashes on the KDF queue.
    private func hashInBackground(_ password: String) async throws(AccountError) -> String {
        let hasher = self.hasher
        let result = await offThread { () -> Result<String, PasswordHashError> in
            do throws(PasswordHashError) { return .success(try hasher.hash(password)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let encoded): return encoded
        case .failure(.emptyPassword): throw .emptyPassword
        case .failure(.passwordTooLong(let limit)): throw .passwordTooLong(limit: limit)
        case .failure(let error): throw .hashing(reason: error.description)
        }
    }

    private func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(AccountError) -> T {
        do {
            return try await database.read(body)
        } catch {
            throw map(error)
        }
    }

    private func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(AccountError) -> T {
        do {
            return try await database.write(body)
        } catch {
            throw map(error)
        }
    }

    private func map(_ error: any Error) -> AccountError {
        if let error = error as? AccountError { return error }
        return .database(path: path, reason: String(describing: error))
    }
}

// MARK: - Errors

/// What went wrong with an account operation; `description` names the problem and
/// the fix, and never contains a password or a hash.
public enum AccountError: Error, Equatable, Sendable, CustomStringConvertible {
    case alreadyExists(MailAddress)
    case notFound(MailAddress)
    case emptyPassword
    case passwordTooLong(limit: Int)
    case invalidQuota(String, Int64)
    case cannotCreate(path: String, reason: String)
    case database(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case hashing(reason: String)

    public var description: String {
        switch self {
        case .alreadyExists(let address):
            "account \(address) already exists; use `chappe user passwd \(address)` to change its password"
        case .notFound(let address):
            "no account \(address); see `chappe user list`, or create it with `chappe user add \(address)`"
        case .emptyPassword:
            "the password is empty; give a non-empty password"
        case .passwordTooLong(let limit):
            "the password is longer than \(limit) octets; give a shorter one"
        case .invalidQuota(let kind, let value):
            "quota of \(value) \(kind) is negative; give a positive number, or none for no limit"
        case .cannotCreate(let path, let reason):
            "cannot create the account database \(path): \(reason); check that data_dir is writable by the chappe user"
        case .database(let path, let reason):
            "account database \(path): \(reason); check that the file is readable and writable by the chappe user"
        case .corrupt(let path, let reason):
            "account database \(path) holds a bad row: \(reason); repair it with the sqlite3 tool"
        case .hashing(let reason):
            "cannot hash the password: \(reason)"
        }
    }
}
