// The envelope of an accepted message: what MAIL, RCPT and the session
// said about it. It is Codable because the queue stores it next to the
// message (DESIGN.md "Data on disk"); the JSON keys below are that format,
// so renaming a property is a format change.
import Foundation

public struct EnvelopeRecipient: Sendable, Codable, Hashable {
    public var address: SMTPMailbox
    /// RFC 3461 §4.1; nil means the default (failures only).
    public var notify: DSNNotify?
    /// RFC 3461 §4.2.
    public var originalRecipient: OriginalRecipient?

    public init(address: SMTPMailbox, notify: DSNNotify? = nil, originalRecipient: OriginalRecipient? = nil) {
        self.address = address
        self.notify = notify
        self.originalRecipient = originalRecipient
    }
}

public struct Envelope: Sendable, Codable, Equatable {
    /// MAIL FROM; `.null` for bounces (RFC 5321 §4.5.5).
    public var reversePath: ReversePath
    public var recipients: [EnvelopeRecipient]
    /// RFC 3461 §4.4, decoded.
    public var envelopeID: String?
    /// RFC 3461 §4.3.
    public var ret: DSNReturn?
    /// RFC 6152; 7BIT when MAIL had no BODY parameter.
    public var body: BodyType
    /// RFC 6531: the message may hold UTF-8 addresses and headers.
    public var smtpUTF8: Bool
    /// RFC 1870: the size MAIL declared, if any.
    public var declaredSize: Int?
    /// The SASL user name when the session authenticated.
    public var authenticatedUser: String?
    /// The client's IP address as text ("local" for a Unix socket).
    public var clientAddress: String
    /// The EHLO/HELO argument.
    public var clientHelo: String?
    /// The listener the message came in on ("smtp", "submission", …).
    public var listener: String
    /// True on a submission listener: the queue may add Date and
    /// Message-ID when missing (RFC 6409 §8).
    public var isSubmission: Bool
    public var receivedAt: Date

    public init(
        reversePath: ReversePath, recipients: [EnvelopeRecipient], envelopeID: String? = nil, ret: DSNReturn? = nil,
        body: BodyType = .sevenBit, smtpUTF8: Bool = false, declaredSize: Int? = nil, authenticatedUser: String? = nil,
        clientAddress: String, clientHelo: String?, listener: String, isSubmission: Bool, receivedAt: Date
    ) {
        self.reversePath = reversePath
        self.recipients = recipients
        self.envelopeID = envelopeID
        self.ret = ret
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.declaredSize = declaredSize
        self.authenticatedUser = authenticatedUser
        self.clientAddress = clientAddress
        self.clientHelo = clientHelo
        self.listener = listener
        self.isSubmission = isSubmission
        self.receivedAt = receivedAt
    }
}
