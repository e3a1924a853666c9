// The recipient resolver over aliases and mailboxes: RCPT to a local
// address is accepted when its alias expansion reaches a remote address or
// an existing mailbox. Mailboxes are asked of a `MailboxDirectory` (the
// account store; a dictionary in tests).
//
// postmaster (RFC 5321 §4.5.1) always exists. With no alias and no
// configured target, mail for it goes to the oldest account
// (`deliveryMailboxes`), so a fresh installation with one user works.
import MailStore
import Synchronization

public protocol MailboxDirectory: Sendable {
    func mailboxExists(_ address: MailAddress) async throws -> Bool
    /// The mailbox that receives postmaster's mail when nothing else is set.
    func defaultPostmaster() async throws -> MailAddress?
}

extension AccountStore: MailboxDirectory {
    public func mailboxExists(_ address: MailAddress) async throws -> Bool {
        try await account(address) != nil
    }

    /// The oldest account.
    public func defaultPostmaster() async throws -> MailAddress? {
        try await list().min { $0.created < $1.created }?.address
    }
}

public struct AliasingRecipientResolver: RecipientResolver {
    /// Shared by every copy (the server's sessions, the queue runner), so
    /// that `replaceAliases` after `chappe reload` reaches all of them.
    private let table: AliasTableBox
    public let directory: any MailboxDirectory

    public init(aliases: AliasTable, directory: any MailboxDirectory) {
        table = AliasTableBox(aliases)
        self.directory = directory
    }

    public var aliases: AliasTable { table.current }

    /// Puts a re-read aliases file in service; expansions under way finish
    /// with the table they started with.
    public func replaceAliases(_ aliases: AliasTable) {
        table.replace(aliases)
    }

    public func lookup(_ address: MailAddress) async -> RecipientStatus {
        let expansion = aliases.expand(SMTPMailbox(address))
        if !expansion.remote.isEmpty { return .exists }
        do {
            for mailbox in expansion.mailboxes {
                if mailbox.localPart.lowercased() == "postmaster" { return .exists }
                guard let candidate = mailbox.mailAddress else { continue }
                if try await directory.mailboxExists(candidate) { return .exists }
            }
        } catch {
            return .temporaryFailure("mailbox lookup failed: \(error)")
        }
        return .unknown
    }

    public func expand(_ address: MailAddress) async -> ExpansionStatus {
        let expansion = aliases.expand(SMTPMailbox(address))
        let members = (expansion.mailboxes + expansion.remote).map(\.description)
        guard expansion.isAlias else {
            // A plain mailbox "expands" to itself when it exists.
            switch await lookup(address) {
            case .exists: return .members(members)
            case .unknown: return .unknown
            case .temporaryFailure(let reason): return .temporaryFailure(reason)
            }
        }
        return members.isEmpty ? .unknown : .members(members)
    }

    /// What delivery needs: the expansion with postmaster resolved to a
    /// real mailbox, and mailboxes that do not exist left out and named.
    public func deliveryMailboxes(for address: SMTPMailbox) async throws -> (
        expansion: ExpansionResult, missing: [SMTPMailbox]
    ) {
        var expansion = aliases.expand(address)
        var existing: [SMTPMailbox] = []
        var missing: [SMTPMailbox] = []
        for mailbox in expansion.mailboxes {
            if let candidate = mailbox.mailAddress, try await directory.mailboxExists(candidate) {
                existing.append(mailbox)
            } else if mailbox.localPart.lowercased() == "postmaster", let fallback = try await directory.defaultPostmaster() {
                let target = SMTPMailbox(fallback)
                if !existing.contains(target) { existing.append(target) }
            } else {
                missing.append(mailbox)
            }
        }
        expansion.mailboxes = existing
        return (expansion, missing)
    }
}

/// The alias table in service, swapped whole.
private final class AliasTableBox: Sendable {
    private let table: Mutex<AliasTable>

    init(_ table: AliasTable) {
        self.table = Mutex(table)
    }

    var current: AliasTable { table.withLock { $0 } }

    func replace(_ table: AliasTable) {
        self.table.withLock { $0 = table }
    }
}
