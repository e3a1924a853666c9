// UserStoreRegistry: one `UserStore` per user in a process, shared by every session and
// delivery of that user (so change notification and the single SQLite writer connection
// are shared too). Concurrent first requests wait for the same open. A store whose
// index was replaced by another process (`chappe store check` rebuilt it) is reopened.

import Foundation
import Synchronization

public final class UserStoreRegistry: Sendable {
    public let dataDirectory: String
    private let options: StoreOptions
    private let stores = Mutex<[String: Task<UserStore, any Error>]>([:])

    public init(dataDirectory: String, options: StoreOptions = StoreOptions()) {
        self.dataDirectory = dataDirectory
        self.options = options
    }

    /// The store of `address`, opened (and reconciled, as the options say) on first use;
    /// `quota` replaces the store's quota on every call, so a changed account limit applies.
    public func store(for address: MailAddress, quota: Quota? = nil) async throws(StoreError) -> UserStore {
        let key = address.normalized
        for _ in 0..<2 {
            let task = stores.withLock { stores -> Task<UserStore, any Error> in
                if let existing = stores[key] { return existing }
                var options = self.options
                if let quota { options.quota = quota }
                let dataDirectory = self.dataDirectory
                let task = Task<UserStore, any Error> {
                    try await UserStore.open(dataDirectory: dataDirectory, address: address, options: options).store
                }
                stores[key] = task
                return task
            }
            let store: UserStore
            do {
                store = try await task.value
            } catch {
                stores.withLock { stores in
                    if stores[key] == task { stores[key] = nil }
                }
                throw StoreError.wrap(error, database: dataDirectory)
            }
            if await store.isIndexReplaced() {
                stores.withLock { stores in
                    if stores[key] == task { stores[key] = nil }
                }
                await store.close()
                continue
            }
            if let quota { store.setQuota(quota) }
            return store
        }
        throw .indexReplaced(path: UserStore.userDirectory(dataDirectory: dataDirectory, address: address) + "/index.sqlite")
    }

    /// The store of the account, with the account's quota.
    public func store(for account: Account) async throws(StoreError) -> UserStore {
        try await store(for: account.address, quota: Quota(account))
    }

    /// Closes every open store (server shutdown).
    public func closeAll() async {
        let tasks = stores.withLock { stores in
            defer { stores = [:] }
            return Array(stores.values)
        }
        for task in tasks {
            if let store = try? await task.value { await store.close() }
        }
    }
}
