// The in-memory twin of the mail store for IMAP session tests (STYLE.md
// rule 10): accounts, mailboxes with UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ,
// messages with flags and MODSEQs, an expunge log, and change streams, with
// the store's semantics (UserStore) kept where sessions can see them.
import Foundation
import MailStore
import Synchronization

@testable import IMAP

final class MemoryBackend: IMAPBackend {
    private let users = Mutex<[String: (password: String, mail: MemoryMail)]>([:])

    @discardableResult
    func addUser(_ name: String, password: String) -> MemoryMail {
        let mail = MemoryMail(user: name)
        users.withLock { $0[name.lowercased()] = (password, mail) }
        return mail
    }

    func login(username: String, password: String) async -> IMAPLoginResult {
        guard let user = users.withLock({ $0[username.lowercased()] }), user.password == password else {
            return .invalidCredentials
        }
        return .success(user.mail)
    }
}

final class MemoryMail: IMAPMailAccess {
    struct Message {
        var uid: UInt32
        var bytes: [UInt8]
        var flags: MessageFlags
        var keywords: [String]
        var modSeq: UInt64
        var internalDate: Date
        var recent: Bool
    }

    struct Box {
        var name: String
        var uidValidity: UInt32
        var uidNext: UInt32 = 1
        var highestModSeq: UInt64 = 1
        var specialUse: SpecialUse?
        var messages: [Message] = []
        var expunged: [(uid: UInt32, modSeq: UInt64)] = []

        var cursor: MailboxCursor { MailboxCursor(uidValidity: uidValidity, uidNext: uidNext, highestModSeq: highestModSeq) }

        mutating func nextModSeq() -> UInt64 {
            highestModSeq += 1
            return highestModSeq
        }
    }

    private struct Watcher {
        var mailbox: String
        var cursor: MailboxCursor
        var continuation: AsyncStream<MailboxChanges>.Continuation
    }

    private struct State {
        var boxes: [String: Box] = [:]
        var subscriptions: Set<String> = []
        var watchers: [Int: Watcher] = [:]
        var nextWatcher = 0
        var nextValidity: UInt32 = 100
    }

    let user: String
    private let state = Mutex(State())

    init(user: String) {
        self.user = user
        for (name, use) in MailboxName.defaults {
            try? createBox(name, specialUse: use)
            state.withLock { _ = $0.subscriptions.insert(name) }
        }
    }

    // MARK: - Test helpers

    /// A delivery, as SMTP makes one: a new \Recent message.
    @discardableResult
    func deliver(_ text: String, to mailbox: String = "INBOX", flags: MessageFlags = []) -> UInt32 {
        let uid = state.withLock { state -> UInt32 in
            var box = state.boxes[mailbox]!
            let uid = box.uidNext
            box.uidNext += 1
            let modSeq = box.nextModSeq()
            box.messages.append(
                Message(
                    uid: uid, bytes: Array(text.utf8), flags: flags, keywords: [], modSeq: modSeq,
                    internalDate: Date(timeIntervalSince1970: 1_700_000_000), recent: true))
            state.boxes[mailbox] = box
            return uid
        }
        announce()
        return uid
    }

    func flags(of uid: UInt32, in mailbox: String = "INBOX") -> MessageFlags? {
        state.withLock { $0.boxes[mailbox]?.messages.first { $0.uid == uid }?.flags }
    }

    func uids(in mailbox: String = "INBOX") -> [UInt32] {
        state.withLock { $0.boxes[mailbox]?.messages.map(\.uid) ?? [] }
    }

    func bytes(of uid: UInt32, in mailbox: String = "INBOX") -> [UInt8]? {
        state.withLock { $0.boxes[mailbox]?.messages.first { $0.uid == uid }?.bytes }
    }

    // MARK: - Mailboxes

    private func createBox(_ name: String, specialUse: SpecialUse?) throws(StoreError) {
        let name = try MailboxName.validated(name)
        try state.withLock { state throws(StoreError) in
            guard state.boxes[name] == nil else { throw .mailboxExists(name) }
            state.nextValidity += 1
            state.boxes[name] = Box(name: name, uidValidity: state.nextValidity, specialUse: specialUse)
        }
    }

    private func withBox<T>(_ name: String, _ body: (inout Box) throws(StoreError) -> T) throws(StoreError) -> T {
        let name = try MailboxName.validated(name)
        let result = try state.withLock { state throws(StoreError) -> T in
            guard var box = state.boxes[name] else { throw .noSuchMailbox(name) }
            let result = try body(&box)
            state.boxes[name] = box
            return result
        }
        announce()
        return result
    }

