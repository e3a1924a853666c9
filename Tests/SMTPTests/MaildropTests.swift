// The maildrop of `chappe send` for users who may not write the queue:
// the file's owner is who submitted it, and only complete regular files
// that start with the options line are taken.
import Foundation
import Logging
import Testing

@testable import SMTP

#if canImport(Glibc)
import Glibc
#endif

@Suite("Maildrop")
struct MaildropTests {
    func pickup(_ queue: FileQueue, maxMessageSize: Int = 1_000_000) -> MaildropPickup {
        MaildropPickup(
            queueDirectory: queue.directory, spool: queue, domain: "example.test", hostname: "mx.example.test",
            maxMessageSize: maxMessageSize, logger: Logger(label: "test"))
    }

    @Test("the server's queue makes the maildrop 1733 and the queue 0711")
    func modes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        var info = stat()
        #expect(stat(Maildrop.directory(inQueue: queue.directory), &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o1733)
        #expect(stat(queue.directory, &info) == 0 && info.st_mode & 0o7777 == 0o711)
        #expect(stat(queue.directory + "/active", &info) == 0 && info.st_mode & 0o7777 == 0o700)
    }

    @Test("a dropped message is queued as its owner's submission and the file removed")
    func dropAndPickUp() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        let options = Maildrop.Options(recipients: ["bob"], sender: nil, extractRecipients: false, ignoreDots: false)
        let name = try Maildrop.drop(Array("Subject: hi\n\nbody\n.\nnot this\n".utf8), options: options, queueDirectory: queue.directory)
        #expect(Maildrop.waiting(queueDirectory: queue.directory) == [name])
        #expect(await pickup(queue).pickUp() == 1)
        #expect(Maildrop.waiting(queueDirectory: queue.directory).isEmpty)
        let ids = try await queue.activeIDs()
        #expect(ids.count == 1)
        guard let id = ids.first else { return }
        let entry = try await queue.entry(id)
        let owner = Maildrop.userName(getuid())
        #expect(entry.envelope.reversePath.mailbox?.description == "\(owner)@example.test")
        #expect(entry.recipients.map(\.address.description) == ["bob@example.test"])
        #expect(entry.received.contains("(chappe send, from userid \(getuid()))"))
        let message = String(decoding: try await queue.message(id), as: UTF8.self)
        #expect(message.hasSuffix("\r\n\r\nbody\r\n"), "sendmail's \".\" rule applies: \(message)")
    }

    @Test("a file being written, a link, a stranger's format and an oversize file are not queued")
    func refusals() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        let maildrop = Maildrop.directory(inQueue: queue.directory)
        try Data("{}\nstill being written".utf8).write(to: URL(fileURLWithPath: maildrop + "/.partial"))
        try Data("not json\nSubject: x\n\nbody\n".utf8).write(to: URL(fileURLWithPath: maildrop + "/garbage"))
        #expect(symlink(folder.path + "/queue/active", maildrop + "/link") == 0)
        let options = Maildrop.Options(recipients: ["bob"], sender: nil, extractRecipients: false, ignoreDots: true)
        _ = try Maildrop.drop(Array(repeating: UInt8(ascii: "x"), count: 2000), options: options, queueDirectory: queue.directory)
        #expect(await pickup(queue, maxMessageSize: 100).pickUp() == 0)
        #expect(try await queue.activeIDs().isEmpty)
        #expect(Maildrop.waiting(queueDirectory: queue.directory).isEmpty)
        #expect(folder.names("queue/corrupt").count == 3)
        #expect(FileManager.default.fileExists(atPath: maildrop + "/.partial"))
    }
}
