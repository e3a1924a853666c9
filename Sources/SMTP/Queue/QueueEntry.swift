// A queue entry's envelope as the queue keeps it (docs/SPOOL.md, "SMTP
// queue"): the session's `Envelope`, each recipient's delivery state,
// the attempts, and the Received field that goes before the message bytes.
// The JSON keys are the on-disk format: renaming a property is a format
// change.
import Foundation

/// Where one recipient stands.
public enum RecipientState: Sendable, Codable, Hashable {
    /// Not tried yet, or waiting for a delivery agent (remote delivery).
    case pending
    case delivered(at: Date)
    /// A temporary failure: tried again at `nextAttempt`.
    case deferred(reason: String, nextAttempt: Date)
    /// A permanent failure: a DSN goes to the sender (unless NOTIFY says not).
    case failed(reason: String, at: Date)

    /// Delivered or failed: nothing more to do for this recipient.
    public var isFinal: Bool {
        switch self {
        case .delivered, .failed: return true
        case .pending, .deferred: return false
        }
    }

    /// A short word for `chappe queue list`.
    public var word: String {
        switch self {
        case .pending: return "pending"
        case .delivered: return "delivered"
        case .deferred: return "deferred"
        case .failed: return "failed"
        }
    }
}

public struct QueuedRecipient: Sendable, Codable, Hashable {
    public var recipient: EnvelopeRecipient
    public var state: RecipientState
    /// The last temporary error or note ("remote delivery not implemented yet").
    public var lastError: String?
    /// For a failed recipient: whether its DSN has been queued.
    public var reported: Bool
    /// The remote server's last reply ("550 5.1.1 unknown user"), for the
    /// DSN's Diagnostic-Code; nil for local delivery.
    public var diagnostic: String?
    /// The remote server that gave `diagnostic` (the DSN's Remote-MTA).
    public var remoteMTA: String?

    public init(_ recipient: EnvelopeRecipient, state: RecipientState = .pending, lastError: String? = nil, reported: Bool = false) {
        self.recipient = recipient
        self.state = state
        self.lastError = lastError
        self.reported = reported
    }

    public var address: SMTPMailbox { recipient.address }
}

/// What `envelope.json` holds.
public struct QueueEntry: Sendable, Codable, Equatable {
    public var id: QueueID
    /// As the session gave it; its `recipients` stay as received.
    public var envelope: Envelope
    /// The state of every recipient, in RCPT order (plus remote targets
    /// that alias expansion added).
    public var recipients: [QueuedRecipient]
    /// The Received field (CRLF-terminated) that precedes the stored bytes.
    public var received: String
    /// Delivery runs over this entry so far.
    public var attempts: Int
    /// When the entry was committed.
    public var arrival: Date
    /// When the delay warning DSN was queued; nil: not (yet) sent.
    public var delayReportedAt: Date?
    /// The size of the stored bytes (without `received`).
    public var size: Int

    public init(id: QueueID, envelope: Envelope, received: String, arrival: Date, size: Int) {
        self.id = id
        self.envelope = envelope
        self.recipients = envelope.recipients.map { QueuedRecipient($0) }
        self.received = received
        self.attempts = 0
        self.arrival = arrival
        self.size = size
    }

    /// Every recipient is delivered or failed and every failure reported.
    public var isFinished: Bool {
        recipients.allSatisfy { recipient in
            switch recipient.state {
            case .delivered: return true
            case .failed: return recipient.reported
            case .pending, .deferred: return false
            }
        }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    public func encoded() throws -> [UInt8] {
        Array(try Self.encoder().encode(self))
    }

    public static func decode(_ bytes: [UInt8]) throws -> QueueEntry {
        try decoder().decode(QueueEntry.self, from: Data(bytes))
    }
}

/// A queue entry's identifier: time, process and a random part, so that
/// `chappe send` and the server never pick the same one.
public enum QueueIDGenerator {
    public static func make(now: Date = Date()) -> QueueID {
        let micros = UInt64(max(0, now.timeIntervalSince1970) * 1_000_000)
        let random = UInt32.random(in: 0...UInt32.max)
        let text = String(micros, radix: 36).uppercased() + "-" + String(getpid(), radix: 36).uppercased() + "-"
            + String(random, radix: 36).uppercased()
        // Only letters, digits and "-": always a valid id.
        if let id = QueueID(text) { return id }
        return make(now: now.addingTimeInterval(1))
    }
}
