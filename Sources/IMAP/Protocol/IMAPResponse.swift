// Server responses as values (RFC 9051 §7): status responses, server and
// mailbox data, message data, continuation requests. IMAPResponseEncoder
// writes them.

public enum IMAPResponse: Sendable, Hashable, CustomStringConvertible {
    /// TAG OK/NO/BAD [CODE] text (RFC 9051 §7.1).
    case tagged(IMAPTaggedResponse)
    /// "*" responses (RFC 9051 §7.1 - §7.5).
    case untagged(IMAPUntaggedResponse)
    /// "+" text (RFC 9051 §7.6); SASL challenges carry their base64 here.
    case continuation(String)

    /// The wire form (from the encoder, IMAP4rev1 options) without the final CRLF.
    public var description: String {
        var bytes: [UInt8] = []
        IMAPResponseEncoder().encode(self, into: &bytes)
        return String(decoding: bytes.dropLast(2), as: UTF8.self)
    }
}

public enum IMAPStatus: String, Sendable, Hashable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
}

/// The conditions of untagged status responses (RFC 9051 §7.1).
public enum IMAPCondition: String, Sendable, Hashable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
    case preauth = "PREAUTH"
    case bye = "BYE"
}

/// resp-text = ["[" resp-text-code "]" SP] [text]
public struct IMAPResponseText: Sendable, Hashable {
    public var code: IMAPResponseCode?
    public var text: String

    public init(code: IMAPResponseCode? = nil, text: String) {
        self.code = code
        self.text = text
    }
}

public struct IMAPTaggedResponse: Sendable, Hashable {
    public var tag: String
    public var status: IMAPStatus
    public var text: IMAPResponseText

    public init(tag: String, status: IMAPStatus, text: IMAPResponseText) {
        self.tag = tag
        self.status = status
        self.text = text
    }

    public init(tag: String, status: IMAPStatus, code: IMAPResponseCode? = nil, _ text: String) {
        self.init(tag: tag, status: status, text: IMAPResponseText(code: code, text: text))
    }
}

public enum IMAPUntaggedResponse: Sendable, Hashable {
    /// * OK / NO / BAD / PREAUTH / BYE [CODE] text
    case condition(IMAPCondition, IMAPResponseText)
    case capability([String])
    /// ENABLED (RFC 5161 §3.2).
    case enabled([String])
    case list(IMAPListResponse)
    /// LSUB (RFC 3501 §7.2.3).
    case lsub(IMAPListResponse)
    case status(IMAPMailboxName, [IMAPStatusValue])
    case exists(UInt32)
    /// RECENT (RFC 3501 §7.3.2).
    case recent(UInt32)
    case expunge(UInt32)
    case flags([IMAPFlag])
    /// SEARCH (RFC 3501 §7.2.5), with the highest MODSEQ when the search
    /// used MODSEQ (RFC 7162 §3.1.5).
    case search([UInt32], modSeq: UInt64?)
    case esearch(IMAPESearchResponse)
    case namespace(IMAPNamespaceResponse)
    /// ID (RFC 2971 §3.2); nil for "ID NIL".
    case id([IMAPIDParameter]?)
    /// FETCH with values held in memory; use IMAPFetchResponseWriter to
    /// stream large bodies.
    case fetch(UInt32, [IMAPFetchValue])
}

// MARK: - Mailbox data

/// mailbox-list (RFC 9051 §7.3.1, RFC 5258 §6).
public struct IMAPListResponse: Sendable, Hashable {
    public var attributes: [IMAPMailboxAttribute]
    /// The hierarchy delimiter; nil for a flat name space (NIL).
    public var delimiter: Character?
    public var name: IMAPMailboxName
    public var extended: [IMAPListExtendedItem]

    public init(
        attributes: [IMAPMailboxAttribute], delimiter: Character?, name: IMAPMailboxName,
        extended: [IMAPListExtendedItem] = []
    ) {
        self.attributes = attributes
        self.delimiter = delimiter
        self.name = name
        self.extended = extended
    }
}

