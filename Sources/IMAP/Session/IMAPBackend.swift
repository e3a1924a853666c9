// What an IMAP session needs from accounts and the mail store, as protocols so
// that session tests run against an in-memory twin (STYLE.md rule 10). The
// values are the store's own (MailStore): the real backend is a thin adapter
// over `UserStore`, and the twin builds the same values.
import Foundation
import MailStore

public enum IMAPLoginResult: Sendable {
    case success(any IMAPMailAccess)
    case invalidCredentials
    case temporaryFailure(String)
}

public protocol IMAPBackend: Sendable {
    /// Checks the credentials and opens the user's mail.
    func login(username: String, password: String) async -> IMAPLoginResult
}

/// A message being read: its size and ranges of its bytes.
public protocol IMAPMessageReader: Sendable {
    var size: Int { get }
    /// Up to `count` bytes from `offset` (fewer at the end).
    func read(offset: Int, count: Int) async throws(StoreError) -> [UInt8]
}

/// One user's mailboxes, as the IMAP performer uses them. Mailbox names are
/// the store's (UTF-8, "." as the hierarchy separator).
public protocol IMAPMailAccess: AnyObject, Sendable {
    /// The account's address, for logs.
    var user: String { get }

    // MARK: Mailboxes
    func mailboxes() async throws(StoreError) -> [MailboxInfo]
    func subscriptions() async throws(StoreError) -> [String]
    func status(_ mailbox: String) async throws(StoreError) -> MailboxStatus
    func keywords(in mailbox: String) async throws(StoreError) -> [String]
    func createMailbox(_ name: String, specialUse: SpecialUse?) async throws(StoreError)
    func deleteMailbox(_ name: String) async throws(StoreError)
    func renameMailbox(_ from: String, to: String) async throws(StoreError)
    func setSubscribed(_ name: String, _ subscribed: Bool) async throws(StoreError)

    // MARK: Messages
    /// Every UID with the first unseen one (SELECT).
    func messageNumbers(in mailbox: String) async throws(StoreError) -> MailboxNumbers
    /// In UID order; all, or those of `uids` that exist.
    func messages(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> [MessageSummary]
    func messageDetails(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> [MessageDetails]
    func openMessage(in mailbox: String, uid: UInt32) async throws(StoreError) -> any IMAPMessageReader
    /// The bytes of several listed messages at once; those whose file is gone are left out.
    func readMessages(_ summaries: [MessageSummary], in mailbox: String) async throws(StoreError) -> [UInt32: [UInt8]]
    func store(
        _ operation: FlagOperation, uids: [UInt32], in mailbox: String, unchangedSince: UInt64?
    ) async throws(StoreError) -> FlagUpdateResult
    /// The \Recent messages, claimed for this session (RFC 3501 §2.3.2).
    func claimRecent(in mailbox: String) async throws(StoreError) -> [UInt32]
    /// Removes the \Deleted messages (of `uids` when given).
    func expunge(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> ExpungeResult
    func copy(uids: [UInt32], from source: String, to target: String) async throws(StoreError) -> CopyResult
    func move(uids: [UInt32], from source: String, to target: String) async throws(StoreError) -> CopyResult
    /// Throws `.noSuchMailbox` or `.quotaExceeded` when a message of `size`
    /// bytes could not be appended to `mailbox` (before its octets are sent).
    func checkAppend(to mailbox: String, size: Int) async throws(StoreError)
    /// Stores the message; returns once it is fsynced and indexed.
    func append(
        _ bytes: [UInt8], to mailbox: String, flags: MessageFlags, keywords: [String], internalDate: Date?
    ) async throws(StoreError) -> DeliveryResult

    // MARK: Search
    /// UIDs whose decoded text contains `text`, ignoring case (BODY, TEXT).
    func search(in mailbox: String, text: String, scope: TextSearchScope) async throws(StoreError) -> [UInt32]
    /// UIDs whose decoded header field contains `text`, ignoring case.
    func search(in mailbox: String, header: SearchHeaderField, contains text: String) async throws(StoreError) -> [UInt32]
    func sentDates(in mailbox: String) async throws(StoreError) -> [UInt32: Date?]

    // MARK: Changes
    func cursor(of mailbox: String) async throws(StoreError) -> MailboxCursor
    func changes(in mailbox: String, since cursor: MailboxCursor) async throws(StoreError) -> MailboxChanges
    /// Batches of changes after `cursor` as they happen (IDLE).
    func subscribe(to mailbox: String, from cursor: MailboxCursor) async throws(StoreError) -> AsyncStream<MailboxChanges>
}
