// The command encoder: IMAPCommand to client octets, for `chappe fetch
// imap://` and for the tests' round trips. Synchronising literals split the
// output into parts the client sends one continuation request apart
// (RFC 9051 §4.3, RFC 7888).

public struct IMAPCommandEncoder: Sendable {
    public struct Options: Sendable, Hashable {
        public enum Literals: Sendable, Hashable {
            /// "{N}" and wait for "+" (RFC 3501 servers).
            case synchronizing
            /// "{N+}" always (LITERAL+, RFC 7888 §3).
            case nonSynchronizing
            /// "{N+}" up to 4096 octets (LITERAL-, RFC 7888 §5; IMAP4rev2, RFC 9051 §4.3).
            case nonSynchronizingUpTo4096
        }

        public var literals: Literals
        /// The server accepted UTF8=ACCEPT or IMAP4rev2: 8-bit text may be
        /// quoted (RFC 9051 §4.3.1).
        public var utf8Accept: Bool

        public init(literals: Literals = .synchronizing, utf8Accept: Bool = false) {
            self.literals = literals
            self.utf8Accept = utf8Accept
        }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// The line that ends IDLE (RFC 2177 §3).
    public static let idleDone: [UInt8] = Array("DONE\r\n".utf8)

    /// A client line during AUTHENTICATE (RFC 9051 §6.2.2).
    public static func authenticationResponse(_ response: IMAPAuthenticationResponse) -> [UInt8] {
        switch response {
        case .cancel: return Array("*\r\n".utf8)
        case .data(let base64): return Array((base64 + "\r\n").utf8)
        }
    }

    public func encode(_ command: IMAPCommand) -> IMAPEncodedCommand {
        let mode: IMAPWireWriter.LiteralMode
        switch options.literals {
        case .synchronizing: mode = .synchronizing
        case .nonSynchronizing: mode = .nonSynchronizing
        case .nonSynchronizingUpTo4096: mode = .nonSynchronizingUpTo4096
        }
        var writer = IMAPWireWriter(utf8: options.utf8Accept, literalMode: mode)
        writer.ascii(command.tag)
        writer.space()
        writer.kind(command.kind)
        writer.crlf()
        return IMAPEncodedCommand(bytes: writer.bytes, synchronizingPoints: writer.synchronizingPoints)
    }
}

/// An encoded command: send `parts[0]`, wait for a continuation request,
/// send `parts[1]`, and so on.
public struct IMAPEncodedCommand: Sendable, Hashable {
    /// The whole command.
    public var bytes: [UInt8]
    /// Offsets in `bytes` after which the client waits for "+".
    public var synchronizingPoints: [Int]

    public var parts: [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var start = 0
        for point in synchronizingPoints + [bytes.count] {
            parts.append(bytes[start..<point])
            start = point
        }
        return parts
    }
}

// MARK: - Commands

extension IMAPWireWriter {
    mutating func kind(_ kind: IMAPCommand.Kind) {
        switch kind {
        case .capability: ascii("CAPABILITY")
        case .noop: ascii("NOOP")
        case .logout: ascii("LOGOUT")
        case .startTLS: ascii("STARTTLS")
        case .namespace: ascii("NAMESPACE")
        case .idle: ascii("IDLE")
        case .check: ascii("CHECK")
        case .close: ascii("CLOSE")
        case .unselect: ascii("UNSELECT")
        case .expunge: ascii("EXPUNGE")
        case .id(let parameters):
            ascii("ID ")
            idParameters(parameters)
        case .authenticate(let mechanism, let initialResponse):
            ascii("AUTHENTICATE \(mechanism)")
            switch initialResponse {
            case .none: break
            case .empty: ascii(" =")
            case .data(let base64): ascii(" \(base64)")
            }
        case .login(let username, let password):
            ascii("LOGIN ")
            astring(username)
            space()
            astring(password)
        case .enable(let capabilities):
            ascii("ENABLE")
            for capability in capabilities { ascii(" \(capability)") }
        case .select(let mailbox, let parameters):
            ascii("SELECT ")
            select(mailbox, parameters)
        case .examine(let mailbox, let parameters):
            ascii("EXAMINE ")
            select(mailbox, parameters)
        case .create(let mailbox, let uses):
            ascii("CREATE ")
            astring(mailbox.name)
            if !uses.isEmpty {
                ascii(" (USE ")
                parenthesized(uses) { $0.ascii($1.rawValue) }
                byte(IMAPCharacter.closeParen)
            }
        case .delete(let mailbox): command("DELETE", mailbox)
        case .rename(let from, let to):
            command("RENAME", from)
            space()
            astring(to.name)
        case .subscribe(let mailbox): command("SUBSCRIBE", mailbox)
        case .unsubscribe(let mailbox): command("UNSUBSCRIBE", mailbox)
        case .list(let list): self.list(list)
        case .lsub(let reference, let pattern):
            ascii("LSUB ")
            astring(reference)
            space()
            listMailbox(pattern)
        case .status(let mailbox, let attributes):
            command("STATUS", mailbox)
            space()
            parenthesized(attributes) { $0.ascii($1.rawValue) }
        case .append(let mailbox, let messages):
            command("APPEND", mailbox)
            for message in messages { appendMessage(message) }
        case .search(let search): self.search(search)
        case .fetch(let set, let attributes, let modifiers): fetch(set, attributes, modifiers)
        case .store(let set, let modifiers, let action): store(set, modifiers, action)
        case .copy(let set, let mailbox): copyOrMove("COPY", set, mailbox)
        case .move(let set, let mailbox): copyOrMove("MOVE", set, mailbox)
        case .uidExpunge(let set):
            ascii("UID EXPUNGE ")
            sequenceSet(set)
        case .uidSearch(let search):
            ascii("UID ")
            self.search(search)
        case .uidFetch(let set, let attributes, let modifiers):
            ascii("UID ")
            fetch(set, attributes, modifiers)
        case .uidStore(let set, let modifiers, let action):
            ascii("UID ")
            store(set, modifiers, action)
        case .uidCopy(let set, let mailbox):
            ascii("UID ")
            copyOrMove("COPY", set, mailbox)
        case .uidMove(let set, let mailbox):
            ascii("UID ")
            copyOrMove("MOVE", set, mailbox)
        }
    }

