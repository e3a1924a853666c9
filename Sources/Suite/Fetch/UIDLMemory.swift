// The UIDL memory: which messages of which remote mailbox are already
// stored locally. A text file, one "SOURCE UNIQUE-ID" line per message
// (SOURCE is the canonical URL, both fields without spaces: RFC 1939 §7
// unique ids are 0x21-0x7E), after a header line.
//
// States and steps (each one durable before the next):
//   stored   the message is fsynced in the destination
//   recorded its line is appended to the file and fsynced
//   deleted  (without --keep) DELE sent; the server removes it at QUIT
//   pruned   after a QUIT that succeeded, lines of messages no longer on
//            the server are dropped: the file is rewritten to FILE.tmp,
//            fsynced and renamed over FILE, and the directory fsynced.
// A crash between "stored" and "recorded" fetches that message once more
// (a Maildir or mbox gets a second copy; an account does not, its delivery
// id is the same). A crash after "recorded" loses nothing: the next run
// skips the message, and deletes it on the server when not --keep.
//
// One fetch at a time per memory file: an flock on FILE.lock, held for the
// run. A half-written last line (a crash mid-append) is dropped on load.
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class UIDLMemory: Sendable {
    static let header = "# chappe fetch: messages already fetched (source unique-id)\n"

    public let path: String
    private let lockDescriptor: Int32
    private let state: Mutex<[String: Set<String>]>
    private let appender = Mutex<Int32>(-1)

    /// Opens (or starts) the memory at `path`, creating its folder, and
    /// takes its lock, waiting up to `lockTimeout` for another fetch.
    public init(path: String, lockTimeout: Duration = .seconds(30)) throws {
        self.path = path
        try FetchFiles.makeDirectory(MboxWriter.directory(of: path))
        lockDescriptor = try Self.lock(path + ".lock", timeout: lockTimeout)
        var entries: [String: Set<String>] = [:]
        var intact = true
        do {
            if FetchFiles.exists(path) {
                let bytes = try FetchFiles.readFile(path)
                intact = bytes.isEmpty || bytes.last == 0x0A
                let text = String(decoding: bytes, as: UTF8.self)
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                if !intact { lines.removeLast() }
                for line in lines where !line.hasPrefix("#") && !line.isEmpty {
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    guard fields.count == 2 else { continue }
                    entries[String(fields[0]), default: []].insert(String(fields[1]))
                }
            }
        } catch {
            close(lockDescriptor)
            throw error
        }
        state = Mutex(entries)
        if !intact {
            try rewrite()
        }
    }

    deinit {
        appender.withLock { descriptor in
            if descriptor >= 0 { close(descriptor) }
        }
        close(lockDescriptor)
    }

    public func contains(source: String, uniqueID: String) -> Bool {
        state.withLock { $0[source]?.contains(uniqueID) ?? false }
    }

    public func uniqueIDs(of source: String) -> Set<String> {
        state.withLock { $0[source] ?? [] }
    }

    /// Appends one line and fsyncs it.
    public func record(source: String, uniqueID: String) throws {
        guard Self.isValidField(source), Self.isValidField(uniqueID) else { return }
        let inserted = state.withLock { $0[source, default: []].insert(uniqueID).inserted }
        guard inserted else { return }
        let line = Array("\(source) \(uniqueID)\n".utf8)
        let path = self.path
        try appender.withLock { descriptor in
            if descriptor < 0 {
                let isNew = !FetchFiles.exists(path)
                descriptor = try FetchFiles.openFile(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
                if isNew {
                    try FetchFiles.writeAll(descriptor, Array(Self.header.utf8), path: path)
                }
            }
            try FetchFiles.writeAll(descriptor, line, path: path)
            guard fdatasync(descriptor) == 0 else { throw FileOperationError("fsync", path) }
        }
    }

    /// Keeps, for `source`, only the ids in `keeping` (those still on the
    /// server), and rewrites the file when that dropped any.
    public func retain(source: String, keeping: Set<String>) throws {
        let changed = state.withLock { entries -> Bool in
            guard let known = entries[source] else { return false }
            let kept = known.intersection(keeping)
            guard kept.count != known.count else { return false }
            entries[source] = kept.isEmpty ? nil : kept
            return true
        }
        if changed { try rewrite() }
    }

    /// Writes the whole memory to FILE.tmp, fsyncs, renames it over FILE.
    private func rewrite() throws {
        var text = Self.header
        let entries = state.withLock { $0 }
        for source in entries.keys.sorted() {
            for id in entries[source, default: []].sorted() {
                text += "\(source) \(id)\n"
            }
        }
        let path = self.path
        try appender.withLock { descriptor in
            if descriptor >= 0 {
                close(descriptor)
                descriptor = -1
            }
            let temporary = path + ".tmp"
            let file = try FetchFiles.openFile(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            do {
                try FetchFiles.writeAll(file, Array(text.utf8), path: temporary)
                try FetchFiles.sync(file, path: temporary)
                close(file)
            } catch {
                close(file)
                throw error
            }
            try FetchFiles.renameFile(temporary, to: path)
            try FetchFiles.syncDirectory(MboxWriter.directory(of: path))
        }
    }

    static func isValidField(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
    }

    private static func lock(_ path: String, timeout: Duration) throws -> Int32 {
        let descriptor = try FetchFiles.openFile(path, O_RDWR | O_CREAT, mode: 0o600)
        let deadline = ContinuousClock.now + timeout
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
                close(descriptor)
                throw FetchError.runtime("another chappe fetch is using \(path.dropLast(5)); try again later")
            }
            usleep(100_000)
        }
        return descriptor
    }
}
