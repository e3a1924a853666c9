// The SMTP queue on disk, under data_dir/queue/ (docs/SPOOL.md, "SMTP
// queue"). An entry is a directory holding `message` (the bytes as received)
// and `envelope.json` (a `QueueEntry`). Every transition is one rename after
// fsync (STYLE.md rule 9):
//   receiving   tmp/ID/message
//   commit      tmp/ID/envelope.json, both fsynced, tmp/ID renamed to
//               active/ID, tmp/ and active/ fsynced: then 250 (DESIGN.md rule 3)
//   update      active/ID/envelope.json.new fsynced, renamed over envelope.json
//   finish      active/ID renamed to done/ID, then removed
// Start-up removes tmp/* (writers of dropped connections) and done/*.
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class FileQueue: QueueStore {
    public let directory: String
    let faultHook: (@Sendable (QueueStep) throws -> Void)?
    private let clock: @Sendable () -> Date
    private let observer = Mutex<CommitObserver?>(nil)

    var tmp: String { directory + "/tmp" }
    var active: String { directory + "/active" }
    var done: String { directory + "/done" }
    var corrupt: String { directory + "/corrupt" }

    /// Opens the queue, creating its folders, and (`sweeping`, the server at
    /// start-up) removes what a crash or a dropped connection left in tmp/
    /// and done/. Other processes (`chappe send`) must not sweep: tmp/ may
    /// hold the server's messages being received.
    public init(
        directory: String, sweeping: Bool = true, clock: @escaping @Sendable () -> Date = { Date() },
        faultHook: (@Sendable (QueueStep) throws -> Void)? = nil
    ) throws {
        self.directory = directory
        self.clock = clock
        self.faultHook = faultHook
        try QueueFiles.makeDirectory(directory)
        for folder in [tmp, active, done, corrupt] { try QueueFiles.makeDirectory(folder) }
        guard sweeping else { return }
        try Maildrop.prepare(queueDirectory: directory)
        for name in QueueFiles.list(tmp) { QueueFiles.removeTree(tmp + "/" + name) }
        for name in QueueFiles.list(done) { QueueFiles.removeTree(done + "/" + name) }
    }

    public func setCommitObserver(_ observer: @escaping @Sendable (QueueID) -> Void) {
        self.observer.withLock { $0 = CommitObserver(call: observer) }
    }

    func committed(_ id: QueueID) {
        let observer = self.observer.withLock { $0 }
        observer?.call(id)
    }

    // MARK: - Taking messages in

    public func begin(_ envelope: Envelope) async throws -> any SpoolWriter {
        let id = QueueIDGenerator.make(now: clock())
        let folder = tmp + "/" + id.rawValue
        let fd = try await QueueFiles.run {
            try QueueFiles.makeDirectory(folder)
            return try QueueFiles.create(folder + "/message")
        }
        return FileSpoolWriter(queue: self, id: id, envelope: envelope, folder: folder, descriptor: fd, arrival: clock())
    }

    /// Queues a whole message (a DSN, `chappe send`): durable on return.
    public func enqueue(_ envelope: Envelope, message: [UInt8], received: String = "") async throws -> QueueID {
        let writer = try await begin(envelope)
        var buffer = ByteBufferAllocator().buffer(capacity: message.count)
        buffer.writeBytes(message)
        try await writer.append(buffer)
        return try await writer.commit(prepending: received)
    }

    // MARK: - Reading and changing entries

    public func activeIDs() async throws -> [QueueID] {
        let active = self.active
        return try await QueueFiles.run {
            QueueFiles.list(active).compactMap(QueueID.init)
        }
    }

    public func entry(_ id: QueueID) async throws -> QueueEntry {
        let path = active + "/" + id.rawValue + "/envelope.json"
        return try await QueueFiles.run {
            guard QueueFiles.exists(path) else { throw QueueError.noSuchEntry(id) }
            return try QueueEntry.decode(try QueueFiles.readFile(path))
        }
    }

    public func message(_ id: QueueID) async throws -> [UInt8] {
        let entry = try await entry(id)
        let path = active + "/" + id.rawValue + "/message"
        let body = try await QueueFiles.run { try QueueFiles.readFile(path) }
        return Array(entry.received.utf8) + body
    }

    public func update(_ entry: QueueEntry) async throws {
        let folder = active + "/" + entry.id.rawValue
        let bytes = try entry.encoded()
        let fault = faultHook
        try await QueueFiles.run {
            guard QueueFiles.exists(folder) else { throw QueueError.noSuchEntry(entry.id) }
            try QueueFiles.writeFile(folder + "/envelope.json.new", bytes)
            try fault?(.rewriteSynced)
            try QueueFiles.move(folder + "/envelope.json.new", folder + "/envelope.json")
            try QueueFiles.syncDirectory(folder)
        }
    }

    public func remove(_ id: QueueID, durably: Bool) async throws {
        let (from, to, active, done) = (active + "/" + id.rawValue, done + "/" + id.rawValue, active, done)
        let fault = faultHook
        try await QueueFiles.run {
            guard QueueFiles.exists(from) else { throw QueueError.noSuchEntry(id) }
            try fault?(.removing)
            try QueueFiles.move(from, to)
            if durably {
                try QueueFiles.syncDirectory(active)
                try QueueFiles.syncDirectory(done)
            }
            QueueFiles.removeTree(to)
        }
    }

    public func moveAside(_ id: QueueID) async {
        let (from, to, active) = (active + "/" + id.rawValue, corrupt + "/" + id.rawValue, active)
        _ = try? await QueueFiles.run {
            try QueueFiles.move(from, to)
            try QueueFiles.syncDirectory(active)
        }
    }
}

