// The parsed message data kept in the index (as JSON) so IMAP can answer ENVELOPE,
// BODY and BODYSTRUCTURE (RFC 9051 §7.5.2) without reading or parsing the file, and can
// serve BODY[section] with one ranged read: every part records its byte ranges.

import Foundation

/// One address of an IMAP envelope (RFC 9051 §7.5.2 "address"): name, source route,
/// mailbox and host. A group is written as RFC 9051 does: a start marker (mailbox = the
/// group name, host nil), the members, then an end marker (mailbox and host nil).
public struct StoredAddress: Codable, Sendable, Hashable {
    /// The display name, decoded (RFC 2047 words turned into text).
    public var name: String?
    public var route: String?
    public var mailbox: String?
    public var host: String?

    public init(name: String?, route: String? = nil, mailbox: String?, host: String?) {
        self.name = name
        self.route = route
        self.mailbox = mailbox
        self.host = host
    }
}

/// The IMAP envelope (RFC 9051 §7.5.2 ENVELOPE). Date, subject, in-reply-to and
/// message-id are the unfolded field values as written (encoded words kept, as IMAP
/// sends them); sender and reply-to already default to from (RFC 9051 §7.5.2).
public struct StoredEnvelope: Codable, Sendable, Hashable {
    public var date: String?
    public var subject: String?
    public var from: [StoredAddress]
    public var sender: [StoredAddress]
    public var replyTo: [StoredAddress]
    public var to: [StoredAddress]
    public var cc: [StoredAddress]
    public var bcc: [StoredAddress]
    public var inReplyTo: String?
    public var messageID: String?

    public static let empty = StoredEnvelope(
        date: nil, subject: nil, from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [], inReplyTo: nil, messageID: nil)
}

/// A Content-Type or Content-Disposition parameter, decoded (RFC 2231 joined).
public struct StoredParameter: Codable, Sendable, Hashable {
    public var name: String
    public var value: String
}

/// One node of the body structure (RFC 9051 §7.5.2 BODYSTRUCTURE), with extension data
/// and the part's byte ranges in the message file.
public struct StoredBodyPart: Codable, Sendable, Hashable {
    /// Lower-case media type and subtype ("text", "plain").
    public var type: String
    public var subtype: String
    public var parameters: [StoredParameter]
    /// Content-ID, Content-Description (raw values), Content-Transfer-Encoding (lower case).
    public var id: String?
    public var description: String?
    public var encoding: String
    /// Octets of the body, still transfer-encoded (body-fld-octets).
    public var size: Int
    /// Lines of the body, for text/* and message/rfc822 (body-fld-lines).
    public var lines: Int?
    public var md5: String?
    public var disposition: String?
    public var dispositionParameters: [StoredParameter]
    public var language: [String]?
    public var location: String?
    /// The IMAP section number ("1.2"; "" for the root of a multipart message).
    public var section: String
    /// Byte offsets in the file: the part's header starts at `headerOffset`, its body
    /// spans `bodyOffset..<bodyEnd` (BODY[section.MIME], BODY[section]).
    public var headerOffset: Int
    public var bodyOffset: Int
    public var bodyEnd: Int
    /// Children of a multipart; for message/rfc822, the one root of the encapsulated message.
    public var parts: [StoredBodyPart]
    /// The envelope of an encapsulated message (message/rfc822, message/global).
    public var envelope: StoredEnvelope?

    public var isMultipart: Bool { type == "multipart" }
}
