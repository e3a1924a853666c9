// ZoneLexer: splits a master file into entries of tokens (RFC 1035 §5.1): one entry per
// line, or per group of lines inside parentheses; `;` starts a comment; a line that starts
// with a blank omits its owner; quoted strings are single tokens.
//
// Invariants: tokens keep their escapes (`\X`, `\DDD`) undecoded, because names and
// character-strings decode them differently; every token and entry knows its line.

/// One token of a master file.
struct ZoneToken {
    /// The octets of the token, escapes undecoded; for a quoted string, without the quotes.
    var bytes: [UInt8]
    /// True for a quoted string.
    var quoted: Bool
    /// The line the token starts on, from 1.
    var line: Int

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// One entry: a directive or a resource record.
struct ZoneEntry {
    /// The line the entry starts on.
    var line: Int
    /// True when the entry's first line starts with a space or tab: the owner is omitted.
    var startsWithBlank: Bool
    var tokens: [ZoneToken]
}

enum ZoneLexer {
    /// The entries of `bytes`; fails on unbalanced parentheses and unterminated strings,
    /// with the line of the culprit.
    static func entries(_ bytes: [UInt8]) throws(ZoneSyntaxError) -> [ZoneEntry] {
        var entries: [ZoneEntry] = []
        var current = ZoneEntry(line: 1, startsWithBlank: false, tokens: [])
        var line = 1
        var openedAt: Int?
        var atLineStart = true
        var index = 0

        func finishEntry() {
            if !current.tokens.isEmpty { entries.append(current) }
            current.tokens = []
        }

        while index < bytes.count {
            let byte = bytes[index]
            if atLineStart, openedAt == nil {
                current = ZoneEntry(line: line, startsWithBlank: byte == space || byte == tab, tokens: [])
            }
            atLineStart = false
            switch byte {
            case newline:
                line += 1
                index += 1
                if openedAt == nil {
                    finishEntry()
                    atLineStart = true
                }
            case space, tab, carriageReturn:
                index += 1
            case UInt8(ascii: ";"):
                while index < bytes.count, bytes[index] != newline { index += 1 }
            case UInt8(ascii: "("):
                guard openedAt == nil else { throw ZoneSyntaxError(line: line, message: "'(' inside parentheses") }
                openedAt = line
                index += 1
            case UInt8(ascii: ")"):
                guard openedAt != nil else { throw ZoneSyntaxError(line: line, message: "')' without '('") }
                openedAt = nil
                index += 1
            case UInt8(ascii: "\""):
                let start = index + 1
                index = start
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    guard bytes[index] != newline else {
                        throw ZoneSyntaxError(line: line, message: "quoted string not closed on its line")
                    }
                    let escaped = bytes[index] == UInt8(ascii: "\\") && index + 1 < bytes.count
                    index += escaped && bytes[index + 1] != newline ? 2 : 1
                }
                guard index < bytes.count else { throw ZoneSyntaxError(line: line, message: "quoted string not closed") }
                current.tokens.append(ZoneToken(bytes: Array(bytes[start..<index]), quoted: true, line: line))
                index += 1
            default:
                let start = index
                while index < bytes.count, !endsWord(bytes[index]) {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] != newline {
                        index += 1
                    }
                    index += 1
                }
                current.tokens.append(ZoneToken(bytes: Array(bytes[start..<index]), quoted: false, line: line))
            }
        }
        if let openedAt { throw ZoneSyntaxError(line: openedAt, message: "'(' not closed") }
        finishEntry()
        return entries
    }

    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    private static func endsWord(_ byte: UInt8) -> Bool {
        switch byte {
        case space, tab, newline, carriageReturn, UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "\""):
            true
        default: false
        }
    }
}

/// A fault at a line of a master file, before the file name is attached (`ZoneError`).
struct ZoneSyntaxError: Error {
    var line: Int
    var message: String
}
