// The real file system: POSIX calls with their errno turned into `FileSystemError`.
// Files are created 0600 and directories 0700 whatever the umask: mail is private.

import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// File-scope names for the C calls that methods below shadow.
private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }
private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }
private func systemLink(_ from: String, _ to: String) -> Int32 { link(from, to) }

public struct PosixFileSystem: MaildirFileSystem {
    public init() {}

    private func failure(_ operation: String, _ path: String, _ code: Int32 = errno) -> FileSystemError {
        FileSystemError(operation: operation, path: path, reason: String(cString: strerror(code)), code: code)
    }

    public func createDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 { return }
        let code = errno
        if code == EEXIST { return }
        if code == ENOENT {
            let parent = (path as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != path else { throw failure("mkdir", path, code) }
            try createDirectory(parent)
            if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        }
        throw failure("mkdir", path)
    }

    public func createFile(_ path: String, contents: [UInt8], modificationTime: Date?, sync: Bool) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("create", path) }
        var closed = false
        defer { if !closed { _ = systemClose(descriptor) } }
        var written = 0
        try contents.withUnsafeBytes { buffer in
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", path)
                }
                written += result
            }
        }
        if let modificationTime {
            let seconds = modificationTime.timeIntervalSince1970
            let whole = seconds.rounded(.down)
            var times = [
                timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1_000_000_000)),
                timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1_000_000_000)),
            ]
            if futimens(descriptor, &times) != 0 { throw failure("futimens", path) }
        }
        if sync && fsync(descriptor) != 0 { throw failure("fsync", path) }
        closed = true
        if systemClose(descriptor) != 0 { throw failure("close", path) }
    }

    public func rename(_ from: String, to: String) throws {
        if systemRename(from, to) != 0 { throw failure("rename to \(to)", from) }
    }

    public func link(_ from: String, to: String) throws {
        if systemLink(from, to) != 0 { throw failure("link to \(to)", from) }
    }

    public func removeFile(_ path: String) throws {
        if unlink(path) != 0 { throw failure("unlink", path) }
    }

    public func removeTree(_ path: String) throws {
        guard let status = try status(path) else { return }
        if status.isDirectory {
            for entry in try contentsOfDirectory(path) {
                try removeTree(path + "/" + entry)
            }
            if rmdir(path) != 0 && errno != ENOENT { throw failure("rmdir", path) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw failure("unlink", path)
        }
    }

    public func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { _ = systemClose(descriptor) }
        if fsync(descriptor) != 0 { throw failure("fsync", path) }
    }

    public func contentsOfDirectory(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw failure("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw failure("readdir", path) }
                break
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func status(_ path: String) throws -> FileStatus? {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw failure("stat", path)
        }
        let time = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1_000_000_000
        return FileStatus(
            size: Int(info.st_size), modificationTime: Date(timeIntervalSince1970: time),
            isDirectory: (info.st_mode & S_IFMT) == S_IFDIR, identity: [UInt64(info.st_dev), UInt64(info.st_ino)])
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        let file = try openFile(path)
        defer { file.close() }
        return try file.read(offset: 0, count: file.size)
    }

    public func openFile(_ path: String) throws -> any ReadableFile {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", path) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let error = failure("fstat", path)
            _ = systemClose(descriptor)
            throw error
        }
        return PosixReadableFile(descriptor: descriptor, size: Int(info.st_size), path: path)
    }
}

/// A file descriptor read with pread(2); closed by `close()` or when released.
final class PosixReadableFile: ReadableFile {
    let size: Int
    private let path: String
    private let descriptor: Mutex<Int32>

    init(descriptor: Int32, size: Int, path: String) {
        self.descriptor = Mutex(descriptor)
        self.size = size
        self.path = path
    }

    func read(offset: Int, count: Int) throws -> [UInt8] {
        try descriptor.withLock { descriptor in
            guard descriptor >= 0 else {
                throw FileSystemError(operation: "read", path: path, reason: "the file is closed", code: EBADF)
            }
            guard count > 0, offset >= 0 else { return [] }
            var out = [UInt8](repeating: 0, count: count)
            var done = 0
            try out.withUnsafeMutableBytes { buffer in
                while done < count {
                    let result = pread(descriptor, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset + done))
                    if result < 0 {
                        if errno == EINTR { continue }
                        let code = errno
                        throw FileSystemError(operation: "read", path: path, reason: String(cString: strerror(code)), code: code)
                    }
                    if result == 0 { break }
                    done += result
                }
            }
            if done < count { out.removeLast(count - done) }
            return out
        }
    }

    func close() {
        descriptor.withLock { descriptor in
            if descriptor >= 0 { _ = systemClose(descriptor) }
            descriptor = -1
        }
    }

    deinit { close() }
}
