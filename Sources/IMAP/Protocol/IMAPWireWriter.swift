// The low-level writer both encoders share: atoms, quoted strings, literals,
// numbers, flag lists, sequence sets, dates and sections (RFC 9051 §4, §9).
// It decides the string form: atom / quoted / literal / NIL.

struct IMAPWireWriter {
    /// How literals are written.
    enum LiteralMode {
        /// Server to client: "{N}" CRLF data, never "+" (RFC 9051 §4.3).
        case server
        /// Client to server, synchronising: "{N}" CRLF, then wait for "+".
        case synchronizing
        /// Client to server with LITERAL+: "{N+}" always (RFC 7888 §3).
        case nonSynchronizing
        /// Client to server with LITERAL- or IMAP4rev2: "{N+}" up to 4096
        /// octets, synchronising above (RFC 7888 §5, RFC 9051 §4.3).
        case nonSynchronizingUpTo4096
    }

    var bytes: [UInt8] = []
    /// Offsets in `bytes` after which a client must wait for a continuation
    /// request before sending the rest.
    var synchronizingPoints: [Int] = []
    /// UTF8=ACCEPT / IMAP4rev2: 8-bit text may go in quoted strings
    /// (RFC 9051 §4.3.1); otherwise it needs a literal.
    let utf8: Bool
    let literalMode: LiteralMode

    init(utf8: Bool, literalMode: LiteralMode) {
        self.utf8 = utf8
        self.literalMode = literalMode
    }

    // MARK: Plain output