    func mailboxes() async throws(StoreError) -> [MailboxInfo] {
        state.withLock { state in
            state.boxes.values.sorted { $0.name < $1.name }.map { box in
                MailboxInfo(
                    name: box.name, uidValidity: box.uidValidity, uidNext: box.uidNext, highestModSeq: box.highestModSeq,
                    specialUse: box.specialUse, isSubscribed: state.subscriptions.contains(box.name),
                    messageCount: box.messages.count, totalSize: Int64(box.messages.reduce(0) { $0 + $1.bytes.count }))
            }
        }
    }

    func subscriptions() async throws(StoreError) -> [String] { state.withLock { Array($0.subscriptions) } }

    func status(_ mailbox: String) async throws(StoreError) -> MailboxStatus {
        try withBox(mailbox) { box in
            MailboxStatus(
                messages: box.messages.count, unseen: box.messages.filter { !$0.flags.contains(.seen) }.count,
                deleted: box.messages.filter { $0.flags.contains(.deleted) }.count,
                recent: box.messages.filter(\.recent).count, size: Int64(box.messages.reduce(0) { $0 + $1.bytes.count }),
                uidNext: box.uidNext, uidValidity: box.uidValidity, highestModSeq: box.highestModSeq)
        }
    }

    func keywords(in mailbox: String) async throws(StoreError) -> [String] {
        try withBox(mailbox) { box in Array(Set(box.messages.flatMap(\.keywords))).sorted() }
    }

    func createMailbox(_ name: String, specialUse: SpecialUse?) async throws(StoreError) {
        try createBox(name, specialUse: specialUse)
    }

    func deleteMailbox(_ name: String) async throws(StoreError) {
        let name = try MailboxName.validated(name)
        guard name != MailboxName.inbox else { throw .mailboxNotChangeable(name, reason: "INBOX cannot be deleted") }
        try state.withLock { state throws(StoreError) in
            guard state.boxes.removeValue(forKey: name) != nil else { throw .noSuchMailbox(name) }
        }
        announce()
    }

    func renameMailbox(_ from: String, to: String) async throws(StoreError) {
        let source = try MailboxName.validated(from)
        let target = try MailboxName.validated(to)
        try state.withLock { state throws(StoreError) in
            guard var box = state.boxes[source] else { throw .noSuchMailbox(source) }
            guard state.boxes[target] == nil else { throw .mailboxExists(target) }
            if source == MailboxName.inbox {
                // RFC 9051 §6.3.6: the messages move, INBOX stays, empty.
                state.nextValidity += 1
                var moved = Box(name: target, uidValidity: state.nextValidity)
                moved.messages = box.messages
                moved.uidNext = box.uidNext
                state.boxes[target] = moved
                box.messages = []
                state.boxes[source] = box
            } else {
                state.boxes[source] = nil
                box.name = target
                state.boxes[target] = box
            }
        }
        announce()
    }

    func setSubscribed(_ name: String, _ subscribed: Bool) async throws(StoreError) {
        let name = try MailboxName.validated(name)
        state.withLock { state in
            if subscribed { state.subscriptions.insert(name) } else { state.subscriptions.remove(name) }
        }
    }

    // MARK: - Messages

    private static func summary(_ message: Message) -> MessageSummary {
        MessageSummary(
            uid: message.uid, size: message.bytes.count, wireSize: CRLFNormalizer.normalized(message.bytes).count,
            internalDate: message.internalDate, flags: message.flags, keywords: message.keywords, modSeq: message.modSeq,
            isRecent: message.recent, path: "", baseName: "m\(message.uid)")
    }

    private func selected(_ mailbox: String, _ uids: [UInt32]?) throws(StoreError) -> [Message] {
        let wanted = uids.map(Set.init)
        return try withBox(mailbox) { box in box.messages.filter { wanted?.contains($0.uid) ?? true } }
    }

    func messageNumbers(in mailbox: String) async throws(StoreError) -> MailboxNumbers {
        let messages = try selected(mailbox, nil)
        return MailboxNumbers(
            uids: messages.map(\.uid), firstUnseen: messages.first { !$0.flags.contains(.seen) }?.uid,
            hasRecent: messages.contains(where: \.recent))
    }

