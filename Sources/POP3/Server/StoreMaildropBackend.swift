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
    /// The read of the message after the last one asked for: clients read in
    /// order (RETR 1, 2, ...), so the next file is read while this one is sent
    /// and the client's next command travels.
    private let readAhead = Mutex<ReadAhead?>(nil)

    private struct ReadAhead {
        let index: Int
        let read: FileRead
    }

    /// Where each file was at login, and its size.
    private let files: [(path: String, size: Int)]

    init(store: UserStore, summaries: [MessageSummary], lock: MaildropLock) {
        self.store = store
        self.lock = lock
        uids = summaries.map(\.uid)
        files = summaries.map { ($0.path, $0.size) }
        // RFC 1939 §5, §11: LIST and STAT give the size as sent, and RETR sends every
        // bare LF or CR as CRLF (POP3Performer), so the wire size, not the file's size.
        messages = summaries.map { POP3MessageInfo(size: $0.wireSize, uniqueID: Self.uniqueID(baseName: $0.baseName)) }
    }

    /// A message's bytes: its file at the path the store gave at login, read in
    /// one trip to a thread (read ahead, usually done by now); when that file is
    /// gone or changed (a flag change renamed it, another session expunged it),
    /// through the store, which finds it by UID or reports it missing. Reading
    /// through the store every time costs an index query and three thread
    /// hand-offs per message: RETR ran 3 to 3.5 times slower that way
    /// (docs/BENCHMARKS.md, POP3).
    func read(_ index: Int) async throws -> ByteBuffer {
        let next = index + 1 < files.count ? ReadAhead(index: index + 1, read: FileRead(files[index + 1].path)) : nil
        let ahead = readAhead.withLock { slot in
            defer { slot = next }
            return slot
        }
        let read = ahead?.index == index ? ahead?.read : nil
        if let bytes = await (read ?? FileRead(files[index].path)).value, bytes.readableBytes == files[index].size {
            return bytes
        }
        return ByteBuffer(bytes: try await store.readMessage(in: "INBOX", uid: uids[index]))
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

/// One whole-file read, started at once on a thread of `queue` (blocking work
/// never runs on the caller's thread, DESIGN.md rule 2); `value` returns
/// without suspending when the read is already done.
private final class FileRead: Sendable {
    private static let queue = DispatchQueue(label: "chappe.pop3.read", qos: .userInitiated, attributes: .concurrent)

    private enum State {
        case running(waiter: CheckedContinuation<ByteBuffer?, Never>?)
        case done(ByteBuffer?)
    }

    private let state = Mutex(State.running(waiter: nil))

    init(_ path: String) {
        Self.queue.async { [self] in
            let bytes = Self.readNow(path)
            let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
                guard case .running(let waiter) = state else { return nil }
                state = .done(bytes)
                return waiter
            }
            waiter?.resume(returning: bytes)
        }
    }

    /// The file's bytes; nil when it cannot be read.
    var value: ByteBuffer? {
        get async {
            if case .done(let bytes) = state.withLock({ $0 }) { return bytes }
            return await withCheckedContinuation { continuation in
                let finished = state.withLock { state -> ByteBuffer?? in
                    if case .done(let bytes) = state { return .some(bytes) }
                    state = .running(waiter: continuation)
                    return .none
                }
                if case .some(let bytes) = finished { continuation.resume(returning: bytes) }
            }
        }
    }

    private static func readNow(_ path: String) -> ByteBuffer? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = Int(info.st_size)
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        while buffer.readableBytes < size {
            let offset = buffer.readableBytes
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size - offset) { target in
                max(0, pread(descriptor, target.baseAddress, size - offset, off_t(offset)))
            }
            if count == 0 { return nil }
        }
        return buffer
    }
}
