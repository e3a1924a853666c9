// SEARCH arguments (RFC 9051 §6.4.4, RFC 3501 §6.4.4, ESEARCH RFC 4731,
// CONDSTORE RFC 7162 §3.1.5).

/// search = "SEARCH" [search-return-opts] SP search-program
public struct IMAPSearchCommand: Sendable, Hashable {
    /// nil without a RETURN clause: the client wants the RFC 3501 SEARCH
    /// response; an empty list means RETURN () which is RETURN (ALL)
    /// (RFC 9051 §6.4.4).
    public var returnOptions: [IMAPSearchReturnOption]?
    public var charset: String?
    /// The top-level keys, all of which must match (RFC 9051 §6.4.4).
    public var keys: [IMAPSearchKey]

    public init(returnOptions: [IMAPSearchReturnOption]? = nil, charset: String? = nil, keys: [IMAPSearchKey]) {
        self.returnOptions = returnOptions
        self.charset = charset
        self.keys = keys
    }
}

/// search-return-opt (RFC 9051 §6.4.4, RFC 4731 §3.1).
public enum IMAPSearchReturnOption: String, Sendable, Hashable, CaseIterable {
    case min = "MIN"
    case max = "MAX"
    case all = "ALL"
    case count = "COUNT"
    /// SAVE: keep the result in "$" (RFC 9051 §6.4.4.1).
    case save = "SAVE"
}

/// search-key (RFC 9051 §9, RFC 3501 §9, RFC 7162 §7).
public indirect enum IMAPSearchKey: Sendable, Hashable {
    case all
    case answered
    case bcc(String)
    case before(IMAPDate)
    case body(String)
    case cc(String)
    case deleted
    case draft
    case flagged
    case from(String)
    case header(String, String)
    case keyword(IMAPFlag)
    case larger(UInt64)
    /// RFC 3501 only: RECENT and UNSEEN.
    case new
    case not(IMAPSearchKey)
    /// RFC 3501 only: NOT RECENT.
    case old
    case on(IMAPDate)
    case or(IMAPSearchKey, IMAPSearchKey)
    /// RFC 3501 only.
    case recent
    case seen
    case sentBefore(IMAPDate)
    case sentOn(IMAPDate)
    case sentSince(IMAPDate)
    case since(IMAPDate)
    case smaller(UInt64)
    case subject(String)
    case text(String)
    case to(String)
    case uid(IMAPSequenceSet)
    case unanswered
    case undeleted
    case undraft
    case unflagged
    case unkeyword(IMAPFlag)
    case unseen
    case sequenceSet(IMAPSequenceSet)
    /// "(" search-key *(SP search-key) ")"
    case and([IMAPSearchKey])
    /// MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162 §3.1.5).
    case modSeq(UInt64, entry: IMAPModSeqEntry?)
}

/// search-modseq-ext = SP entry-name SP entry-type-req (RFC 7162 §3.1.5).
public struct IMAPModSeqEntry: Sendable, Hashable {
    public enum EntryType: String, Sendable, Hashable {
        case `private` = "priv"
        case shared
        case all
    }

    /// The flag name after "/flags/", e.g. "\\Seen".
    public var flag: IMAPFlag
    public var type: EntryType

    public init(flag: IMAPFlag, type: EntryType) {
        self.flag = flag
        self.type = type
    }
}
