// Tests of AccountStore over a real SQLite file in a fresh temporary folder per test.
// Cheap scrypt parameters throughout.

import Foundation
import Testing
@testable import MailStore

/// A temporary data_dir, removed when the test ends.
private final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("chappe-accounts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var databasePath: String { url.appendingPathComponent("data/accounts.sqlite").path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

@Suite struct AccountStoreTests {
    static let cheap = PasswordHasher(parameters: try! ScryptParameters(logN: 4, blockSize: 1, parallelism: 1))
    static let fixedDate = Date(timeIntervalSince1970: 1_700_000_000.5)

    private let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder()
    }

    private func openStore(hasher: PasswordHasher = AccountStoreTests.cheap) throws -> AccountStore {
        try AccountStore(path: folder.databasePath, hasher: hasher, clock: { AccountStoreTests.fixedDate })
    }

    private func address(_ text: String) throws -> MailAddress { try MailAddress(text) }

    // MARK: - Add, list, look up

    @Test func addThenLookUp() async throws {
        let store = try openStore()
        let alice = try address("alice@example.test")
        try await store.add(alice, password: "wonderland")
        let account = try #require(try await store.account(alice))
        #expect(account.address == alice)
        #expect(account.created == Self.fixedDate)
        #expect(account.quotaBytes == nil && account.quotaMessages == nil)
        #expect(try await store.account(address("ALICE@Example.Test")) == account)
        #expect(try await store.account(address("bob@example.test")) == nil)
    }

    /// RFC 1939 §7 (the example's timestamp, secret and digest).
    @Test func apopSecretsAreCheckedOnlyWhereSet() async throws {
        let store = try openStore()
        let alice = try address("mrose@example.test")
        try await store.add(alice, password: "wonderland")
        let timestamp = "<1896.697170952@dbc.mtview.ca.us>"
        let digest = "c4c9334bac560ecc979e58001b3e22fb"
        #expect(await store.verifyAPOP(username: "mrose@example.test", timestamp: timestamp, digest: digest) == nil, "no secret yet")
        try await store.setAPOPSecret(alice, secret: "tanstaaf")
        #expect(await store.verifyAPOP(username: "mrose@example.test", timestamp: timestamp, digest: digest)?.address == alice)
        #expect(await store.verifyAPOP(username: "mrose@example.test", timestamp: timestamp, digest: digest.uppercased()) != nil)
        #expect(await store.verifyAPOP(username: "mrose@example.test", timestamp: "<1.2@x>", digest: digest) == nil)
        #expect(await store.verifyAPOP(username: "nobody@example.test", timestamp: timestamp, digest: digest) == nil)
        #expect(await store.verify(address: alice, password: "tanstaaf") == nil, "the secret is not the password")
        try await store.setAPOPSecret(alice, secret: nil)
        #expect(await store.verifyAPOP(username: "mrose@example.test", timestamp: timestamp, digest: digest) == nil)
        await #expect(throws: AccountError.self) { try await store.setAPOPSecret(try address("x@example.test"), secret: "s") }
    }

    @Test func listIsSortedByDomainThenLocalPart() async throws {
        let store = try openStore()
        for text in ["zed@b.test", "Bob@a.test", "carol@b.test", "alice@a.test", "dave@c.test"] {
            try await store.add(address(text), password: "pw-" + text)
        }
        let listed = try await store.list().map(\.address.description)
        #expect(listed == ["alice@a.test", "Bob@a.test", "carol@b.test", "zed@b.test", "dave@c.test"])
        #expect(try await openStore().list().count == 5)
    }

    @Test func emptyStoreListsNothing() async throws {
        #expect(try await openStore().list().isEmpty)
    }

    @Test func duplicateIsRefusedWhateverTheCase() async throws {
        let store = try openStore()
        let alice = try address("alice@example.test")
        try await store.add(alice, password: "one")
        await #expect(throws: AccountError.alreadyExists(alice)) { try await store.add(alice, password: "two") }
        let upper = try address("Alice@EXAMPLE.test")
        await #expect(throws: AccountError.alreadyExists(upper)) { try await store.add(upper, password: "two") }
        #expect(try await store.list().count == 1)
        #expect(await store.verify(address: alice, password: "one") != nil)
        #expect(AccountError.alreadyExists(alice).description
            == "account alice@example.test already exists; use `chappe user passwd alice@example.test` to change its password")
    }

    @Test func emptyPasswordIsRefused() async throws {
        let store = try openStore()
        let alice = try address("alice@example.test")
        await #expect(throws: AccountError.emptyPassword) { try await store.add(alice, password: "") }
        #expect(try await store.list().isEmpty)
        try await store.add(alice, password: "x")
        await #expect(throws: AccountError.emptyPassword) { try await store.setPassword(alice, password: "") }
        #expect(await store.verify(address: alice, password: "x") != nil)
        #expect(await store.verify(address: alice, password: "") == nil)
    }

    @Test func overlongPasswordIsRefused() async throws {
        let store = try openStore()
        let long = String(repeating: "p", count: PasswordHasher.maxPasswordOctets + 1)
        await #expect(throws: AccountError.passwordTooLong(limit: PasswordHasher.maxPasswordOctets)) {
            try await store.add(address("alice@example.test"), password: long)
        }
    }

    // MARK: - Delete, passwd, quota

    @Test func deleteRemovesTheAccount() async throws {
        let store = try openStore()
        let alice = try address("alice@example.test")
        try await store.add(alice, password: "pw")
        try await store.add(address("bob@example.test"), password: "pw")
        try await store.delete(address("ALICE@example.test"))
        #expect(try await store.account(alice) == nil)
        #expect(await store.verify(address: alice, password: "pw") == nil)
        #expect(try await store.list().map(\.address.description) == ["bob@example.test"])
        await #expect(throws: AccountError.notFound(alice)) { try await store.delete(alice) }
    }

    @Test func notFoundErrorsNameTheFix() async throws {
        let store = try openStore()
        let ghost = try address("ghost@example.test")
        await #expect(throws: AccountError.notFound(ghost)) { try await store.delete(ghost) }
        await #expect(throws: AccountError.notFound(ghost)) { try await store.setPassword(ghost, password: "x") }
        await #expect(throws: AccountError.notFound(ghost)) {
            try await store.setQuota(ghost, bytes: 1, messages: 1)
        }
        let text = AccountError.notFound(ghost).description
        #expect(text.contains("ghost@example.test") && text.contains("chappe user add"))
    }

    @Test func setPasswordReplacesTheOldOne() async throws {
        let store = try openStore()
        let alice = try address("alice@example.test")
        try await store.add(alice, password: "old password")
        let before = try await store.passwordHash(alice)
        try await store.setPassword(address("Alice@example.test"), password: "new password")
        #expect(try await store.passwordHash(alice) != before)
        #expect(await store.verify(address: alice, password: "old password") == nil)
        #expect(await store.verify(address: alice, password: "new password")?.address == alice)
        #expect(try await store.account(alice)?.created == Self.fixedDate)
    }

    @Test func quotasAreStoredAndCleared() async throws {
        let store = try openStore()
        let alice = try address("alice@example.test")
        try await store.add(alice, password: "pw")
        try await store.setQuota(alice, bytes: 1 << 40, messages: 10_000)
        var account = try #require(try await store.account(alice))
        #expect(account.quotaBytes == 1 << 40 && account.quotaMessages == 10_000)
        await #expect(throws: AccountError.invalidQuota("bytes", -1)) {
            try await store.setQuota(alice, bytes: -1, messages: nil)
        }
        try await store.setQuota(alice, bytes: nil, messages: nil)
        account = try #require(try await store.account(alice))
        #expect(account.quotaBytes == nil && account.quotaMessages == nil)
    }

    // MARK: - Verify

    @Test func verifyChecksThePassword() async throws {
        let store = try openStore()
        let alice = try address("alice@example.test")
        try await store.add(alice, password: "wonderland")
        #expect(await store.verify(address: alice, password: "wonderland")?.address == alice)
        #expect(try await store.verify(address: address("ALICE@EXAMPLE.TEST"), password: "wonderland") != nil)
        #expect(await store.verify(address: alice, password: "Wonderland") == nil)
        #expect(await store.verify(address: alice, password: "wonderland ") == nil)
        #expect(try await store.verify(address: address("bob@example.test"), password: "wonderland") == nil)
        #expect(await store.verify(username: "alice@example.test", password: "wonderland") != nil)
        #expect(await store.verify(username: "alice", password: "wonderland") == nil)
        #expect(await store.verify(username: "", password: "wonderland") == nil)
    }

    /// A missing account is checked against a dummy hash made with the same
    /// parameters as real ones, so it costs the same KDF (checked by value:
    /// timings do not go into pass/fail tests).
    @Test func verifyOfMissingAccountUsesAFullCostDummyHash() async throws {
        let hasher = PasswordHasher(parameters: try ScryptParameters(logN: 12, blockSize: 8, parallelism: 1))
        let dummy = try PasswordHash(encoded: hasher.dummyHash())
        #expect(dummy.parameters == hasher.parameters)
        #expect(dummy.salt.count == PasswordHasher.saltByteCount)
        #expect(dummy.key.count == PasswordHasher.keyByteCount)
        let store = try openStore(hasher: hasher)
        #expect(try await store.verify(address: address("ghost@example.test"), password: "wrong") == nil)
    }

    @Test func weakHashIsUpgradedAtLogin() async throws {
        let alice = try address("alice@example.test")
        do {
            let store = try openStore()
            try await store.add(alice, password: "pw")
        }
        let stronger = PasswordHasher(parameters: try ScryptParameters(logN: 5, blockSize: 1, parallelism: 1))
        let store = try openStore(hasher: stronger)
        #expect(stronger.needsRehash(try #require(try await store.passwordHash(alice))))
        #expect(await store.verify(address: alice, password: "wrong") == nil)
        #expect(stronger.needsRehash(try #require(try await store.passwordHash(alice))))
        #expect(await store.verify(address: alice, password: "pw") != nil)
        let upgraded = try #require(try await store.passwordHash(alice))
        #expect(upgraded.hasPrefix("$scrypt$ln=5,r=1,p=1$"))
        #expect(await store.verify(address: alice, password: "pw") != nil)
    }

    // MARK: - The file

    @Test func fileIsPrivate() async throws {
        let store = try openStore()
        try await store.add(address("alice@example.test"), password: "pw")
        for suffix in ["", "-wal", "-shm"] {
            let path = folder.databasePath + suffix
            guard suffix.isEmpty || FileManager.default.fileExists(atPath: path) else { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let mode = try #require(attributes[.posixPermissions] as? NSNumber).intValue
            #expect(mode == 0o600, "\(path) has mode \(String(mode, radix: 8))")
        }
    }

    @Test func passwordIsNotInTheFile() async throws {
        let store = try openStore()
        let alice = try address("alice@example.test")
        try await store.add(alice, password: "UnmistakablePassword42")
        let stored = try #require(try await store.passwordHash(alice))
        #expect(stored.hasPrefix("$scrypt$") && !stored.contains("UnmistakablePassword42"))
        for suffix in ["", "-wal"] {
            let bytes = FileManager.default.contents(atPath: folder.databasePath + suffix) ?? Data()
            #expect(bytes.range(of: Data("UnmistakablePassword42".utf8)) == nil)
        }
    }

    @Test func reopeningKeepsTheAccounts() async throws {
        let alice = try address("alice@example.test")
        do {
            let store = try openStore()
            try await store.add(alice, password: "pw")
            try await store.setQuota(alice, bytes: 5, messages: nil)
        }
        let reopened = try openStore()
        let account = try #require(try await reopened.account(alice))
        #expect(account.created == Self.fixedDate && account.quotaBytes == 5)
        #expect(await reopened.verify(address: alice, password: "pw") != nil)
        try await reopened.add(address("bob@example.test"), password: "pw")
        #expect(try await openStore().list().count == 2)
    }

    @Test func unwritableFolderGivesANamedError() throws {
        let path = "/proc/chappe-no-such-dir/accounts.sqlite"
        #expect {
            try AccountStore(path: path, hasher: Self.cheap)
        } throws: { error in
            guard let error = error as? AccountError, case .cannotCreate = error else { return false }
            return error.description.contains(path)
        }
    }

    // MARK: - Concurrency

    @Test func concurrentAddsAndVerifies() async throws {
        let store = try openStore()
        let addresses = try (0..<20).map { try address("user\($0)@example.test") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for address in addresses {
                group.addTask { try await store.add(address, password: "pw-\(address)") }
            }
            try await group.waitForAll()
        }
        let results = await withTaskGroup(of: Bool.self) { group in
            for address in addresses {
                group.addTask { await store.verify(address: address, password: "pw-\(address)") != nil }
                group.addTask { await store.verify(address: address, password: "wrong") == nil }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 40 && results.allSatisfy { $0 })
        #expect(try await store.list().count == 20)
    }
}
