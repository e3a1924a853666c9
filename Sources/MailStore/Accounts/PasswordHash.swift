// PasswordHash: salted scrypt (RFC 7914, from swift-crypto's _CryptoExtras) in a
// self-describing PHC-style string, so the cost can be raised later without breaking
// stored hashes:
//
//     $scrypt$ln=15,r=8,p=1$<salt: base64, no padding>$<key: base64, no padding>
//
// ln is log2 of N (the CPU/memory cost), r the block size, p the parallelism.
//
// Invariants:
// - A new hash has a fresh 16-byte salt from the system CSPRNG and a 32-byte key.
// - The password is UTF-8 in Unicode NFC (RFC 8265 OpaqueString), so the same
//   password typed on two systems hashes alike; it is never stored or logged.
// - Verification derives the key with the stored parameters and compares every byte
//   (no early exit). A malformed or tampered string verifies as false, never traps,
//   and parameters outside `ScryptParameters` bounds are refused before any work, so
//   a hostile string cannot make us allocate gigabytes.
// - `needsRehash` is true when the stored cost is below the hasher's in any dimension.
//
// The KDF is slow by design (tens to hundreds of milliseconds). Callers run it off any
// event loop: AccountStore runs it on its own bounded queue.

import Crypto
import Foundation
import _CryptoExtras

// MARK: - Parameters

/// scrypt cost parameters (RFC 7914 §2), bounded so a stored string cannot ask for
/// more than 1 GiB of memory.
public struct ScryptParameters: Sendable, Hashable, CustomStringConvertible {
    /// log2 of N, the CPU/memory cost.
    public let logN: Int
    /// r, the block size.
    public let blockSize: Int
    /// p, the parallelism (run sequentially here: it multiplies time, not memory).
    public let parallelism: Int

    public static let logNRange = 1...20
    public static let blockSizeRange = 1...32
    public static let parallelismRange = 1...16
    public static let maxMemoryBytes = 1 << 30

    /// The default: N = 2^15, r = 8, p = 1 — 32 MiB and about 0.2 s of one core per
    /// hash on the 2-core build machine (0.45 s at p = 3). This is the usual setting for
    /// interactive logins; mail clients log in often (one IMAP client may open five
    /// connections), so a heavier default would make logins the server's main load.
    /// Raise it here: stored hashes are upgraded at their next successful login.
    public static let standard = ScryptParameters(unchecked: 15, 8, 1)

    public init(logN: Int, blockSize: Int = 8, parallelism: Int = 1) throws(PasswordHashError) {
        guard Self.logNRange.contains(logN), Self.blockSizeRange.contains(blockSize),
              Self.parallelismRange.contains(parallelism),
              128 * blockSize * (1 << logN) <= Self.maxMemoryBytes
        else {
            throw .parametersOutOfRange("ln=\(logN),r=\(blockSize),p=\(parallelism)")
        }
        self.init(unchecked: logN, blockSize, parallelism)
    }

    private init(unchecked logN: Int, _ blockSize: Int, _ parallelism: Int) {
        self.logN = logN
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    /// The PHC parameter field: "ln=15,r=8,p=1".
    public var description: String { "ln=\(logN),r=\(blockSize),p=\(parallelism)" }

    /// True when any of the three costs is below `other`'s.
    public func isWeaker(than other: ScryptParameters) -> Bool {
        logN < other.logN || blockSize < other.blockSize || parallelism < other.parallelism
    }

    /// Parses "ln=N,r=N,p=N" (this order, decimal digits only).
    init(phc field: Substring) throws(PasswordHashError) {
        let pairs = field.split(separator: ",", omittingEmptySubsequences: false)
        var values: [Int] = []
        for (pair, name) in zip(pairs, ["ln", "r", "p"]) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name, (1...4).contains(parts[1].count),
                  parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(parts[1])
            else { throw .malformed("bad parameter \"\(pair.prefix(16))\"") }
            values.append(value)
        }
        guard pairs.count == 3, values.count == 3 else { throw .malformed("expected ln=,r=,p= parameters") }
        try self.init(logN: values[0], blockSize: values[1], parallelism: values[2])
    }
}

// MARK: - Encoded hash

