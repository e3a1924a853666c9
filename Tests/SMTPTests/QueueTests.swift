// The file queue: what a commit leaves on disk, what a crash at each step
// leaves after the next start-up, dropped writers, atomic envelope
// rewrites, and the envelope's JSON round trip (docs/SPOOL.md, "SMTP queue").
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import SMTP

/// A fresh folder under the temporary directory, removed by `cleanUp`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "chappe-queue-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + folder)) ?? []).sorted()
    }
}

/// A fault hook that stops the queue once at `step`, as a crash would.
final class CrashSwitch: Sendable {
    private let armed = Mutex<QueueStep?>(nil)

    func arm(_ step: QueueStep) { armed.withLock { $0 = step } }

    var hook: @Sendable (QueueStep) throws -> Void {
        { step in
            let hit = self.armed.withLock { armed -> Bool in
                guard armed == step else { return false }
                armed = nil
                return true
            }
            if hit { throw SimulatedQueueCrash(step) }
        }
    }
}

func queueMailbox(_ text: String) -> SMTPMailbox {
    (try? SMTPMailbox(text)) ?? SMTPMailbox.placeholder
}

func testEnvelope(
    from sender: String? = "alice@example.test", to recipients: [String], ret: DSNReturn? = nil
) -> Envelope {
    Envelope(
        reversePath: sender.map { .mailbox(queueMailbox($0)) } ?? .null,
        recipients: recipients.map { EnvelopeRecipient(address: queueMailbox($0)) }, envelopeID: "env-1", ret: ret,
        body: .eightBitMIME, clientAddress: "192.0.2.7", clientHelo: "client.example", listener: "smtp",
        isSubmission: false, receivedAt: Date(timeIntervalSince1970: 1_700_000_000))
}

func spool(_ text: String, into queue: some QueueStore, envelope: Envelope, received: String = "Received: test\r\n")
    async throws -> QueueID
{
    let writer = try await queue.begin(envelope)
    // Two chunks, as a session hands them over.
    let bytes = Array(text.utf8)
    let half = bytes.count / 2
    try await writer.append(ByteBuffer(bytes: bytes[..<half]))
    try await writer.append(ByteBuffer(bytes: bytes[half...]))
    return try await writer.commit(prepending: received)
}

let sampleMessage = "Subject: caf\u{E9}\r\nFrom: alice@example.test\r\n\r\n.\r\nline two\r\n"

