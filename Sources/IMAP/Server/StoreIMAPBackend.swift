// The IMAP backend over the real mail store: accounts from accounts.sqlite,
// each user's `UserStore` from the registry shared with SMTP delivery and
// POP3 (so every session of a user, and delivery, see one change monitor).
import Foundation
import MailStore

public final class StoreIMAPBackend: IMAPBackend {
    private let accounts: AccountStore
    private let stores: UserStoreRegistry

    public init(accounts: AccountStore, stores: UserStoreRegistry) {
        self.accounts = accounts
        self.stores = stores
    }

    public func login(username: String, password: String) async -> IMAPLoginResult {
        guard let account = await accounts.verify(username: username, password: password) else {
            return .invalidCredentials
        }
        do {
            return .success(UserStoreMailAccess(store: try await stores.store(for: account)))
        } catch {
            return .temporaryFailure("cannot open the mailbox store: \(error)")
        }
    }
}

extension MessageFile: IMAPMessageReader {}

/// `IMAPMailAccess` as the user's store itself.
final class UserStoreMailAccess: IMAPMailAccess {
    let store: UserStore

    init(store: UserStore) {
        self.store = store
    }

    var user: String { store.address.normalized }

    func mailboxes() async throws(StoreError) -> [MailboxInfo] { try await store.mailboxes() }
    func subscriptions() async throws(StoreError) -> [String] { try await store.subscriptions() }
    func status(_ mailbox: String) async throws(StoreError) -> MailboxStatus { try await store.status(mailbox) }
    func keywords(in mailbox: String) async throws(StoreError) -> [String] { try await store.keywords(in: mailbox) }

    func createMailbox(_ name: String, specialUse: SpecialUse?) async throws(StoreError) {
        _ = try await store.createMailbox(name, specialUse: specialUse)
    }

    func deleteMailbox(_ name: String) async throws(StoreError) { try await store.deleteMailbox(name) }
    func renameMailbox(_ from: String, to: String) async throws(StoreError) { try await store.renameMailbox(from, to: to) }
    func setSubscribed(_ name: String, _ subscribed: Bool) async throws(StoreError) {
        try await store.setSubscribed(name, subscribed)
    }

    func messageNumbers(in mailbox: String) async throws(StoreError) -> MailboxNumbers {
        try await store.messageNumbers(in: mailbox)
    }

    func messages(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> [MessageSummary] {
        try await store.messages(in: mailbox, uids: uids)
    }

    func messageDetails(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> [MessageDetails] {
        try await store.messageDetails(in: mailbox, uids: uids)
    }

    func openMessage(in mailbox: String, uid: UInt32) async throws(StoreError) -> any IMAPMessageReader {
        try await store.openMessage(in: mailbox, uid: uid)
    }

    func readMessages(_ summaries: [MessageSummary], in mailbox: String) async throws(StoreError) -> [UInt32: [UInt8]] {
        try await store.readMessages(summaries, in: mailbox)
    }

    func store(
        _ operation: FlagOperation, uids: [UInt32], in mailbox: String, unchangedSince: UInt64?
    ) async throws(StoreError) -> FlagUpdateResult {
        try await store.store(operation, uids: uids, in: mailbox, unchangedSince: unchangedSince)
    }

    func claimRecent(in mailbox: String) async throws(StoreError) -> [UInt32] { try await store.claimRecent(in: mailbox) }

    func expunge(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> ExpungeResult {
        try await store.expunge(in: mailbox, uids: uids, onlyDeleted: true)
    }

    func copy(uids: [UInt32], from source: String, to target: String) async throws(StoreError) -> CopyResult {
        try await store.copy(uids: uids, from: source, to: target)
    }

    func move(uids: [UInt32], from source: String, to target: String) async throws(StoreError) -> CopyResult {
        try await store.move(uids: uids, from: source, to: target)
    }

    func checkAppend(to mailbox: String, size: Int) async throws(StoreError) {
        guard try await store.mailbox(named: mailbox) != nil else { throw .noSuchMailbox(mailbox) }
        let usage = try await store.usage()
        let quota = usage.quota
        if let limit = quota.messages, usage.messages + 1 > limit {
            throw .quotaExceeded(QuotaExceeded(resource: .messages, limit: limit, usage: usage.messages, requested: 1))
        }
        if let limit = quota.bytes, usage.bytes + Int64(size) > limit {
            throw .quotaExceeded(QuotaExceeded(resource: .bytes, limit: limit, usage: usage.bytes, requested: Int64(size)))
        }
    }

    func append(
        _ bytes: [UInt8], to mailbox: String, flags: MessageFlags, keywords: [String], internalDate: Date?
    ) async throws(StoreError) -> DeliveryResult {
        try await store.append(bytes, to: mailbox, flags: flags, keywords: keywords, internalDate: internalDate)
    }

    func search(in mailbox: String, text: String, scope: TextSearchScope) async throws(StoreError) -> [UInt32] {
        try await store.search(in: mailbox, text: text, scope: scope)
    }

    func search(in mailbox: String, header: SearchHeaderField, contains text: String) async throws(StoreError) -> [UInt32] {
        try await store.search(in: mailbox, header: header, contains: text)
    }

    func sentDates(in mailbox: String) async throws(StoreError) -> [UInt32: Date?] { try await store.sentDates(in: mailbox) }

    func cursor(of mailbox: String) async throws(StoreError) -> MailboxCursor { try await store.cursor(of: mailbox) }

    func changes(in mailbox: String, since cursor: MailboxCursor) async throws(StoreError) -> MailboxChanges {
        try await store.changes(in: mailbox, since: cursor)
    }

    func subscribe(to mailbox: String, from cursor: MailboxCursor) async throws(StoreError) -> AsyncStream<MailboxChanges> {
        try await store.subscribe(to: mailbox, from: cursor)
    }
}
