// Store errors: every failure of a `UserStore` operation as one typed value. Sessions
// map them to replies in one place (STYLE.md rule 8): `isTemporary` says 4xx/NO-and-retry
// versus 5xx/NO; quota has its own case with what SMTP needs for 452 4.2.2 / 552 5.2.2.

import Foundation

/// Why a delivery does not fit the account's quota.
public struct QuotaExceeded: Sendable, Hashable, CustomStringConvertible {
    public enum Resource: String, Sendable, Hashable {
        case bytes, messages
    }
    public var resource: Resource
    public var limit: Int64
    /// Usage before the delivery.
    public var usage: Int64
    /// What the delivery would add (its size, or 1 message).
    public var requested: Int64

    /// True when the message could never fit, even in an empty mailbox: a permanent
    /// failure (SMTP 552 5.2.2); otherwise the mailbox is full for now (452 4.2.2).
    public var isPermanent: Bool { requested > limit }

    public var description: String {
        switch resource {
        case .bytes: "quota exceeded: \(usage) + \(requested) bytes over the limit of \(limit) bytes"
        case .messages: "quota exceeded: \(usage) messages, the limit is \(limit)"
        }
    }

    public init(resource: Resource, limit: Int64, usage: Int64, requested: Int64) {
        self.resource = resource
        self.limit = limit
        self.usage = usage
        self.requested = requested
    }
}

public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchMailbox(String)
    case mailboxExists(String)
    case invalidMailboxName(String, reason: String)
    /// DELETE or RENAME refused (INBOX, a name with children and no messages, …).
    case mailboxNotChangeable(String, reason: String)
    case noSuchMessage(mailbox: String, uid: UInt32)
    /// The index lists the message but its file is gone (removed by another program);
    /// the next `check()` expunges it.
    case messageVanished(mailbox: String, uid: UInt32)
    case invalidKeyword(String)
    case quotaExceeded(QuotaExceeded)
    case fileSystem(path: String, operation: String, reason: String)
    case database(path: String, reason: String)
    /// Another process replaced index.sqlite (`chappe store check` rebuilt it): reopen.
    case indexReplaced(path: String)
    /// A test hook stopped the operation at `step` as a crash would (STYLE.md rule 10).
    case simulatedCrash(step: String)

    /// Whether trying again later may succeed (SMTP 4xx, MDA exit 75).
    public var isTemporary: Bool {
        switch self {
        case .quotaExceeded(let quota): !quota.isPermanent
        case .fileSystem, .database, .indexReplaced, .simulatedCrash, .messageVanished: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .noSuchMailbox(let name): "no mailbox \"\(name)\""
        case .mailboxExists(let name): "mailbox \"\(name)\" already exists"
        case .invalidMailboxName(let name, let reason): "invalid mailbox name \"\(name)\": \(reason)"
        case .mailboxNotChangeable(let name, let reason): "mailbox \"\(name)\": \(reason)"
        case .noSuchMessage(let mailbox, let uid): "no message with UID \(uid) in \"\(mailbox)\""
        case .messageVanished(let mailbox, let uid):
            "the file of message \(uid) in \"\(mailbox)\" is gone; `chappe store check` brings the index up to date"
        case .invalidKeyword(let keyword): "invalid keyword \"\(keyword)\": it must be an IMAP atom not starting with \\"
        case .quotaExceeded(let quota): quota.description
        case .fileSystem(let path, let operation, let reason): "\(operation) \(path): \(reason)"
        case .database(let path, let reason): "mail index \(path): \(reason)"
        case .indexReplaced(let path): "mail index \(path) was replaced by another process; reopen the store"
        case .simulatedCrash(let step): "simulated crash at \(step)"
        }
    }

    /// Maps any error thrown inside the store to a `StoreError`.
    static func wrap(_ error: any Error, database path: String) -> StoreError {
        switch error {
        case let error as StoreError: return error
        case let error as FileSystemError:
            return .fileSystem(path: error.path, operation: error.operation, reason: error.reason)
        case let crash as SimulatedCrash: return .simulatedCrash(step: crash.step.rawValue)
        default: return .database(path: path, reason: String(describing: error))
        }
    }
}

// MARK: - Test hook

/// The steps of a delivery at which a test can stop it as a crash would (STYLE.md rule 10).
public enum DeliveryStep: String, Sendable, CaseIterable {
    /// The intent row ("pending") is committed; nothing is on disk yet.
    case recorded
    /// The message is written to tmp/ but not fsynced.
    case written
    /// The tmp file is fsynced.
    case fileSynced
    /// The file is renamed into new/ (or cur/), the directory not yet fsynced.
    case renamed
    /// The directory is fsynced; the index transaction has not run.
    case directorySynced
    /// The index transaction is committed; the caller has not been answered.
    case indexed
}

/// Thrown by a test's fault hook: the operation stops where it is and, unlike a real
/// error, cleans nothing up, leaving files and rows as a kill -9 would.
public struct SimulatedCrash: Error, Sendable {
    public let step: DeliveryStep
    public init(at step: DeliveryStep) { self.step = step }
}
