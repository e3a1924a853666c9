// Final delivery into a user's store: the delivery agent the queue runner
// calls for each local mailbox, as a protocol so that tests use a twin
// (STYLE.md rule 10). The store delivers exactly once per delivery id, so a
// retry after a crash stores nothing twice (DESIGN.md rule 3).
import MailStore

public enum LocalDeliveryOutcome: Sendable, Equatable {
    case delivered
    /// Try again later: the store is busy, the quota is full for now (4.2.2).
    case temporary(String)
    /// Never: the status code first ("5.1.1 …").
    case permanent(String)
}

public protocol LocalDeliveryAgent: Sendable {
    func deliver(_ message: [UInt8], to mailbox: SMTPMailbox, deliveryID: String) async -> LocalDeliveryOutcome
}

/// Delivery into the account's Maildir through its `UserStore`.
public struct StoreDeliveryAgent: LocalDeliveryAgent {
    let accounts: AccountStore
    let stores: UserStoreRegistry

    public init(accounts: AccountStore, stores: UserStoreRegistry) {
        self.accounts = accounts
        self.stores = stores
    }

    public func deliver(_ message: [UInt8], to mailbox: SMTPMailbox, deliveryID: String) async -> LocalDeliveryOutcome {
        guard let address = mailbox.mailAddress else { return .permanent("5.1.3 bad mailbox address \(mailbox)") }
        let account: Account?
        do {
            account = try await accounts.account(address)
        } catch {
            return .temporary("4.3.0 account lookup failed: \(error)")
        }
        guard let account else { return .permanent("5.1.1 no such mailbox \(mailbox)") }
        do {
            let store = try await stores.store(for: account)
            _ = try await store.deliver(.bytes(message), deliveryID: deliveryID)
            return .delivered
        } catch {
            if case .quotaExceeded = error {
                // RFC 3463: 4.2.2 / 5.2.2 mailbox full.
                return error.isTemporary ? .temporary("4.2.2 \(error)") : .permanent("5.2.2 \(error)")
            }
            return error.isTemporary ? .temporary("4.3.0 \(error)") : .permanent("5.3.0 \(error)")
        }
    }
}