    private mutating func command(_ name: String, _ mailbox: IMAPMailboxName) {
        ascii(name)
        space()
        astring(mailbox.name)
    }

    /// id_params_list = "(" #(string SP nstring) ")" / nil (RFC 2971 §4)
    mutating func idParameters(_ parameters: [IMAPIDParameter]?) {
        guard let parameters else {
            ascii("NIL")
            return
        }
        parenthesized(parameters) { writer, parameter in
            writer.string(parameter.key)
            writer.space()
            writer.nstring(parameter.value)
        }
    }

    private mutating func select(_ mailbox: IMAPMailboxName, _ parameters: IMAPSelectParameters) {
        astring(mailbox.name)
        if parameters.condstore { ascii(" (CONDSTORE)") }
    }

    private mutating func list(_ list: IMAPListCommand) {
        ascii("LIST ")
        if let selection = list.selectionOptions {
            parenthesized(selection) { $0.ascii($1.rawValue) }
            space()
        }
        astring(list.reference)
        space()
        if list.patterns.count == 1 {
            listMailbox(list.patterns[0])
        } else {
            parenthesized(list.patterns) { $0.listMailbox($1) }
        }
        if let returning = list.returnOptions {
            ascii(" RETURN ")
            parenthesized(returning) { writer, option in
                switch option {
                case .subscribed: writer.ascii("SUBSCRIBED")
                case .children: writer.ascii("CHILDREN")
                case .specialUse: writer.ascii("SPECIAL-USE")
                case .status(let attributes):
                    writer.ascii("STATUS ")
                    writer.parenthesized(attributes) { $0.ascii($1.rawValue) }
                }
            }
        }
    }

    /// list-mailbox = 1*list-char / string
    mutating func listMailbox(_ pattern: String) {
        if !pattern.isEmpty, pattern.utf8.allSatisfy(IMAPCharacter.isListChar) {
            ascii(pattern)
        } else {
            string(pattern)
        }
    }

    private mutating func appendMessage(_ message: IMAPAppendMessage) {
        if !message.flags.isEmpty {
            space()
            flagList(message.flags)
        }
        if let date = message.internalDate {
            space()
            dateTime(date)
        }
        space()
        literal(message.data, binary: message.isBinary)
    }

    private mutating func copyOrMove(_ name: String, _ set: IMAPSequenceSet, _ mailbox: IMAPMailboxName) {
        ascii(name)
        space()
        sequenceSet(set)
        space()
        astring(mailbox.name)
    }

    private mutating func store(_ set: IMAPSequenceSet, _ modifiers: IMAPStoreModifiers, _ action: IMAPStoreAction) {
        ascii("STORE ")
        sequenceSet(set)
        if let unchangedSince = modifiers.unchangedSince { ascii(" (UNCHANGEDSINCE \(unchangedSince))") }
        space()
        switch action.operation {
        case .replace: break
        case .add: byte(IMAPCharacter.plus)
        case .remove: byte(IMAPCharacter.minus)
        }
        ascii(action.silent ? "FLAGS.SILENT " : "FLAGS ")
        flagList(action.flags)
    }

    // MARK: FETCH

