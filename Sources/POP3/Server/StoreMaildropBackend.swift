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
        return await open(account)
    }

    public func loginAPOP(username: String, timestamp: String, digest: String) async -> POP3LoginResult {
        guard let account = await accounts.verifyAPOP(username: username, timestamp: timestamp, digest: digest) else {
            return .invalidCredentials
        }
        return await open(account)
    }

    /// Locks and lists the account's INBOX.
    private func open(_ account: Account) async -> POP3LoginResult {
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
    /// Reads of the messages after the last one asked for: clients read in
    /// order (RETR 1, 2, ...), so the next files are read while this one is
    /// sent and the client's next commands travel. One serial queue per
    /// session keeps it to one thread and the reads in order.
    private let readAhead = Mutex<[Int: FileRead]>([:])
    private let readQueue = DispatchQueue(label: "chappe.pop3.read", qos: .userInitiated)
    /// How far ahead, in messages and in bytes.
    static let readAheadCount = 32
    static let readAheadBytes = 1 << 20

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

    /// A message's bytes: its file at the path the store gave at login, read
    /// on the session's read thread (read ahead, usually done by now); when
    /// that file is gone or changed (a flag change renamed it, another session
    /// expunged it), through the store, which finds it by UID or reports it
    /// missing. Reading through the store every time costs an index query and
    /// three thread hand-offs per message: RETR ran 3 to 3.5 times slower that
    /// way (docs/BENCHMARKS.md, POP3).
    func read(_ index: Int) async throws -> ByteBuffer {
        let read = takeRead(index) ?? FileRead.start(files[index].path, on: readQueue)
        if let bytes = await read.value, bytes.readableBytes == files[index].size {
            return bytes
        }
        return ByteBuffer(bytes: try await store.readMessage(in: "INBOX", uid: uids[index]))
    }

    func readIfReady(_ index: Int) -> ByteBuffer? {
        let ready = readAhead.withLock { window -> ByteBuffer? in
            guard let bytes = window[index]?.valueIfDone, bytes.readableBytes == files[index].size else { return nil }
            window[index] = nil
            return bytes
        }
        if ready != nil { scheduleReadAhead(after: index) }
        return ready
    }

    /// The read of `index` if one was started, and reads of the messages
    /// after it started.
    private func takeRead(_ index: Int) -> FileRead? {
        let read = readAhead.withLock { window in window.removeValue(forKey: index) }
        scheduleReadAhead(after: index)
        return read
    }

    /// Tops the window up in batches, when it has run half empty: one trip
    /// to the read thread per batch, not per message.
    private func scheduleReadAhead(after index: Int) {
        let batch = readAhead.withLock { window -> [(String, FileRead)] in
            for stale in window.keys where stale <= index { window[stale] = nil }
            let end = min(files.count, index + 1 + Self.readAheadCount)
            guard window.count < Self.readAheadCount / 2, index + 1 < end else { return [] }
            var batch: [(String, FileRead)] = []
            var bytes = 0
            for next in (index + 1)..<end {
                bytes += files[next].size
                guard bytes <= Self.readAheadBytes || batch.isEmpty else { break }
                if window[next] == nil {
                    let read = FileRead()
                    window[next] = read
                    batch.append((files[next].path, read))
                }
            }
            return batch
        }
        guard !batch.isEmpty else { return }
        readQueue.async {
            for (path, read) in batch { read.run(path) }
        }
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

/// One whole-file read, run on a read queue (blocking work never runs on the
/// caller's thread, DESIGN.md rule 2); `value` returns without suspending
/// when the read is already done.
private final class FileRead: Sendable {
    private enum State {
        case running(waiter: CheckedContinuation<ByteBuffer?, Never>?)
        case done(ByteBuffer?)
    }

    private let state = Mutex(State.running(waiter: nil))

    /// A read that `run` will do.
    init() {}

    static func start(_ path: String, on queue: DispatchQueue) -> FileRead {
        let read = FileRead()
        queue.async { read.run(path) }
        return read
    }

    /// Reads the file (blocking) and hands the bytes to whoever waits.
    func run(_ path: String) {
        let bytes = Self.readNow(path)
        let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
            guard case .running(let waiter) = state else { return nil }
            state = .done(bytes)
            return waiter
        }
        waiter?.resume(returning: bytes)
    }

    /// The bytes of a finished read; nil while it runs or when it failed.
    var valueIfDone: ByteBuffer? {
        guard case .done(let bytes) = state.withLock({ $0 }) else { return nil }
        return bytes
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
