// The few POSIX file operations the fetch destinations need to keep their
// promise (DESIGN.md rule 3): write everything, fsync the file, rename,
// fsync the directory. Blocking: callers run them on NIOThreadPool.
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation, naming the path and the system's reason.
struct FileOperationError: Error, CustomStringConvertible {
    let operation: String
    let path: String
    let code: Int32

    init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(code)))"
    }
}

enum FetchFiles {
    /// Opens `path`, retrying on EINTR.
    static func openFile(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        while true {
            let descriptor = open(path, flags | O_CLOEXEC, mode)
            if descriptor >= 0 { return descriptor }
            if errno != EINTR { throw FileOperationError("open", path) }
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let written = write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileOperationError("write", path)
            }
            offset += written
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(descriptor, $0, path: path) }
    }

    static func sync(_ descriptor: Int32, path: String) throws {
        guard fsync(descriptor) == 0 else { throw FileOperationError("fsync", path) }
    }

    /// fsync of a directory: makes a rename or a new entry in it durable.
    static func syncDirectory(_ path: String) throws {
        let descriptor = try openFile(path, O_RDONLY | O_DIRECTORY)
        defer { close(descriptor) }
        try sync(descriptor, path: path)
    }

    static func renameFile(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw FileOperationError("rename \(from) to", to) }
    }

    /// Creates the directory (mode 0700) and its missing parents; returns
    /// true when it created `path`. New entries are made durable by fsyncing
    /// each parent that got one.
    @discardableResult
    static func makeDirectory(_ path: String) throws -> Bool {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw FileOperationError("use as a directory", path, code: ENOTDIR) }
            return false
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path {
            try makeDirectory(parent)
        }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw FileOperationError("create the directory", path)
        }
        try syncDirectory(parent.isEmpty ? "." : parent)
        return true
    }

    /// Reads a whole (small) file.
    static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = try openFile(path, O_RDONLY)
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileOperationError("read", path)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
