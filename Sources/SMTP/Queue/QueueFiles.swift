// The file operations of the queue: whole-file writes with fsync, directory
// fsync, atomic rename, and a thread on which they run, off the event loops
// and off the cooperative pool (DESIGN.md rule 2).
import Dispatch
import NIOPosix
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct QueueFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let reason: String

    init(_ operation: String, _ path: String, errno code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.reason = String(cString: strerror(code))
    }

    init(_ operation: String, _ path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(operation) \(path): \(reason)" }
}

enum QueueFiles {
    /// Real threads for blocking work: each fsync holds one, and a commit
    /// and a delivery per session run at once (libdispatch's pool, used
    /// before, kept a few threads and made the fsyncs wait in line).
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 32)
        pool.start()
        return pool
    }()

    /// Runs blocking file work on the queue's own threads.
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(work)
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw QueueFileError("mkdir", path) }
    }

    /// Opens (creating, truncating) a file for writing.
    static func create(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 { throw QueueFileError("open", path) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw QueueFileError("write", path)
            }
            offset += written
        }
    }

    static func sync(_ fd: Int32, path: String) throws {
        if fsync(fd) != 0 { throw QueueFileError("fsync", path) }
    }

    /// Writes `bytes` to `path`, fsynced, and closes it.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = try create(path)
        defer { close(fd) }
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
        try sync(fd, path: path)
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw QueueFileError("open", path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw QueueFileError("fsync", path) }
    }

    /// rename(2): atomic within the file system.
    static func move(_ from: String, _ to: String) throws {
        if rename(from, to) != 0 { throw QueueFileError("rename", from + " to " + to) }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QueueFileError("read", path, reason: "cannot read the file")
        }
        return Array(data)
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// The names in a directory, sorted; none when it does not exist.
    static func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