/// mbox-list-extended-item (RFC 5258 §6, RFC 9051 §6.3.9.6 - §6.3.9.7).
public enum IMAPListExtendedItem: Sendable, Hashable {
    /// CHILDINFO with the selection options children matched, e.g. ["SUBSCRIBED"].
    case childInfo([String])
    /// OLDNAME: the name as the client wrote it, before renaming or
    /// canonicalisation ("inbox" for INBOX), so not an IMAPMailboxName.
    case oldName(String)
}

/// status-att-val (RFC 9051 §9, RFC 3501 §9, RFC 7162 §7).
public enum IMAPStatusValue: Sendable, Hashable {
    case messages(UInt32)
    case uidNext(UInt32)
    case uidValidity(UInt32)
    case unseen(UInt32)
    case deleted(UInt32)
    case size(UInt64)
    case recent(UInt32)
    case highestModSeq(UInt64)
}

/// esearch-response (RFC 9051 §7.3.4, RFC 4731 §3.1, RFC 7162 §3.1.5).
public struct IMAPESearchResponse: Sendable, Hashable {
    /// The tag of the SEARCH that produced it: search-correlator.
    public var tag: String?
    public var uid: Bool
    public var min: UInt32?
    public var max: UInt32?
    public var all: IMAPSequenceSet?
    public var count: UInt32?
    public var modSeq: UInt64?

    public init(
        tag: String?, uid: Bool, min: UInt32? = nil, max: UInt32? = nil, all: IMAPSequenceSet? = nil,
        count: UInt32? = nil, modSeq: UInt64? = nil
    ) {
        self.tag = tag
        self.uid = uid
        self.min = min
        self.max = max
        self.all = all
        self.count = count
        self.modSeq = modSeq
    }
}

/// namespace-response (RFC 9051 §7.3.2, RFC 2342 §5); an empty list is NIL.
public struct IMAPNamespaceResponse: Sendable, Hashable {
    public var personal: [IMAPNamespaceDescription]
    public var otherUsers: [IMAPNamespaceDescription]
    public var shared: [IMAPNamespaceDescription]

    public init(
        personal: [IMAPNamespaceDescription], otherUsers: [IMAPNamespaceDescription] = [],
        shared: [IMAPNamespaceDescription] = []
    ) {
        self.personal = personal
        self.otherUsers = otherUsers
        self.shared = shared
    }
}

/// namespace-descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) ")"
public struct IMAPNamespaceDescription: Sendable, Hashable {
    public var prefix: String
    public var delimiter: Character?

    public init(prefix: String, delimiter: Character?) {
        self.prefix = prefix
        self.delimiter = delimiter
    }
}

// MARK: - Message data

/// msg-att items of a FETCH response (RFC 9051 §7.5.2).
public enum IMAPFetchValue: Sendable, Hashable {
    case flags([IMAPFlag])
    case internalDate(IMAPDateTime)
    case rfc822Size(UInt64)
    case uid(UInt32)
    /// MODSEQ (value) (RFC 7162 §3.1.4.1).
    case modSeq(UInt64)
    case envelope(IMAPEnvelope)
    /// BODY: the structure without extension data.
    case body(IMAPBodyStructure)
    /// BODYSTRUCTURE: with extension data where the structure has it.
    case bodyStructure(IMAPBodyStructure)
    /// BODY[section]<origin> with its data (nil: NIL).
    case bodySection(IMAPSection, origin: UInt64?, data: [UInt8]?)
    /// BINARY[part]<origin>: a literal8 if the data has NUL, else a literal.
    case binary(part: [UInt32], origin: UInt64?, data: [UInt8]?)
    case binarySize(part: [UInt32], size: UInt64)
    /// RFC 3501 §7.4.2: RFC822, RFC822.HEADER and RFC822.TEXT.
    case rfc822([UInt8]?)
    case rfc822Header([UInt8]?)
    case rfc822Text([UInt8]?)
}

/// The FETCH items whose data a server streams: the header is written, then
/// the caller appends exactly `size` octets.
public enum IMAPStreamingFetchItem: Sendable, Hashable {
    case bodySection(IMAPSection, origin: UInt64?)
    /// `binary`: literal8 ("~{N}"), needed when the data holds NUL.
    case binary(part: [UInt32], origin: UInt64?, literal8: Bool)
    case rfc822
    case rfc822Header
    case rfc822Text
}
