// What the SMTP server needs from the rest of the system, as protocols so
// that the queue, the accounts and the aliases plug in, and tests run
// against in-memory twins (STYLE.md rule 10):
// - `MessageSpool` / `SpoolWriter`: where accepted messages go (the queue);
// - `SMTPAuthenticator`: checks SASL credentials;
// - `RecipientResolver`: whether a local recipient exists (accounts and
//   aliases are I/O, so the session asks through an effect).
import MailStore
import NIOCore

// MARK: - The spool

/// A queue entry's identifier, chosen by the spool. Its characters are
/// safe in a Received field, a reply and a file name.
public struct QueueID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// 1 to 64 characters of A-Z, a-z, 0-9, "-", "_" and ".".
    public init?(_ text: String) {
        guard (1...64).contains(text.utf8.count),
            text.utf8.allSatisfy({ SMTPMailbox.isLetDig($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = QueueID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "bad queue id")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Where accepted messages go: the queue, or a twin in tests.
public protocol MessageSpool: Sendable {
    /// Starts a message; its bytes follow through the writer. Throws when
    /// the spool cannot take a message now (the client gets 451).
    func begin(_ envelope: Envelope) async throws -> any SpoolWriter
}

/// One message being written. The session calls, in order: `append` any
/// number of times, then exactly one of `commit` or `abort`. If the
/// connection drops in between, neither is called: a writer must not leave
/// a half-written message that could be delivered (write to a temporary
/// file, remove it when the writer goes away or at the queue's start-up).
public protocol SpoolWriter: Sendable {
    /// Known from `begin` on: it goes into the Received field.
    var queueID: QueueID { get }
    func append(_ chunk: ByteBuffer) async throws
    /// Puts `header` (the Received field, CRLF-terminated) before the
    /// appended bytes, makes message and envelope durable (fsync of files
    /// and directory) and returns. Only then does the client get 250
    /// (DESIGN.md rule 3). On a throw the message is not queued.
    func commit(prepending header: String) async throws -> QueueID
    /// Discards the message.
    func abort() async
}

// MARK: - Authentication

/// Who an authenticated session is, and the sender addresses it may use
/// in MAIL FROM.
public struct SMTPIdentity: Sendable, Hashable {
    /// The SASL user name, for logs and the envelope.
    public let username: String
    /// The user's own addresses (the account's address, first).
    public let addresses: [SMTPMailbox]

    public init(username: String, addresses: [SMTPMailbox]) {
        self.username = username
        self.addresses = addresses
    }
}

public enum SMTPAuthOutcome: Sendable, Equatable {
    case authenticated(SMTPIdentity)
    case invalidCredentials
    /// The account store could not be read (454 4.7.0).
    case temporaryFailure(String)
}

public protocol SMTPAuthenticator: Sendable {
    func authenticate(username: String, password: String) async -> SMTPAuthOutcome
}

// MARK: - Recipients

public enum RecipientStatus: Sendable, Equatable {
    /// A mailbox, an alias or a list that delivers somewhere.
    case exists
    /// 550 5.1.1.
    case unknown
    /// 451 4.3.0; the reason is logged, not sent.
    case temporaryFailure(String)
}

public enum ExpansionStatus: Sendable, Equatable {
    /// The addresses an alias or list expands to (EXPN, RFC 5321 §3.5.2).
    case members([String])
    case unknown
    case temporaryFailure(String)
}

public protocol RecipientResolver: Sendable {
    /// Whether mail to `address` (in a local domain) can be delivered.
    func lookup(_ address: MailAddress) async -> RecipientStatus
    /// The members of a list, for EXPN when it is enabled.
    func expand(_ address: MailAddress) async -> ExpansionStatus
}

extension RecipientResolver {
    public func expand(_ address: MailAddress) async -> ExpansionStatus {
        switch await lookup(address) {
        case .exists: return .members([address.description])
        case .unknown: return .unknown
        case .temporaryFailure(let reason): return .temporaryFailure(reason)
        }
    }
}
