// Bounces: an RFC 3464 delivery status notification, a multipart/report
// (RFC 6522) with a human-readable text part, a message/delivery-status
// part (one per-message block, one block per failed recipient) and the
// original message (RET=FULL) or its header (RET=HDRS, text/rfc822-headers).
// It goes to the envelope sender with the null reverse path (RFC 5321
// §4.5.5), so that it never bounces in turn; nothing goes to `<>`.
import Foundation
import MIME

public struct DeliveryStatusNotification: Sendable {
    public struct Failure: Sendable, Equatable {
        public var recipient: EnvelopeRecipient
        /// "5.1.1 no such mailbox …": the status code first.
        public var reason: String

        public init(recipient: EnvelopeRecipient, reason: String) {
            self.recipient = recipient
            self.reason = reason
        }

        /// The RFC 3463 code at the start of `reason`, else 5.0.0.
        public var status: String {
            let first = reason.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            let parts = first.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }),
                parts[0] == "5" || parts[0] == "4"
            else { return "5.0.0" }
            return "5." + parts[1] + "." + parts[2]
        }
    }

    public var reportingMTA: String
    public var entry: QueueEntry
    public var failures: [Failure]

    public init(reportingMTA: String, entry: QueueEntry, failures: [Failure]) {
        self.reportingMTA = reportingMTA
        self.entry = entry
        self.failures = failures
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

    /// The envelope of the DSN: null sender, to the original sender; nil
    /// when the original sender is `<>`.
    public func envelope(receivedAt: Date) -> Envelope? {
        guard let sender = entry.envelope.reversePath.mailbox else { return nil }
        return Envelope(
            reversePath: .null, recipients: [EnvelopeRecipient(address: sender, notify: .never)],
            body: .eightBitMIME, smtpUTF8: entry.envelope.smtpUTF8, clientAddress: "local", clientHelo: nil,
            listener: "queue", isSubmission: false, receivedAt: receivedAt)
    }

    /// The message bytes, CRLF line endings.
    public func message(original: [UInt8], now: Date) -> [UInt8] {
        var builder = MessageBuilder(
            from: Mailbox(displayName: "Mail Delivery System", localPart: "MAILER-DAEMON", domain: reportingMTA),
            subject: "Undelivered Mail Returned to Sender")
        if let sender = entry.envelope.reversePath.mailbox {
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
        text += "Your message could not be delivered to the following recipients:\r\n\r\n"
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
            text += "Action: failed\r\n"
            text += "Status: \(failure.status)\r\n"
            let code = failure.status.hasPrefix("5.1") ? "550" : "554"
            text += "Diagnostic-Code: smtp; \(code) \(Self.oneLine(failure.reason))\r\n"
            text += "Last-Attempt-Date: \(MIMEDate(now, zoneOffsetMinutes: 0))\r\n"
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
