// SEARCH programs: RFC 9051 §6.4.4 and §9 `search-key`, the RFC 3501 keys
// NEW, OLD and RECENT, ESEARCH return options (RFC 4731 §3.1, RFC 9051
// §6.4.4) and MODSEQ (RFC 7162 §3.1.5).

extension IMAPCommandParser {
    /// search = "SEARCH" [search-return-opts] SP search-program
    /// search-program = ["CHARSET" SP charset SP] search-key *(SP search-key)
    static func search(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPSearchCommand {
        try reader.space("search key")
        var command = IMAPSearchCommand(keys: [])
        if reader.consumeKeyword("RETURN") {
            try reader.space("search return options")
            command.returnOptions = try searchReturnOptions(&reader)
            try reader.space("search key")
        }
        if reader.consumeKeyword("CHARSET") {
            try reader.space("charset")
            // charset = atom / quoted
            if reader.peek() == IMAPCharacter.quote {
                command.charset = try reader.utf8(reader.quoted("charset"), "charset")
            } else {
                command.charset = try reader.atom("charset")
            }
            try reader.space("search key")
        }
        repeat {
            command.keys.append(try searchKey(&reader))
        } while reader.consume(IMAPCharacter.space)
        return command
    }

    /// search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"
    static func searchReturnOptions(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [IMAPSearchReturnOption] {
        try reader.expect(IMAPCharacter.openParen, "\"(\" before search return options")
        var options: [IMAPSearchReturnOption] = []
        if reader.consume(IMAPCharacter.closeParen) { return options }
        repeat {
            let name = reader.keyword()
            guard let option = IMAPSearchReturnOption(rawValue: name) else {
                if name.isEmpty { throw reader.expected("search return option") }
                throw reader.error(.unsupported("search return option \(name.prefix(32))"))
            }
            options.append(option)
        } while reader.consume(IMAPCharacter.space)
        try reader.expect(IMAPCharacter.closeParen, "\")\" closing search return options")
        return options
    }

    /// search-key; recursion through "(", NOT and OR counts against
    /// `maxNestingDepth`.
    static func searchKey(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPSearchKey {
        guard let first = reader.peek() else { throw reader.expected("search key") }
        if first == IMAPCharacter.openParen {
            reader.advance()
            try reader.enter()
            var keys: [IMAPSearchKey] = []
            repeat {
                keys.append(try searchKey(&reader))
            } while reader.consume(IMAPCharacter.space)
            try reader.expect(IMAPCharacter.closeParen, "\")\" closing search key group")
            reader.leave()
            return .and(keys)
        }
        if IMAPCharacter.isDigit(first) || first == IMAPCharacter.star || first == IMAPCharacter.dollar {
            return .sequenceSet(try reader.sequenceSet("message set"))
        }
        let name = reader.keyword()
        switch name {
        case "ALL": return .all
        case "ANSWERED": return .answered
        case "DELETED": return .deleted
        case "DRAFT": return .draft
        case "FLAGGED": return .flagged
        case "NEW": return .new
        case "OLD": return .old
        case "RECENT": return .recent
        case "SEEN": return .seen
        case "UNANSWERED": return .unanswered
        case "UNDELETED": return .undeleted
        case "UNDRAFT": return .undraft
        case "UNFLAGGED": return .unflagged
        case "UNSEEN": return .unseen
        case "BCC": return .bcc(try searchString(&reader, name))
        case "BODY": return .body(try searchString(&reader, name))
        case "CC": return .cc(try searchString(&reader, name))
        case "FROM": return .from(try searchString(&reader, name))
        case "SUBJECT": return .subject(try searchString(&reader, name))
        case "TEXT": return .text(try searchString(&reader, name))
        case "TO": return .to(try searchString(&reader, name))
        case "HEADER":
            // "HEADER" SP header-fld-name SP astring
            let field = try searchString(&reader, "HEADER field name")
            return .header(field, try searchString(&reader, "HEADER"))
        case "KEYWORD":
            try reader.space("keyword")
            return .keyword(IMAPFlag(try reader.atom("keyword")))
        case "UNKEYWORD":
            try reader.space("keyword")
            return .unkeyword(IMAPFlag(try reader.atom("keyword")))
        case "BEFORE": return .before(try searchDate(&reader, name))
        case "ON": return .on(try searchDate(&reader, name))
        case "SINCE": return .since(try searchDate(&reader, name))
        case "SENTBEFORE": return .sentBefore(try searchDate(&reader, name))
        case "SENTON": return .sentOn(try searchDate(&reader, name))
        case "SENTSINCE": return .sentSince(try searchDate(&reader, name))
        case "LARGER":
            try reader.space("size")
            return .larger(try reader.number64("size"))
        case "SMALLER":
            try reader.space("size")
            return .smaller(try reader.number64("size"))
        case "UID":
            try reader.space("UID set")
            return .uid(try reader.sequenceSet("UID set"))
        case "NOT":
            try reader.enter()
            try reader.space("search key after NOT")
            let key = try searchKey(&reader)
            reader.leave()
            return .not(key)
        case "OR":
            try reader.enter()
            try reader.space("first search key of OR")
            let left = try searchKey(&reader)
            try reader.space("second search key of OR")
            let right = try searchKey(&reader)
            reader.leave()
            return .or(left, right)
        case "MODSEQ": return try modSeqKey(&reader)
        case "": throw reader.expected("search key")
        default: throw reader.error(.unsupported("search key \(name.prefix(32))"))
        }
    }

    private static func searchString(_ reader: inout IMAPByteReader, _ key: String) throws(IMAPParseError) -> String {
        try reader.space("\(key) string")
        return try reader.astring("\(key) string")
    }

    private static func searchDate(_ reader: inout IMAPByteReader, _ key: String) throws(IMAPParseError) -> IMAPDate {
        try reader.space("\(key) date")
        return try reader.date()
    }

    /// search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer
    /// search-modseq-ext = SP entry-name SP entry-type-req (RFC 7162 §7)
    private static func modSeqKey(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPSearchKey {
        try reader.space("mod-sequence")
        var entry: IMAPModSeqEntry?
        if reader.peek() == IMAPCharacter.quote {
            // entry-flag-name = DQUOTE "/flags/" attr-flag DQUOTE
            let name = try reader.utf8(reader.quoted("MODSEQ entry name"), "MODSEQ entry name")
            let prefix = "/flags/"
            guard name.lowercased().hasPrefix(prefix), name.count > prefix.count else {
                throw reader.error(.invalid("MODSEQ entry name must be \"/flags/<flag>\""))
            }
            try reader.space("MODSEQ entry type")
            let typeStart = reader.index
            guard let type = IMAPModSeqEntry.EntryType(rawValue: reader.keyword().lowercased()) else {
                reader.rewind(to: typeStart)
                throw reader.expected("MODSEQ entry type (priv, shared or all)")
            }
            entry = IMAPModSeqEntry(flag: IMAPFlag(String(name.dropFirst(prefix.count))), type: type)
            try reader.space("mod-sequence")
        }
        return .modSeq(try reader.number64("mod-sequence"), entry: entry)
    }
}
