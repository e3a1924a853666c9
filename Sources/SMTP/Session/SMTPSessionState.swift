// The state an SMTP session keeps, in two parts that never mix
// (STYLE.md rule 7, OpenSMTPD): the session (who the client is: EHLO, TLS,
// authenticated identity, counters), which RSET keeps and STARTTLS resets;
// and the mail transaction (MAIL … DATA/BDAT LAST), which RSET, EHLO and
// a finished message discard.
import NIOCore
import Transport

/// Everything the session knows of the client; survives RSET.
struct SessionInfo: Sendable {
    var connection: ConnectionInfo?
    var role = SMTPListenerRole.mx
    /// The EHLO/HELO argument; nil before it (and after STARTTLS).
    var helo: String?
    /// The client's verified reverse DNS name; nil is "unknown" in Received.
    var clientHostName: String?
    /// EHLO (true) or HELO (false).
    var extended = false
    var identity: SMTPIdentity?
    var badCommands = 0
    var authFailures = 0
    var commands = 0

    var isTLS: Bool { connection?.isTLS ?? false }
    var remoteIP: String { connection?.remoteIP ?? "unknown" }
    var isLoopback: Bool { connection?.isLoopback ?? false }

    /// RFC 3207 §4.2: after the TLS handshake the server forgets what the
    /// client said before it: EHLO and AUTH.
    mutating func restartAfterTLS(_ connection: ConnectionInfo) {
        self.connection = connection
        helo = nil
        extended = false
        identity = nil
    }
}

/// One mail transaction (RFC 5321 §3.3).
struct MailTransaction: Sendable {
    var reversePath: ReversePath
    var parameters: MailParameters
    var recipients: [EnvelopeRecipient] = []
    /// BDAT: the message so far, between two chunks (RFC 3030 §2).
    var chunks: MessageReception?
    /// A BDAT chunk failed: RSET is needed (RFC 3030 §2).
    var chunkingFailed = false

    func contains(_ mailbox: SMTPMailbox) -> Bool {
        recipients.contains { $0.address == mailbox }
    }
}

/// A message on its way to the spool, chunk by chunk.
struct MessageReception: Sendable {
    var writer: (any SpoolWriter)?
    /// Bytes gathered and not yet handed to the spool.
    var pending = ByteBuffer()
    /// Message bytes received so far.
    var octets = 0
    var counter = ReceivedFieldCounter()
    /// Set at the first problem; the rest of the data is then read and
    /// dropped, and the problem answered at the end.
    var failure: ReceptionFailure?

    init(writer: (any SpoolWriter)?) {
        self.writer = writer
    }
}

enum ReceptionFailure: Sendable, Equatable {
    case tooLarge
    case bareLineEnding
    case loop
    case spool
}

/// How the message bytes come: DATA (dot-stuffed) or one BDAT chunk.
enum Transfer: Sendable, Equatable {
    case data
    case chunk(size: Int, last: Bool)

    var endsMessage: Bool {
        switch self {
        case .data: return true
        case .chunk(_, let last): return last
        }
    }
}

/// What the session waits for while an effect runs.
enum PendingEffect: Sendable {
    case peerName
    case authenticate
    case authPause(close: Bool)
    case lookup(EnvelopeRecipient)
    case verify(SMTPMailbox)
    case expand(SMTPMailbox)
    case begin(Transfer)
    /// `chunkDone`: the append was the end of a BDAT chunk that is not LAST.
    case append(MessageReception, Transfer, chunkDone: Bool)
    case commit
    /// After the writer is discarded: these actions, and the session ends
    /// if `closing`.
    case abort(then: [SessionAction<SMTPEffect>], closing: Bool)
}
