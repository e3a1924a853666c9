// The file operations the store performs on a Maildir, behind a protocol so tests can
// put a twin in front of the disk that fails or "crashes" at a chosen call (STYLE.md
// rule 10). Every method is blocking: the store calls them on its own thread pool
// (`BlockingExecutor`), never on a caller's thread.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file system failure: the operation, the path, and the reason (strerror).
public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var reason: String
    /// errno, when the failure came from the system.
    public var code: Int32

    public init(operation: String, path: String, reason: String, code: Int32 = 0) {
        self.operation = operation
        self.path = path
        self.reason = reason
        self.code = code
    }

    public var isNotFound: Bool { code == ENOENT }
    public var isAlreadyExisting: Bool { code == EEXIST }
    public var description: String { "\(operation) \(path): \(reason)" }
}

/// What the store needs to know about a file.
public struct FileStatus: Sendable, Hashable {
    public var size: Int
    public var modificationTime: Date
    public var isDirectory: Bool
    /// Device and inode: identify a file across renames (an index replaced by another process).
    public var identity: [UInt64]

    public init(size: Int, modificationTime: Date, isDirectory: Bool, identity: [UInt64]) {
        self.size = size
        self.modificationTime = modificationTime
        self.isDirectory = isDirectory
        self.identity = identity
    }
}

/// An open file read at offsets (pread): it stays readable after a rename or an unlink.
public protocol ReadableFile: Sendable {
    var size: Int { get }
    func read(offset: Int, count: Int) throws -> [UInt8]
    func close()
}

public protocol MaildirFileSystem: Sendable {
    /// Creates a directory and missing parents with mode 0700; an existing one is fine.
    func createDirectory(_ path: String) throws
    /// Creates a new file (it must not exist) with mode 0600, writes `contents`, sets its
    /// modification time when given, and fsyncs it when `sync` is true.
    func createFile(_ path: String, contents: [UInt8], modificationTime: Date?, sync: Bool) throws
    /// rename(2): atomic, replaces `to`.
    func rename(_ from: String, to: String) throws
    /// link(2): a second name for the same file; fails if `to` exists or across devices.
    func link(_ from: String, to: String) throws
    /// unlink(2).
    func removeFile(_ path: String) throws
    /// Removes a directory and everything below it.
    func removeTree(_ path: String) throws
    /// fsync(2) on a directory, so the names in it are on disk.
    func syncDirectory(_ path: String) throws
    /// The entries of a directory (without "." and ".."); a missing directory throws.
    func contentsOfDirectory(_ path: String) throws -> [String]
    /// stat(2), or nil when nothing is there.
    func status(_ path: String) throws -> FileStatus?
    /// The whole file.
    func readFile(_ path: String) throws -> [UInt8]
    /// Opens a file for reading at offsets.
    func openFile(_ path: String) throws -> any ReadableFile
}
