// The effects an SMTP session asks for, and their results. Descriptions
// never show a password or message bytes (STYLE.md rule 8).
import MailStore
import NIOCore

public enum SMTPEffect: Sendable, CustomStringConvertible {
    /// Check SASL credentials.
    case authenticate(username: String, password: String)
    /// The client's forward-confirmed reverse DNS name (for Received).
    case lookUpPeerName(String)
    /// Does this local recipient exist (accounts and aliases)?
    case lookupRecipient(MailAddress)
    /// EXPN, when enabled.
    case expand(MailAddress)
    /// Wait, then answer (after a failed AUTH).
    case pause(Duration)
    /// Open a spool entry for the message.
    case beginMessage(Envelope)
    /// Hand message bytes to the spool.
    case appendChunk(any SpoolWriter, ByteBuffer)
    /// Append the last bytes, then commit with the Received field first.
    case commit(any SpoolWriter, final: ByteBuffer, header: String)
    /// Discard the message.
    case abort(any SpoolWriter)

    public var description: String {
        switch self {
        case .authenticate(let username, _): return "authenticate(\(username.prefix(64)), <password>)"
        case .lookUpPeerName(let address): return "lookUpPeerName(\(address))"
        case .lookupRecipient(let address): return "lookupRecipient(\(address))"
        case .expand(let address): return "expand(\(address))"
        case .pause(let duration): return "pause(\(duration))"
        case .beginMessage(let envelope): return "beginMessage(from \(envelope.reversePath), \(envelope.recipients.count) recipients)"
        case .appendChunk(let writer, let bytes): return "appendChunk(\(writer.queueID), \(bytes.readableBytes) bytes)"
        case .commit(let writer, let final, _): return "commit(\(writer.queueID), \(final.readableBytes) more bytes)"
        case .abort(let writer): return "abort(\(writer.queueID))"
        }
    }
}

public enum SMTPEffectResult: Sendable {
    case authenticated(SMTPAuthOutcome)
    /// Nil: no name, or one whose addresses do not include the client's.
    case peerName(String?)
    case recipient(RecipientStatus)
    case expansion(ExpansionStatus)
    case paused
    case begun(any SpoolWriter)
    case beginFailed(String)
    case appended
    case appendFailed(String)
    case committed(QueueID)
    /// The message is not queued; the spool cleaned up.
    case commitFailed(String)
    case aborted
}
