// Tests of PasswordHash and PasswordHasher: format, salt, verification, tampering, rehash.
// Cheap scrypt parameters throughout, except one test that checks the default is slow.

import Foundation
import Testing
@testable import MailStore

@Suite struct PasswordHashTests {
    static let cheap = try! ScryptParameters(logN: 4, blockSize: 1, parallelism: 1)
    let hasher = PasswordHasher(parameters: PasswordHashTests.cheap)

    // MARK: - Round trip

    @Test func hashThenVerify() throws {
        let encoded = try hasher.hash("correct horse battery staple")
        #expect(hasher.verify("correct horse battery staple", against: encoded))
        #expect(!hasher.verify("correct horse battery stapler", against: encoded))
        #expect(!hasher.verify("Correct horse battery staple", against: encoded))
        #expect(!hasher.verify("x", against: encoded))
    }

    @Test func encodedStringIsSelfDescribing() throws {
        let encoded = try hasher.hash("secret")
        #expect(encoded.hasPrefix("$scrypt$ln=4,r=1,p=1$"))
        let parsed = try PasswordHash(encoded: encoded)
        #expect(parsed.parameters == Self.cheap)
        #expect(parsed.salt.count == 16)
        #expect(parsed.key.count == 32)
        #expect(parsed.encoded == encoded)
        #expect(!encoded.split(separator: "$").suffix(2).joined().contains("="))
        #expect(parsed.description == "scrypt(ln=4,r=1,p=1)")
    }

    @Test func storedHashDoesNotContainThePassword() throws {
        for password in ["hunter2", "correct horse battery staple", "Pa55-w0rd!"] {
            let encoded = try hasher.hash(password)
            #expect(encoded != password)
            #expect(!encoded.contains(password))
            let base64 = Data(password.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            #expect(!encoded.contains(base64))
        }
    }

    @Test func samePasswordTwiceGivesDifferentHashes() throws {
        let first = try hasher.hash("same")
        let second = try hasher.hash("same")
        #expect(first != second)
        #expect(try PasswordHash(encoded: first).salt != PasswordHash(encoded: second).salt)
        #expect(hasher.verify("same", against: first))
        #expect(hasher.verify("same", against: second))
    }

    /// Cross-checked with an independent implementation (Python's hashlib.scrypt).
    @Test func knownAnswer() {
        let encoded = "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o"
        #expect(hasher.verify("correct horse battery staple", against: encoded))
        #expect(!hasher.verify("correct horse battery stapl", against: encoded))
    }

    /// RFC 7914 §12, second vector.
    @Test func rfc7914Vector() throws {
        let key = try PasswordHasher.derive(
            Array("password".utf8), salt: Array("NaCl".utf8),
            parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 16), count: 64)
        let hex = key.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        #expect(hex.joined() == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    /// RFC 8265 OpaqueString: canonically equivalent passwords (NFC) match.
    @Test func unicodeNormalization() throws {
        // The key was computed from the composed form "pässword" (U+00E4).
        let encoded = "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$K56U05IHzzTbJhFvuNVAKUbjSO1YJOzCOkuZcZs8vLU"
        #expect(hasher.verify("p\u{E4}ssword", against: encoded))
        #expect(hasher.verify("pa\u{308}ssword", against: encoded))
        #expect(!hasher.verify("password", against: encoded))
    }

    // MARK: - Refused input

    @Test func emptyPasswordIsRefused() {
        #expect(throws: PasswordHashError.emptyPassword) { try hasher.hash("") }
        let encoded = hasher.dummyHash()
        #expect(!hasher.verify("", against: encoded))
    }

    @Test func overlongPasswordIsRefused() throws {
        let limit = PasswordHasher.maxPasswordOctets
        _ = try hasher.hash(String(repeating: "a", count: limit))
        #expect(throws: PasswordHashError.passwordTooLong(limit: limit)) {
            try hasher.hash(String(repeating: "a", count: limit + 1))
        }
    }

    @Test func parametersOutsideBoundsAreRefused() {
        #expect(throws: PasswordHashError.self) { try ScryptParameters(logN: 0) }
        #expect(throws: PasswordHashError.self) { try ScryptParameters(logN: 21) }
        #expect(throws: PasswordHashError.self) { try ScryptParameters(logN: 10, blockSize: 0) }
        #expect(throws: PasswordHashError.self) { try ScryptParameters(logN: 10, blockSize: 8, parallelism: 17) }
        // 2^20 × 128 × 16 = 2 GiB of memory.
        #expect(throws: PasswordHashError.self) { try ScryptParameters(logN: 20, blockSize: 16) }
        #expect(throws: Never.self) { try ScryptParameters(logN: 20, blockSize: 8) }
    }

    // MARK: - Tampering

