// Shared helpers for the mail store tests: a temporary data_dir per test, sample
// messages, direct looks at the Maildir and the index, and a file system twin that fails
// chosen operations (STYLE.md rule 10).

import Foundation
import GRDB
import Synchronization
import Testing
@testable import MailStore

/// A temporary data_dir with one user's store in it, removed when the test ends.
final class StoreSandbox: Sendable {
    let dataDirectory: String
    let address: MailAddress

    init(address: String = "alice@example.test") throws {
        dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("chappe-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        self.address = try MailAddress(address)
    }

    var root: String { UserStore.userDirectory(dataDirectory: dataDirectory, address: address) }
    var maildir: String { root + "/Maildir" }
    var indexPath: String { root + "/index.sqlite" }

    func folder(_ mailbox: String) -> String {
        mailbox == "INBOX" ? maildir : maildir + "/." + mailbox
    }

    static func options(
        quota: Quota = .unlimited, reconcile: ReconcileMode = .full, fileSystem: any MaildirFileSystem = PosixFileSystem(),
        faultHook: (@Sendable (DeliveryStep) throws -> Void)? = nil, pollInterval: Duration = .milliseconds(50)
    ) -> StoreOptions {
        StoreOptions(
            hostname: "test.host", quota: quota, reconcile: reconcile, changePollInterval: pollInterval,
            fileSystem: fileSystem, faultHook: faultHook)
    }

    func open(_ options: StoreOptions = StoreSandbox.options()) async throws -> UserStore {
        try await UserStore.open(dataDirectory: dataDirectory, address: address, options: options).store
    }

    func openWithReport(_ options: StoreOptions = StoreSandbox.options()) async throws -> (UserStore, ReconcileReport?) {
        try await UserStore.open(dataDirectory: dataDirectory, address: address, options: options)
    }

    /// The entries of Maildir subfolder `sub` ("new", "cur", "tmp") of a mailbox.
    func files(_ sub: String, in mailbox: String = "INBOX") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder(mailbox) + "/" + sub)) ?? []).sorted()
    }

    /// Every message file (new and cur) of a mailbox, with the bytes.
    func messageFiles(in mailbox: String = "INBOX") -> [(name: String, bytes: [UInt8])] {
        (files("new", in: mailbox).map { ("new/" + $0) } + files("cur", in: mailbox).map { ("cur/" + $0) }).compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder(mailbox) + "/" + name) else { return nil }
            return (name, [UInt8](data))
        }
    }

    /// Runs a query on the index directly, as another program would.
    func query<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: indexPath)
        return try queue.read(body)
    }

    deinit { try? FileManager.default.removeItem(atPath: dataDirectory) }
}

/// A small RFC 5322 message, distinct per `index`.
func sampleMessage(_ index: Int = 0, subject: String? = nil, body: String? = nil, extraHeaders: String = "") -> [UInt8] {
    let text = """
        From: Bob Sender <bob@example.test>\r
        To: Alice <alice@example.test>\r
        Subject: \(subject ?? "Message number \(index)")\r
        Date: Tue, 1 Jul 2025 10:52:37 +0200\r
        Message-ID: <msg-\(index)@example.test>\r
        \(extraHeaders)MIME-Version: 1.0\r
        Content-Type: text/plain; charset=utf-8\r
        \r
        \(body ?? "Hello Alice, this is message \(index).")\r

        """
    return Array(text.utf8)
}

/// A file system that delegates to the real one and fails the operations `rule` picks
/// (with EIO), counting calls per operation name.
final class FaultyFileSystem: MaildirFileSystem {
    struct Call: Sendable, Hashable {
        var operation: String
        var path: String
    }
    private let real = PosixFileSystem()
    private let rule: Mutex<(@Sendable (Call) -> Bool)?>
    private let log = Mutex<[Call]>([])

    init(failing rule: (@Sendable (Call) -> Bool)? = nil) {
        self.rule = Mutex(rule)
    }

    func setRule(_ rule: (@Sendable (Call) -> Bool)?) { self.rule.withLock { $0 = rule } }
    var calls: [Call] { log.withLock { $0 } }

    private func check(_ operation: String, _ path: String) throws {
        let call = Call(operation: operation, path: path)
        log.withLock { $0.append(call) }
        if let rule = rule.withLock({ $0 }), rule(call) {
            throw FileSystemError(operation: operation, path: path, reason: "injected I/O error", code: EIO)
        }
    }

    func createDirectory(_ path: String) throws { try check("mkdir", path); try real.createDirectory(path) }
    func createFile(_ path: String, contents: [UInt8], modificationTime: Date?, sync: Bool) throws {
        try check("create", path)
        try real.createFile(path, contents: contents, modificationTime: modificationTime, sync: sync)
    }
    func rename(_ from: String, to: String) throws { try check("rename", to); try real.rename(from, to: to) }
    func link(_ from: String, to: String) throws { try check("link", to); try real.link(from, to: to) }
    func removeFile(_ path: String) throws { try check("unlink", path); try real.removeFile(path) }
    func removeTree(_ path: String) throws { try check("rmtree", path); try real.removeTree(path) }
    func syncDirectory(_ path: String) throws { try check("fsyncdir", path); try real.syncDirectory(path) }
    func contentsOfDirectory(_ path: String) throws -> [String] { try check("list", path); return try real.contentsOfDirectory(path) }
    func status(_ path: String) throws -> FileStatus? { try real.status(path) }
    func readFile(_ path: String) throws -> [UInt8] { try check("read", path); return try real.readFile(path) }
    func openFile(_ path: String) throws -> any ReadableFile { try check("open", path); return try real.openFile(path) }
}
