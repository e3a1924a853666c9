// The effects an IMAP session asks for, and their results. Every effect that
// works on the selected mailbox carries an `IMAPPollRequest`: after its work
// the performer reads what other sessions changed since the session's cursor,
// in the same trip, so the session can report it where RFC 9051 §7.5.1
// allows (STYLE.md rule 1: the session decides, the performer acts).
import Foundation
import MailStore

/// The logged-in user's mail, as the session holds it.
public struct IMAPAccount: Sendable {
    public let access: any IMAPMailAccess

    public init(access: any IMAPMailAccess) {
        self.access = access
    }
}

/// "And then tell me what changed in this mailbox since `cursor`."
public struct IMAPPollRequest: Sendable, Hashable {
    public var mailbox: String
    public var cursor: MailboxCursor
    /// Claim new messages as \Recent (a read-write session, RFC 3501 §2.3.2).
    public var claimRecent: Bool
}

/// What changed since the poll's cursor; nil changes when the read failed
/// (the session tries again at the next command).
public struct IMAPPolled: Sendable {
    public var changes: MailboxChanges?
    public var claimedRecent: [UInt32]

    public init(changes: MailboxChanges?, claimedRecent: [UInt32] = []) {
        self.changes = changes
        self.claimedRecent = claimedRecent
    }
}

/// The options of the session that shape the performer's output.
public struct IMAPOutputOptions: Sendable, Hashable {
    /// IMAP4rev2 or UTF8=ACCEPT: UTF-8 names and strings (RFC 9051 §4.3.1);
    /// otherwise modified UTF-7 names (RFC 3501 §5.1.3).
    public var utf8: Bool
    /// CONDSTORE enabled: MODSEQ in FETCH responses (RFC 7162 §3.1.4.1).
    public var condstore: Bool
    /// IMAP4rev1 client: \Recent in FLAGS.
    public var reportsRecent: Bool

    public var encoder: IMAPResponseEncoder.Options { IMAPResponseEncoder.Options(utf8Accept: utf8) }
}

/// One message of a FETCH: its number in the session and its UID.
public struct IMAPMessageNumber: Sendable, Hashable {
    public var sequence: UInt32
    public var uid: UInt32
}

public struct IMAPFetchRequest: Sendable {
    public var mailbox: String
    public var messages: [IMAPMessageNumber]
    public var attributes: [IMAPFetchAttribute]
    /// CHANGEDSINCE (RFC 7162 §3.1.4): only messages with a greater MODSEQ.
    public var changedSince: UInt64?
    /// Set \Seen on messages whose non-PEEK body is fetched (RFC 9051
    /// §6.4.5); false on a read-only mailbox.
    public var setsSeen: Bool
    /// The session's \Recent messages, for FLAGS of an IMAP4rev1 client.
    public var recent: Set<UInt32>
    public var options: IMAPOutputOptions
}

public struct IMAPSearchRequest: Sendable {
    public var mailbox: String
    public var keys: [IMAPSearchKey]
    /// The session's view: UIDs in sequence order.
    public var view: [UInt32]
    public var recent: Set<UInt32>
    /// The saved result "$" (RFC 9051 §6.4.4.1), as UIDs.
    public var saved: [UInt32]
    /// Messages of the view known to be expunged, not yet reported: they match nothing.
    public var expunged: Set<UInt32>
}

public struct IMAPSearchOutcome: Sendable {
    /// Matching UIDs, ascending.
    public var uids: [UInt32]
    /// The highest MODSEQ of the matches, when the search used MODSEQ (RFC 7162 §3.1.5).
    public var highestModSeq: UInt64?
}

/// A LIST, LSUB or the LIST of a SELECT in store terms.
public struct IMAPListQuery: Sendable {
    public var command: IMAPListCommand
    public var isLSUB: Bool
    public var options: IMAPOutputOptions
}

/// What FETCH produced: the last piece of its output (the rest went out
/// through the effect's output), and the \Seen flags it set.
public struct IMAPFetchOutcome: Sendable {
    public var tail: [UInt8]
    public var seen: [MessageFlagState]
    /// A failure after which the command ends with NO; what went out stays.
    public var failure: StoreError?
    /// The peer's socket failed mid-response: the session must end.
    public var isBroken: Bool
}

