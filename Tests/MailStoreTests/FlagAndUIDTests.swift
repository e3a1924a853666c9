// Flags mirrored in Maildir file names, MODSEQ and UNCHANGEDSINCE, \Recent, and UIDs
// that only grow — across expunges and reopening.

import Foundation
import Testing
@testable import MailStore

@Suite struct FlagAndUIDTests {
    let sandbox: StoreSandbox

    init() throws { sandbox = try StoreSandbox() }

    private func deliver(_ store: UserStore, _ count: Int, to mailbox: String = "INBOX", from start: Int = 0) async throws {
        for index in start..<(start + count) {
            _ = try await store.deliver(.bytes(sampleMessage(index)), to: mailbox, deliveryID: "\(mailbox)-\(index)")
        }
    }

    // MARK: - Names

    @Test func infoLettersFollowTheFlagsInASCIIOrder() {
        let base = MaildirFileName(baseName: "1.M1P1Q1.host,S=10", info: nil)
        #expect(base.withFlags([.seen, .answered, .flagged, .deleted, .draft], keywords: []).fileName == "1.M1P1Q1.host,S=10:2,DFRST")
        #expect(base.withFlags([], keywords: ["$forwarded"]).fileName == "1.M1P1Q1.host,S=10:2,P")
        #expect(base.withFlags([], keywords: []).fileName == "1.M1P1Q1.host,S=10:2,")
        // Letters other programs use survive a rename, in order.
        let foreign = MaildirFileName(parsing: "1.M1P1Q1.host:2,Sab")
        #expect(foreign.withFlags([.flagged], keywords: []).fileName == "1.M1P1Q1.host:2,Fab")
        let parsed = MaildirFileName(parsing: "123.M5P6Q7Dabcdef0123456789abcdef0123456789.h,S=42:2,PRS")
        #expect(parsed.flags.0 == [.answered, .seen])
        #expect(parsed.flags.1 == ["$Forwarded"])
        #expect(parsed.deliveryHash == "abcdef0123456789abcdef0123456789")
        #expect(parsed.sizeHint == 42)
        #expect(parsed.timeHint == 123)
        #expect(MaildirFileName(parsing: "123.M5P6Q7.h").deliveryHash == nil)
    }

    @Test func hostNamesAreSanitisedForMaildir() {
        #expect(MaildirFileName.sanitizedHost("a/b:c,d") == "a\\057b\\072c\\054d")
        let name = MaildirFileName.makeBaseName(now: Date(timeIntervalSince1970: 5.25), hostname: "h", size: 9, deliveryHash: nil)
        #expect(name.hasPrefix("5.M250000P"))
        #expect(name.hasSuffix(".h,S=9"))
    }

    // MARK: - STORE

