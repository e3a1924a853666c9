// The CAPABILITY list (RFC 9051 §6.1.1, §7.2.2): the commands' capabilities
// from the command table, and the extensions the session and performer
// honour, each with where it is implemented. Nothing is announced that is
// not honoured; what depends on TLS and login state is computed.
enum IMAPCapabilities {
    /// Extensions beyond the command table, in the order announced.
    static let extensions: [String] = [
        "LITERAL-",  // RFC 7888 §5: non-synchronising literals up to 4096 octets (IMAPCommandFramer)
        "SASL-IR",  // RFC 4959: AUTHENTICATE with an initial response
        "CHILDREN",  // RFC 3348: \HasChildren / \HasNoChildren (IMAPMailboxListing)
        "SPECIAL-USE",  // RFC 6154: \Sent, \Drafts... in LIST, LIST (SPECIAL-USE)
        "CREATE-SPECIAL-USE",  // RFC 6154 §3: CREATE ... (USE (\Sent))
        "LIST-EXTENDED",  // RFC 5258: selection and return options, several patterns
        "LIST-STATUS",  // RFC 5819: LIST ... RETURN (STATUS (...))
        "ESEARCH",  // RFC 4731: SEARCH RETURN (MIN MAX ALL COUNT)
        "SEARCHRES",  // RFC 5182: SEARCH RETURN (SAVE) and "$"
        "CONDSTORE",  // RFC 7162: MODSEQ, CHANGEDSINCE, UNCHANGEDSINCE
        "BINARY",  // RFC 3516: FETCH BINARY[], BINARY.SIZE[]
        "UTF8=ACCEPT",  // RFC 6855: ENABLE UTF8=ACCEPT
        "STATUS=SIZE",  // RFC 8438: STATUS (SIZE)
    ]

    /// The list for a session in its current state.
    static func list(
        isTLS: Bool, startTLSAvailable: Bool, plaintextAllowed: Bool, authenticated: Bool, appendLimit: UInt64
    ) -> [String] {
        var list = ["IMAP4rev1", "IMAP4rev2"]
        for capability in IMAPCommandTable.commandCapabilities {
            // RFC 9051 §6.2.1: STARTTLS only before TLS and before login.
            if capability == "STARTTLS" && (isTLS || authenticated || !startTLSAvailable) { continue }
            list.append(capability)
        }
        list += extensions
        list.append("APPENDLIMIT=\(appendLimit)")  // RFC 7889
        if !authenticated {
            // RFC 9051 §6.2.3, §7.2.2: LOGINDISABLED where no password may be sent.
            list += plaintextAllowed ? ["AUTH=PLAIN", "AUTH=LOGIN"] : ["LOGINDISABLED"]
        }
        return list
    }
}