    static let tampered: [String] = {
        let good = "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o"
        return [
            "",
            "$",
            "correct horse battery staple",
            "$scrypt$",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw",
            good + "$",
            "x" + good,
            good.replacingOccurrences(of: "$scrypt$", with: "$argon2id$"),
            good.replacingOccurrences(of: "$scrypt$", with: "$SCRYPT$"),
            good.replacingOccurrences(of: "ln=4", with: "ln=99"),
            good.replacingOccurrences(of: "ln=4", with: "ln=0"),
            good.replacingOccurrences(of: "ln=4", with: "ln=-4"),
            good.replacingOccurrences(of: "ln=4", with: "ln=99999999999999999999999"),
            good.replacingOccurrences(of: "ln=4", with: "ln=four"),
            good.replacingOccurrences(of: "ln=4", with: "ln="),
            good.replacingOccurrences(of: "ln=4,r=1,p=1", with: "ln=20,r=32,p=1"),
            good.replacingOccurrences(of: "ln=4,r=1,p=1", with: "r=1,ln=4,p=1"),
            good.replacingOccurrences(of: "ln=4,r=1,p=1", with: "ln=4,r=1"),
            good.replacingOccurrences(of: "ln=4,r=1,p=1", with: "ln=4,r=1,p=1,x=2"),
            good.replacingOccurrences(of: "r=1", with: "r=0"),
            good.replacingOccurrences(of: "p=1", with: "p=0"),
            good.replacingOccurrences(of: "AAECAwQFBgcICQoLDA0ODw", with: "AAEC"),
            good.replacingOccurrences(of: "AAECAwQFBgcICQoLDA0ODw", with: "!!!!"),
            good.replacingOccurrences(of: "AAECAwQFBgcICQoLDA0ODw", with: ""),
            good.replacingOccurrences(of: "AAECAwQFBgcICQoLDA0ODw", with: "AAECAwQFBgcICQoLDA0ODw=="),
            good.replacingOccurrences(of: "rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o", with: "rq9C"),
            good.replacingOccurrences(of: "rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o", with: "r"),
            good.replacingOccurrences(of: "/0Q", with: "\u{0}0Q"),
            good + String(repeating: "A", count: 1000),
        ]
    }()

    @Test(arguments: tampered)
    func malformedHashIsRejectedWithoutCrash(encoded: String) {
        #expect(throws: PasswordHashError.self) { try PasswordHash(encoded: encoded) }
        #expect(!hasher.verify("correct horse battery staple", against: encoded))
        #expect(hasher.needsRehash(encoded))
    }

    @Test func alteredKeyOrSaltDoesNotVerify() throws {
        let encoded = try hasher.hash("secret")
        let parsed = try PasswordHash(encoded: encoded)
        for index in [0, 15, 31] {
            var key = parsed.key
            key[index] ^= 0x01
            let altered = PasswordHash(parameters: parsed.parameters, salt: parsed.salt, key: key).encoded
            #expect(!hasher.verify("secret", against: altered))
        }
        var salt = parsed.salt
        salt[0] ^= 0x80
        #expect(!hasher.verify("secret", against: PasswordHash(parameters: parsed.parameters, salt: salt,
                                                               key: parsed.key).encoded))
        let cheaper = PasswordHash(parameters: try ScryptParameters(logN: 3, blockSize: 1, parallelism: 1),
                                   salt: parsed.salt, key: parsed.key).encoded
        #expect(!hasher.verify("secret", against: cheaper))
    }

    @Test func constantTimeEqual() {
        #expect(PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!PasswordHasher.constantTimeEqual([0, 2, 3], [1, 2, 3]))
        #expect(!PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(PasswordHasher.constantTimeEqual([], []))
    }

    // MARK: - Rehash

    @Test func needsRehashWhenBelowCurrentParameters() throws {
        let encoded = try hasher.hash("secret")
        #expect(!hasher.needsRehash(encoded))
        let stronger = PasswordHasher(parameters: try ScryptParameters(logN: 5, blockSize: 1, parallelism: 1))
        #expect(stronger.needsRehash(encoded))
        #expect(stronger.verify("secret", against: encoded))
        #expect(!hasher.needsRehash(try stronger.hash("secret")))
        let widerBlock = PasswordHasher(parameters: try ScryptParameters(logN: 4, blockSize: 2, parallelism: 1))
        #expect(widerBlock.needsRehash(encoded))
        let moreParallel = PasswordHasher(parameters: try ScryptParameters(logN: 4, blockSize: 1, parallelism: 2))
        #expect(moreParallel.needsRehash(encoded))
    }

    @Test func dummyHashIsWellFormedAndMatchesNothing() throws {
        let dummy = hasher.dummyHash()
        #expect(try PasswordHash(encoded: dummy).parameters == Self.cheap)
        #expect(!hasher.needsRehash(dummy))
        #expect(!hasher.verify("anything", against: dummy))
        #expect(dummy != hasher.dummyHash())
    }

    // MARK: - Defaults

    @Test func defaultParametersAreTheSlowOnes() throws {
        let standard = PasswordHasher()
        #expect(standard.parameters == .standard)
        #expect(standard.parameters.logN >= 15 && standard.parameters.blockSize >= 8)
        // One real hash at the default cost, to prove it runs within the memory bound.
        let encoded = try standard.hash("default cost")
        #expect(encoded.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        #expect(standard.verify("default cost", against: encoded))
    }

    @Test func errorsNameTheFix() {
        #expect(PasswordHashError.emptyPassword.description.contains("non-empty"))
        #expect(PasswordHashError.malformed("bad salt").description.contains("chappe user passwd"))
    }
}
