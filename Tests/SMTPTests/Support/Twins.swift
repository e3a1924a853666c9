// In-memory twins of everything the SMTP server touches (STYLE.md rule 10):
// the spool, the mailbox directory, the authenticator.
import Foundation
import MailStore
import NIOCore
import SMTP
import Synchronization

/// A message as the twin spool committed it.
struct SpooledMessage: Sendable, Equatable {
    let id: QueueID
    let envelope: Envelope
    /// The Received field the session prepended.
    let header: String
    /// The message bytes as received (without the header).
    let body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

final class MemorySpool: MessageSpool {
    struct Failures: Sendable {
        var begin = false
        var append = false
        var commit = false
    }

    private struct State {
        var nextID = 1
        var committed: [SpooledMessage] = []
        var aborted: [QueueID] = []
        var begun: [Envelope] = []
        var appends = 0
        var failures = Failures()
    }

    private let state = Mutex(State())

    init(failures: Failures = Failures()) {
        state.withLock { $0.failures = failures }
    }

    var committed: [SpooledMessage] { state.withLock { $0.committed } }
    var aborted: [QueueID] { state.withLock { $0.aborted } }
    var begun: [Envelope] { state.withLock { $0.begun } }
    var appendCount: Int { state.withLock { $0.appends } }

    func setFailures(_ failures: Failures) {
        state.withLock { $0.failures = failures }
    }

    func begin(_ envelope: Envelope) async throws -> any SpoolWriter {
        try state.withLock { state in
            if state.failures.begin { throw TwinError.injected("begin") }
            state.begun.append(envelope)
            guard let id = QueueID("Q\(state.nextID)") else { throw TwinError.injected("id") }
            state.nextID += 1
            return MemoryWriter(id: id, envelope: envelope, spool: self)
        }
    }

    fileprivate func noteAppend() throws {
        try state.withLock { state in
            if state.failures.append { throw TwinError.injected("append") }
            state.appends += 1
        }
    }

    fileprivate func commit(_ message: SpooledMessage) throws {
        try state.withLock { state in
            if state.failures.commit { throw TwinError.injected("commit") }
            state.committed.append(message)
        }
    }

    fileprivate func abort(_ id: QueueID) {
        state.withLock { $0.aborted.append(id) }
    }
}

final class MemoryWriter: SpoolWriter {
    let queueID: QueueID
    private let envelope: Envelope
    private let spool: MemorySpool
    private let bytes = Mutex<[UInt8]>([])

    init(id: QueueID, envelope: Envelope, spool: MemorySpool) {
        self.queueID = id
        self.envelope = envelope
        self.spool = spool
    }

    func append(_ chunk: ByteBuffer) async throws {
        try spool.noteAppend()
        bytes.withLock { $0 += Array(chunk.readableBytesView) }
    }

    func commit(prepending header: String) async throws -> QueueID {
        let body = bytes.withLock { $0 }
        try spool.commit(SpooledMessage(id: queueID, envelope: envelope, header: header, body: body))
        return queueID
    }

    func abort() async {
        spool.abort(queueID)
    }
}

enum TwinError: Error {
    case injected(String)
}

/// Mailboxes by lowercased address; some addresses fail temporarily.
struct MemoryDirectory: MailboxDirectory {
    var mailboxes: Set<String>
    var failing: Set<String> = []
    var oldest: String?

    func mailboxExists(_ address: MailAddress) async throws -> Bool {
        if failing.contains(address.normalized) { throw TwinError.injected("lookup") }
        return mailboxes.contains(address.normalized)
    }

    func defaultPostmaster() async throws -> MailAddress? {
        guard let oldest else { return nil }
        return try MailAddress(oldest)
    }
}

/// Users by name with their password and addresses.
struct MemoryAuthenticator: SMTPAuthenticator {
    var users: [String: (password: String, addresses: [String])]
    var unavailable = false

    func authenticate(username: String, password: String) async -> SMTPAuthOutcome {
        if unavailable { return .temporaryFailure("store offline") }
        guard let user = users[username.lowercased()], user.password == password else { return .invalidCredentials }
        let addresses = user.addresses.compactMap { try? SMTPMailbox($0) }
        return .authenticated(SMTPIdentity(username: username, addresses: addresses))
    }
}