/// One APPENDed message, complete.
public struct IMAPAppendMessageData: Sendable {
    public var bytes: [UInt8]
    public var flags: MessageFlags
    public var keywords: [String]
    public var internalDate: Date?
}

/// A running watch on a mailbox (IDLE): it wakes the session on each change
/// and stops when the session lets go of it.
public final class IMAPWatch: Sendable {
    private let task: Task<Void, Never>

    public init(task: Task<Void, Never>) {
        self.task = task
    }

    deinit {
        task.cancel()
    }
}

public enum IMAPEffect: Sendable {
    case login(username: String, password: String)
    /// Wait before answering a failed login.
    case pause(Duration)
    case select(IMAPAccount, mailbox: String, readOnly: Bool)
    case create(IMAPAccount, mailbox: String, specialUse: SpecialUse?)
    case delete(IMAPAccount, mailbox: String)
    case rename(IMAPAccount, from: String, to: String)
    case subscribe(IMAPAccount, mailbox: String, subscribed: Bool)
    case list(IMAPAccount, IMAPListQuery)
    case status(IMAPAccount, mailbox: String)
    /// Before an APPEND literal is accepted: TRYCREATE, OVERQUOTA.
    case checkAppend(IMAPAccount, mailbox: String, size: UInt64)
    case append(IMAPAccount, mailbox: String, [IMAPAppendMessageData], IMAPPollRequest?)
    case fetch(IMAPAccount, IMAPFetchRequest, IMAPPollRequest)
    case search(IMAPAccount, IMAPSearchRequest, IMAPPollRequest)
    case store(
        IMAPAccount, uids: [UInt32], FlagOperation, unchangedSince: UInt64?, IMAPPollRequest)
    case copy(IMAPAccount, uids: [UInt32], to: String, move: Bool, IMAPPollRequest)
    /// EXPUNGE, UID EXPUNGE (with `uids`) and CLOSE.
    case expunge(IMAPAccount, uids: [UInt32]?, IMAPPollRequest)
    /// NOOP, CHECK, IDLE wake-ups: only the poll.
    case poll(IMAPAccount, IMAPPollRequest)
    /// IDLE on a selected mailbox: poll, then watch from the new cursor.
    case watch(IMAPAccount, IMAPPollRequest)
}

public enum IMAPEffectResult: Sendable {
    case loggedIn(IMAPLoginResult)
    case paused
    case selected(Result<IMAPSelection, StoreError>)
    /// CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE.
    case done(Result<Void, StoreError>)
    /// The encoded LIST/LSUB (and STATUS, for LIST-STATUS) responses.
    case listed(Result<[IMAPUntaggedResponse], StoreError>)
    case status(Result<MailboxStatus, StoreError>)
    case appendChecked(Result<Void, StoreError>)
    case appended(Result<[DeliveryResult], StoreError>, IMAPPolled?)
    case fetched(IMAPFetchOutcome, IMAPPolled)
    case searched(Result<IMAPSearchOutcome, StoreError>, IMAPPolled)
    case stored(Result<FlagUpdateResult, StoreError>, IMAPPolled)
    case copied(Result<CopyResult, StoreError>, IMAPPolled)
    case expunged(Result<ExpungeResult, StoreError>, IMAPPolled)
    case polled(IMAPPolled)
    case watching(IMAPWatch?, IMAPPolled)
}

/// What SELECT and EXAMINE learn of a mailbox.
public struct IMAPSelection: Sendable {
    public var mailbox: MailboxInfo
    public var cursor: MailboxCursor
    public var numbers: MailboxNumbers
    public var keywords: [String]
    /// \Recent messages claimed by this session.
    public var recent: [UInt32]
    /// The mailbox's LIST attributes (RFC 9051 §6.3.2: IMAP4rev2 gets a LIST).
    public var attributes: [IMAPMailboxAttribute]
}
