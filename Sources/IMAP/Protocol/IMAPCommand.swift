// Client commands as values (RFC 9051 §6, RFC 3501 §6, and the extensions
// listed in IMAPProtocol.swift). One case per command; IMAPCommandParser
// builds them, IMAPCommandEncoder writes them.

public struct IMAPCommand: Sendable, Equatable, CustomStringConvertible {
    public var tag: String
    public var kind: Kind

    public init(tag: String, _ kind: Kind) {
        self.tag = tag
        self.kind = kind
    }

    public enum Kind: Sendable, Equatable {
        // MARK: Any state (RFC 9051 §6.1, RFC 2971)
        case capability
        case noop
        case logout
        /// ID: nil for "ID NIL" (RFC 2971 §3.1).
        case id([IMAPIDParameter]?)

        // MARK: Not authenticated (RFC 9051 §6.2)
        case startTLS
        /// AUTHENTICATE mechanism [initial-response] (RFC 4959 §3).
        case authenticate(mechanism: String, initialResponse: IMAPInitialResponse?)
        case login(username: String, password: String)

        // MARK: Authenticated (RFC 9051 §6.3)
        case enable([String])
        case select(IMAPMailboxName, IMAPSelectParameters)
        case examine(IMAPMailboxName, IMAPSelectParameters)
        /// CREATE with the special uses of RFC 6154 §3 "USE" (empty if none).
        case create(IMAPMailboxName, specialUse: [IMAPMailboxAttribute])
        case delete(IMAPMailboxName)
        case rename(from: IMAPMailboxName, to: IMAPMailboxName)
        case subscribe(IMAPMailboxName)
        case unsubscribe(IMAPMailboxName)
        case list(IMAPListCommand)
        /// LSUB reference pattern (RFC 3501 §6.3.9).
        case lsub(reference: String, pattern: String)
        case namespace
        case status(IMAPMailboxName, [IMAPStatusAttribute])
        /// APPEND with one message, or several (MULTIAPPEND, RFC 3502).
        case append(IMAPMailboxName, [IMAPAppendMessage])
        case idle

        // MARK: Selected (RFC 9051 §6.4)
        /// CHECK (RFC 3501 §6.4.1).
        case check
        case close
        case unselect
        case expunge
        case search(IMAPSearchCommand)
        case fetch(IMAPSequenceSet, [IMAPFetchAttribute], IMAPFetchModifiers)
        case store(IMAPSequenceSet, IMAPStoreModifiers, IMAPStoreAction)
        case copy(IMAPSequenceSet, IMAPMailboxName)
        case move(IMAPSequenceSet, IMAPMailboxName)

        // MARK: UID variants (RFC 9051 §6.4.9; UID EXPUNGE from RFC 4315 §2.1)
        case uidExpunge(IMAPSequenceSet)
        case uidSearch(IMAPSearchCommand)
        case uidFetch(IMAPSequenceSet, [IMAPFetchAttribute], IMAPFetchModifiers)
        case uidStore(IMAPSequenceSet, IMAPStoreModifiers, IMAPStoreAction)
        case uidCopy(IMAPSequenceSet, IMAPMailboxName)
        case uidMove(IMAPSequenceSet, IMAPMailboxName)
    }

    /// The wire form (from the encoder), with credentials masked.
    public var description: String {
        var redacted = self
        switch kind {
        case .login(let username, _):
            redacted.kind = .login(username: username, password: "***")
        case .authenticate(let mechanism, .some):
            redacted.kind = .authenticate(mechanism: mechanism, initialResponse: .data("***"))
        default:
            break
        }
        let encoded = IMAPCommandEncoder(options: .init(literals: .nonSynchronizing, utf8Accept: true))
            .encode(redacted).bytes
        return String(decoding: encoded.dropLast(2), as: UTF8.self)
    }
}

// MARK: - Arguments

/// One field of the ID command or response (RFC 2971 §3.3).
public struct IMAPIDParameter: Sendable, Hashable {
    public var key: String
    public var value: String?