/// One message being received into tmp/ID/message.
actor FileSpoolWriter: SpoolWriter {
    nonisolated let queueID: QueueID
    private let queue: FileQueue
    private let envelope: Envelope
    private let folder: String
    private let arrival: Date
    private var descriptor: Int32
    private var size = 0
    private var finished = false

    init(queue: FileQueue, id: QueueID, envelope: Envelope, folder: String, descriptor: Int32, arrival: Date) {
        self.queue = queue
        self.queueID = id
        self.envelope = envelope
        self.folder = folder
        self.descriptor = descriptor
        self.arrival = arrival
    }

    deinit {
        // A dropped connection: neither commit nor abort came.
        if descriptor >= 0 { close(descriptor) }
        if !finished { QueueFiles.removeTree(folder) }
    }

    func append(_ chunk: ByteBuffer) async throws {
        guard !finished else { throw QueueError.writerFinished(queueID) }
        let (fd, path) = (descriptor, folder + "/message")
        try await QueueFiles.run {
            try chunk.withUnsafeReadableBytes { try QueueFiles.writeAll(fd, $0, path: path) }
        }
        size += chunk.readableBytes
    }

    func commit(prepending header: String) async throws -> QueueID {
        guard !finished else { throw QueueError.writerFinished(queueID) }
        let entry = QueueEntry(id: queueID, envelope: envelope, received: header, arrival: arrival, size: size)
        let bytes = try entry.encoded()
        let (fd, folder, id) = (descriptor, folder, queueID)
        let (tmp, active, fault) = (queue.tmp, queue.active, queue.faultHook)
        descriptor = -1
        // From here on, a crash (a thrown simulated one included) leaves the
        // entry where it is; only a real error removes it.
        finished = true
        do {
            try await QueueFiles.run {
                defer { close(fd) }
                try QueueFiles.sync(fd, path: folder + "/message")
                try fault?(.messageSynced)
                try QueueFiles.writeFile(folder + "/envelope.json", bytes)
                try QueueFiles.syncDirectory(folder)
                try fault?(.envelopeSynced)
                try QueueFiles.move(folder, active + "/" + id.rawValue)
                try fault?(.renamed)
                try QueueFiles.syncDirectory(tmp)
                try QueueFiles.syncDirectory(active)
            }
        } catch let crash as SimulatedQueueCrash {
            throw crash
        } catch {
            QueueFiles.removeTree(folder)
            throw error
        }
        queue.committed(id)
        return id
    }

    func abort() async {
        guard !finished else { return }
        finished = true
        let (fd, folder) = (descriptor, folder)
        descriptor = -1
        _ = try? await QueueFiles.run {
            close(fd)
            QueueFiles.removeTree(folder)
        }
    }
}
