// A cursor over the octets of one command, with the lexical rules of
// RFC 9051 §9 (atoms, strings, literals, numbers). The grammar productions
// that build typed values live in IMAPCommandParser*.swift.

// MARK: - Character classes (RFC 9051 §9)

enum IMAPCharacter {
    static let space: UInt8 = 0x20
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let openParen: UInt8 = 0x28
    static let closeParen: UInt8 = 0x29
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D
    static let plus: UInt8 = 0x2B
    static let minus: UInt8 = 0x2D
    static let tilde: UInt8 = 0x7E
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let comma: UInt8 = 0x2C
    static let star: UInt8 = 0x2A
    static let percent: UInt8 = 0x25
    static let dollar: UInt8 = 0x24
    static let less: UInt8 = 0x3C
    static let greater: UInt8 = 0x3E

    /// ATOM-CHAR: any CHAR except atom-specials
    /// ("(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials).
    static func isAtomChar(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return false }
        switch byte {
        case openParen, closeParen, openBrace, percent, star, quote, backslash, closeBracket: return false
        default: return true
        }
    }

    /// ASTRING-CHAR = ATOM-CHAR / resp-specials
    static func isAStringChar(_ byte: UInt8) -> Bool {
        isAtomChar(byte) || byte == closeBracket
    }

    /// tag = 1*<any ASTRING-CHAR except "+">
    static func isTagChar(_ byte: UInt8) -> Bool {
        isAStringChar(byte) && byte != plus
    }

    /// list-char = ATOM-CHAR / list-wildcards / resp-specials
    static func isListChar(_ byte: UInt8) -> Bool {
        isAStringChar(byte) || byte == percent || byte == star
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// Characters of the keywords the grammar spells out (FETCH items, search
    /// keys, option names): letters, digits, ".", "-" and "_".
    static func isKeywordChar(_ byte: UInt8) -> Bool {
        isAlpha(byte) || isDigit(byte) || byte == dot || byte == minus || byte == 0x5F
    }

    static func uppercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
    }
}

// MARK: - Reader

struct IMAPByteReader {
    let bytes: [UInt8]
    private(set) var index: Int
    /// The tag once read, so every later error carries it.
    var tag: String?
    private(set) var depth = 0
    let maxDepth: Int

    init(_ bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.index = 0
        self.maxDepth = maxDepth
    }

    var isAtEnd: Bool { index >= bytes.count }

    func peek(_ offset: Int = 0) -> UInt8? {
        let position = index + offset
        return position < bytes.count ? bytes[position] : nil
    }

    mutating func advance(_ count: Int = 1) {
        index = min(index + count, bytes.count)
    }

    /// Moves back to an earlier position, for one-token look-ahead.
    mutating func rewind(to position: Int) {
        index = position
    }

    // MARK: Errors

    func error(_ kind: IMAPParseError.Kind) -> IMAPParseError {
        IMAPParseError(tag: tag, kind: kind, offset: index)
    }

    /// "expected X, found Y" at the current position.
    func expected(_ what: String) -> IMAPParseError {
        error(.expected(what, found: foundDescription))
    }

    /// What sits at the cursor, quoted and short, for error texts.
    var foundDescription: String {
        guard let first = peek() else { return "end of command" }
        guard first >= 0x20, first < 0x7F else {
            let hex = String(first, radix: 16, uppercase: true)
            return "octet 0x" + (hex.count == 1 ? "0" + hex : hex)
        }
        var end = index
        while end < bytes.count, end - index < 16, bytes[end] > 0x20, bytes[end] < 0x7F {
            end += 1
        }
        if end == index { return "SP" }
        return "\"" + String(decoding: bytes[index..<end], as: UTF8.self) + "\""
    }

    // MARK: Punctuation

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(IMAPParseError) {
        guard consume(byte) else { throw expected(what) }
    }

    /// RFC 9051 §9: "SP refers to exactly one space".
    mutating func space(_ before: String) throws(IMAPParseError) {
        guard consume(IMAPCharacter.space) else { throw expected("SP before \(before)") }
    }

    mutating func expectEnd() throws(IMAPParseError) {
        guard isAtEnd else { throw expected("end of command") }
    }

    // MARK: Nesting

    /// Counts one level of "(", NOT or OR; throws past `maxDepth`.
    mutating func enter() throws(IMAPParseError) {
        depth += 1
        guard depth <= maxDepth else { throw error(.nestingTooDeep(limit: maxDepth)) }
    }

    mutating func leave() {
        depth -= 1
    }

    // MARK: Keywords and atoms

    /// A run of keyword characters, uppercased; empty if none.
    mutating func keyword() -> String {
        let start = index
        while let byte = peek(), IMAPCharacter.isKeywordChar(byte) { index += 1 }
        return String(decoding: bytes[start..<index].map(IMAPCharacter.uppercased), as: UTF8.self)
    }

    /// Consumes `word` (uppercase ASCII) case-insensitively when it is the
    /// whole next keyword.
    mutating func consumeKeyword(_ word: String) -> Bool {
        let saved = index
        if keyword() == word { return true }
        index = saved
        return false
    }

