// Names the protocol carries: mailboxes (RFC 9051 §5.1), message flags
// (§2.3.2), mailbox attributes (§7.3.1, RFC 6154) and STATUS items (§6.3.11).

// MARK: - Mailbox names

/// A mailbox name as sent on the wire (RFC 9051 §9 `mailbox`).
public struct IMAPMailboxName: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let name: String

    /// RFC 9051 §9 `mailbox`: "All case variants of INBOX (e.g., "iNbOx")
    /// MUST be interpreted as INBOX". Only ASCII letters fold, so "ınbox"
    /// (dotless i) stays a different name.
    public init(_ name: String) {
        self.name = IMAPMailboxName.isInboxSpelling(name) ? "INBOX" : name
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public static let inbox = IMAPMailboxName("INBOX")

    public var isInbox: Bool { name == "INBOX" }

    public var description: String { name }

    /// The name an IMAP4rev1 client meant: modified UTF-7 decoded
    /// (RFC 3501 §5.1.3); nil if it is not valid modified UTF-7.
    public func decodingModifiedUTF7() -> IMAPMailboxName? {
        ModifiedUTF7.decode(name).map { IMAPMailboxName($0) }
    }

    /// The name as an IMAP4rev1 client must see it (RFC 3501 §5.1.3).
    public func encodingModifiedUTF7() -> IMAPMailboxName {
        IMAPMailboxName(ModifiedUTF7.encode(name))
    }

    private static func isInboxSpelling(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard utf8.count == 5 else { return false }
        return zip(utf8, "INBOX".utf8).allSatisfy { IMAPCharacter.uppercased($0) == $1 }
    }
}

// MARK: - Flags

/// A message flag: a system flag ("\Seen") or a keyword ("$Forwarded")
/// (RFC 9051 §2.3.2). Compared case-insensitively (RFC 9051 §9 note 1).
public struct IMAPFlag: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public static let answered = IMAPFlag("\\Answered")
    public static let flagged = IMAPFlag("\\Flagged")
    public static let deleted = IMAPFlag("\\Deleted")
    public static let seen = IMAPFlag("\\Seen")
    public static let draft = IMAPFlag("\\Draft")
    /// RFC 3501 only; obsolete in RFC 9051 (`obsolete-flag-recent`).
    public static let recent = IMAPFlag("\\Recent")
    /// "\*" in PERMANENTFLAGS: new keywords may be created (RFC 9051 §7.1).
    public static let wildcard = IMAPFlag("\\*")

    /// System flags start with "\"; keywords do not.
    public var isSystemFlag: Bool { rawValue.utf8.first == IMAPCharacter.backslash }

    public var description: String { rawValue }

    public static func == (lhs: IMAPFlag, rhs: IMAPFlag) -> Bool {
        lhs.rawValue.utf8.elementsEqual(rhs.rawValue.utf8) {
            IMAPCharacter.uppercased($0) == IMAPCharacter.uppercased($1)
        }
    }

    public func hash(into hasher: inout Hasher) {
        for byte in rawValue.utf8 { hasher.combine(IMAPCharacter.uppercased(byte)) }
    }
}

// MARK: - Mailbox attributes

/// A LIST attribute ("\Noselect", "\HasChildren") or special use ("\Drafts")
/// (RFC 9051 §7.3.1, RFC 5258 §4, RFC 6154 §2). Compared case-insensitively.
public struct IMAPMailboxAttribute: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public static let noInferiors = IMAPMailboxAttribute("\\Noinferiors")
    public static let noSelect = IMAPMailboxAttribute("\\Noselect")
    public static let nonExistent = IMAPMailboxAttribute("\\NonExistent")
    public static let marked = IMAPMailboxAttribute("\\Marked")
    public static let unmarked = IMAPMailboxAttribute("\\Unmarked")
    public static let hasChildren = IMAPMailboxAttribute("\\HasChildren")
    public static let hasNoChildren = IMAPMailboxAttribute("\\HasNoChildren")
    public static let subscribed = IMAPMailboxAttribute("\\Subscribed")
    public static let remote = IMAPMailboxAttribute("\\Remote")
    // RFC 6154 §2 special uses.
    public static let all = IMAPMailboxAttribute("\\All")
    public static let archive = IMAPMailboxAttribute("\\Archive")
    public static let drafts = IMAPMailboxAttribute("\\Drafts")
    public static let flagged = IMAPMailboxAttribute("\\Flagged")
    public static let junk = IMAPMailboxAttribute("\\Junk")
    public static let sent = IMAPMailboxAttribute("\\Sent")
    public static let trash = IMAPMailboxAttribute("\\Trash")

    public var description: String { rawValue }

    public static func == (lhs: IMAPMailboxAttribute, rhs: IMAPMailboxAttribute) -> Bool {
        lhs.rawValue.utf8.elementsEqual(rhs.rawValue.utf8) {
            IMAPCharacter.uppercased($0) == IMAPCharacter.uppercased($1)
        }
    }

    public func hash(into hasher: inout Hasher) {
        for byte in rawValue.utf8 { hasher.combine(IMAPCharacter.uppercased(byte)) }
    }
}

// MARK: - STATUS items

/// status-att (RFC 9051 §6.3.11; RECENT from RFC 3501 §6.3.10;
/// HIGHESTMODSEQ from RFC 7162 §3.1.6).
public enum IMAPStatusAttribute: String, Sendable, Hashable, CaseIterable {
    case messages = "MESSAGES"
    case uidNext = "UIDNEXT"
    case uidValidity = "UIDVALIDITY"
    case unseen = "UNSEEN"
    case deleted = "DELETED"
    case size = "SIZE"
    case recent = "RECENT"
    case highestModSeq = "HIGHESTMODSEQ"
}
