// The maildrop: where `chappe send`, run by a user who may not write the
// queue, leaves a message for the server to pick up (Postfix's maildrop
// and pickup). data_dir/queue/maildrop/ is world-writable and sticky, but
// not listable (1733): anyone can add a file, nobody can see or touch
// another's. Who submitted a file is its owner, read by the server with
// fstat; nothing in the file is trusted to say so.
//
// A file is one line of JSON (the `chappe send` options), then the input as
// given. It is written as ".NAME", fsynced, and renamed to "NAME": the
// pickup takes only complete files.
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Maildrop {
    /// The options of one `chappe send`.
    public struct Options: Codable, Sendable, Equatable {
        public var recipients: [String]
        public var sender: String?
        public var extractRecipients: Bool
        public var ignoreDots: Bool

        public init(recipients: [String], sender: String?, extractRecipients: Bool, ignoreDots: Bool) {
            self.recipients = recipients
            self.sender = sender
            self.extractRecipients = extractRecipients
            self.ignoreDots = ignoreDots
        }
    }

    /// A file read back by the pickup.
    public struct Dropped: Sendable {
        public var owner: uid_t
        public var options: Options
        public var input: [UInt8]
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static func directory(inQueue queue: String) -> String { queue + "/maildrop" }

    /// Creates the folder with its open mode, and makes the queue folder
    /// passable (0711) so that other users reach it.
    public static func prepare(queueDirectory: String) throws(Failure) {
        let path = directory(inQueue: queueDirectory)
        if mkdir(path, 0o1733) != 0 && errno != EEXIST { throw Failure("cannot create \(path): errno \(errno)") }
        // mkdir's mode passes through the umask: set it exactly.
        guard chmod(path, 0o1733) == 0, chmod(queueDirectory, 0o711) == 0 else {
            throw Failure("cannot set the modes of \(path): errno \(errno)")
        }
    }

    /// Leaves `input` for the server, durably; returns the file's name.
    public static func drop(_ input: [UInt8], options: Options, queueDirectory: String) throws(Failure) -> String {
        let folder = directory(inQueue: queueDirectory)
        let name = "\(Int(Date().timeIntervalSince1970 * 1_000_000)).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let header: [UInt8]
        do {
            header = Array(try JSONEncoder().encode(options)) + [0x0A]
        } catch {
            throw Failure("cannot encode the options: \(error)")
        }
        let temporary = folder + "/." + name
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw Failure("cannot write into \(folder) (errno \(errno)); is the server's data_dir readable by you?")
        }
        defer { close(descriptor) }
        let whole = header + input
        var written = 0
        while written < whole.count {
            let count = whole[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                unlink(temporary)
                throw Failure("cannot write \(temporary): errno \(errno)")
            }
            written += count
        }
        guard fsync(descriptor) == 0, rename(temporary, folder + "/" + name) == 0 else {
            unlink(temporary)
            throw Failure("cannot store \(temporary): errno \(errno)")
        }
        let directoryDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        return name
    }

    /// The complete files waiting (not those still being written).
    public static func waiting(queueDirectory: String) -> [String] {
        let folder = directory(inQueue: queueDirectory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Reads a file without following links, refusing anything but a
    /// regular file of at most `maxBytes`.
    public static func read(_ path: String, maxBytes: Int) throws(Failure) -> Dropped {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { throw Failure("cannot open \(path): errno \(errno)") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw Failure("\(path) is not a regular file")
        }
        guard Int(info.st_size) <= maxBytes else {
            throw Failure("\(path) holds \(info.st_size) octets, more than [smtp] max_message_size allows")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes[filled...].withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(filled)) }
            guard count > 0 else { throw Failure("cannot read \(path): errno \(errno)") }
            filled += count
        }
        guard let newline = bytes.firstIndex(of: 0x0A),
            let options = try? JSONDecoder().decode(Options.self, from: Data(bytes[..<newline]))
        else { throw Failure("\(path) does not start with chappe send's options") }
        return Dropped(owner: info.st_uid, options: options, input: Array(bytes[(newline + 1)...]))
    }

    /// The login name of a user id, or "uidN" when it has none.
    public static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid\(uid)" }
        return String(cString: name)
    }
}
