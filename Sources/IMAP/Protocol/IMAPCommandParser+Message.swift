// Selected-state commands: SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4,
// RFC 4731, RFC 7162 §3.1.5), FETCH (RFC 9051 §6.4.5, RFC 7162 §3.1.4),
// STORE (RFC 9051 §6.4.6, RFC 7162 §3.1.3), COPY, MOVE (RFC 6851) and
// UID (RFC 9051 §6.4.9, RFC 4315 §2.1).

extension IMAPCommandParser {
    // MARK: - UID

    /// uid = "UID" SP (copy / move / fetch / search / store / uid-expunge)
    static func uid(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPCommand.Kind {
        try reader.space("command after UID")
        let name = reader.keyword()
        switch name {
        case "FETCH":
            let (set, attributes, modifiers) = try fetch(&reader)
            return .uidFetch(set, attributes, modifiers)
        case "SEARCH": return .uidSearch(try search(&reader))
        case "STORE":
            let (set, modifiers, action) = try store(&reader)
            return .uidStore(set, modifiers, action)
        case "COPY":
            let (set, mailbox) = try copyOrMove(&reader)
            return .uidCopy(set, mailbox)
        case "MOVE":
            let (set, mailbox) = try copyOrMove(&reader)
            return .uidMove(set, mailbox)
        // RFC 4315 §2.1: uid-expunge = "EXPUNGE" SP sequence-set
        case "EXPUNGE":
            try reader.space("UID set")
            return .uidExpunge(try reader.sequenceSet("UID set"))
        case "": throw reader.expected("command after UID")
        default: throw reader.error(.unknownCommand("UID \(name.prefix(32))"))
        }
    }

    /// copy = "COPY" SP sequence-set SP mailbox; move likewise (RFC 6851 §4).
    static func copyOrMove(
        _ reader: inout IMAPByteReader
    ) throws(IMAPParseError) -> (IMAPSequenceSet, IMAPMailboxName) {
        try reader.space("message set")
        let set = try reader.sequenceSet("message set")
        return (set, try spaceMailbox(&reader, "destination mailbox"))
    }

    // MARK: - STORE

    /// store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
    static func store(
        _ reader: inout IMAPByteReader
    ) throws(IMAPParseError) -> (IMAPSequenceSet, IMAPStoreModifiers, IMAPStoreAction) {
        try reader.space("message set")
        let set = try reader.sequenceSet("message set")
        try reader.space("STORE item")
        var modifiers = IMAPStoreModifiers()
        // store-modifiers = SP "(" store-modifier *(SP store-modifier) ")" (RFC 4466 §2.5)
        if reader.consume(IMAPCharacter.openParen) {
            repeat {
                let name = reader.keyword()
                switch name {
                // RFC 7162 §3.1.3: "UNCHANGEDSINCE" SP mod-sequence-valzer, at most once.
                case "UNCHANGEDSINCE" where modifiers.unchangedSince == nil:
                    try reader.space("mod-sequence")
                    modifiers.unchangedSince = try reader.number64("mod-sequence")
                case "UNCHANGEDSINCE": throw reader.error(.invalid("UNCHANGEDSINCE given twice"))
                case "": throw reader.expected("STORE modifier")
                default: throw reader.error(.unsupported("STORE modifier \(name.prefix(32))"))
                }
            } while reader.consume(IMAPCharacter.space)
            try reader.expect(IMAPCharacter.closeParen, "\")\" closing STORE modifiers")
            try reader.space("STORE item")
        }
        let operation: IMAPStoreAction.Operation
        if reader.consume(IMAPCharacter.plus) {
            operation = .add
        } else if reader.consume(IMAPCharacter.minus) {
            operation = .remove
        } else {
            operation = .replace
        }
        let silent: Bool
        let itemStart = reader.index
        switch reader.keyword() {
        case "FLAGS": silent = false
        case "FLAGS.SILENT": silent = true
        default:
            reader.rewind(to: itemStart)
            throw reader.expected("FLAGS, +FLAGS or -FLAGS")
        }
        try reader.space("flags")
        var flags: [IMAPFlag]
        if reader.peek() == IMAPCharacter.openParen {
            flags = try flagList(&reader)
        } else {
            flags = [try flag(&reader)]
            while reader.consume(IMAPCharacter.space) { flags.append(try flag(&reader)) }
        }
        return (set, modifiers, IMAPStoreAction(operation, silent: silent, flags: flags))
    }

    // MARK: - FETCH

    /// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
    ///         "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
    static func fetch(
        _ reader: inout IMAPByteReader
    ) throws(IMAPParseError) -> (IMAPSequenceSet, [IMAPFetchAttribute], IMAPFetchModifiers) {
        try reader.space("message set")
        let set = try reader.sequenceSet("message set")
        try reader.space("FETCH items")
        var attributes: [IMAPFetchAttribute] = []
        if reader.consume(IMAPCharacter.openParen) {
            repeat {
                attributes.append(try fetchAttribute(&reader))
            } while reader.consume(IMAPCharacter.space)
            try reader.expect(IMAPCharacter.closeParen, "\")\" closing FETCH items")
        } else {
            let saved = reader.index
            switch reader.keyword() {
            case "ALL": attributes = IMAPFetchAttribute.all
            case "FAST": attributes = IMAPFetchAttribute.fast
            case "FULL": attributes = IMAPFetchAttribute.full
            default:
                reader.rewind(to: saved)
                attributes = [try fetchAttribute(&reader)]
            }
        }
        var modifiers = IMAPFetchModifiers()
        // fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")" (RFC 4466 §2.4)
        if reader.consume(IMAPCharacter.space) {
            try reader.expect(IMAPCharacter.openParen, "\"(\" before FETCH modifiers")
            repeat {
                let name = reader.keyword()
                switch name {
                // RFC 7162 §3.1.4: chgsince-fetch-mod = "CHANGEDSINCE" SP mod-sequence-value
                case "CHANGEDSINCE" where modifiers.changedSince == nil:
                    try reader.space("mod-sequence")
                    modifiers.changedSince = try reader.nzNumber64("mod-sequence")
                case "CHANGEDSINCE": throw reader.error(.invalid("CHANGEDSINCE given twice"))
                case "": throw reader.expected("FETCH modifier")
                default: throw reader.error(.unsupported("FETCH modifier \(name.prefix(32))"))
                }
            } while reader.consume(IMAPCharacter.space)
            try reader.expect(IMAPCharacter.closeParen, "\")\" closing FETCH modifiers")
        }
        return (set, attributes, modifiers)
    }

    /// fetch-att (RFC 9051 §9, RFC 3501 §9 for RFC822.*, RFC 7162 for MODSEQ).
    static func fetchAttribute(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPFetchAttribute {
        let name = reader.keyword()
        switch name {
        case "ENVELOPE": return .envelope
        case "FLAGS": return .flags
        case "INTERNALDATE": return .internalDate
        case "RFC822.SIZE": return .rfc822Size
        case "RFC822": return .rfc822
        case "RFC822.HEADER": return .rfc822Header
        case "RFC822.TEXT": return .rfc822Text
        case "BODYSTRUCTURE": return .bodyStructure
        case "UID": return .uid
        case "MODSEQ": return .modSeq
        case "BODY", "BODY.PEEK":
            guard reader.peek() == IMAPCharacter.openBracket else {
                if name == "BODY" { return .body }
                throw reader.expected("\"[\" after BODY.PEEK")
            }
            let section = try self.section(&reader)
            return .bodySection(section, partial: try partial(&reader), peek: name == "BODY.PEEK")
        case "BINARY", "BINARY.PEEK":
            let part = try sectionBinary(&reader)
            return .binary(part: part, partial: try partial(&reader), peek: name == "BINARY.PEEK")
        case "BINARY.SIZE":
            return .binarySize(part: try sectionBinary(&reader))
        case "": throw reader.expected("FETCH item")
        default: throw reader.error(.unsupported("FETCH item \(name.prefix(32))"))
        }
    }

    /// section = "[" [section-spec] "]"
    /// section-spec = section-msgtext / (section-part ["." section-text])
    static func section(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPSection {
        try reader.expect(IMAPCharacter.openBracket, "\"[\" before section")
        var section = IMAPSection()
        if reader.consume(IMAPCharacter.closeBracket) { return section }
        if let byte = reader.peek(), IMAPCharacter.isDigit(byte) {
            section.part = try sectionPart(&reader)
            guard reader.consume(IMAPCharacter.dot) else {
                try reader.expect(IMAPCharacter.closeBracket, "\"]\" closing section")
                return section
            }
        }
        let textStart = reader.index
        let name = reader.keyword()
        switch name {
        case "HEADER": section.text = .header
        case "TEXT": section.text = .text
        // RFC 9051 §6.4.5.1: MIME refers to the MIME header of a part, so it needs one.
        case "MIME" where !section.part.isEmpty: section.text = .mime
        case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
            try reader.space("header field list")
            let fields = try headerList(&reader)
            section.text = name == "HEADER.FIELDS" ? .headerFields(fields) : .headerFieldsNot(fields)
        default:
            reader.rewind(to: textStart)
            throw reader.expected("section text (HEADER, HEADER.FIELDS, TEXT or MIME)")
        }
        try reader.expect(IMAPCharacter.closeBracket, "\"]\" closing section")
        return section
    }

    /// section-part = nz-number *("." nz-number); stops before "." text.
    static func sectionPart(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [UInt32] {
        var part = [try reader.nzNumber("section part number")]
        while reader.peek() == IMAPCharacter.dot, let next = reader.peek(1), IMAPCharacter.isDigit(next) {
            reader.advance()
            part.append(try reader.nzNumber("section part number"))
        }
        return part
    }

    /// section-binary = "[" [section-part] "]"
    static func sectionBinary(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [UInt32] {
        try reader.expect(IMAPCharacter.openBracket, "\"[\" before BINARY section")
        if reader.consume(IMAPCharacter.closeBracket) { return [] }
        let part = try sectionPart(&reader)
        try reader.expect(IMAPCharacter.closeBracket, "\"]\" closing BINARY section")
        return part
    }

    /// header-list = "(" header-fld-name *(SP header-fld-name) ")"
    static func headerList(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> [String] {
        try reader.expect(IMAPCharacter.openParen, "\"(\" before header field list")
        var fields: [String] = []
        repeat {
            fields.append(try reader.astring("header field name"))
        } while reader.consume(IMAPCharacter.space)
        try reader.expect(IMAPCharacter.closeParen, "\")\" closing header field list")
        return fields
    }

    /// partial = "<" number64 "." nz-number64 ">"
    static func partial(_ reader: inout IMAPByteReader) throws(IMAPParseError) -> IMAPPartial? {
        guard reader.consume(IMAPCharacter.less) else { return nil }
        let offset = try reader.number64("partial offset")
        try reader.expect(IMAPCharacter.dot, "\".\" in partial range")
        let length = try reader.nzNumber64("partial length")
        try reader.expect(IMAPCharacter.greater, "\">\" closing partial range")
        return IMAPPartial(offset: offset, length: length)
    }
}
