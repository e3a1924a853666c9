// The command table (STYLE.md rule 6): each command with the connection
// states it is valid in (RFC 9051 §3, §6), its flags and the capability that
// announces it. The session machine checks states against it and the
// CAPABILITY response lists the `capability` column.

/// The connection states of RFC 9051 §3.
public enum IMAPConnectionState: Sendable, Hashable, CaseIterable {
    case notAuthenticated
    case authenticated
    case selected
    case logout
}

public struct IMAPCommandFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// May be used on a cleartext connection before STARTTLS when the server
    /// requires TLS first (RFC 9051 §6.2.1, §11.1; DESIGN.md rule 5).
    public static let allowedBeforeTLS = IMAPCommandFlags(rawValue: 1 << 0)
    /// Needs an authenticated user.
    public static let needsAuthentication = IMAPCommandFlags(rawValue: 1 << 1)
    /// "UID" prefixed: sets are UIDs (RFC 9051 §6.4.9).
    public static let uidVariant = IMAPCommandFlags(rawValue: 1 << 2)
    /// Changes the selected mailbox: refused after EXAMINE (RFC 9051 §6.3.3).
    public static let needsWritableMailbox = IMAPCommandFlags(rawValue: 1 << 3)
    /// Carries credentials: refused without TLS unless policy allows
    /// (RFC 9051 §6.2.2, §6.2.3 LOGINDISABLED).
    public static let carriesCredentials = IMAPCommandFlags(rawValue: 1 << 4)
    /// The client sends further lines that are not commands (AUTHENTICATE's
    /// responses, IDLE's DONE).
    public static let continues = IMAPCommandFlags(rawValue: 1 << 5)
}

public struct IMAPCommandDescriptor: Sendable, Hashable {
    /// The command as written, e.g. "UID FETCH".
    public let name: String
    public let states: Set<IMAPConnectionState>
    public let flags: IMAPCommandFlags
    /// The capability that announces the command; nil for base IMAP4rev1/rev2.
    public let capability: String?
    /// Where the command is specified.
    public let reference: String
}

public enum IMAPCommandTable {
    private static let any: Set<IMAPConnectionState> = [.notAuthenticated, .authenticated, .selected]
    private static let notAuthenticated: Set<IMAPConnectionState> = [.notAuthenticated]
    private static let authenticated: Set<IMAPConnectionState> = [.authenticated, .selected]
    private static let selected: Set<IMAPConnectionState> = [.selected]
    private static let auth: IMAPCommandFlags = .needsAuthentication
    private static let uid: IMAPCommandFlags = [.needsAuthentication, .uidVariant]

    private static func entry(
        _ name: String, _ states: Set<IMAPConnectionState>, _ flags: IMAPCommandFlags, _ capability: String?,
        _ reference: String
    ) -> IMAPCommandDescriptor {
        IMAPCommandDescriptor(name: name, states: states, flags: flags, capability: capability, reference: reference)
    }