    private mutating func fetch(
        _ set: IMAPSequenceSet, _ attributes: [IMAPFetchAttribute], _ modifiers: IMAPFetchModifiers
    ) {
        ascii("FETCH ")
        sequenceSet(set)
        space()
        if attributes.count == 1 {
            fetchAttribute(attributes[0])
        } else {
            parenthesized(attributes) { $0.fetchAttribute($1) }
        }
        if let changedSince = modifiers.changedSince { ascii(" (CHANGEDSINCE \(changedSince))") }
    }

    mutating func fetchAttribute(_ attribute: IMAPFetchAttribute) {
        switch attribute {
        case .envelope: ascii("ENVELOPE")
        case .flags: ascii("FLAGS")
        case .internalDate: ascii("INTERNALDATE")
        case .rfc822Size: ascii("RFC822.SIZE")
        case .body: ascii("BODY")
        case .bodyStructure: ascii("BODYSTRUCTURE")
        case .uid: ascii("UID")
        case .modSeq: ascii("MODSEQ")
        case .rfc822: ascii("RFC822")
        case .rfc822Header: ascii("RFC822.HEADER")
        case .rfc822Text: ascii("RFC822.TEXT")
        case .bodySection(let section, let partial, let peek):
            ascii(peek ? "BODY.PEEK" : "BODY")
            self.section(section)
            if let partial { self.partial(partial) }
        case .binary(let part, let partial, let peek):
            ascii(peek ? "BINARY.PEEK[" : "BINARY[")
            sectionPart(part)
            byte(IMAPCharacter.closeBracket)
            if let partial { self.partial(partial) }
        case .binarySize(let part):
            ascii("BINARY.SIZE[")
            sectionPart(part)
            byte(IMAPCharacter.closeBracket)
        }
    }

    // MARK: SEARCH

    private mutating func search(_ search: IMAPSearchCommand) {
        ascii("SEARCH")
        if let returning = search.returnOptions {
            ascii(" RETURN ")
            parenthesized(returning) { $0.ascii($1.rawValue) }
        }
        if let charset = search.charset {
            ascii(" CHARSET ")
            if !charset.isEmpty, charset.utf8.allSatisfy(IMAPCharacter.isAtomChar) {
                ascii(charset)
            } else {
                quoted(charset)
            }
        }
        for key in search.keys {
            space()
            searchKey(key)
        }
    }

    mutating func searchKey(_ key: IMAPSearchKey) {
        switch key {
        case .all: ascii("ALL")
        case .answered: ascii("ANSWERED")
        case .deleted: ascii("DELETED")
        case .draft: ascii("DRAFT")
        case .flagged: ascii("FLAGGED")
        case .new: ascii("NEW")
        case .old: ascii("OLD")
        case .recent: ascii("RECENT")
        case .seen: ascii("SEEN")
        case .unanswered: ascii("UNANSWERED")
        case .undeleted: ascii("UNDELETED")
        case .undraft: ascii("UNDRAFT")
        case .unflagged: ascii("UNFLAGGED")
        case .unseen: ascii("UNSEEN")
        case .bcc(let text): keyString("BCC", text)
        case .body(let text): keyString("BODY", text)
        case .cc(let text): keyString("CC", text)
        case .from(let text): keyString("FROM", text)
        case .subject(let text): keyString("SUBJECT", text)
        case .text(let text): keyString("TEXT", text)
        case .to(let text): keyString("TO", text)
        case .header(let field, let text):
            keyString("HEADER", field)
            space()
            astring(text)
        case .keyword(let flag): ascii("KEYWORD \(flag.rawValue)")
        case .unkeyword(let flag): ascii("UNKEYWORD \(flag.rawValue)")
        case .before(let date): ascii("BEFORE \(date)")
        case .on(let date): ascii("ON \(date)")
        case .since(let date): ascii("SINCE \(date)")
        case .sentBefore(let date): ascii("SENTBEFORE \(date)")
        case .sentOn(let date): ascii("SENTON \(date)")
        case .sentSince(let date): ascii("SENTSINCE \(date)")
        case .larger(let size): ascii("LARGER \(size)")
        case .smaller(let size): ascii("SMALLER \(size)")
        case .uid(let set):
            ascii("UID ")
            sequenceSet(set)
        case .sequenceSet(let set): sequenceSet(set)
        case .not(let inner):
            ascii("NOT ")
            searchKey(inner)
        case .or(let left, let right):
            ascii("OR ")
            searchKey(left)
            space()
            searchKey(right)
        case .and(let keys):
            parenthesized(keys) { $0.searchKey($1) }
        case .modSeq(let value, let entry):
            ascii("MODSEQ ")
            if let entry {
                quoted("/flags/" + entry.flag.rawValue)
                ascii(" \(entry.type.rawValue) ")
            }
            number(value)
        }
    }

    private mutating func keyString(_ name: String, _ text: String) {
        ascii(name)
        space()
        astring(text)
    }
}
