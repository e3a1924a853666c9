// Store types: the values the session-facing API of `UserStore` takes and returns —
// flags, mailboxes, message summaries, the results of delivery, copy, expunge and
// flag changes. Plain Sendable values; the IMAP and POP3 modules build replies from them.
// Their initializers are public for the protocols' in-memory twins of the store.

import Foundation

// MARK: - Flags

/// The IMAP system flags a message can carry (RFC 9051 §2.3.2), stored as bits.
/// `\Recent` is not here: it is a session property (see `UserStore.claimRecent`).
public struct MessageFlags: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let seen = MessageFlags(rawValue: 1 << 0)
    public static let answered = MessageFlags(rawValue: 1 << 1)
    public static let flagged = MessageFlags(rawValue: 1 << 2)
    public static let deleted = MessageFlags(rawValue: 1 << 3)
    public static let draft = MessageFlags(rawValue: 1 << 4)

    /// Every system flag, in the order IMAP servers usually list them.
    public static let all: MessageFlags = [.answered, .flagged, .deleted, .seen, .draft]

    private static let names: [(MessageFlags, String)] = [
        (.answered, "\\Answered"), (.flagged, "\\Flagged"), (.deleted, "\\Deleted"), (.seen, "\\Seen"), (.draft, "\\Draft"),
    ]

    /// The IMAP names ("\Seen", …) of the flags that are set.
    public var imapNames: [String] { Self.names.filter { contains($0.0) }.map(\.1) }

    /// The flag named `name` ("\Seen", case-insensitive), or nil for any other name.
    public init?(imapName name: String) {
        guard let match = Self.names.first(where: { $0.1.caseInsensitiveCompare(name) == .orderedSame }) else { return nil }
        self = match.0
    }
}

/// Keywords (IMAP flag-keywords, RFC 9051 §2.3.2) are atoms such as "$Junk"; the store
/// keeps them as given and compares them ignoring ASCII case.
public enum Keyword {
    /// Longest keyword accepted, in bytes (RFC 9051 sets none; Dovecot uses 100ish).
    public static let maxLength = 128
    /// The keyword that stands for the Maildir "P" (passed) flag letter.
    public static let forwarded = "$Forwarded"

    /// Whether `name` is a valid flag-keyword: a non-empty IMAP atom, not starting with "\".
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maxLength else { return false }
        // RFC 9051 §9: atom-specials are "(" ")" "{" SP CTL list-wildcards quoted-specials resp-specials.
        return name.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"(){%*\"\\]".utf8.contains(byte)
        }
    }

    /// `keywords` without duplicates (ignoring case, first spelling kept), sorted.
    static func normalized(_ keywords: some Sequence<String>) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for keyword in keywords where seen.insert(keyword.lowercased()).inserted {
            out.append(keyword)
        }
        return out.sorted { $0.lowercased() < $1.lowercased() }
    }

    /// The stored form: the normalized keywords separated by single spaces.
    static func encode(_ keywords: [String]) -> String { normalized(keywords).joined(separator: " ") }
    static func decode(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }
}

/// A change to the flags of some messages (IMAP STORE, RFC 9051 §6.4.6).
public enum FlagOperation: Sendable, Hashable {
    /// FLAGS: the message ends up with exactly these flags and keywords.
    case replace(MessageFlags, keywords: [String] = [])
    /// +FLAGS.
    case add(MessageFlags, keywords: [String] = [])
    /// -FLAGS.
    case remove(MessageFlags, keywords: [String] = [])

    var keywords: [String] {
        switch self {
        case .replace(_, let k), .add(_, let k), .remove(_, let k): k
        }
    }

    func apply(to flags: MessageFlags, keywords current: [String]) -> (MessageFlags, [String]) {
        switch self {
        case .replace(let f, let k):
            return (f, Keyword.normalized(k))
        case .add(let f, let k):
            return (flags.union(f), Keyword.normalized(current + k))
        case .remove(let f, let k):
            let gone = Set(k.map { $0.lowercased() })
            return (flags.subtracting(f), current.filter { !gone.contains($0.lowercased()) })
        }
    }
}

// MARK: - Mailboxes