    public init(_ key: String, _ value: String?) {
        self.key = key
        self.value = value
    }
}

/// initial-resp = base64 / "=" (RFC 4959 §3; RFC 9051 §9).
public enum IMAPInitialResponse: Sendable, Hashable {
    /// "=": an empty initial response.
    case empty
    /// The base64 text as sent (not decoded).
    case data(String)
}

/// select-param (RFC 4466 §2.1); only CONDSTORE (RFC 7162 §3.1.8) is known.
public struct IMAPSelectParameters: Sendable, Hashable {
    public var condstore: Bool

    public init(condstore: Bool = false) {
        self.condstore = condstore
    }
}

/// LIST, basic (RFC 9051 §6.3.9) and extended (RFC 5258 §3).
public struct IMAPListCommand: Sendable, Hashable {
    /// nil when the command has no selection options at all.
    public var selectionOptions: [IMAPListSelectionOption]?
    public var reference: String
    /// One or more list-mailbox patterns (RFC 5258 §3 `patterns`).
    public var patterns: [String]
    /// nil when the command has no RETURN clause.
    public var returnOptions: [IMAPListReturnOption]?

    public init(
        selectionOptions: [IMAPListSelectionOption]? = nil, reference: String, patterns: [String],
        returnOptions: [IMAPListReturnOption]? = nil
    ) {
        self.selectionOptions = selectionOptions
        self.reference = reference
        self.patterns = patterns
        self.returnOptions = returnOptions
    }

    /// RFC 5258 §3: a LIST with selection or return options, or several
    /// patterns, is an extended LIST.
    public var isExtended: Bool {
        selectionOptions != nil || returnOptions != nil || patterns.count > 1
    }
}

/// list-select-opt (RFC 5258 §3.1, RFC 6154 §5.1).
public enum IMAPListSelectionOption: String, Sendable, Hashable, CaseIterable {
    case subscribed = "SUBSCRIBED"
    case remote = "REMOTE"
    case recursiveMatch = "RECURSIVEMATCH"
    case specialUse = "SPECIAL-USE"
}

/// return-option (RFC 5258 §3.2, RFC 5819 §2, RFC 6154 §5.2).
public enum IMAPListReturnOption: Sendable, Hashable {
    case subscribed
    case children
    case specialUse
    case status([IMAPStatusAttribute])
}

/// One message of APPEND: append-opts and its literal (RFC 9051 §6.3.12).
public struct IMAPAppendMessage: Sendable, Hashable {
    public var flags: [IMAPFlag]
    public var internalDate: IMAPDateTime?
    public var data: [UInt8]
    /// Sent as literal8 ("~{N}", RFC 3516 §4.4).
    public var isBinary: Bool

    public init(flags: [IMAPFlag] = [], internalDate: IMAPDateTime? = nil, data: [UInt8], isBinary: Bool = false) {
        self.flags = flags
        self.internalDate = internalDate
        self.data = data
        self.isBinary = isBinary
    }
}

/// fetch-modifier (RFC 4466 §2.4): CHANGEDSINCE (RFC 7162 §3.1.4).
public struct IMAPFetchModifiers: Sendable, Hashable {
    public var changedSince: UInt64?

    public init(changedSince: UInt64? = nil) {
        self.changedSince = changedSince
    }
}

/// store-modifier (RFC 4466 §2.5): UNCHANGEDSINCE (RFC 7162 §3.1.3).
public struct IMAPStoreModifiers: Sendable, Hashable {
    public var unchangedSince: UInt64?

    public init(unchangedSince: UInt64? = nil) {
        self.unchangedSince = unchangedSince
    }
}

/// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
public struct IMAPStoreAction: Sendable, Hashable {
    public enum Operation: Sendable, Hashable {
        case replace
        case add
        case remove
    }

    public var operation: Operation
    public var silent: Bool
    public var flags: [IMAPFlag]

    public init(_ operation: Operation, silent: Bool = false, flags: [IMAPFlag]) {
        self.operation = operation
        self.silent = silent
        self.flags = flags
    }
}
