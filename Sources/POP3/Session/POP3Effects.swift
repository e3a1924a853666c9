// The effects a POP3 session asks for, and their results.
import NIOCore

public enum POP3Effect: Sendable {
    /// Check credentials and open the maildrop.
    case login(username: String, password: String)
    /// Check an APOP digest of the greeting's timestamp (RFC 1939 §7).
    case apopLogin(username: String, timestamp: String, digest: String)
    /// Wait before answering a failed login.
    case pause(Duration)
    /// Write "+OK", the message (or its header and `bodyLines` lines of its
    /// body, for TOP) dot-stuffed, and "." to the client.
    case send(any POP3Maildrop, index: Int, bodyLines: Int?)
    /// The UPDATE state: remove the deleted messages.
    case update(any POP3Maildrop, deleting: [Int])
}

public enum POP3EffectResult: Sendable {
    case login(POP3LoginResult)
    case paused
    /// The response went out; `tail` is its last part (for a message that
    /// fits in one piece, all of it), for the session to send.
    case sent(tail: ByteBuffer)
    /// Nothing was written; the session goes on with an -ERR.
    case sendFailed(String)
    /// Part of the response was written; the session must end.
    case sendBroken
    case updated
    case updateFailed(String)
}