    mutating func ascii(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func byte(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func space() {
        bytes.append(IMAPCharacter.space)
    }

    mutating func crlf() {
        bytes.append(IMAPCharacter.cr)
        bytes.append(IMAPCharacter.lf)
    }

    mutating func number(_ value: some BinaryInteger) {
        ascii(String(value))
    }

    // MARK: Strings

    enum StringForm: Equatable {
        case atom
        case quoted
        case literal
    }

    /// The form a string takes: an atom where `atomAllowed` (astring) and all
    /// octets are ASTRING-CHAR; quoted for text without CR, LF and NUL that is
    /// 7-bit, or UTF-8 under UTF8=ACCEPT; a literal otherwise.
    func form(of text: String, atomAllowed: Bool) -> StringForm {
        let utf8View = text.utf8
        if atomAllowed, !utf8View.isEmpty, utf8View.allSatisfy(IMAPCharacter.isAStringChar) {
            return .atom
        }
        let quotable = utf8View.allSatisfy { byte in
            byte != 0 && byte != IMAPCharacter.cr && byte != IMAPCharacter.lf && (byte < 0x80 || utf8)
        }
        return quotable ? .quoted : .literal
    }

    /// astring = 1*ASTRING-CHAR / string
    mutating func astring(_ text: String) {
        switch form(of: text, atomAllowed: true) {
        case .atom: ascii(text)
        case .quoted: quoted(text)
        case .literal: literal(Array(text.utf8))
        }
    }

    /// string = quoted / literal
    mutating func string(_ text: String) {
        switch form(of: text, atomAllowed: false) {
        case .atom, .quoted: quoted(text)
        case .literal: literal(Array(text.utf8))
        }
    }

    /// nstring = string / nil
    mutating func nstring(_ text: String?) {
        guard let text else {
            ascii("NIL")
            return
        }
        string(text)
    }

    /// quoted = DQUOTE *QUOTED-CHAR DQUOTE, escaping quoted-specials.
    mutating func quoted(_ text: String) {
        byte(IMAPCharacter.quote)
        for byte in text.utf8 {
            if byte == IMAPCharacter.quote || byte == IMAPCharacter.backslash {
                bytes.append(IMAPCharacter.backslash)
            }
            bytes.append(byte)
        }
        byte(IMAPCharacter.quote)
    }

    /// A literal with its data.
    mutating func literal(_ data: some Collection<UInt8>, binary: Bool = false) {
        literalHeader(count: data.count, binary: binary)
        bytes.append(contentsOf: data)
    }

    /// "{N}" CRLF (or "~{N}", or "{N+}" by `literalMode`); the N octets follow.
    mutating func literalHeader(count: Int, binary: Bool = false) {
        if binary { byte(IMAPCharacter.tilde) }
        byte(IMAPCharacter.openBrace)
        number(count)
        let synchronizing: Bool
        switch literalMode {
        case .server: synchronizing = false
        case .synchronizing: synchronizing = true
        case .nonSynchronizing: synchronizing = false
        case .nonSynchronizingUpTo4096: synchronizing = count > 4096
        }
        if literalMode != .server, !synchronizing { byte(IMAPCharacter.plus) }
        byte(IMAPCharacter.closeBrace)
        crlf()
        if synchronizing { synchronizingPoints.append(bytes.count) }
    }

    // MARK: Structured values

    /// flag-list = "(" [flag *(SP flag)] ")"
    mutating func flagList(_ flags: [IMAPFlag]) {
        byte(IMAPCharacter.openParen)
        for (offset, flag) in flags.enumerated() {
            if offset > 0 { space() }
            ascii(sanitizedAtomOrFlag(flag.rawValue))
        }
        byte(IMAPCharacter.closeParen)
    }

    mutating func sequenceSet(_ set: IMAPSequenceSet) {
        IMAPWireWriter.appendSequenceSet(set, to: &bytes)
    }

    static func appendSequenceSet(_ set: IMAPSequenceSet, to bytes: inout [UInt8]) {
        switch set {
        case .lastCommand:
            bytes.append(IMAPCharacter.dollar)
        case .ranges(let ranges):
            for (offset, range) in ranges.enumerated() {
                if offset > 0 { bytes.append(IMAPCharacter.comma) }
                appendSequenceNumber(range.first, to: &bytes)
                if range.first != range.second {
                    bytes.append(IMAPCharacter.colon)
                    appendSequenceNumber(range.second, to: &bytes)
                }
            }
        }
    }

    private static func appendSequenceNumber(_ number: IMAPSequenceNumber, to bytes: inout [UInt8]) {
        switch number {
        case .last: bytes.append(IMAPCharacter.star)
        case .number(let value): bytes.append(contentsOf: String(value).utf8)
        }
    }

    /// date-time in its quotes.
    mutating func dateTime(_ value: IMAPDateTime) {
        byte(IMAPCharacter.quote)
        ascii(value.description)
        byte(IMAPCharacter.quote)
    }

    /// section = "[" [section-spec] "]"
    mutating func section(_ section: IMAPSection) {
        byte(IMAPCharacter.openBracket)
        sectionSpec(section)
        byte(IMAPCharacter.closeBracket)
    }

    static func appendSectionSpec(_ section: IMAPSection, to bytes: inout [UInt8]) {
        var writer = IMAPWireWriter(utf8: true, literalMode: .server)
        writer.sectionSpec(section)
        bytes.append(contentsOf: writer.bytes)
    }

    /// section-spec = section-msgtext / (section-part ["." section-text])
    mutating func sectionSpec(_ section: IMAPSection) {
        sectionPart(section.part)
        guard let text = section.text else { return }
        if !section.part.isEmpty { byte(IMAPCharacter.dot) }
        switch text {
        case .header: ascii("HEADER")
        case .text: ascii("TEXT")
        case .mime: ascii("MIME")
        case .headerFields(let fields):
            ascii("HEADER.FIELDS ")
            parenthesized(fields) { $0.astring($1) }
        case .headerFieldsNot(let fields):
            ascii("HEADER.FIELDS.NOT ")
            parenthesized(fields) { $0.astring($1) }
        }
    }

    /// section-part = nz-number *("." nz-number)
    mutating func sectionPart(_ part: [UInt32]) {
        for (offset, number) in part.enumerated() {
            if offset > 0 { byte(IMAPCharacter.dot) }
            self.number(number)
        }
    }

    /// "<" offset "." length ">" in a command, "<" origin ">" in a response.
    mutating func partial(_ partial: IMAPPartial) {
        byte(IMAPCharacter.less)
        number(partial.offset)
        byte(IMAPCharacter.dot)
        number(partial.length)
        byte(IMAPCharacter.greater)
    }

    /// A list of status items or values in parentheses.
    mutating func parenthesized<T>(_ items: [T], _ write: (inout IMAPWireWriter, T) -> Void) {
        byte(IMAPCharacter.openParen)
        for (offset, item) in items.enumerated() {
            if offset > 0 { space() }
            write(&self, item)
        }
        byte(IMAPCharacter.closeParen)
    }
}