    /// atom = 1*ATOM-CHAR
    mutating func atom(_ what: String) throws(IMAPParseError) -> String {
        let start = index
        while let byte = peek(), IMAPCharacter.isAtomChar(byte) { index += 1 }
        guard index > start else { throw expected(what) }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    // MARK: Strings

    /// string = quoted / literal
    mutating func string(_ what: String) throws(IMAPParseError) -> [UInt8] {
        switch peek() {
        case IMAPCharacter.quote: return try quoted(what)
        case IMAPCharacter.openBrace: return try literal(what).bytes
        default: throw expected(what)
        }
    }

    /// astring = 1*ASTRING-CHAR / string
    mutating func astringBytes(_ what: String) throws(IMAPParseError) -> [UInt8] {
        if let byte = peek(), byte == IMAPCharacter.quote || byte == IMAPCharacter.openBrace {
            return try string(what)
        }
        let start = index
        while let byte = peek(), IMAPCharacter.isAStringChar(byte) { index += 1 }
        guard index > start else { throw expected(what) }
        return Array(bytes[start..<index])
    }

    mutating func astring(_ what: String) throws(IMAPParseError) -> String {
        try utf8(astringBytes(what), what)
    }

    /// nstring = string / nil
    mutating func nstring(_ what: String) throws(IMAPParseError) -> String? {
        if consumeNil() { return nil }
        return try utf8(string(what), what)
    }

    mutating func consumeNil() -> Bool {
        guard let first = peek(), IMAPCharacter.uppercased(first) == 0x4E else { return false }
        return consumeKeyword("NIL")
    }

    /// quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR escapes only
    /// quoted-specials and excludes CR and LF (RFC 9051 §4.3).
    mutating func quoted(_ what: String) throws(IMAPParseError) -> [UInt8] {
        try expect(IMAPCharacter.quote, what)
        var value: [UInt8] = []
        while true {
            guard let byte = peek() else { throw expected("closing DQUOTE of \(what)") }
            index += 1
            switch byte {
            case IMAPCharacter.quote:
                return value
            case IMAPCharacter.backslash:
                guard let escaped = peek(), escaped == IMAPCharacter.quote || escaped == IMAPCharacter.backslash
                else { throw expected("\\\" or \\\\ in \(what)") }
                index += 1
                value.append(escaped)
            case IMAPCharacter.cr, IMAPCharacter.lf:
                index -= 1
                throw expected("closing DQUOTE of \(what)")
            case 0:
                index -= 1
                throw error(.nulInString)
            default:
                value.append(byte)
            }
        }
    }

    /// literal = "{" number64 ["+"] "}" CRLF *CHAR8 (RFC 9051 §4.3, RFC 7888);
    /// literal8 = "~{" number64 ["+"] "}" CRLF *OCTET (RFC 3516, RFC 4466).
    /// The framer hands the parser a canonical CRLF; a bare LF is accepted too.
    mutating func literal(_ what: String, allowBinary: Bool = false) throws(IMAPParseError) -> (
        bytes: [UInt8], binary: Bool
    ) {
        var binary = false
        if peek() == IMAPCharacter.tilde {
            guard allowBinary else { throw expected(what) }
            binary = true
            index += 1
        }
        try expect(IMAPCharacter.openBrace, what)
        let count = try number64("literal length")
        _ = consume(IMAPCharacter.plus)
        try expect(IMAPCharacter.closeBrace, "\"}\" closing literal length")
        _ = consume(IMAPCharacter.cr)
        try expect(IMAPCharacter.lf, "CRLF after literal length")
        guard count <= UInt64(bytes.count - index) else { throw expected("\(count) octets of literal data") }
        let data = Array(bytes[index..<(index + Int(count))])
        if !binary, data.contains(0) { throw error(.nulInString) }
        index += Int(count)
        return (data, binary)
    }

    func utf8(_ bytes: [UInt8], _ what: String) throws(IMAPParseError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw error(.invalidUTF8(what)) }
        return text
    }

    // MARK: Numbers

    /// number = 1*DIGIT, an unsigned 32-bit integer.
    mutating func number(_ what: String) throws(IMAPParseError) -> UInt32 {
        let value = try digits(what, limit: UInt64(UInt32.max))
        return UInt32(value)
    }

    /// nz-number = digit-nz *DIGIT, a non-zero unsigned 32-bit integer.
    mutating func nzNumber(_ what: String) throws(IMAPParseError) -> UInt32 {
        let value = try number(what)
        guard value > 0 else { throw error(.numberOutOfRange(what)) }
        return value
    }

    /// number64 = 1*DIGIT, 0 ... 9,223,372,036,854,775,807.
    mutating func number64(_ what: String) throws(IMAPParseError) -> UInt64 {
        try digits(what, limit: UInt64(Int64.max))
    }

    mutating func nzNumber64(_ what: String) throws(IMAPParseError) -> UInt64 {
        let value = try number64(what)
        guard value > 0 else { throw error(.numberOutOfRange(what)) }
        return value
    }

    private mutating func digits(_ what: String, limit: UInt64) throws(IMAPParseError) -> UInt64 {
        guard let first = peek(), IMAPCharacter.isDigit(first) else { throw expected(what) }
        var value: UInt64 = 0
        while let byte = peek(), IMAPCharacter.isDigit(byte) {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1, !overflow2, sum <= limit else { throw error(.numberOutOfRange(what)) }
            value = sum
            index += 1
        }
        return value
    }
}
