// Store options: how a `UserStore` is opened — quota, host name for Maildir file names,
// reconciliation on open, the change-poll interval, and the seams tests replace (file
// system, clock, fault hook; STYLE.md rule 10). Immutable once the store is open, but for
// the quota, which `UserStore.setQuota` changes.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits of one account (accounts.sqlite `quota_bytes`, `quota_messages`); nil is no limit.
public struct Quota: Sendable, Hashable {
    public var bytes: Int64?
    public var messages: Int64?

    public init(bytes: Int64? = nil, messages: Int64? = nil) {
        self.bytes = bytes
        self.messages = messages
    }

    public static let unlimited = Quota()

    /// The account's quota as AccountStore keeps it.
    public init(_ account: Account) {
        self.init(bytes: account.quotaBytes, messages: account.quotaMessages)
    }
}

/// The space an account uses, over all its mailboxes.
public struct QuotaUsage: Sendable, Hashable {
    public var bytes: Int64
    public var messages: Int64
    public var quota: Quota
}

/// How much reconciling `UserStore.open` does.
public enum ReconcileMode: Sendable, Hashable {
    /// Compare every mailbox folder with the index (the server at start-up, `chappe store check`).
    case full
    /// `full`, after PRAGMA quick_check on the index (a damaged index is rebuilt):
    /// `chappe store check`.
    case thorough
    /// Only when the index was missing or corrupt (then a full rebuild); `chappe deliver`
    /// uses this: exactly-once delivery does not depend on a scan.
    case ifRebuilt
}

public struct StoreOptions: Sendable {
    /// Written into Maildir file names ("time.unique.host"); defaults to gethostname().
    public var hostname: String
    public var quota: Quota
    public var reconcile: ReconcileMode
    /// How often a store with change subscribers looks for other processes' changes
    /// (a `chappe deliver` while the server runs). Own changes are announced at once.
    public var changePollInterval: Duration
    /// Most bytes of decoded text per message put into the full-text index.
    public var maxIndexedTextBytes: Int
    /// How long delivery ids are remembered for exactly-once (older "done" rows are pruned
    /// by `check()`); longer than any queue lifetime.
    public var deliveryMemory: TimeInterval
    /// Files in tmp/ older than this are removed by `check()` (the Maildir convention is 36 hours).
    public var tmpFileLifetime: TimeInterval
    /// Busy timeout for SQLite locks held by other processes.
    public var busyTimeout: TimeInterval
    /// Most blocking file operations running at once on the store's thread pool.
    public var ioConcurrency: Int
    public var fileSystem: any MaildirFileSystem
    public var clock: @Sendable () -> Date
    /// Test hook: called at each `DeliveryStep`; throwing `SimulatedCrash` stops the
    /// delivery there without cleanup.
    public var faultHook: (@Sendable (DeliveryStep) throws -> Void)?

    public init(
        hostname: String = StoreOptions.systemHostname(),
        quota: Quota = .unlimited,
        reconcile: ReconcileMode = .full,
        changePollInterval: Duration = .milliseconds(250),
        maxIndexedTextBytes: Int = 1 << 20,
        deliveryMemory: TimeInterval = 30 * 86_400,
        tmpFileLifetime: TimeInterval = 36 * 3600,
        busyTimeout: TimeInterval = 30,
        ioConcurrency: Int = 16,
        fileSystem: any MaildirFileSystem = PosixFileSystem(),
        clock: @escaping @Sendable () -> Date = { Date() },
        faultHook: (@Sendable (DeliveryStep) throws -> Void)? = nil
    ) {
        self.hostname = hostname
        self.quota = quota
        self.reconcile = reconcile
        self.changePollInterval = changePollInterval
        self.maxIndexedTextBytes = maxIndexedTextBytes
        self.deliveryMemory = deliveryMemory
        self.tmpFileLifetime = tmpFileLifetime
        self.busyTimeout = busyTimeout
        self.ioConcurrency = ioConcurrency
        self.fileSystem = fileSystem
        self.clock = clock
        self.faultHook = faultHook
    }

    /// The machine's host name, as Maildir file names want it.
    public static func systemHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