    public static let commands: [IMAPCommandDescriptor] = [
        entry("CAPABILITY", any, .allowedBeforeTLS, nil, "RFC 9051 §6.1.1"),
        entry("NOOP", any, .allowedBeforeTLS, nil, "RFC 9051 §6.1.2"),
        entry("LOGOUT", any, .allowedBeforeTLS, nil, "RFC 9051 §6.1.3"),
        entry("ID", any, .allowedBeforeTLS, "ID", "RFC 2971 §3.1"),
        entry("STARTTLS", notAuthenticated, .allowedBeforeTLS, "STARTTLS", "RFC 9051 §6.2.1"),
        entry("AUTHENTICATE", notAuthenticated, [.carriesCredentials, .continues], nil, "RFC 9051 §6.2.2, RFC 4959"),
        entry("LOGIN", notAuthenticated, .carriesCredentials, nil, "RFC 9051 §6.2.3"),
        // RFC 5161 §3.1: "only valid in the authenticated state".
        entry("ENABLE", [.authenticated], auth, "ENABLE", "RFC 5161 §3.1, RFC 9051 §6.3.1"),
        entry("SELECT", authenticated, auth, nil, "RFC 9051 §6.3.2, RFC 7162 §3.1.8"),
        entry("EXAMINE", authenticated, auth, nil, "RFC 9051 §6.3.3"),
        entry("CREATE", authenticated, auth, nil, "RFC 9051 §6.3.4, RFC 6154 §3"),
        entry("DELETE", authenticated, auth, nil, "RFC 9051 §6.3.5"),
        entry("RENAME", authenticated, auth, nil, "RFC 9051 §6.3.6"),
        entry("SUBSCRIBE", authenticated, auth, nil, "RFC 9051 §6.3.7"),
        entry("UNSUBSCRIBE", authenticated, auth, nil, "RFC 9051 §6.3.8"),
        entry("LIST", authenticated, auth, nil, "RFC 9051 §6.3.9, RFC 5258, RFC 5819, RFC 6154"),
        entry("LSUB", authenticated, auth, nil, "RFC 3501 §6.3.9"),
        entry("NAMESPACE", authenticated, auth, "NAMESPACE", "RFC 9051 §6.3.10, RFC 2342"),
        entry("STATUS", authenticated, auth, nil, "RFC 9051 §6.3.11"),
        entry("APPEND", authenticated, auth, nil, "RFC 9051 §6.3.12, RFC 3502"),
        entry("IDLE", authenticated, [.needsAuthentication, .continues], "IDLE", "RFC 9051 §6.3.13, RFC 2177"),
        entry("CHECK", selected, auth, nil, "RFC 3501 §6.4.1"),
        entry("CLOSE", selected, auth, nil, "RFC 9051 §6.4.1"),
        entry("UNSELECT", selected, auth, "UNSELECT", "RFC 9051 §6.4.2, RFC 3691"),
        entry("EXPUNGE", selected, [.needsAuthentication, .needsWritableMailbox], nil, "RFC 9051 §6.4.3"),
        entry("SEARCH", selected, auth, nil, "RFC 9051 §6.4.4, RFC 4731"),
        entry("FETCH", selected, auth, nil, "RFC 9051 §6.4.5"),
        entry("STORE", selected, [.needsAuthentication, .needsWritableMailbox], nil, "RFC 9051 §6.4.6"),
        entry("COPY", selected, auth, nil, "RFC 9051 §6.4.7"),
        entry("MOVE", selected, [.needsAuthentication, .needsWritableMailbox], "MOVE", "RFC 9051 §6.4.8, RFC 6851"),
        entry("UID EXPUNGE", selected, uid.union(.needsWritableMailbox), "UIDPLUS", "RFC 9051 §6.4.9, RFC 4315 §2.1"),
        entry("UID SEARCH", selected, uid, nil, "RFC 9051 §6.4.9"),
        entry("UID FETCH", selected, uid, nil, "RFC 9051 §6.4.9"),
        entry("UID STORE", selected, uid.union(.needsWritableMailbox), nil, "RFC 9051 §6.4.9"),
        entry("UID COPY", selected, uid, nil, "RFC 9051 §6.4.9"),
        entry("UID MOVE", selected, uid.union(.needsWritableMailbox), "MOVE", "RFC 6851 §3.2"),
    ]

    private static let byName: [String: IMAPCommandDescriptor] = Dictionary(
        uniqueKeysWithValues: commands.map { ($0.name, $0) })

    /// The entry for a command name such as "uid fetch" (case-insensitive).
    public static func descriptor(named name: String) -> IMAPCommandDescriptor? {
        byName[name.uppercased()]
    }

    /// The capabilities the commands announce, in table order, once each.
    public static var commandCapabilities: [String] {
        var seen = Set<String>()
        return commands.compactMap(\.capability).filter { seen.insert($0).inserted }
    }
}

extension IMAPCommand.Kind {
    /// The command name as in the table, e.g. "UID FETCH".
    public var name: String {
        switch self {
        case .capability: return "CAPABILITY"
        case .noop: return "NOOP"
        case .logout: return "LOGOUT"
        case .id: return "ID"
        case .startTLS: return "STARTTLS"
        case .authenticate: return "AUTHENTICATE"
        case .login: return "LOGIN"
        case .enable: return "ENABLE"
        case .select: return "SELECT"
        case .examine: return "EXAMINE"
        case .create: return "CREATE"
        case .delete: return "DELETE"
        case .rename: return "RENAME"
        case .subscribe: return "SUBSCRIBE"
        case .unsubscribe: return "UNSUBSCRIBE"
        case .list: return "LIST"
        case .lsub: return "LSUB"
        case .namespace: return "NAMESPACE"
        case .status: return "STATUS"
        case .append: return "APPEND"
        case .idle: return "IDLE"
        case .check: return "CHECK"
        case .close: return "CLOSE"
        case .unselect: return "UNSELECT"
        case .expunge: return "EXPUNGE"
        case .search: return "SEARCH"
        case .fetch: return "FETCH"
        case .store: return "STORE"
        case .copy: return "COPY"
        case .move: return "MOVE"
        case .uidExpunge: return "UID EXPUNGE"
        case .uidSearch: return "UID SEARCH"
        case .uidFetch: return "UID FETCH"
        case .uidStore: return "UID STORE"
        case .uidCopy: return "UID COPY"
        case .uidMove: return "UID MOVE"
        }
    }

    /// The table entry of this command.
    public var descriptor: IMAPCommandDescriptor? {
        IMAPCommandTable.descriptor(named: name)
    }
}