/// The RFC 6154 special-use attributes the store knows.
public enum SpecialUse: String, Sendable, Hashable, CaseIterable, Codable {
    case all = "\\All"
    case archive = "\\Archive"
    case drafts = "\\Drafts"
    case flagged = "\\Flagged"
    case junk = "\\Junk"
    case sent = "\\Sent"
    case trash = "\\Trash"
}

/// A mailbox as listed: its name, identity and counters.
public struct MailboxInfo: Sendable, Hashable {
    /// The name with "." as hierarchy separator; "INBOX" for the Maildir root.
    public var name: String
    public var uidValidity: UInt32
    public var uidNext: UInt32
    public var highestModSeq: UInt64
    public var specialUse: SpecialUse?
    public var isSubscribed: Bool
    public var messageCount: Int
    public var totalSize: Int64

    public init(
        name: String, uidValidity: UInt32, uidNext: UInt32, highestModSeq: UInt64, specialUse: SpecialUse?,
        isSubscribed: Bool, messageCount: Int, totalSize: Int64
    ) {
        self.name = name
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.highestModSeq = highestModSeq
        self.specialUse = specialUse
        self.isSubscribed = isSubscribed
        self.messageCount = messageCount
        self.totalSize = totalSize
    }
}

/// The counts of IMAP STATUS (RFC 9051 §6.3.11) plus CONDSTORE's HIGHESTMODSEQ.
public struct MailboxStatus: Sendable, Hashable {
    public var messages: Int
    public var unseen: Int
    public var deleted: Int
    public var recent: Int
    public var size: Int64
    public var uidNext: UInt32
    public var uidValidity: UInt32
    public var highestModSeq: UInt64

    public init(
        messages: Int, unseen: Int, deleted: Int, recent: Int, size: Int64, uidNext: UInt32, uidValidity: UInt32,
        highestModSeq: UInt64
    ) {
        self.messages = messages
        self.unseen = unseen
        self.deleted = deleted
        self.recent = recent
        self.size = size
        self.uidNext = uidNext
        self.uidValidity = uidValidity
        self.highestModSeq = highestModSeq
    }
}

// MARK: - Messages

/// What sessions need to list a mailbox: one row per message, in UID order.
public struct MessageSummary: Sendable, Hashable {
    public var uid: UInt32
    /// The size of the file in the Maildir, in octets: what quotas and mailbox totals count.
    public var size: Int
    /// The size on the wire, in octets: the message with every line ending sent as CRLF
    /// (a bare LF, and a bare CR, become CRLF; as `DotStuffer(normalizesLineEndings:)`
    /// sends them), without dot-stuffing or terminator. POP3 LIST/STAT (RFC 1939 §5) and
    /// IMAP RFC822.SIZE (RFC 9051 §7.5.2) report this; it equals `size` for a message
    /// stored with CRLF. (Only a row indexed by a version before wire sizes, whose file
    /// cannot be read, reports `size` here; `check()` fills the rest.)
    public var wireSize: Int
    public var internalDate: Date
    public var flags: MessageFlags
    public var keywords: [String]
    public var modSeq: UInt64
    /// Whether the message is \Recent (not yet claimed by a session, see `claimRecent`).
    public var isRecent: Bool
    /// The file's current path (it changes when flags change; read through the store).
    public var path: String
    /// The Maildir base name (the file name without ":2,flags"): stable for the life of
    /// the message in this mailbox; POP3 can use it as the UIDL.
    public var baseName: String

    public init(
        uid: UInt32, size: Int, wireSize: Int, internalDate: Date, flags: MessageFlags, keywords: [String], modSeq: UInt64,
        isRecent: Bool, path: String, baseName: String
    ) {
        self.uid = uid
        self.size = size
        self.wireSize = wireSize
        self.internalDate = internalDate
        self.flags = flags
        self.keywords = keywords
        self.modSeq = modSeq
        self.isRecent = isRecent
        self.path = path
        self.baseName = baseName
    }
}

/// A message with the parsed data IMAP serves without reading the file.
public struct MessageDetails: Sendable {
    public var summary: MessageSummary
    public var envelope: StoredEnvelope
    public var bodyStructure: StoredBodyPart
    /// Bytes of the header section, the empty line included (RFC822.HEADER).
    public var headerSize: Int

