// An mbox file as mail readers (mutt, mail(1), Dovecot) read it: each
// message starts with a "From SENDER DATE" line and ends with a blank line.
// The mboxrd convention (the one that can be undone): a body line that
// matches /^>*From / gets one more ">". Lines end in LF, the Unix text form
// an mbox is, whatever the server sent (CRLF from POP3).
//
// Appending is locked the way Dovecot and mutt lock (a FILE.lock dot-lock,
// then an fcntl write lock), fsynced before `store` returns, and undone
// (truncated back) when a write fails half-way.
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class MboxWriter: FetchDestination {
    public let path: String
    /// How long to wait for another program's lock.
    let lockTimeout: Duration
    private let clock: @Sendable () -> Date

    public init(path: String, lockTimeout: Duration = .seconds(30), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.path = path
        self.lockTimeout = lockTimeout
        self.clock = clock
    }

    public var description: String { "mbox \(path)" }

    public var defaultStatePath: String { path + ".chappe-fetch.uidl" }

    public func store(_ message: ByteBuffer, key: FetchedMessageKey) async throws {
        let entry = Self.entry(for: Array(message.readableBytesView), date: clock())
        let path = self.path
        let lockTimeout = self.lockTimeout
        try await onThreadPool {
            try Self.append(entry, to: path, lockTimeout: lockTimeout)
        }
    }

    // MARK: - Format (pure)

    /// The whole entry: the From line, the message quoted with LF line
    /// endings, and the blank line that ends it.
    public static func entry(for message: [UInt8], date: Date) -> [UInt8] {
        var output = Array("From \(sender(of: message)) \(asctime(date))\n".utf8)
        output.reserveCapacity(message.count + 128)
        var lineStart = 0
        var index = 0
        while lineStart < message.count {
            // The end of this line: LF (a CR before it is dropped) or the end.
            index = message[lineStart...].firstIndex(of: 0x0A) ?? message.count
            var contentEnd = index
            if contentEnd > lineStart && message[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let line = message[lineStart..<contentEnd]
            if needsQuoting(line) { output.append(UInt8(ascii: ">")) }
            output.append(contentsOf: line)
            output.append(0x0A)
            lineStart = index + 1
        }
        output.append(0x0A)
        return output
    }

    /// mboxrd: a line of zero or more ">" then "From ".
    static func needsQuoting(_ line: ArraySlice<UInt8>) -> Bool {
        let rest = line.drop { $0 == UInt8(ascii: ">") }
        return rest.starts(with: Array("From ".utf8))
    }

    /// The envelope sender for the From line: the Return-Path of the header
    /// (what the final MTA recorded), else MAILER-DAEMON as mail(1) writes.
    static func sender(of message: [UInt8]) -> String {
        var lineStart = 0
        while lineStart < message.count {
            let end = message[lineStart...].firstIndex(of: 0x0A) ?? message.count
            var line = message[lineStart..<end]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { break }  // end of the header
            let text = String(decoding: line, as: UTF8.self)
            if text.lowercased().hasPrefix("return-path:") {
                let value = text.dropFirst("return-path:".count)
                    .filter { !$0.isWhitespace && $0 != "<" && $0 != ">" }
                let printable = value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
                return value.isEmpty || !printable ? "MAILER-DAEMON" : String(value.prefix(256))
            }
            lineStart = end + 1
        }
        return "MAILER-DAEMON"
    }

    /// ctime(3) form in UTC: "Sat Nov  1 09:05:00 2025".
    static func asctime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = days[((parts.weekday ?? 1) - 1 + 7) % 7]
        let month = months[((parts.month ?? 1) - 1 + 12) % 12]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let day = String(format: "%2d", parts.day ?? 1)
        return "\(weekday) \(month) \(day) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) \(parts.year ?? 1970)"
    }

    // MARK: - Appending (blocking)

    static func append(_ entry: [UInt8], to path: String, lockTimeout: Duration) throws {
        let dotLock = try DotLock.acquire(for: path, timeout: lockTimeout)
        defer { dotLock?.release() }
        let descriptor = try FetchFiles.openFile(path, O_RDWR | O_CREAT | O_APPEND, mode: 0o600)
        defer { Glibc.close(descriptor) }
        try lockForWriting(descriptor, path: path, timeout: lockTimeout)
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileOperationError("stat", path) }
        let originalSize = info.st_size
        var bytes = entry
        if originalSize > 0 {
            // A blank line must separate this entry from the previous one.
            var tail: [UInt8] = [0, 0]
            let count = min(Int(originalSize), 2)
            let read = tail.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, originalSize - off_t(count)) }
            let last = Array(tail.prefix(max(read, 0)))
            if last.last != 0x0A {
                bytes = [0x0A, 0x0A] + bytes
            } else if count == 2 && last.first != 0x0A {
                bytes = [0x0A] + bytes
            }
        }
        do {
            try FetchFiles.writeAll(descriptor, bytes, path: path)
            try FetchFiles.sync(descriptor, path: path)
        } catch {
            // Leave the mbox as it was, not with half a message at its end.
            _ = ftruncate(descriptor, originalSize)
            _ = fsync(descriptor)
            throw error
        }
        if originalSize == 0 {
            try FetchFiles.syncDirectory(Self.directory(of: path))
        }
    }

    static func directory(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// An fcntl write lock on the whole file (released when it is closed).
    private static func lockForWriting(_ descriptor: Int32, path: String, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            if fcntl(descriptor, F_SETLK, &lock) == 0 { return }
            guard errno == EACCES || errno == EAGAIN || errno == EINTR else { throw FileOperationError("lock", path) }
            guard ContinuousClock.now < deadline else {
                throw FileOperationError("lock (another program holds it)", path, code: EAGAIN)
            }
            usleep(50_000)
        }
    }
}

/// The traditional dot-lock: FILE.lock, created exclusively. One older than
/// ten minutes is stale (its owner died) and removed, as Dovecot does. Where
/// the directory is not writable (a system /var/mail), the fcntl lock alone
/// protects the file.
struct DotLock {
    static let staleAge: TimeInterval = 600

    let path: String

    static func acquire(for file: String, timeout: Duration) throws -> DotLock? {
        let path = file + ".lock"
        let deadline = ContinuousClock.now + timeout
        while true {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                let pid = Array("\(getpid())\n".utf8)
                _ = pid.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                close(descriptor)
                return DotLock(path: path)
            }
            switch errno {
            case EEXIST:
                var info = stat()
                if stat(path, &info) == 0, Date().timeIntervalSince1970 - TimeInterval(info.st_mtim.tv_sec) > staleAge {
                    unlink(path)
                    continue
                }
            case EACCES, EPERM, EROFS:
                return nil
            case EINTR:
                continue
            default:
                throw FileOperationError("create the lock", path)
            }
            guard ContinuousClock.now < deadline else {
                throw FileOperationError("lock (\(path) exists)", file, code: EAGAIN)
            }
            usleep(100_000)
        }
    }

    func release() {
        unlink(path)
    }
}
