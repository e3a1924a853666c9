// Bounces and delay warnings: an RFC 3464 delivery status notification, a
// multipart/report (RFC 6522) with a human-readable text part, a
// message/delivery-status part (one per-message block, one block per
// reported recipient, with the remote reply when a peer gave one) and the
// original message (RET=FULL) or its header (RET=HDRS, text/rfc822-headers).
// It goes to the envelope sender with the null reverse path (RFC 5321
// §4.5.5), so that it never bounces in turn; nothing goes to `<>`: when the
// failed message was itself a bounce, the report goes to the postmaster.
import Foundation
import MIME

public struct DeliveryStatusNotification: Sendable {
    public struct Failure: Sendable, Equatable {
        public var recipient: EnvelopeRecipient
        /// "5.1.1 no such mailbox …": the status code first.
        public var reason: String
        /// The remote server's reply ("550 5.1.1 unknown user"), if one gave it.
        public var diagnostic: String?
        /// The remote server that gave it (RFC 3464 §2.3.5).
        public var remoteMTA: String?

        public init(recipient: EnvelopeRecipient, reason: String, diagnostic: String? = nil, remoteMTA: String? = nil) {
            self.recipient = recipient
            self.reason = reason
            self.diagnostic = diagnostic
            self.remoteMTA = remoteMTA
        }

        /// The RFC 3463 code at the start of `reason` in class 5, else 5.0.0.
        public var status: String { status(inClass: "5") }