@Suite("File queue")
struct FileQueueTests {
    @Test("a commit leaves message and envelope in active/ID and nothing in tmp/")
    func commitLayout() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        let id = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test"]))
        #expect(folder.names("queue/tmp").isEmpty)
        #expect(folder.names("queue/active") == [id.rawValue])
        #expect(folder.names("queue/active/" + id.rawValue) == ["envelope.json", "message"])
        let stored = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/queue/active/\(id)/message"))
        #expect(Array(stored) == Array(sampleMessage.utf8))
        #expect(try await queue.message(id) == Array(("Received: test\r\n" + sampleMessage).utf8))
        let entry = try await queue.entry(id)
        #expect(entry.size == sampleMessage.utf8.count)
        #expect(entry.recipients.map(\.state) == [.pending])
        #expect(entry.envelope == testEnvelope(to: ["bob@example.test"]))
        #expect(try await queue.activeIDs() == [id])
    }

    @Test("a commit notifies the observer")
    func observer() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        let seen = Mutex<[QueueID]>([])
        queue.setCommitObserver { id in seen.withLock { $0.append(id) } }
        let id = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test"]))
        #expect(seen.withLock { $0 } == [id])
    }

    @Test("a crash before the rename loses the entry (no 250 was sent); after it, the entry survives", arguments: [
        (QueueStep.messageSynced, false), (QueueStep.envelopeSynced, false), (QueueStep.renamed, true),
    ])
    func crashDuringCommit(step: QueueStep, survives: Bool) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let crash = CrashSwitch()
        crash.arm(step)
        let queue = try FileQueue(directory: folder.path + "/queue", faultHook: crash.hook)
        await #expect(throws: SimulatedQueueCrash(step)) {
            _ = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test"]))
        }
        // What the crash left, as the next start-up finds it.
        #expect(folder.names("queue/tmp").count == (survives ? 0 : 1))
        let restarted = try FileQueue(directory: folder.path + "/queue")
        #expect(folder.names("queue/tmp").isEmpty)
        let ids = try await restarted.activeIDs()
        #expect(ids.count == (survives ? 1 : 0))
        if let id = ids.first {
            #expect(try await restarted.message(id) == Array(("Received: test\r\n" + sampleMessage).utf8))
        }
    }

    @Test("a writer dropped without commit or abort (a lost connection) leaves nothing")
    func droppedWriter() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        do {
            let writer = try await queue.begin(testEnvelope(to: ["bob@example.test"]))
            try await writer.append(ByteBuffer(string: "Subject: x\r\n"))
            #expect(folder.names("queue/tmp").count == 1)
        }
        #expect(folder.names("queue/tmp").isEmpty)
        #expect(folder.names("queue/active").isEmpty)
    }

    @Test("abort removes the message; a finished writer refuses more")
    func abort() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        let writer = try await queue.begin(testEnvelope(to: ["bob@example.test"]))
        try await writer.append(ByteBuffer(string: "Subject: x\r\n"))
        await writer.abort()
        #expect(folder.names("queue/tmp").isEmpty)
        await #expect(throws: QueueError.writerFinished(writer.queueID)) {
            try await writer.append(ByteBuffer(string: "more"))
        }
    }

    @Test("an envelope rewrite is atomic: a crash before its rename keeps the old envelope")
    func rewriteCrash() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let crash = CrashSwitch()
        let queue = try FileQueue(directory: folder.path + "/queue", faultHook: crash.hook)
        let id = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test"]))
        let old = try await queue.entry(id)
        var changed = old
        changed.recipients[0].state = .delivered(at: Date(timeIntervalSince1970: 1_700_000_100))
        crash.arm(.rewriteSynced)
        await #expect(throws: SimulatedQueueCrash(.rewriteSynced)) { try await queue.update(changed) }
        #expect(try await queue.entry(id) == old)
        try await queue.update(changed)
        #expect(try await queue.entry(id) == changed)
        #expect(folder.names("queue/active/" + id.rawValue) == ["envelope.json", "message"])
    }

    @Test("remove takes the entry out in one rename; an unreadable entry moves to corrupt/")
    func removeAndCorrupt() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let queue = try FileQueue(directory: folder.path + "/queue")
        let first = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test"]))
        let second = try await spool(sampleMessage, into: queue, envelope: testEnvelope(to: ["bob@example.test"]))
        try await queue.remove(first, durably: true)
        #expect(try await queue.activeIDs() == [second])
        #expect(folder.names("queue/done").isEmpty)
        await #expect(throws: QueueError.noSuchEntry(first)) { try await queue.remove(first, durably: true) }
        await queue.moveAside(second)
        #expect(folder.names("queue/corrupt") == [second.rawValue])
    }

    @Test("the envelope round-trips through JSON with every recipient state")
    func roundTrip() throws {
        guard let id = QueueID("ABC-1") else {
            Issue.record("bad id")
            return
        }
        var envelope = testEnvelope(to: ["a@example.test", "b@example.test", "c@remote.test", "d@example.test"], ret: .headers)
        envelope.recipients[0].notify = .on([.failure, .delay])
        envelope.recipients[0].originalRecipient = OriginalRecipient(addressType: "rfc822", address: "A@example.test")
        var entry = QueueEntry(id: id, envelope: envelope, received: "Received: x\r\n", arrival: Date(timeIntervalSince1970: 1_700_000_000), size: 42)
        entry.recipients[0].state = .delivered(at: Date(timeIntervalSince1970: 1_700_000_001))
        entry.recipients[1].state = .deferred(reason: "4.2.2 full", nextAttempt: Date(timeIntervalSince1970: 1_700_000_300))
        entry.recipients[2].lastError = "remote delivery not implemented yet"
        entry.recipients[3].state = .failed(reason: "5.1.1 no such mailbox", at: Date(timeIntervalSince1970: 1_700_000_002))
        entry.recipients[3].reported = true
        entry.attempts = 2
        #expect(try QueueEntry.decode(try entry.encoded()) == entry)
    }

    @Test("queue ids are valid and distinct")
    func ids() {
        let ids = (0..<200).map { _ in QueueIDGenerator.make() }
        #expect(Set(ids).count == ids.count)
    }
}