    @Test func flagChangesRenameTheFileAndBumpModSeq() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 3)
        let before = try await store.status("INBOX").highestModSeq
        let result = try await store.store(.add([.seen, .flagged]), uids: [1, 3], in: "INBOX")
        #expect(result.updated.map(\.uid) == [1, 3])
        let modSeq = try #require(result.updated.first?.modSeq)
        #expect(modSeq > before)
        #expect(try await store.status("INBOX").highestModSeq == modSeq)
        #expect(sandbox.files("cur").count == 2)
        #expect(sandbox.files("cur").allSatisfy { $0.hasSuffix(":2,FS") })
        #expect(sandbox.files("new").count == 1)

        let removed = try await store.store(.remove([.flagged], keywords: ["nothing"]), uids: [1], in: "INBOX")
        #expect(removed.updated.first?.flags == [.seen])
        #expect(sandbox.files("cur").filter { $0.hasSuffix(":2,S") }.count == 1)

        // Setting what is already set changes nothing: same MODSEQ, same name.
        let same = try await store.store(.add([.seen]), uids: [1], in: "INBOX")
        #expect(same.updated.isEmpty)
        #expect(same.unchanged.map(\.uid) == [1])

        let replaced = try await store.store(.replace([.answered], keywords: ["$Forwarded", "Work"]), uids: [2], in: "INBOX")
        #expect(replaced.updated.first?.keywords == ["$Forwarded", "Work"])
        #expect(sandbox.files("cur").contains { $0.hasSuffix(":2,PR") })
        #expect(try await store.keywords(in: "INBOX") == ["$Forwarded", "Work"])
        let listed = try await store.messages(in: "INBOX")
        #expect(listed.map(\.flags) == [[.seen], [.answered], [.seen, .flagged]])
        for message in listed {
            #expect(FileManager.default.fileExists(atPath: message.path))
            #expect(try await store.readMessage(in: "INBOX", uid: message.uid) == sampleMessage(Int(message.uid) - 1))
        }
        _ = try await store.store(.add([.deleted]), uids: [3], in: "INBOX")
        let status = try await store.status("INBOX")
        #expect(status.messages == 3 && status.unseen == 1 && status.deleted == 1 && status.recent == 3)
        #expect(status.size == Int64(listed.reduce(0) { $0 + $1.size }))
    }

    @Test func unchangedSinceRefusesMessagesModifiedAfterIt() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 2)
        let first = try await store.store(.add([.seen]), uids: [1], in: "INBOX")
        let seenModSeq = try #require(first.updated.first?.modSeq)
        let older = seenModSeq - 1
        let result = try await store.store(.add([.flagged]), uids: [1, 2], in: "INBOX", unchangedSince: older)
        #expect(result.modified == [1])
        #expect(result.updated.map(\.uid) == [2])
        let messages = try await store.messages(in: "INBOX")
        #expect(messages[0].flags == [.seen])
        #expect(messages[1].flags == [.flagged])
    }

    @Test func invalidKeywordsAreRefused() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 1)
        for bad in ["", "\\Seen", "a b", "(x)", String(repeating: "k", count: 200)] {
            await #expect(throws: StoreError.invalidKeyword(bad)) {
                try await store.store(.add([], keywords: [bad]), uids: [1], in: "INBOX")
            }
        }
        #expect(MessageFlags(imapName: "\\seen") == .seen)
        #expect(MessageFlags(imapName: "\\Recent") == nil)
        #expect(MessageFlags([.seen, .deleted]).imapNames == ["\\Deleted", "\\Seen"])
    }

    @Test func recentIsClaimedOnceAndMovesFilesToCur() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 2)
        #expect(try await store.status("INBOX").recent == 2)
        let modSeq = try await store.status("INBOX").highestModSeq
        #expect(try await store.claimRecent(in: "INBOX") == [1, 2])
        #expect(try await store.claimRecent(in: "INBOX") == [])
        #expect(sandbox.files("new").isEmpty)
        #expect(sandbox.files("cur").allSatisfy { $0.hasSuffix(":2,") })
        #expect(try await store.status("INBOX").recent == 0)
        #expect(try await store.status("INBOX").highestModSeq == modSeq)
        #expect(try await store.readMessage(in: "INBOX", uid: 2) == sampleMessage(1))
    }

    // MARK: - UIDs

    @Test func uidsNeverGoBackAcrossExpungeAndReopen() async throws {
        let store = try await sandbox.open()
        try await deliver(store, 5)
        let validity = try await store.status("INBOX").uidValidity
        _ = try await store.store(.add([.deleted]), uids: [4, 5], in: "INBOX")
        let expunged = try await store.expunge(in: "INBOX")
        #expect(expunged.uids == [4, 5])
        try await deliver(store, 1, from: 10)
        #expect(try await store.messages(in: "INBOX").map(\.uid) == [1, 2, 3, 6])
        await store.close()

        let reopened = try await sandbox.open()
        try await deliver(reopened, 1, from: 20)
        #expect(try await reopened.messages(in: "INBOX").map(\.uid) == [1, 2, 3, 6, 7])
        let status = try await reopened.status("INBOX")
        #expect(status.uidValidity == validity)
        #expect(status.uidNext == 8)
        #expect(status.messages == 5)
    }

    @Test func uidValidityGrowsForEveryNewMailbox() async throws {
        let store = try await sandbox.open()
        let a = try await store.createMailbox("A").uidValidity
        try await store.deleteMailbox("A")
        let again = try await store.createMailbox("A").uidValidity
        #expect(again > a)
    }
}
