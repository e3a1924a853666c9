// Mailbox commands with structured arguments: LIST (RFC 9051 §6.3.9,
// RFC 5258, RFC 5819, RFC 6154), LSUB (RFC 3501 §6.3.9), STATUS
// (RFC 9051 §6.3.11) and APPEND (RFC 9051 §6.3.12, RFC 3502 MULTIAPPEND,
// RFC 3516 literal8), with the APPEND prefix the framer uses to stream.

extension IMAPCommandParser {
    // MARK: - LIST

    /// list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
    static func list(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPListCommand {
        try reader.space("LIST reference")
        var selection: [IMAPListSelectionOption]?
        if reader.peek() == IMAPCharacter.openParen {
            selection = try listSelectionOptions(&reader)
            try reader.space("LIST reference")
        }
        let reference = try reader.astring("LIST reference")
        try reader.space("LIST pattern")
        var patterns: [String] = []
        // RFC 5258 §3: patterns = "(" list-mailbox *(SP list-mailbox) ")"
        if reader.consume(IMAPCharacter.openParen) {
            repeat {
                patterns.append(try listMailbox(&reader))
            } while reader.consume(IMAPCharacter.space)
            try reader.expect(IMAPCharacter.closeParen, "\")\" closing LIST patterns")
        } else {
            patterns.append(try listMailbox(&reader))
        }
        var returning: [IMAPListReturnOption]?
        if reader.consume(IMAPCharacter.space) {
            guard reader.consumeKeyword("RETURN") else { throw reader.expected("RETURN") }
            try reader.space("LIST return options")
            returning = try listReturnOptions(&reader)
        }
        return IMAPListCommand(
            selectionOptions: selection, reference: reference, patterns: patterns, returnOptions: returning)
    }

    /// list-select-opts = "(" [list-select-opt *(SP list-select-opt)] ")"
    static func listSelectionOptions(
        _ reader: inout IMAPByteReader
    ) throws(IMAPParseError) -> [IMAPListSelectionOption] {
        try reader.expect(IMAPCharacter.openParen, "\"(\" before LIST selection options")
        var options: [IMAPListSelectionOption] = []
        if !reader.consume(IMAPCharacter.closeParen) {
            repeat {
                let name = reader.keyword()
                guard let option = IMAPListSelectionOption(rawValue: name) else {
                    if name.isEmpty { throw reader.expected("LIST selection option") }
                    // RFC 5258 §3: unrecognised options MUST be rejected with BAD.
                    throw reader.error(.unsupported("LIST selection option \(name.prefix(32))"))
                }
                options.append(option)
            } while reader.consume(IMAPCharacter.space)
            try reader.expect(IMAPCharacter.closeParen, "\")\" closing LIST selection options")
        }
        // RFC 5258 §3.1: RECURSIVEMATCH needs a base option (SUBSCRIBED) to modify.
        if options.contains(.recursiveMatch), !options.contains(.subscribed) {
            throw reader.error(.invalid("RECURSIVEMATCH requires another selection option such as SUBSCRIBED"))
        }
        return options
    }

    /// list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
    static func listReturnOptions(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [IMAPListReturnOption] {
        try reader.expect(IMAPCharacter.openParen, "\"(\" before LIST return options")
        var options: [IMAPListReturnOption] = []
        if reader.consume(IMAPCharacter.closeParen) { return options }
        repeat {
            let name = reader.keyword()
            switch name {
            case "SUBSCRIBED": options.append(.subscribed)
            case "CHILDREN": options.append(.children)
            case "SPECIAL-USE": options.append(.specialUse)
            // RFC 5819 §4: status-option = "STATUS" SP "(" status-att *(SP status-att) ")"
            case "STATUS":
                try reader.space("STATUS items")
                options.append(.status(try statusAttributes(&reader)))
            case "": throw reader.expected("LIST return option")
            default: throw reader.error(.unsupported("LIST return option \(name.prefix(32))"))
            }
        } while reader.consume(IMAPCharacter.space)
        try reader.expect(IMAPCharacter.closeParen, "\")\" closing LIST return options")
        return options
    }

    /// list-mailbox = 1*list-char / string
    static func listMailbox(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> String {
        if let byte = reader.peek(), byte == IMAPCharacter.quote || byte == IMAPCharacter.openBrace {
            return try reader.utf8(reader.string("mailbox pattern"), "mailbox pattern")
        }
        let start = reader.index
        while let byte = reader.peek(), IMAPCharacter.isListChar(byte) { reader.advance() }
        guard reader.index > start else { throw reader.expected("mailbox pattern") }
        return String(decoding: reader.bytes[start..<reader.index], as: UTF8.self)
    }

    /// lsub = "LSUB" SP mailbox SP list-mailbox (RFC 3501 §9)
    static func lsub(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand.Kind {
        try reader.space("LSUB reference")
        let reference = try reader.astring("LSUB reference")
        try reader.space("LSUB pattern")
        return .lsub(reference: reference, pattern: try listMailbox(&reader))
    }

    // MARK: - STATUS

    /// status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
    static func status(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand.Kind {
        let mailbox = try spaceMailbox(&reader)
        try reader.space("STATUS items")
        return .status(mailbox, try statusAttributes(&reader))
    }

    static func statusAttributes(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [IMAPStatusAttribute] {
        try reader.expect(IMAPCharacter.openParen, "\"(\" before STATUS items")
        var attributes: [IMAPStatusAttribute] = []
        repeat {
            let name = reader.keyword()
            guard let attribute = IMAPStatusAttribute(rawValue: name) else {
                if name.isEmpty { throw reader.expected("STATUS item") }
                throw reader.error(.unsupported("STATUS item \(name.prefix(32))"))
            }
            attributes.append(attribute)
        } while reader.consume(IMAPCharacter.space)
        try reader.expect(IMAPCharacter.closeParen, "\")\" closing STATUS items")
        return attributes
    }

    // MARK: - APPEND

    /// append = "APPEND" SP mailbox 1*append-message (RFC 3502 §6.3.11);
    /// append-message = append-opts SP (literal / literal8).
    static func append(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand.Kind {
        let mailbox = try spaceMailbox(&reader)
        var messages: [IMAPAppendMessage] = []
        repeat {
            let options = try appendOptions(&reader)
            guard let byte = reader.peek(), byte == IMAPCharacter.openBrace || byte == IMAPCharacter.tilde else {
                throw reader.expected("message literal")
            }
            let (data, binary) = try reader.literal("message literal", allowBinary: true)
            messages.append(
                IMAPAppendMessage(flags: options.flags, internalDate: options.internalDate, data: data, isBinary: binary))
        } while reader.peek() == IMAPCharacter.space
        return .append(mailbox, messages)
    }

    /// [SP flag-list] [SP date-time] SP, leaving the reader on the literal.
    static func appendOptions(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPAppendOptions {
        var options = IMAPAppendOptions()
        try reader.space("message literal")
        if reader.peek() == IMAPCharacter.openParen {
            options.flags = try flagList(&reader)
            try reader.space("message literal")
        }
        if reader.peek() == IMAPCharacter.quote {
            options.internalDate = try reader.dateTime()
            try reader.space("message literal")
        }
        return options
    }

    /// When `prefix` (a command up to, not including, a literal marker) is
    /// "tag SP APPEND SP mailbox append-opts SP", the literal that follows is
    /// the first message: returns the parts. Nil otherwise (the literal is
    /// an argument, e.g. the mailbox name).
    static func appendPrefix(_ prefix: [UInt8]) -> (tag: String, mailbox: IMAPMailboxName, options: IMAPAppendOptions)? {
        var reader = IMAPByteReader(prefix, maxDepth: 1)
        do throws(IMAPParseError) {
            let tag = try self.tag(&reader)
            reader.tag = tag
            try reader.space("command name")
            guard reader.keyword() == "APPEND" else { return nil }
            let mailbox = try spaceMailbox(&reader)
            let options = try appendOptions(&reader)
            guard reader.isAtEnd else { return nil }
            return (tag, mailbox, options)
        } catch {
            return nil
        }
    }

    /// The text between one message literal of MULTIAPPEND and the next
    /// literal marker: append-opts SP (RFC 3502 §6.3.11).
    static func appendNextOptions(_ text: [UInt8], tag: String) throws(IMAPParseError) -> IMAPAppendOptions {
        var reader = IMAPByteReader(text, maxDepth: 1)
        reader.tag = tag
        let options = try appendOptions(&reader)
        guard reader.isAtEnd else { throw reader.expected("message literal") }
        return options
    }

    // MARK: - Flags

    /// flag-list = "(" [flag *(SP flag)] ")"
    static func flagList(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [IMAPFlag] {
        try reader.expect(IMAPCharacter.openParen, "\"(\" before flag list")
        var flags: [IMAPFlag] = []
        if reader.consume(IMAPCharacter.closeParen) { return flags }
        repeat {
            flags.append(try flag(&reader))
        } while reader.consume(IMAPCharacter.space)
        try reader.expect(IMAPCharacter.closeParen, "\")\" closing flag list")
        return flags
    }

    /// flag = "\" atom (system flags, flag-extension) / flag-keyword (atom)
    static func flag(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPFlag {
        if reader.consume(IMAPCharacter.backslash) {
            return IMAPFlag("\\" + (try reader.atom("flag name after \"\\\"")))
        }
        return IMAPFlag(try reader.atom("flag"))
    }
}

/// append-opts: the flags and internal date of one APPEND message.
public struct IMAPAppendOptions: Sendable, Hashable {
    public var flags: [IMAPFlag]
    public var internalDate: IMAPDateTime?

    public init(flags: [IMAPFlag] = [], internalDate: IMAPDateTime? = nil) {
        self.flags = flags
        self.internalDate = internalDate
    }
}
