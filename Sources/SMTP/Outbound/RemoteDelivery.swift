// Remote delivery as the queue runner sees it: one transaction carries one
// message to the recipients of one domain (RFC 5321 §5.1 routes by
// domain), and comes back with one result per recipient. The real agent
// is `SMTPRemoteDeliveryAgent` (DNS, then the SMTP client);
// `MemoryRemoteDeliveryAgent` is its twin for tests (STYLE.md rule 10).
import Synchronization

/// One message for the recipients of one domain.
public struct OutboundMessage: Sendable, Equatable {
    /// The recipients' domain, in lower case (the routing key).
    public var domain: String
    public var reversePath: ReversePath
    public var recipients: [EnvelopeRecipient]
    /// The message as queued, with its Received field, CRLF line endings.
    public var bytes: [UInt8]
    /// RFC 3461 §4.4 and §4.3, passed on when the peer offers DSN.
    public var envelopeID: String?
    public var ret: DSNReturn?
    /// RFC 6531: the envelope came in with SMTPUTF8.
    public var smtpUTF8: Bool

    public init(
        domain: String, reversePath: ReversePath, recipients: [EnvelopeRecipient], bytes: [UInt8],
        envelopeID: String? = nil, ret: DSNReturn? = nil, smtpUTF8: Bool = false
    ) {
        self.domain = domain
        self.reversePath = reversePath
        self.recipients = recipients
        self.bytes = bytes
        self.envelopeID = envelopeID
        self.ret = ret
        self.smtpUTF8 = smtpUTF8
    }
}

/// What became of one recipient of a transaction.
public struct RemoteRecipientResult: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A 2xx reply to the end of data.
        case delivered
        /// 4xx, no answer, a broken connection, a TLS failure: try again later.
        case temporary
        /// 5xx, or a refusal decided here (null MX, SIZE, SMTPUTF8).
        case permanent
    }

    public var kind: Kind
    /// The RFC 3463 status first ("5.1.1 mx.example.net said: …"), for the
    /// queue's reason and the logs.
    public var reason: String
    /// The peer's own reply ("550 5.1.1 no such user"), when a peer gave
    /// one: the DSN's Diagnostic-Code (RFC 3464 §2.3.6).
    public var reply: String?

    public init(_ kind: Kind, _ reason: String, reply: String? = nil) {
        self.kind = kind
        self.reason = reason
        self.reply = reply
    }

    public static func temporary(_ reason: String) -> Self { Self(.temporary, reason) }
    public static func permanent(_ reason: String) -> Self { Self(.permanent, reason) }
}

/// The results of one transaction, one per recipient in the order given.
public struct RemoteDeliveryReport: Sendable, Equatable {
    public var results: [RemoteRecipientResult]
    /// The host that answered (RFC 3464 §2.3.5 Remote-MTA), if any did.
    public var remoteMTA: String?

    public init(results: [RemoteRecipientResult], remoteMTA: String? = nil) {
        self.results = results
        self.remoteMTA = remoteMTA
    }

    /// The same result for every recipient of `message`.
    public static func all(_ result: RemoteRecipientResult, of message: OutboundMessage, remoteMTA: String? = nil) -> Self {
        Self(results: Array(repeating: result, count: message.recipients.count), remoteMTA: remoteMTA)
    }
}

public protocol RemoteDeliveryAgent: Sendable {
    /// Delivers `message` to its recipients; never throws: every failure is
    /// a result.
    func deliver(_ message: OutboundMessage) async -> RemoteDeliveryReport
}

/// The twin: records each transaction and answers from a script, per
/// recipient address; recipients without a script are delivered.
public final class MemoryRemoteDeliveryAgent: RemoteDeliveryAgent {
    private let state = Mutex<(scripts: [String: [RemoteRecipientResult]], sent: [OutboundMessage])>(([:], []))

    public init() {}

    /// The results the next transactions give `address`, one per attempt;
    /// the last one repeats.
    public func script(_ address: String, _ results: [RemoteRecipientResult]) {
        state.withLock { $0.scripts[address.lowercased()] = results }
    }

    /// Every transaction so far, in order.
    public var transactions: [OutboundMessage] { state.withLock { $0.sent } }

    public func deliver(_ message: OutboundMessage) async -> RemoteDeliveryReport {
        let results = state.withLock { state in
            state.sent.append(message)
            return message.recipients.map { recipient -> RemoteRecipientResult in
                let key = recipient.address.description.lowercased()
                guard var script = state.scripts[key], let first = script.first else {
                    return RemoteRecipientResult(.delivered, "2.0.0 delivered", reply: "250 2.0.0 OK")
                }
                if script.count > 1 {
                    script.removeFirst()
                    state.scripts[key] = script
                }
                return first
            }
        }
        return RemoteDeliveryReport(results: results, remoteMTA: "mx.\(message.domain)")
    }
}
