// The command parser: RFC 9051 §9 `command` (with the RFC 3501 commands and
// the extensions' productions) from octets to IMAPCommand. Pure functions,
// total over any input: a command or an IMAPParseError, never a trap.
//
// Productions are split by area: this file has the entry points and the
// commands of the any / not-authenticated / authenticated states;
// +Mailbox has LIST, LSUB, STATUS and APPEND; +Message has SEARCH, FETCH,
// STORE, COPY, MOVE and UID.

public enum IMAPCommandParser {
    /// Deepest nesting of "(", NOT and OR in a search program: bounds the
    /// recursive descent against hostile input.
    public static let maxNestingDepth = 32

    // MARK: - Entry points

    /// Parses one complete command as IMAPCommandFramer delivers it: lines
    /// joined by CRLF around literal data, without the final CRLF.
    public static func parse(
        _ frame: some Collection<UInt8>, maxNestingDepth: Int = maxNestingDepth
    ) -> Result<IMAPCommand, IMAPParseError> {
        var reader = IMAPByteReader(Array(frame), maxDepth: maxNestingDepth)
        do throws(IMAPParseError) {
            return .success(try command(&reader))
        } catch {
            return .failure(error)
        }
    }

    /// Takes one complete command, CRLF included, from the front of `buffer`.
    /// Returns nil and leaves `buffer` untouched when the command is not
    /// complete yet; an error leaves it untouched too (drop
    /// `commandLength(in:)` octets to go on). No continuation requests or
    /// limits here: that is IMAPCommandFramer's job.
    public static func next(from buffer: inout ArraySlice<UInt8>) throws(IMAPParseError) -> IMAPCommand? {
        guard let (length, lineEnd) = frameBounds(in: buffer) else { return nil }
        let command = try parse(buffer[buffer.startIndex..<lineEnd]).get()
        buffer.removeFirst(length)
        return command
    }

    /// The length of the first complete command in `buffer`, its final line
    /// terminator and any literal data included; nil if incomplete.
    public static func commandLength(in buffer: ArraySlice<UInt8>) -> Int? {
        frameBounds(in: buffer)?.length
    }

    /// The first command's length and where its final line ends (before CRLF or LF).
    private static func frameBounds(in buffer: ArraySlice<UInt8>) -> (length: Int, lineEnd: Int)? {
        var position = buffer.startIndex
        while let newline = buffer[position...].firstIndex(of: IMAPCharacter.lf) {
            var lineEnd = newline
            if lineEnd > position, buffer[lineEnd - 1] == IMAPCharacter.cr { lineEnd -= 1 }
            guard case .marker(let marker) = IMAPLiteralMarker.scan(atEndOf: buffer[position..<lineEnd]) else {
                return (newline + 1 - buffer.startIndex, lineEnd)
            }
            let available = UInt64(buffer.endIndex - (newline + 1))
            guard marker.length <= available else { return nil }
            position = newline + 1 + Int(marker.length)
        }
        return nil
    }

    /// The line that ends IDLE: "DONE" (RFC 2177 §3, RFC 9051 §6.3.13).
    public static func parseIdleDone(_ line: some Collection<UInt8>) throws(IMAPParseError) {
        let start = IMAPByteReader(Array(line), maxDepth: 0)
        var reader = start
        guard reader.consumeKeyword("DONE"), reader.isAtEnd else { throw start.expected("DONE") }
    }

    /// A client line during AUTHENTICATE: base64, or "*" to cancel
    /// (RFC 9051 §6.2.2).
    public static func parseAuthenticationResponse(
        _ line: some Collection<UInt8>
    ) -> Result<IMAPAuthenticationResponse, IMAPParseError> {
        let bytes = Array(line)
        if bytes == [IMAPCharacter.star] { return .success(.cancel) }
        var reader = IMAPByteReader(bytes, maxDepth: 0)
        do throws(IMAPParseError) {
            let text = try reader.base64(allowEmpty: true)
            try reader.expectEnd()
            return .success(.data(text))
        } catch {
            return .failure(error)
        }
    }

    // MARK: - command = tag SP (command-any / command-auth / command-nonauth / command-select)

