// The POP3 backend over the real mail store: accounts from accounts.sqlite,
// the INBOX of the user's Maildir + index. The maildrop lock is per process
// (the server is the only POP3 speaker); it is released when the session's
// maildrop object goes away, however the session ends.
import Foundation
import MailStore
import NIOCore
import Synchronization

public final class StoreMaildropBackend: POP3Backend {
    private let accounts: AccountStore
    private let stores: UserStoreRegistry
    private let locks = Mutex<Set<String>>([])

    public init(accounts: AccountStore, stores: UserStoreRegistry) {
        self.accounts = accounts
        self.stores = stores
    }

    public func login(username: String, password: String) async -> POP3LoginResult {
        guard let account = await accounts.verify(username: username, password: password) else {
            return .invalidCredentials
        }
        let key = account.address.normalized
        let acquired = locks.withLock { $0.insert(key).inserted }
        guard acquired else { return .inUse }
        let lock = MaildropLock(key: key, backend: self)
        do {
            let store = try await stores.store(for: account)
            let summaries = try await store.messages(in: "INBOX")
            return .success(StoreMaildrop(store: store, summaries: summaries, lock: lock))
        } catch {
            return .temporaryFailure("cannot open the maildrop: \(error)")
        }
    }

    fileprivate func unlock(_ key: String) {
        _ = locks.withLock { $0.remove(key) }
    }
}

/// Holds a user's maildrop lock while it lives.
private final class MaildropLock: Sendable {
    let key: String
    let backend: StoreMaildropBackend

    init(key: String, backend: StoreMaildropBackend) {
        self.key = key
        self.backend = backend
    }

    deinit {
        backend.unlock(key)
    }
}

private final class StoreMaildrop: POP3Maildrop {
    let messages: [POP3MessageInfo]
    private let uids: [UInt32]
    private let store: UserStore
    private let lock: MaildropLock

    init(store: UserStore, summaries: [MessageSummary], lock: MaildropLock) {
        self.store = store
        self.lock = lock
        uids = summaries.map(\.uid)
        // RFC 1939 §5, §11: LIST and STAT give the size as sent, and RETR sends every
        // bare LF or CR as CRLF (POP3Performer), so the wire size, not the file's size.
        messages = summaries.map { POP3MessageInfo(size: $0.wireSize, uniqueID: Self.uniqueID(baseName: $0.baseName)) }
    }

    func read(_ index: Int) async throws -> ByteBuffer {
        ByteBuffer(bytes: try await store.readMessage(in: "INBOX", uid: uids[index]))
    }

    func expunge(_ indices: [Int]) async throws {
        _ = try await store.expunge(in: "INBOX", uids: indices.map { uids[$0] }, onlyDeleted: false)
    }

    /// The Maildir base name is stable for the life of the message, also
    /// across an index rebuild; RFC 1939 §7 allows 0x21-0x7E, 70 at most.
    static func uniqueID(baseName: String) -> String {
        let printable = baseName.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }
        if printable && baseName.utf8.count <= 70 { return baseName }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in baseName.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return "h" + String(hash, radix: 16)
    }
}