    public init(summary: MessageSummary, envelope: StoredEnvelope, bodyStructure: StoredBodyPart, headerSize: Int) {
        self.summary = summary
        self.envelope = envelope
        self.bodyStructure = bodyStructure
        self.headerSize = headerSize
    }
}

/// The flags of one message after a change, with its new MODSEQ (RFC 7162 §3.1.3).
public struct MessageFlagState: Sendable, Hashable {
    public var uid: UInt32
    public var flags: MessageFlags
    public var keywords: [String]
    public var modSeq: UInt64

    public init(uid: UInt32, flags: MessageFlags, keywords: [String], modSeq: UInt64) {
        self.uid = uid
        self.flags = flags
        self.keywords = keywords
        self.modSeq = modSeq
    }
}

/// The outcome of `UserStore.store(...)`.
public struct FlagUpdateResult: Sendable, Hashable {
    /// Messages whose flags changed, with their new state.
    public var updated: [MessageFlagState]
    /// Messages matched but already in the requested state (MODSEQ unchanged).
    public var unchanged: [MessageFlagState]
    /// Messages refused by UNCHANGEDSINCE (RFC 7162 §3.1.3: the MODIFIED response code).
    public var modified: [UInt32]

    public init(updated: [MessageFlagState], unchanged: [MessageFlagState], modified: [UInt32]) {
        self.updated = updated
        self.unchanged = unchanged
        self.modified = modified
    }
}

/// The outcome of a delivery or an APPEND (RFC 4315 APPENDUID needs both numbers).
public struct DeliveryResult: Sendable, Hashable {
    public var mailbox: String
    public var uidValidity: UInt32
    public var uid: UInt32
    public var size: Int
    /// True when the delivery id had already been delivered: nothing new was stored and
    /// this is the first delivery's result.
    public var wasAlreadyDelivered: Bool

    public init(mailbox: String, uidValidity: UInt32, uid: UInt32, size: Int, wasAlreadyDelivered: Bool) {
        self.mailbox = mailbox
        self.uidValidity = uidValidity
        self.uid = uid
        self.size = size
        self.wasAlreadyDelivered = wasAlreadyDelivered
    }
}

/// The outcome of COPY or MOVE (RFC 4315 COPYUID).
public struct CopyResult: Sendable, Hashable {
    public var uidValidity: UInt32
    /// (source UID, new UID in the target), in source UID order.
    public var mapping: [UIDPair]
    /// For MOVE: the MODSEQ of the expunge in the source mailbox.
    public var expungeModSeq: UInt64?

    public init(uidValidity: UInt32, mapping: [UIDPair], expungeModSeq: UInt64?) {
        self.uidValidity = uidValidity
        self.mapping = mapping
        self.expungeModSeq = expungeModSeq
    }
}

public struct UIDPair: Sendable, Hashable {
    public var source: UInt32
    public var target: UInt32

    public init(source: UInt32, target: UInt32) {
        self.source = source
        self.target = target
    }
}

/// The outcome of an expunge: the UIDs removed and the MODSEQ of the removal.
public struct ExpungeResult: Sendable, Hashable {
    public var uids: [UInt32]
    public var modSeq: UInt64

    public init(uids: [UInt32], modSeq: UInt64) {
        self.uids = uids
        self.modSeq = modSeq
    }
}

/// What a message is delivered from.
public enum MessageSource: Sendable {
    case bytes([UInt8])
    /// A file that is read whole (messages are bounded by the SMTP size limit).
    case file(URL)
}

/// Header fields kept in the index for SEARCH and SORT (RFC 9051 §6.4.4).
public enum SearchHeaderField: String, Sendable, CaseIterable {
    case from = "from_text"
    case to = "to_text"
    case cc = "cc_text"
    case bcc = "bcc_text"
    case subject
    case messageID = "message_id"
    case inReplyTo = "in_reply_to"
}

/// Where a full-text search looks (RFC 9051 §6.4.4 BODY and TEXT).
public enum TextSearchScope: Sendable {
    /// BODY: the decoded text parts.
    case body
    /// TEXT: the header fields and the body.
    case text
}
