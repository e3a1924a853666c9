// ENVELOPE and BODYSTRUCTURE as plain values (RFC 9051 §7.5.2, §9 `envelope`,
// `body`). The store computes them from the MIME tree; the encoder writes
// them.

/// envelope = "(" env-date SP env-subject SP env-from SP env-sender SP
///            env-reply-to SP env-to SP env-cc SP env-bcc SP env-in-reply-to SP
///            env-message-id ")"
public struct IMAPEnvelope: Sendable, Hashable {
    public var date: String?
    public var subject: String?
    /// Address lists; empty is written as NIL.
    public var from: [IMAPAddress]
    public var sender: [IMAPAddress]
    public var replyTo: [IMAPAddress]
    public var to: [IMAPAddress]
    public var cc: [IMAPAddress]
    public var bcc: [IMAPAddress]
    public var inReplyTo: String?
    public var messageID: String?

    public init(
        date: String?, subject: String?, from: [IMAPAddress], sender: [IMAPAddress], replyTo: [IMAPAddress],
        to: [IMAPAddress], cc: [IMAPAddress], bcc: [IMAPAddress], inReplyTo: String?, messageID: String?
    ) {
        self.date = date
        self.subject = subject
        self.from = from
        self.sender = sender
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.inReplyTo = inReplyTo
        self.messageID = messageID
    }
}

/// address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")";
/// a NIL host marks group syntax (RFC 9051 §7.5.2).
public struct IMAPAddress: Sendable, Hashable {
    public var name: String?
    public var adl: String?
    public var mailbox: String?
    public var host: String?

    public init(name: String?, adl: String?, mailbox: String?, host: String?) {
        self.name = name
        self.adl = adl
        self.mailbox = mailbox
        self.host = host
    }
}

/// body = "(" (body-type-1part / body-type-mpart) ")"
public indirect enum IMAPBodyStructure: Sendable, Hashable {
    case singlepart(IMAPSinglePart)
    case multipart(IMAPMultipart)
}

/// body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
public struct IMAPSinglePart: Sendable, Hashable {
    public var type: String
    public var subtype: String
    /// body-fld-param: attribute/value pairs in order; empty is NIL.
    public var parameters: [IMAPBodyParameter]
    /// body-fld-id: Content-ID.
    public var contentID: String?
    /// body-fld-desc: Content-Description.
    public var contentDescription: String?
    /// body-fld-enc: Content-Transfer-Encoding.
    public var encoding: String
    /// body-fld-octets: the size in its transfer encoding.
    public var size: UInt32
    public var kind: Kind
    /// body-ext-1part; nil writes none (always none for BODY).
    public var extensionData: Extension?

    public enum Kind: Sendable, Hashable {
        case basic
        /// TEXT/*: body-fld-lines.
        case text(lines: UInt64)
        /// MESSAGE/RFC822 and MESSAGE/GLOBAL: envelope, body, body-fld-lines.
        case message(IMAPEnvelope, IMAPBodyStructure, lines: UInt64)
    }

    /// body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
    public struct Extension: Sendable, Hashable {
        public var md5: String?
        public var disposition: IMAPBodyDisposition?
        /// body-fld-lang: empty is NIL, one is a string, more a list.
        public var language: [String]
        public var location: String?

        public init(md5: String? = nil, disposition: IMAPBodyDisposition? = nil, language: [String] = [], location: String? = nil) {
            self.md5 = md5
            self.disposition = disposition
            self.language = language
            self.location = location
        }
    }

    public init(
        type: String, subtype: String, parameters: [IMAPBodyParameter] = [], contentID: String? = nil,
        contentDescription: String? = nil, encoding: String = "7BIT", size: UInt32, kind: Kind = .basic,
        extensionData: Extension? = nil
    ) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
        self.contentID = contentID
        self.contentDescription = contentDescription
        self.encoding = encoding
        self.size = size
        self.kind = kind
        self.extensionData = extensionData
    }
}

/// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
public struct IMAPMultipart: Sendable, Hashable {
    public var parts: [IMAPBodyStructure]
    public var subtype: String
    /// body-ext-mpart; nil writes none (always none for BODY).
    public var extensionData: Extension?

    /// body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
    public struct Extension: Sendable, Hashable {
        public var parameters: [IMAPBodyParameter]
        public var disposition: IMAPBodyDisposition?
        public var language: [String]
        public var location: String?

        public init(
            parameters: [IMAPBodyParameter] = [], disposition: IMAPBodyDisposition? = nil, language: [String] = [],
            location: String? = nil
        ) {
            self.parameters = parameters
            self.disposition = disposition
            self.language = language
            self.location = location
        }
    }

    public init(parts: [IMAPBodyStructure], subtype: String, extensionData: Extension? = nil) {
        self.parts = parts
        self.subtype = subtype
        self.extensionData = extensionData
    }
}

/// One attribute/value pair of body-fld-param.
public struct IMAPBodyParameter: Sendable, Hashable {
    public var attribute: String
    public var value: String

    public init(_ attribute: String, _ value: String) {
        self.attribute = attribute
        self.value = value
    }
}

/// body-fld-dsp = "(" string SP body-fld-param ")" / nil
public struct IMAPBodyDisposition: Sendable, Hashable {
    public var type: String
    public var parameters: [IMAPBodyParameter]

    public init(type: String, parameters: [IMAPBodyParameter] = []) {
        self.type = type
        self.parameters = parameters
    }
}
