// Wire sizes: the octets of a message with every line ending sent as CRLF (what POP3
// LIST/STAT and IMAP RFC822.SIZE report), counted at delivery and reconciliation, kept
// in the file name (W=) and the index, filled in for rows from before the column.

import Foundation
import GRDB
import Testing
@testable import MailStore

/// SplitMix64: a small seeded generator, so the random cases are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The message as the POP3 server sends it before dot-stuffing: each CRLF kept, each
/// other CR or LF written as CRLF (the rule of `DotStuffer(normalizesLineEndings: true)`).
/// Built byte by byte, independently of the counter under test.
func crlfNormalised(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        switch bytes[index] {
        case 0x0D:
            out += [0x0D, 0x0A]
            if index + 1 < bytes.count && bytes[index + 1] == 0x0A { index += 1 }
        case 0x0A:
            out += [0x0D, 0x0A]
        default:
            out.append(bytes[index])
        }
        index += 1
    }
    return out
}

/// `text` with its CRLFs turned into bare LFs, as a Unix program writes it.
func withLF(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    for (index, byte) in bytes.enumerated() where !(byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) {
        out.append(byte)
    }
    return out
}

@Suite struct WireSizeTests {
    let sandbox: StoreSandbox

    init() throws { sandbox = try StoreSandbox() }

    // MARK: - Counting

    @Test(arguments: [
        ("", 0), ("a", 1), ("a\r\n", 3), ("a\n", 3), ("a\r", 3), ("\r", 2), ("\n", 2), ("\r\r\n", 4), ("\n\r", 4),
        ("\n\n", 4), ("a\rb", 4), ("\r\n\r\n", 4), ("x\n\r\ny", 6), ("a\r\rb", 6), (".\n", 3),
    ])
    func countsEachLineEndingAsCRLF(_ input: String, _ expected: Int) {
        let bytes = Array(input.utf8)
        #expect(WireSize.of(bytes) == expected)
        #expect(WireSize.of(bytes) == crlfNormalised(bytes).count)
    }

    @Test func aCRLFSplitAcrossChunksCountsOnce() {
        for input in ["a\r\nb", "\r\n", "a\r", "\r\rb\n\n", "x\r\n\r\n"] {
            let bytes = Array(input.utf8)
            for split in 0...bytes.count {
                var counter = WireSizeCounter()
                counter.add(bytes[..<split])
                counter.add(bytes[split...])
                #expect(counter.total == WireSize.of(bytes), "\(input.debugDescription) split at \(split)")
            }
        }
    }

