// SASL mechanisms shared by SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and
// IMAP AUTHENTICATE (RFC 9051 §6.2.2): PLAIN (RFC 4616) and LOGIN
// (draft-murchison-sasl-login). Pure: a mechanism is a value fed the
// client's decoded responses; the protocol frames challenges its own way.
import Foundation

public enum SASLMechanism: String, Sendable, CaseIterable {
    case plain = "PLAIN"
    case login = "LOGIN"

    public init?(name: String) {
        self.init(rawValue: name.uppercased())
    }
}

/// Credentials obtained from a finished exchange.
public struct SASLCredentials: Sendable, Equatable {
    public let username: String
    public let password: String
}

public enum SASLError: Error, Sendable, Equatable, CustomStringConvertible {
    case cancelled
    case invalidBase64
    case malformed(String)

    public var description: String {
        switch self {
        case .cancelled: return "authentication cancelled"
        case .invalidBase64: return "invalid base64 in the authentication exchange"
        case .malformed(let what): return "malformed authentication data: \(what)"
        }
    }
}

/// One SASL exchange in progress.
public struct SASLExchange: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Send this challenge (raw bytes; the protocol base64-encodes it).
        case challenge([UInt8])
        case done(SASLCredentials)
    }

    private enum State: Sendable, Equatable {
        case plain
        case loginUsername
        case loginPassword(String)
    }

    public let mechanism: SASLMechanism
    private var state: State

    public init(mechanism: SASLMechanism) {
        self.mechanism = mechanism
        switch mechanism {
        case .plain: state = .plain
        case .login: state = .loginUsername
        }
    }

    /// The first step: with the initial response if the client sent one
    /// (already base64-decoded; "=" means empty), else the first challenge.
    public mutating func start(initialResponse: [UInt8]?) -> Result<Step, SASLError> {
        if let initialResponse {
            return respond(initialResponse)
        }
        switch state {
        case .plain: return .success(.challenge([]))
        case .loginUsername: return .success(.challenge(Array("Username:".utf8)))
        case .loginPassword: return .success(.challenge(Array("Password:".utf8)))
        }
    }

    /// Feeds one decoded client response.
    public mutating func respond(_ response: [UInt8]) -> Result<Step, SASLError> {
        switch state {
        case .plain:
            return Self.parsePlain(response).map { .done($0) }
        case .loginUsername:
            guard let username = String(bytes: response, encoding: .utf8) else {
                return .failure(.malformed("user name is not UTF-8"))
            }
            state = .loginPassword(username)
            return .success(.challenge(Array("Password:".utf8)))
        case .loginPassword(let username):
            guard let password = String(bytes: response, encoding: .utf8) else {
                return .failure(.malformed("password is not UTF-8"))
            }
            return .success(.done(SASLCredentials(username: username, password: password)))
        }
    }

    /// RFC 4616 §2: [authzid] NUL authcid NUL passwd. An authorization
    /// identity other than the authentication identity is refused: nobody
    /// may act for another user.
    static func parsePlain(_ message: [UInt8]) -> Result<SASLCredentials, SASLError> {
        let parts = message.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(.malformed("PLAIN needs authzid NUL authcid NUL password")) }
        guard let authzid = String(bytes: parts[0], encoding: .utf8),
            let authcid = String(bytes: parts[1], encoding: .utf8),
            let password = String(bytes: parts[2], encoding: .utf8)
        else {
            return .failure(.malformed("PLAIN fields are not UTF-8"))
        }
        guard !authcid.isEmpty, !password.isEmpty else {
            return .failure(.malformed("empty user name or password"))
        }
        guard authzid.isEmpty || authzid.lowercased() == authcid.lowercased() else {
            return .failure(.malformed("acting as another user is not allowed"))
        }
        return .success(SASLCredentials(username: authcid, password: password))
    }

    /// Strict base64 (RFC 5034 §4, RFC 4954 §4): any character outside the
    /// alphabet or misplaced padding is an error; "*" cancels; "=" alone is
    /// an empty response.
    public static func decodeResponse(_ line: String) -> Result<[UInt8], SASLError> {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { return .failure(.cancelled) }
        if trimmed == "=" || trimmed.isEmpty { return .success([]) }
        guard let data = Data(base64Encoded: trimmed) else { return .failure(.invalidBase64) }
        return .success(Array(data))
    }

    public static func encodeChallenge(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