    static func command(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand {
        guard !reader.isAtEnd else { throw reader.error(.emptyCommand) }
        let tag = try self.tag(&reader)
        reader.tag = tag
        try reader.space("command name")
        let name = reader.keyword()
        guard !name.isEmpty else { throw reader.expected("command name") }
        let kind = try arguments(of: name, &reader)
        try reader.expectEnd()
        return IMAPCommand(tag: tag, kind)
    }

    /// tag = 1*<any ASTRING-CHAR except "+">
    static func tag(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> String {
        let start = reader.index
        while let byte = reader.peek(), IMAPCharacter.isTagChar(byte) { reader.advance() }
        guard reader.index > start, reader.isAtEnd || reader.peek() == IMAPCharacter.space else {
            throw reader.error(.invalidTag)
        }
        return String(decoding: reader.bytes[start..<reader.index], as: UTF8.self)
    }

    /// The arguments of the command called `name` (already uppercased).
    static func arguments(of name: String, _ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand.Kind {
        switch name {
        case "CAPABILITY": return .capability
        case "NOOP": return .noop
        case "LOGOUT": return .logout
        case "STARTTLS": return .startTLS
        case "NAMESPACE": return .namespace
        case "IDLE": return .idle
        case "CHECK": return .check
        case "CLOSE": return .close
        case "UNSELECT": return .unselect
        case "EXPUNGE": return .expunge
        case "ID": return .id(try idParameters(&reader))
        case "AUTHENTICATE": return try authenticate(&reader)
        case "LOGIN": return try login(&reader)
        case "ENABLE": return .enable(try enable(&reader))
        case "SELECT":
            let (mailbox, parameters) = try select(&reader)
            return .select(mailbox, parameters)
        case "EXAMINE":
            let (mailbox, parameters) = try select(&reader)
            return .examine(mailbox, parameters)
        case "CREATE": return try create(&reader)
        case "DELETE": return .delete(try spaceMailbox(&reader))
        case "RENAME":
            let from = try spaceMailbox(&reader)
            return .rename(from: from, to: try spaceMailbox(&reader, "new mailbox name"))
        case "SUBSCRIBE": return .subscribe(try spaceMailbox(&reader))
        case "UNSUBSCRIBE": return .unsubscribe(try spaceMailbox(&reader))
        case "LIST": return .list(try list(&reader))
        case "LSUB": return try lsub(&reader)
        case "STATUS": return try status(&reader)
        case "APPEND": return try append(&reader)
        case "SEARCH": return .search(try search(&reader))
        case "FETCH":
            let (set, attributes, modifiers) = try fetch(&reader)
            return .fetch(set, attributes, modifiers)
        case "STORE":
            let (set, modifiers, action) = try store(&reader)
            return .store(set, modifiers, action)
        case "COPY":
            let (set, mailbox) = try copyOrMove(&reader)
            return .copy(set, mailbox)
        case "MOVE":
            let (set, mailbox) = try copyOrMove(&reader)
            return .move(set, mailbox)
        case "UID": return try uid(&reader)
        default: throw reader.error(.unknownCommand(String(name.prefix(32))))
        }
    }

    // MARK: - Shared productions

    /// mailbox = "INBOX" / astring
    static func mailbox(_ reader: inout IMAPByteReader, _ what: String = "mailbox name") throws(IMAPParseError)
        -> IMAPMailboxName
    {
        IMAPMailboxName(try reader.astring(what))
    }

    static func spaceMailbox(_ reader: inout IMAPByteReader, _ what: String = "mailbox name") throws(IMAPParseError)
        -> IMAPMailboxName
    {
        try reader.space(what)
        return try mailbox(&reader, what)
    }

    // MARK: - Any state

    /// id = "ID" SP id_params_list; id_params_list = "(" #(string SP nstring) ")" / nil
    /// (RFC 2971 §4).
    static func idParameters(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [IMAPIDParameter]? {
        try reader.space("ID parameter list")
        if reader.consumeNil() { return nil }
        try reader.expect(IMAPCharacter.openParen, "\"(\" or NIL after ID")
        var parameters: [IMAPIDParameter] = []
        if reader.consume(IMAPCharacter.closeParen) { return parameters }
        repeat {
            let key = try reader.utf8(reader.string("ID field name"), "ID field name")
            try reader.space("ID field value")
            parameters.append(IMAPIDParameter(key, try reader.nstring("ID field value")))
        } while reader.consume(IMAPCharacter.space)
        try reader.expect(IMAPCharacter.closeParen, "\")\" closing ID parameter list")
        return parameters
    }

    // MARK: - Not authenticated

    /// authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp] (RFC 4959 §7).
    static func authenticate(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand.Kind {
        try reader.space("SASL mechanism")
        let mechanism = try reader.atom("SASL mechanism").uppercased()
        guard reader.consume(IMAPCharacter.space) else {
            return .authenticate(mechanism: mechanism, initialResponse: nil)
        }
        // RFC 4959 §3: "=" stands for an empty initial response.
        if reader.peek() == 0x3D, reader.peek(1) == nil {
            reader.advance()
            return .authenticate(mechanism: mechanism, initialResponse: .empty)
        }
        return .authenticate(mechanism: mechanism, initialResponse: .data(try reader.base64(allowEmpty: false)))
    }

    /// login = "LOGIN" SP userid SP password
    static func login(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand.Kind {
        try reader.space("user name")
        let username = try reader.astring("user name")
        try reader.space("password")
        return .login(username: username, password: try reader.astring("password"))
    }

    // MARK: - Authenticated

    /// enable = "ENABLE" 1*(SP capability) (RFC 5161 §4)
    static func enable(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [String] {
        var capabilities: [String] = []
        repeat {
            try reader.space("capability name")
            capabilities.append(try reader.atom("capability name"))
        } while reader.peek() == IMAPCharacter.space
        return capabilities
    }

    /// select = "SELECT" SP mailbox [select-params] (RFC 4466 §2.1);
    /// the only parameter known is CONDSTORE (RFC 7162 §3.1.8).
    static func select(
        _ reader: inout IMAPByteReader
    ) throws(IMAPParseError) -> (IMAPMailboxName, IMAPSelectParameters) {
        let mailbox = try spaceMailbox(&reader)
        var parameters = IMAPSelectParameters()
        guard reader.consume(IMAPCharacter.space) else { return (mailbox, parameters) }
        try reader.expect(IMAPCharacter.openParen, "\"(\" before SELECT parameters")
        repeat {
            let name = reader.keyword()
            switch name {
            case "CONDSTORE": parameters.condstore = true
            case "": throw reader.expected("SELECT parameter")
            default: throw reader.error(.unsupported("SELECT parameter \(name.prefix(32))"))
            }
        } while reader.consume(IMAPCharacter.space)
        try reader.expect(IMAPCharacter.closeParen, "\")\" closing SELECT parameters")
        return (mailbox, parameters)
    }

    /// create = "CREATE" SP mailbox [create-params]; the USE parameter of
    /// RFC 6154 §3 is "USE" SP "(" [use-attr *(SP use-attr)] ")".
    static func create(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand.Kind {
        let mailbox = try spaceMailbox(&reader)
        var uses: [IMAPMailboxAttribute] = []
        guard reader.consume(IMAPCharacter.space) else { return .create(mailbox, specialUse: uses) }
        try reader.expect(IMAPCharacter.openParen, "\"(\" before CREATE parameters")
        repeat {
            let name = reader.keyword()
            guard name == "USE" else {
                if name.isEmpty { throw reader.expected("CREATE parameter") }
                throw reader.error(.unsupported("CREATE parameter \(name.prefix(32))"))
            }
            try reader.space("USE attributes")
            try reader.expect(IMAPCharacter.openParen, "\"(\" before USE attributes")
            if !reader.consume(IMAPCharacter.closeParen) {
                repeat {
                    try reader.expect(IMAPCharacter.backslash, "special-use attribute")
                    uses.append(IMAPMailboxAttribute("\\" + (try reader.atom("special-use attribute"))))
                } while reader.consume(IMAPCharacter.space)
                try reader.expect(IMAPCharacter.closeParen, "\")\" closing USE attributes")
            }
        } while reader.consume(IMAPCharacter.space)
        try reader.expect(IMAPCharacter.closeParen, "\")\" closing CREATE parameters")
        return .create(mailbox, specialUse: uses)
    }
}

/// A client line during AUTHENTICATE (RFC 9051 §6.2.2).
public enum IMAPAuthenticationResponse: Sendable, Hashable {
    /// The base64 text as sent; empty for an empty line.
    case data(String)
    /// "*": the client cancels; answer BAD.
    case cancel
}

extension IMAPByteReader {
    /// base64 = *(4base64-char) [base64-terminal] (RFC 9051 §9).
    mutating func base64(allowEmpty: Bool) throws(IMAPParseError) -> String {
        let start = index
        while let byte = peek(),
            IMAPCharacter.isAlpha(byte) || IMAPCharacter.isDigit(byte) || byte == IMAPCharacter.plus || byte == 0x2F
        {
            advance()
        }
        var padding = 0
        while padding < 2, consume(0x3D) { padding += 1 }
        let length = index - start
        guard length % 4 == 0, allowEmpty || length > 0 else {
            throw error(.expected("base64", found: "\(length) characters"))
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}