    @Test func randomInputsMatchTheNormalisedLengthWholeAndInChunks() {
        var random = SeededGenerator(seed: 0x5EED_C4A9_9E00_0001)
        // Mostly line-ending bytes and dots, so that every combination occurs.
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x2E, 0x61, 0x20, 0x00, 0xFF]
        for round in 0..<500 {
            let length = Int.random(in: 0...300, using: &random)
            let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
            let expected = crlfNormalised(bytes).count
            #expect(WireSize.of(bytes) == expected, "round \(round)")
            var counter = WireSizeCounter()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...7, using: &random))
                counter.add(bytes[start..<end])
                start = end
            }
            #expect(counter.total == expected, "round \(round), in chunks")
        }
    }

    @Test func fileCountingReadsInChunks() throws {
        // More than one read chunk, with a CRLF across the chunk boundary.
        var bytes = [UInt8](repeating: 0x61, count: WireSize.readChunk - 1) + [0x0D, 0x0A]
        bytes += Array("one\ntwo\rthree\r\n".utf8)
        let path = sandbox.dataDirectory + "/big"
        try PosixFileSystem().createFile(path, contents: bytes, modificationTime: nil, sync: false)
        let file = try PosixFileSystem().openFile(path)
        defer { file.close() }
        #expect(try WireSize.ofFile(file) == crlfNormalised(bytes).count)
    }

    // MARK: - Names

    @Test func namesCarryWireSizeBeforeSizeAndHintsAreReadAsDovecotDoes() {
        let name = MaildirFileName.makeBaseName(
            now: Date(timeIntervalSince1970: 5), hostname: "h", size: 9, wireSize: 12, deliveryHash: nil)
        #expect(name.hasSuffix(".h,W=12,S=9"))
        let parsed = MaildirFileName(parsing: name + ":2,S")
        #expect(parsed.sizeHint == 9)
        #expect(parsed.wireSizeHint == 12)
        // Dovecot's order, and its fields after the sizes.
        let dovecot = MaildirFileName(parsing: "1035478339.27041_118.foo.org,S=1000,W=1030:2,S")
        #expect(dovecot.sizeHint == 1000)
        #expect(dovecot.wireSizeHint == 1030)
        #expect(dovecot.trustedWireSize(forFileSize: 1000) == 1030)
        #expect(dovecot.trustedWireSize(forFileSize: 999) == nil, "a file changed after it was named")
        #expect(MaildirFileName(parsing: "1.h,S=10,W=9").trustedWireSize(forFileSize: 10) == nil, "smaller than the file")
        #expect(MaildirFileName(parsing: "1.h,S=10,W=21").trustedWireSize(forFileSize: 10) == nil, "more than twice")
        #expect(MaildirFileName(parsing: "1.h,W=12").trustedWireSize(forFileSize: 10) == nil, "no S= to check against")
        #expect(MaildirFileName(parsing: "1.h,W=12x,S=10").wireSizeHint == nil, "not a number field")
        #expect(MaildirFileName(parsing: "1.h,W=,S=10").wireSizeHint == nil)
        // Without a wire size (a copy of a row not filled yet) the name has no W=.
        #expect(MaildirFileName.makeBaseName(now: Date(), hostname: "h", size: 9, wireSize: nil, deliveryHash: nil).hasSuffix(".h,S=9"))
    }

    // MARK: - Delivery

    /// Delivers `bytes` and returns its summary and file name (in new/).
    private func deliverOne(_ store: UserStore, _ bytes: [UInt8], id: String) async throws -> (MessageSummary, String) {
        let result = try await store.deliver(.bytes(bytes), deliveryID: id)
        let summary = try #require(try await store.messages(in: "INBOX", uids: [result.uid]).first)
        let name = try #require(sandbox.files("new").first { MaildirFileName(parsing: $0).baseName == summary.baseName })
        #expect(try await store.readMessage(in: "INBOX", uid: result.uid) == bytes, "stored as given")
        return (summary, name)
    }

    private func storedWireSize(uid: UInt32) throws -> Int? {
        try sandbox.query { db in
            try Int.fetchOne(
                db, sql: "SELECT wire_size FROM message WHERE uid = ? AND mailbox_id = (SELECT id FROM mailbox WHERE name = 'INBOX')",
                arguments: [Int64(uid)])
        }
    }

    @Test func crlfMessageHasWireSizeEqualToItsSize() async throws {
        let store = try await sandbox.open()
        let message = sampleMessage(1)
        let (summary, name) = try await deliverOne(store, message, id: "crlf")
        #expect(summary.size == message.count)
        #expect(summary.wireSize == message.count)
        #expect(name.hasSuffix(".test.host,W=\(message.count),S=\(message.count)"))
        #expect(try storedWireSize(uid: summary.uid) == message.count)
        await store.close()
    }

    @Test func lfMessageCountsACROnEveryLine() async throws {
        let store = try await sandbox.open()
        let message = withLF(sampleMessage(2))
        let lines = message.filter { $0 == 0x0A }.count
        #expect(!message.contains(0x0D))
        let (summary, name) = try await deliverOne(store, message, id: "lf")
        #expect(summary.size == message.count)
        #expect(summary.wireSize == message.count + lines)
        #expect(name.hasSuffix(",W=\(message.count + lines),S=\(message.count)"))
        #expect(try storedWireSize(uid: summary.uid) == message.count + lines)
        await store.close()
    }

    @Test func mixedLineEndings() async throws {
        let store = try await sandbox.open()
        let message = Array("Subject: mixed\r\nFrom: a@example.test\n\r\nfirst\nsecond\r\nthird\n".utf8)
        let (summary, _) = try await deliverOne(store, message, id: "mixed")
        #expect(summary.wireSize == message.count + 3)
        #expect(summary.wireSize == crlfNormalised(message).count)
        await store.close()
    }

    @Test func bareCRIsSentAsCRLF() async throws {
        let store = try await sandbox.open()
        let message = Array("Subject: cr\r\n\r\nline one\rline two\r\nlast\r".utf8)
        let (summary, _) = try await deliverOne(store, message, id: "cr")
        // The CR inside the line and the CR at the very end each gain an LF.
        #expect(summary.wireSize == message.count + 2)
        #expect(summary.wireSize == crlfNormalised(message).count)
        await store.close()
    }

    @Test func emptyLastLineAndMissingLastLineEnding() async throws {
        let store = try await sandbox.open()
        let blankLast = Array("Subject: a\n\nbody\n\n".utf8)
        let (first, _) = try await deliverOne(store, blankLast, id: "blank-last")
        #expect(first.wireSize == blankLast.count + 4)
        // No line ending at the end: nothing is added for it (the CRLF a POP3 server puts
        // before its terminator is framing, as in Dovecot; IMAP sends none).
        let unterminated = Array("Subject: b\n\nbody".utf8)
        let (second, _) = try await deliverOne(store, unterminated, id: "unterminated")
        #expect(second.wireSize == unterminated.count + 2)
        await store.close()
    }

    @Test func emptyMessage() async throws {
        let store = try await sandbox.open()
        let (summary, name) = try await deliverOne(store, [], id: "empty")
        #expect(summary.size == 0)
        #expect(summary.wireSize == 0)
        #expect(name.hasSuffix(",W=0,S=0"))
        await store.close()
    }

    @Test func randomMessagesDeliveredMatchTheNormalisedLength() async throws {
        let store = try await sandbox.open()
        var random = SeededGenerator(seed: 42)
        let pieces: [[UInt8]] = [[0x0D, 0x0A], [0x0A], [0x0D], Array("text".utf8), Array(".".utf8), Array("Subject: x".utf8)]
        var expected: [UInt32: Int] = [:]
        for round in 0..<40 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...60, using: &random) { bytes += pieces[Int.random(in: 0..<pieces.count, using: &random)] }
            let result = try await store.deliver(.bytes(bytes), deliveryID: "random-\(round)")
            expected[result.uid] = crlfNormalised(bytes).count
        }
        for summary in try await store.messages(in: "INBOX") {
            #expect(summary.wireSize == expected[summary.uid])
            #expect(MaildirFileName(parsing: summary.baseName).wireSizeHint == expected[summary.uid])
        }
        await store.close()
    }

    @Test func copyAndMoveKeepTheWireSize() async throws {
        let store = try await sandbox.open()
        let message = withLF(sampleMessage(3))
        let wire = crlfNormalised(message).count
        let delivered = try await store.deliver(.bytes(message), deliveryID: "copy-me")
        let copied = try await store.copy(uids: [delivered.uid], from: "INBOX", to: "Archive")
        let copy = try #require(try await store.messages(in: "Archive").first { $0.uid == copied.mapping.first?.target })
        #expect(copy.wireSize == wire)
        #expect(MaildirFileName(parsing: copy.baseName).wireSizeHint == wire)
        _ = try await store.move(uids: [delivered.uid], from: "INBOX", to: "Trash")
        #expect(try await store.messages(in: "Trash").map(\.wireSize) == [wire])
        await store.close()
    }

    // MARK: - Reconciliation

    @Test func externalLFFileIsCountedWhenReconciled() async throws {
        let store = try await sandbox.open()
        // As mutt writes it: bare LF, no S= or W= in the name.
        let message = withLF(sampleMessage(4))
        let name = "1700000000.12345_1.mutt-host"
        try PosixFileSystem().createFile(sandbox.maildir + "/new/" + name, contents: message, modificationTime: nil, sync: false)
        let report = try await store.check()
        #expect(report.messagesAdded == 1)
        let summary = try #require(try await store.messages(in: "INBOX").first)
        #expect(summary.size == message.count)
        #expect(summary.wireSize == crlfNormalised(message).count)
        #expect(summary.wireSize == message.count + message.filter { $0 == 0x0A }.count)
        #expect(sandbox.files("new") == [name], "the file is not renamed")
        #expect(try storedWireSize(uid: summary.uid) == summary.wireSize)
        await store.close()
    }

    @Test func aNewFileIsCountedFromItsBytesWhateverItsNameSays() async throws {
        let store = try await sandbox.open()
        let message = withLF(sampleMessage(5))
        // A W= that does not match the content: the bytes are read anyway, so they win.
        let name = "1700000000.M1P1Q1.other,S=\(message.count),W=\(message.count)"
        try PosixFileSystem().createFile(sandbox.maildir + "/cur/" + name + ":2,S", contents: message, modificationTime: nil, sync: false)
        _ = try await store.check()
        #expect(try await store.messages(in: "INBOX").map(\.wireSize) == [crlfNormalised(message).count])
        await store.close()
    }

    // MARK: - Rows from before the column

    /// Turns the index back into one from before "v2-wire-size": the column dropped and
    /// the migration forgotten (the store must be closed).
    private func downgradeIndex() throws {
        let queue = try DatabaseQueue(path: sandbox.indexPath)
        try queue.write { db in
            try db.execute(sql: "ALTER TABLE message DROP COLUMN wire_size")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v2-wire-size'")
        }
        try queue.close()
    }

    @Test func upgradedIndexGetsWireSizesAtTheNextCheck() async throws {
        let store = try await sandbox.open()
        let lf = withLF(sampleMessage(6))
        let crlf = sampleMessage(7)
        _ = try await store.deliver(.bytes(lf), deliveryID: "old-lf")
        _ = try await store.deliver(.bytes(crlf), deliveryID: "old-crlf")
        // A Dovecot file whose hints disagree with its content, to see that the name is
        // trusted (no read) when its S= matches the file.
        let dovecotBytes = withLF(sampleMessage(8))
        let dovecotName = "1700000001.M2P2Q2.dovecot,S=\(dovecotBytes.count),W=\(dovecotBytes.count + 1)"
        try PosixFileSystem().createFile(
            sandbox.maildir + "/cur/" + dovecotName + ":2,S", contents: dovecotBytes, modificationTime: nil, sync: false)
        // A file whose S= is stale: counted from the file.
        let staleBytes = withLF(sampleMessage(9))
        let staleName = "1700000002.M3P3Q3.dovecot,S=\(staleBytes.count + 5),W=\(staleBytes.count + 50)"
        try PosixFileSystem().createFile(sandbox.maildir + "/new/" + staleName, contents: staleBytes, modificationTime: nil, sync: false)
        _ = try await store.check()
        await store.close()
        try downgradeIndex()

        let (reopened, report) = try await sandbox.openWithReport()
        #expect(report?.mailboxes["INBOX"]?.wireSizesFilled == 4)
        #expect(report?.description.contains("4 wire sizes recorded") == true)
        let byName = Dictionary(uniqueKeysWithValues: try await reopened.messages(in: "INBOX").map { ($0.baseName, $0.wireSize) })
        #expect(byName[dovecotName] == dovecotBytes.count + 1, "from the name")
        #expect(byName[staleName] == crlfNormalised(staleBytes).count, "from the file")
        #expect(byName.values.contains(crlfNormalised(lf).count))
        #expect(byName.values.contains(crlf.count))
        let nulls = try sandbox.query { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE wire_size IS NULL") }
        #expect(nulls == 0)
        // A second check has nothing left to fill.
        #expect(try await reopened.check().mailboxes["INBOX"]?.wireSizesFilled == 0)
        await reopened.close()
    }

    @Test func listingsFillMissingWireSizesWithoutACheck() async throws {
        let store = try await sandbox.open()
        let lf = withLF(sampleMessage(10))
        let delivered = try await store.deliver(.bytes(lf), deliveryID: "lazy")  // W= in its name
        let external = withLF(sampleMessage(11)) + Array("no line ending\r".utf8)
        let externalName = "1700000000.12345_2.mutt-host"  // no hints: the file must be read
        try PosixFileSystem().createFile(sandbox.maildir + "/new/" + externalName, contents: external, modificationTime: nil, sync: false)
        _ = try await store.check()
        await store.close()
        try downgradeIndex()
        // mutt marks it read behind the store's back: the row's path is stale.
        try FileManager.default.moveItem(
            atPath: sandbox.maildir + "/new/" + externalName, toPath: sandbox.maildir + "/cur/" + externalName + ":2,S")

        // `chappe deliver` opens this way: the migration runs, no reconciliation.
        let reopened = try await sandbox.open(StoreSandbox.options(reconcile: .ifRebuilt))
        #expect(try storedWireSize(uid: delivered.uid) == nil)
        let details = try await reopened.messageDetails(in: "INBOX")
        let expected = [crlfNormalised(lf).count, crlfNormalised(external).count]
        #expect(details.map(\.summary.wireSize) == expected)
        #expect(try storedWireSize(uid: delivered.uid) == expected[0], "stored once counted")
        try nullWireSizes()
        #expect(try await reopened.messages(in: "INBOX").map(\.wireSize) == expected)
        let nulls = try sandbox.query { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE wire_size IS NULL") }
        #expect(nulls == 0)
        await reopened.close()
    }

    /// Sets every wire size back to NULL, as rows from before the column.
    private func nullWireSizes() throws {
        let queue = try DatabaseQueue(path: sandbox.indexPath)
        try queue.write { db in try db.execute(sql: "UPDATE message SET wire_size = NULL") }
        try queue.close()
    }
}
