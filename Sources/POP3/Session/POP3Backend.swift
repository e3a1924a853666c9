// What the POP3 session needs from the mail store, as protocols so that
// tests run against an in-memory twin (STYLE.md rule 10).
import NIOCore

public struct POP3MessageInfo: Sendable, Equatable {
    /// Octets as sent on the wire, CRLF line endings (RFC 1939 §5 LIST).
    public let size: Int
    /// The UIDL value: 1 to 70 characters 0x21...0x7E, stable across
    /// sessions (RFC 1939 §7).
    public let uniqueID: String

    public init(size: Int, uniqueID: String) {
        self.size = size
        self.uniqueID = uniqueID
    }
}

/// A user's maildrop, open and locked for one session. Releasing the last
/// reference releases the lock, so a dropped connection never leaves the
/// maildrop locked.
public protocol POP3Maildrop: AnyObject, Sendable {
    /// The messages as they were when the session entered TRANSACTION.
    var messages: [POP3MessageInfo] { get }
    /// The message's bytes with CRLF line endings, not yet dot-stuffed.
    func read(_ index: Int) async throws -> ByteBuffer
    /// The message's bytes when they are already in memory (read ahead);
    /// never blocks. Nil sends the caller to `read`.
    func readIfReady(_ index: Int) -> ByteBuffer?
    /// Removes the messages (0-based) for good, in the UPDATE state.
    func expunge(_ indices: [Int]) async throws
}

extension POP3Maildrop {
    public func readIfReady(_ index: Int) -> ByteBuffer? { nil }
}

public enum POP3LoginResult: Sendable {
    case success(any POP3Maildrop)
    case invalidCredentials
    /// Another session holds the maildrop (RFC 2449 §8.1.2).
    case inUse
    case temporaryFailure(String)
}

public protocol POP3Backend: Sendable {
    /// Checks the credentials and opens the user's maildrop.
    func login(username: String, password: String) async -> POP3LoginResult
    /// The same for APOP: `digest` is MD5(timestamp + shared secret).
    func loginAPOP(username: String, timestamp: String, digest: String) async -> POP3LoginResult
}