        /// The RFC 3463 code at the start of `reason` in the given class.
        func status(inClass statusClass: String) -> String {
            let first = reason.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            let parts = first.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }),
                parts[0] == "5" || parts[0] == "4"
            else { return statusClass + ".0.0" }
            return statusClass + "." + parts[1] + "." + parts[2]
        }
    }

    /// What the report says about its recipients (RFC 3464 §2.3.3 Action).
    public enum Kind: Sendable, Equatable {
        /// Delivery failed for good.
        case failure
        /// Delivery is still being tried, until the given time (the delay
        /// warning; RFC 3464 §2.3.9 Will-Retry-Until).
        case delay(willRetryUntil: Date)
    }

    public var reportingMTA: String
    public var entry: QueueEntry
    public var failures: [Failure]
    public var kind: Kind

    public init(reportingMTA: String, entry: QueueEntry, failures: [Failure], kind: Kind = .failure) {
        self.reportingMTA = reportingMTA
        self.entry = entry
        self.failures = failures
        self.kind = kind
    }

    /// The recipients whose NOTIFY asks for a delay warning: DELAY, or no
    /// NOTIFY at all (RFC 3461 §4.1 leaves delay reports to the MTA then).
    public static func wantsDelayReport(_ recipient: EnvelopeRecipient) -> Bool {
        switch recipient.notify {
        case nil: return true
        case .never: return false
        case .on(let conditions): return conditions.contains(.delay)
        }
    }

    /// The recipients whose NOTIFY asks for a failure report (RFC 3461
    /// §4.1: no NOTIFY means failures only).
    public static func wantsReport(_ recipient: EnvelopeRecipient) -> Bool {
        switch recipient.notify {
        case nil: return true
        case .never: return false
        case .on(let conditions): return conditions.contains(.failure)
        }
    }

    /// The envelope of the DSN: null sender, to the original sender; to
    /// `postmaster` when the original sender is `<>` (a double bounce); nil
    /// when there is no one to tell.
    public func envelope(receivedAt: Date, postmaster: SMTPMailbox? = nil) -> Envelope? {
        guard let sender = entry.envelope.reversePath.mailbox ?? postmaster else { return nil }
        return Envelope(
            reversePath: .null, recipients: [EnvelopeRecipient(address: sender, notify: .never)],
            body: .eightBitMIME, smtpUTF8: entry.envelope.smtpUTF8, clientAddress: "local", clientHelo: nil,
            listener: "queue", isSubmission: false, receivedAt: receivedAt)
    }

    /// The message bytes, CRLF line endings.
    public func message(original: [UInt8], now: Date, to recipient: SMTPMailbox? = nil) -> [UInt8] {
        let subject: String
        switch kind {
        case .failure: subject = "Undelivered Mail Returned to Sender"
        case .delay: subject = "Delayed Mail (still being retried)"
        }
        var builder = MessageBuilder(
            from: Mailbox(displayName: "Mail Delivery System", localPart: "MAILER-DAEMON", domain: reportingMTA),
            subject: subject)
        if let sender = entry.envelope.reversePath.mailbox ?? recipient {
            builder.to = [.mailbox(Mailbox(localPart: sender.localPart, domain: sender.domain))]
        }
        builder.date = now
        builder.hostname = reportingMTA
        builder.allows8bit = true
        // RFC 3834 §5: an automatic response.
        builder.extraFields = [HeaderField(name: "Auto-Submitted", value: "auto-replied")]
        let returned: MessageBuilder.Part
        if entry.envelope.ret == .headers {
            returned = .content(
                Self.header(of: original), type: ContentType(type: "text", subtype: "rfc822-headers"))
        } else {
            returned = .message(original)
        }
        // RFC 6522 §3: multipart/report names its report type.
        builder.body = .multipart(
            "report",
            [
                .text(explanation),
                .content(Array(deliveryStatus(now: now).utf8), type: ContentType(type: "message", subtype: "delivery-status")),
                returned,
            ], parameters: [MIMEParameter(name: "report-type", value: "delivery-status")])
        return builder.build()
    }

    var explanation: String {
        var text = "This is the mail system at \(reportingMTA).\r\n\r\n"
        switch kind {
        case .failure:
            text += "Your message could not be delivered to the following recipients:\r\n\r\n"
        case .delay(let until):
            text += "Your message has not been delivered yet to the following recipients.\r\n"
            text += "This is only a warning: delivery is tried again until \(MIMEDate(until, zoneOffsetMinutes: 0)).\r\n"
            text += "You do not need to send the message again.\r\n\r\n"
        }
        for failure in failures {
            text += "<\(failure.recipient.address)>: \(failure.reason)\r\n"
        }
        return text
    }

    /// RFC 3464 §2.2 and §2.3.
    func deliveryStatus(now: Date) -> String {
        var text = "Reporting-MTA: dns; \(reportingMTA)\r\n"
        if let id = entry.envelope.envelopeID { text += "Original-Envelope-Id: \(id)\r\n" }
        text += "Arrival-Date: \(MIMEDate(entry.arrival, zoneOffsetMinutes: 0))\r\n"
        for failure in failures {
            text += "\r\n"
            if let original = failure.recipient.originalRecipient {
                text += "Original-Recipient: \(original.addressType); \(original.address)\r\n"
            }
            let type = failure.recipient.address.isInternationalized ? "utf-8" : "rfc822"
            text += "Final-Recipient: \(type); \(failure.recipient.address)\r\n"
            switch kind {
            case .failure:
                text += "Action: failed\r\n"
                text += "Status: \(failure.status)\r\n"
            case .delay:
                text += "Action: delayed\r\n"
                text += "Status: \(failure.status(inClass: "4"))\r\n"
            }
            if let remoteMTA = failure.remoteMTA { text += "Remote-MTA: dns; \(remoteMTA)\r\n" }
            if let diagnostic = failure.diagnostic {
                // RFC 3464 §2.3.6: the remote server's own reply.
                text += "Diagnostic-Code: smtp; \(Self.oneLine(diagnostic))\r\n"
            } else {
                let code: String
                switch kind {
                case .failure: code = failure.status.hasPrefix("5.1") ? "550" : "554"
                case .delay: code = "451"
                }
                text += "Diagnostic-Code: smtp; \(code) \(Self.oneLine(failure.reason))\r\n"
            }
            text += "Last-Attempt-Date: \(MIMEDate(now, zoneOffsetMinutes: 0))\r\n"
            if case .delay(let until) = kind {
                text += "Will-Retry-Until: \(MIMEDate(until, zoneOffsetMinutes: 0))\r\n"
            }
        }
        return text
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\r" || $0 == "\n" ? " " : $0 }.prefix(400))
    }

    /// The header of a message: everything up to the first empty line.
    static func header(of message: [UInt8]) -> [UInt8] {
        let crlf: [UInt8] = [13, 10, 13, 10]
        if let range = message.firstRange(of: crlf) { return Array(message[..<range.upperBound]) }
        if let range = message.firstRange(of: [10, 10] as [UInt8]) { return Array(message[..<range.upperBound]) }
        return message
    }
}