    func messages(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> [MessageSummary] {
        try selected(mailbox, uids).map(Self.summary)
    }

    func messageDetails(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> [MessageDetails] {
        try selected(mailbox, uids).map { message in
            let parsed = MessageStructure.analyze(message.bytes)
            return MessageDetails(
                summary: Self.summary(message), envelope: parsed.envelope, bodyStructure: parsed.bodyStructure,
                headerSize: parsed.headerSize)
        }
    }

    func openMessage(in mailbox: String, uid: UInt32) async throws(StoreError) -> any IMAPMessageReader {
        guard let message = try selected(mailbox, [uid]).first else { throw .noSuchMessage(mailbox: mailbox, uid: uid) }
        return MemoryReader(bytes: message.bytes)
    }

    func readMessages(_ summaries: [MessageSummary], in mailbox: String) async throws(StoreError) -> [UInt32: [UInt8]] {
        let messages = try selected(mailbox, summaries.map(\.uid))
        return Dictionary(uniqueKeysWithValues: messages.map { ($0.uid, $0.bytes) })
    }

    func store(
        _ operation: FlagOperation, uids: [UInt32], in mailbox: String, unchangedSince: UInt64?
    ) async throws(StoreError) -> FlagUpdateResult {
        try withBox(mailbox) { box in
            var result = FlagUpdateResult(updated: [], unchanged: [], modified: [])
            var modSeq: UInt64?
            for index in box.messages.indices where uids.contains(box.messages[index].uid) {
                let message = box.messages[index]
                if let unchangedSince, message.modSeq > unchangedSince {
                    result.modified.append(message.uid)
                    continue
                }
                let (flags, keywords) = Self.apply(operation, to: message.flags, keywords: message.keywords)
                if flags == message.flags && keywords == message.keywords {
                    result.unchanged.append(
                        MessageFlagState(uid: message.uid, flags: flags, keywords: keywords, modSeq: message.modSeq))
                    continue
                }
                let next = modSeq ?? box.nextModSeq()
                modSeq = next
                box.messages[index].flags = flags
                box.messages[index].keywords = keywords
                box.messages[index].modSeq = next
                result.updated.append(MessageFlagState(uid: message.uid, flags: flags, keywords: keywords, modSeq: next))
            }
            return result
        }
    }

    /// What the store does with a STORE (FlagOperation), keywords kept sorted.
    private static func apply(_ operation: FlagOperation, to flags: MessageFlags, keywords: [String]) -> (MessageFlags, [String]) {
        switch operation {
        case .replace(let new, let words): return (new, words.sorted())
        case .add(let new, let words): return (flags.union(new), Array(Set(keywords + words)).sorted())
        case .remove(let old, let words): return (flags.subtracting(old), keywords.filter { !words.contains($0) })
        }
    }

    func claimRecent(in mailbox: String) async throws(StoreError) -> [UInt32] {
        try withBox(mailbox) { box in
            let claimed = box.messages.filter(\.recent).map(\.uid)
            for index in box.messages.indices { box.messages[index].recent = false }
            return claimed
        }
    }

    func expunge(in mailbox: String, uids: [UInt32]?) async throws(StoreError) -> ExpungeResult {
        try withBox(mailbox) { box in
            let gone = box.messages.filter { $0.flags.contains(.deleted) && (uids?.contains($0.uid) ?? true) }.map(\.uid)
            guard !gone.isEmpty else { return ExpungeResult(uids: [], modSeq: box.highestModSeq) }
            let modSeq = box.nextModSeq()
            box.messages.removeAll { gone.contains($0.uid) }
            box.expunged += gone.map { ($0, modSeq) }
            return ExpungeResult(uids: gone, modSeq: modSeq)
        }
    }

    func copy(uids: [UInt32], from source: String, to target: String) async throws(StoreError) -> CopyResult {
        let messages = try selected(source, uids)
        return try withBox(target) { box in
            var mapping: [UIDPair] = []
            for message in messages {
                var copy = message
                copy.uid = box.uidNext
                box.uidNext += 1
                copy.modSeq = box.nextModSeq()
                copy.recent = true
                box.messages.append(copy)
                mapping.append(UIDPair(source: message.uid, target: copy.uid))
            }
            return CopyResult(uidValidity: box.uidValidity, mapping: mapping, expungeModSeq: nil)
        }
    }

    func move(uids: [UInt32], from source: String, to target: String) async throws(StoreError) -> CopyResult {
        var result = try await copy(uids: uids, from: source, to: target)
        let moved = result.mapping.map(\.source)
        result.expungeModSeq = try withBox(source) { box in
            let modSeq = box.nextModSeq()
            box.messages.removeAll { moved.contains($0.uid) }
            box.expunged += moved.map { ($0, modSeq) }
            return modSeq
        }
        return result
    }

    func checkAppend(to mailbox: String, size: Int) async throws(StoreError) {
        _ = try withBox(mailbox) { _ in () }
    }

    func append(
        _ bytes: [UInt8], to mailbox: String, flags: MessageFlags, keywords: [String], internalDate: Date?
    ) async throws(StoreError) -> DeliveryResult {
        try withBox(mailbox) { box in
            let uid = box.uidNext
            box.uidNext += 1
            box.messages.append(
                Message(
                    uid: uid, bytes: bytes, flags: flags, keywords: keywords, modSeq: box.nextModSeq(),
                    internalDate: internalDate ?? Date(timeIntervalSince1970: 1_700_000_000), recent: true))
            return DeliveryResult(
                mailbox: box.name, uidValidity: box.uidValidity, uid: uid, size: bytes.count, wasAlreadyDelivered: false)
        }
    }

    // MARK: - Search

    func search(in mailbox: String, text: String, scope: TextSearchScope) async throws(StoreError) -> [UInt32] {
        let needle = text.lowercased()
        return try selected(mailbox, nil).filter { message in
            let whole = String(decoding: message.bytes, as: UTF8.self).lowercased()
            let body = whole.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            return (scope == .body ? body : whole).contains(needle)
        }.map(\.uid)
    }

    func search(in mailbox: String, header: SearchHeaderField, contains text: String) async throws(StoreError) -> [UInt32] {
        let name: String
        switch header {
        case .from: name = "from"
        case .to: name = "to"
        case .cc: name = "cc"
        case .bcc: name = "bcc"
        case .subject: name = "subject"
        case .messageID: name = "message-id"
        case .inReplyTo: name = "in-reply-to"
        }
        return try selected(mailbox, nil).filter { message in
            IMAPSearchEvaluator.header(message.bytes, has: name, containing: text)
        }.map(\.uid)
    }

    func sentDates(in mailbox: String) async throws(StoreError) -> [UInt32: Date?] {
        Dictionary(uniqueKeysWithValues: try selected(mailbox, nil).map { ($0.uid, Optional<Date>.none) })
    }

    // MARK: - Changes

    func cursor(of mailbox: String) async throws(StoreError) -> MailboxCursor { try withBox(mailbox) { $0.cursor } }

    func changes(in mailbox: String, since cursor: MailboxCursor) async throws(StoreError) -> MailboxChanges {
        let name = try MailboxName.validated(mailbox)
        return state.withLock { Self.changes($0.boxes[name], since: cursor) }
    }

    private static func changes(_ box: Box?, since cursor: MailboxCursor) -> MailboxChanges {
        guard let box, box.uidValidity == cursor.uidValidity else {
            return MailboxChanges(cursor: cursor, expunged: [], flagChanges: [], appended: [], isInvalidated: true)
        }
        var changes = MailboxChanges(cursor: box.cursor, expunged: [], flagChanges: [], appended: [], isInvalidated: false)
        changes.expunged = box.expunged.filter { $0.modSeq > cursor.highestModSeq && $0.uid < cursor.uidNext }.map(\.uid)
        for message in box.messages where message.modSeq > cursor.highestModSeq || message.uid >= cursor.uidNext {
            if message.uid >= cursor.uidNext {
                changes.appended.append(summary(message))
            } else {
                changes.flagChanges.append(
                    MessageFlagState(uid: message.uid, flags: message.flags, keywords: message.keywords, modSeq: message.modSeq))
            }
        }
        return changes
    }

    func subscribe(to mailbox: String, from cursor: MailboxCursor) async throws(StoreError) -> AsyncStream<MailboxChanges> {
        let name = try MailboxName.validated(mailbox)
        let (stream, continuation) = AsyncStream<MailboxChanges>.makeStream()
        let id = state.withLock { state -> Int in
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = Watcher(mailbox: name, cursor: cursor, continuation: continuation)
            return state.nextWatcher
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        announce()
        return stream
    }

    /// Whether anyone is watching (IDLE), for tests to wait on.
    var watcherCount: Int { state.withLock { $0.watchers.count } }

    private func announce() {
        state.withLock { state in
            for (id, watcher) in state.watchers {
                let changes = Self.changes(state.boxes[watcher.mailbox], since: watcher.cursor)
                guard !changes.isEmpty else { continue }
                state.watchers[id]?.cursor = changes.cursor
                watcher.continuation.yield(changes)
            }
        }
    }
}

struct MemoryReader: IMAPMessageReader {
    let bytes: [UInt8]

    var size: Int { bytes.count }

    func read(offset: Int, count: Int) async throws(StoreError) -> [UInt8] {
        let start = min(max(0, offset), bytes.count)
        return Array(bytes[start..<min(bytes.count, start + max(0, count))])
    }
}
