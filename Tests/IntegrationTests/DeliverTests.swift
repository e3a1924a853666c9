// The real binary as an MDA: `chappe deliver` puts messages byte-identical into the
// Maildir and the index with sysexits statuses; `chappe store check` reconciles after
// outside changes and rebuilds a lost index; and deliveries killed with SIGKILL at random
// moments, then retried with the same --delivery-id, end up in the index exactly once.

import Foundation
import MailStore
import Testing

@Suite("chappe deliver and store check")
struct DeliverTests {
    let sandbox: Sandbox
    let address = "alice@example.test"

    init() throws {
        // A killed `chappe deliver` closes its stdin pipe: writing to it must not kill us.
        signal(SIGPIPE, SIG_IGN)
        sandbox = try Sandbox()
        let added = try Chappe.run(["user", "add", address, "--config", sandbox.configFile.path, "--password-stdin"], stdin: "pw\n")
        #expect(added.status == 0, "\(added.stderr)")
    }

    var config: [String] { ["--config", sandbox.configFile.path] }
    var maildir: String { sandbox.spool.path + "/mail/example.test/alice/Maildir" }

    /// `chappe ARGS` with binary standard input; with `killAfter`, SIGKILL after that long.
    /// Returns the exit status, or nil when the process was killed.
    @discardableResult
    func run(_ arguments: [String], input: [UInt8], killAfter: Duration? = nil) throws -> (status: Int32?, stderr: String) {
        let process = Process()
        process.executableURL = Chappe.binary
        process.arguments = arguments
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        if let killAfter {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(killAfter.components.attoseconds / 1_000_000_000))) {
                kill(pid, SIGKILL)
            }
        }
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
        try? stdin.fileHandleForWriting.close()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let killed = process.terminationReason == .uncaughtSignal
        return (killed ? nil : process.terminationStatus, String(decoding: errors, as: UTF8.self))
    }

    func message(_ index: Int, padding: Int = 0) -> [UInt8] {
        Array("From: bob@example.test\r\nTo: \(address)\r\nSubject: test \(index)\r\nMessage-ID: <m\(index)@example.test>\r\n\r\n".utf8)
            + Array("Caf\u{E9} \(index)\r\n".utf8) + [0xFF, 0x00, 0x0D, 0x0A]
            + Array(repeating: UInt8(ascii: "x"), count: padding) + Array("\r\nend\r\n".utf8)
    }

    func openStore() async throws -> UserStore {
        try await UserStore.open(
            dataDirectory: sandbox.spool.path, address: try MailAddress(address), options: StoreOptions(reconcile: .ifRebuilt)
        ).store
    }

    // MARK: - Delivery

    @Test func deliveredMessageIsInNewByteIdenticalAndIndexed() async throws {
        let bytes = message(1)
        let result = try run(["deliver", address] + config, input: bytes)
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: maildir + "/new")
        #expect(files.count == 1)
        let stored = try #require(FileManager.default.contents(atPath: maildir + "/new/" + (files.first ?? "")))
        #expect([UInt8](stored) == bytes)
        let store = try await openStore()
        let messages = try await store.messages(in: "INBOX")
        #expect(messages.map(\.uid) == [1])
        #expect(try await store.readMessage(in: "INBOX", uid: 1) == bytes)
        #expect(Set(try await store.mailboxes().map(\.name)) == ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"])
        await store.close()
    }

    @Test func exitStatusesFollowSysexits() async throws {
        // Unknown account, bad address: EX_NOUSER.
        #expect(try run(["deliver", "nobody@example.test"] + config, input: message(1)).status == 67)
        #expect(try run(["deliver", "not an address"] + config, input: message(1)).status == 67)
        // Empty input: EX_DATAERR.
        #expect(try run(["deliver", address] + config, input: []).status == 65)
        // Bad usage: DESIGN.md's 2.
        #expect(try run(["deliver"] + config, input: message(1)).status == 2)
        #expect(try run(["deliver", address, "--mailbox", "a..b"] + config, input: message(1)).status == 2)

        // Quota: over for now is EX_TEMPFAIL, never fitting is EX_CANTCREAT.
        let accounts = try AccountStore(path: sandbox.spool.path + "/accounts.sqlite")
        let size = Int64(message(1).count)
        try await accounts.setQuota(try MailAddress(address), bytes: size + 10, messages: nil)
        #expect(try run(["deliver", address] + config, input: message(1)).status == 0)
        let full = try run(["deliver", address] + config, input: message(2))
        #expect(full.status == 75)
        #expect(full.stderr.contains("quota"))
        #expect(try run(["deliver", address] + config, input: message(3, padding: 100)).status == 73)
        try await accounts.setQuota(try MailAddress(address), bytes: nil, messages: nil)

        // The same --delivery-id twice stores once.
        #expect(try run(["deliver", address, "--delivery-id", "q-1"] + config, input: message(4)).status == 0)
        #expect(try run(["deliver", address, "--delivery-id", "q-1"] + config, input: message(4)).status == 0)
        // A missing mailbox falls back to INBOX; --create makes it.
        let fallback = try run(["deliver", address, "--mailbox", "Lists.swift"] + config, input: message(5))
        #expect(fallback.status == 0)
        #expect(fallback.stderr.contains("delivering to INBOX"))
        #expect(try run(["deliver", address, "--mailbox", "Lists.swift", "--create"] + config, input: message(6)).status == 0)
        #expect(try run(["deliver", address, "--mailbox", "Sent"] + config, input: message(7)).status == 0)

        let store = try await openStore()
        #expect(try await store.messages(in: "INBOX").count == 3)
        #expect(try await store.messages(in: "Lists.swift").count == 1)
        #expect(try await store.messages(in: "Sent").count == 1)
        #expect(FileManager.default.fileExists(atPath: maildir + "/.Lists.swift/new"))
        await store.close()
    }

    // MARK: - store check

    @Test func storeCheckReconcilesAnOutsideChange() async throws {
        for index in 0..<3 { #expect(try run(["deliver", address] + config, input: message(index)).status == 0) }
        let before = try await openStore()
        let delivered = try await before.messages(in: "INBOX")
        await before.close()
        // Another program deletes message 1 and marks message 2 flagged and seen.
        try FileManager.default.removeItem(atPath: delivered[0].path)
        try FileManager.default.moveItem(atPath: delivered[1].path, toPath: maildir + "/cur/" + delivered[1].baseName + ":2,FS")
        try Data(message(9)).write(to: URL(fileURLWithPath: maildir + "/cur/1700000000.outside.host:2,S"))

        let checked = try Chappe.run(["store", "check", address] + config)
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.contains("mailbox INBOX: 1 added, 1 expunged (files gone), 1 flags taken from file names"))
        #expect(checked.stdout.contains("3 messages"))
        let again = try Chappe.run(["store", "check", address] + config)
        #expect(again.stdout.contains("index and Maildir agree"))

        let store = try await openStore()
        let messages = try await store.messages(in: "INBOX")
        #expect(messages.map(\.uid) == [2, 3, 4])
        #expect(messages.map(\.flags) == [[.flagged, .seen], [], [.seen]])
        await store.close()

        #expect(try Chappe.run(["store", "check", "nobody@example.test"] + config).status == 1)
        #expect(try Chappe.run(["store", "check", "bad address"] + config).status == 2)
    }

    // MARK: - Crashes

    @Test func killedDeliveriesRetriedAreIndexedExactlyOnce() async throws {
        let count = 200
        var kills = 0
        var generator = SystemRandomNumberGenerator()
        for index in 0..<count {
            let arguments = ["deliver", address, "--delivery-id", "crash-\(index)"] + config
            let bytes = message(index, padding: index % 4 == 0 ? 256 * 1024 : 0)
            var status: Int32?
            if index % 2 == 0 {
                // Killed somewhere between start-up and the end of the delivery.
                let delay = Duration.microseconds(Int64.random(in: 0...40_000, using: &generator))
                status = try run(arguments, input: bytes, killAfter: delay).status
                if status == nil { kills += 1 }
            }
            var attempts = 0
            while status != 0 && attempts < 3 {
                status = try run(arguments, input: bytes).status
                attempts += 1
            }
            #expect(status == 0, "delivery \(index) never succeeded")
        }
        #expect(kills >= 5, "too few deliveries were actually killed (\(kills))")

        // Every delivery exactly once.
        let store = try await openStore()
        let report = try await store.check()
        let details = try await store.messageDetails(in: "INBOX")
        let ids = details.compactMap(\.envelope.messageID)
        #expect(ids.count == count, "report: \(report)")
        #expect(Set(ids) == Set((0..<count).map { "<m\($0)@example.test>" }))
        for detail in details {
            #expect(try await store.readMessage(in: "INBOX", uid: detail.summary.uid).count == detail.summary.size)
        }
        let before = Set(details.map { "\($0.summary.baseName) \($0.summary.flags.rawValue) \($0.summary.size) \($0.envelope.messageID ?? "")" })
        let uidsBefore = details.map(\.summary.uid)
        await store.close()

        // A rebuilt index equals the old one (UIDs aside: the UIDVALIDITY changes).
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: sandbox.spool.path + "/mail/example.test/alice/index.sqlite" + suffix)
        }
        let checked = try Chappe.run(["store", "check", address] + config)
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.contains("index created from the Maildir"))
        let rebuilt = try await openStore()
        let after = try await rebuilt.messageDetails(in: "INBOX")
        #expect(Set(after.map { "\($0.summary.baseName) \($0.summary.flags.rawValue) \($0.summary.size) \($0.envelope.messageID ?? "")" }) == before)
        #expect(after.map(\.summary.uid) == Array(1...UInt32(count)))
        #expect(uidsBefore.count == count)
        // And the delivery ids are remembered: a late retry stores nothing.
        #expect(try run(["deliver", address, "--delivery-id", "crash-7"] + config, input: message(7)).status == 0)
        #expect(try await rebuilt.messages(in: "INBOX").count == count)
        await rebuilt.close()
    }
}