/// A parsed hash string. `description` names the algorithm and cost only, never the
/// salt or key, so printing one cannot leak material for an offline attack.
public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    public static let algorithm = "scrypt"
    /// Salt and key lengths accepted when parsing (we write 16 and 32).
    public static let saltLengthRange = 8...64
    public static let keyLengthRange = 16...64

    public let parameters: ScryptParameters
    public let salt: [UInt8]
    public let key: [UInt8]

    public init(parameters: ScryptParameters, salt: [UInt8], key: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.key = key
    }

    /// Parses "$scrypt$ln=..,r=..,p=..$SALT$KEY".
    public init(encoded: String) throws(PasswordHashError) {
        guard encoded.utf8.count <= 512 else { throw .malformed("longer than 512 characters") }
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty else {
            throw .malformed("expected $algorithm$parameters$salt$hash")
        }
        guard fields[1] == Self.algorithm else {
            throw .unsupportedAlgorithm(String(fields[1].prefix(32)))
        }
        let parameters = try ScryptParameters(phc: fields[2])
        guard let salt = Self.decodeBase64(fields[3]), Self.saltLengthRange.contains(salt.count) else {
            throw .malformed("bad salt")
        }
        guard let key = Self.decodeBase64(fields[4]), Self.keyLengthRange.contains(key.count) else {
            throw .malformed("bad hash")
        }
        self.init(parameters: parameters, salt: salt, key: key)
    }

    public var encoded: String {
        "$\(Self.algorithm)$\(parameters)$\(Self.encodeBase64(salt))$\(Self.encodeBase64(key))"
    }

    public var description: String { "\(Self.algorithm)(\(parameters))" }

    /// PHC strings use standard base64 without "=" padding.
    static func encodeBase64(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func decodeBase64(_ text: Substring) -> [UInt8]? {
        guard !text.isEmpty, text.count % 4 != 1, !text.contains("=") else { return nil }
        let padded = String(text) + String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: padded).map { [UInt8]($0) }
    }
}

// MARK: - Hasher

/// Hashes and verifies passwords with fixed, injectable parameters: production uses
/// `.standard`, tests pass cheap ones.
public struct PasswordHasher: Sendable {
    public static let saltByteCount = 16
    public static let keyByteCount = 32
    /// Longer passwords are refused: the KDF's cost grows with the input.
    public static let maxPasswordOctets = 1024

    public let parameters: ScryptParameters

    public init(parameters: ScryptParameters = .standard) {
        self.parameters = parameters
    }

    /// Hashes `password` with a fresh salt; returns the encoded string to store.
    public func hash(_ password: String) throws(PasswordHashError) -> String {
        let secret = try Self.prepare(password)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let key = try Self.derive(secret, salt: salt, parameters: parameters, count: Self.keyByteCount)
        return PasswordHash(parameters: parameters, salt: salt, key: key).encoded
    }

    /// True when `password` matches `encoded`. False for a wrong password, an empty or
    /// over-long one, and a malformed, tampered or unsupported hash string.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard let stored = try? PasswordHash(encoded: encoded),
              let secret = try? Self.prepare(password),
              let key = try? Self.derive(secret, salt: stored.salt, parameters: stored.parameters,
                                         count: stored.key.count)
        else { return false }
        return Self.constantTimeEqual(key, stored.key)
    }

    /// True when `encoded` should be replaced by a fresh hash: it is unreadable, or
    /// its cost or salt is below what this hasher writes.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let stored = try? PasswordHash(encoded: encoded) else { return true }
        return stored.parameters.isWeaker(than: parameters) || stored.salt.count < Self.saltByteCount
            || stored.key.count < Self.keyByteCount
    }

    /// A well-formed hash with this hasher's cost that no password matches (random
    /// salt and key). Verifying against it costs what a real verification costs, which
    /// hides whether an account exists.
    public func dummyHash() -> String {
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> [UInt8] {
            (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        }
        return PasswordHash(parameters: parameters, salt: random(Self.saltByteCount),
                            key: random(Self.keyByteCount)).encoded
    }

    // MARK: Internals

    static func prepare(_ password: String) throws(PasswordHashError) -> [UInt8] {
        guard !password.isEmpty else { throw .emptyPassword }
        // RFC 8265 §4.2 OpaqueString: normalization form C.
        let bytes = Array(password.precomposedStringWithCanonicalMapping.utf8)
        guard bytes.count <= maxPasswordOctets else { throw .passwordTooLong(limit: maxPasswordOctets) }
        return bytes
    }

    static func derive(_ secret: [UInt8], salt: [UInt8], parameters: ScryptParameters,
                       count: Int) throws(PasswordHashError) -> [UInt8] {
        do {
            let key = try KDF.Scrypt.deriveKey(
                from: secret, salt: salt, outputByteCount: count, rounds: 1 << parameters.logN,
                blockSize: parameters.blockSize, parallelism: parameters.parallelism)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw .kdfFailed(String(describing: error))
        }
    }

    /// Compares every byte whatever the first difference; only the lengths (which are
    /// public: they are in the stored string) decide early.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }
}

// MARK: - Errors

public enum PasswordHashError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyPassword
    case passwordTooLong(limit: Int)
    case malformed(String)
    case unsupportedAlgorithm(String)
    case parametersOutOfRange(String)
    case kdfFailed(String)

    public var description: String {
        switch self {
        case .emptyPassword:
            "the password is empty; choose a non-empty password"
        case .passwordTooLong(let limit):
            "the password is longer than \(limit) octets; choose a shorter one"
        case .malformed(let what):
            "malformed password hash (\(what)); set the password again with `chappe user passwd`"
        case .unsupportedAlgorithm(let name):
            "unsupported password hash algorithm \"\(name)\"; set the password again with `chappe user passwd`"
        case .parametersOutOfRange(let parameters):
            "scrypt parameters \(parameters) are out of range (ln 1...20, r 1...32, p 1...16, at most 1 GiB)"
        case .kdfFailed(let reason):
            "the password hash function failed (\(reason)); check the server's free memory"
        }
    }
}
