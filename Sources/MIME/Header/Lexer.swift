// Lexer: the lexical tokens of structured header fields (RFC 5322 §3.2, RFC 2045 §5.1),
// lenient about 8-bit bytes (RFC 6532) and unterminated quotes and comments.

/// One lexical token of a structured field body.
struct Token: Equatable {
    enum Kind: Equatable {
        /// A run of atom characters (RFC 5322 atext plus "." and 8-bit; or an RFC 2045 token).
        case atom
        /// A quoted string; `bytes` holds its content with quoted-pairs resolved.
        case quoted
        /// A domain literal; `bytes` holds it with its brackets.
        case domainLiteral
        /// A comment; `bytes` holds its content without the outer parentheses.
        case comment
        /// A single special character, in `bytes`.
        case special
    }

    var kind: Kind
    var bytes: [UInt8]
    /// Whether blanks (or a comment) came before this token.
    var spaceBefore: Bool

    func isSpecial(_ c: UInt8) -> Bool { kind == .special && bytes.first == c }
}

enum Lexer {
    /// Which characters end an atom.
    enum Mode {
        /// RFC 5322 §3.2.3 specials; "." stays inside atoms so dot-atoms are one token.
        case rfc5322
        /// RFC 2045 §5.1 tspecials ("/" "?" "=" also end tokens).
        case mime
    }

    private static let rfc5322Specials: Set<UInt8> = Set("()<>[]:;@\\,\"".utf8)
    private static let mimeSpecials: Set<UInt8> = Set("()<>@,;:\\\"/[]?=".utf8)

    /// Splits `bytes` into tokens; comments are returned only when `keepComments` is set.
    static func tokens(_ bytes: [UInt8], mode: Mode, keepComments: Bool = false) -> [Token] {
        let specials = mode == .rfc5322 ? rfc5322Specials : mimeSpecials
        var out: [Token] = []
        var i = 0
        var space = false
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if ASCII.isWSP(c) || c == ASCII.cr || c == ASCII.lf {
                space = true
                i += 1
                continue
            }
            switch c {
            case ASCII.quote:
                // RFC 5322 §3.2.4 quoted-string; an unterminated one runs to the end.
                var content: [UInt8] = []
                i += 1
                while i < n && bytes[i] != ASCII.quote {
                    if bytes[i] == ASCII.backslash && i + 1 < n { i += 1 }
                    if bytes[i] != ASCII.cr && bytes[i] != ASCII.lf { content.append(bytes[i]) }
                    i += 1
                }
                i += 1
                out.append(Token(kind: .quoted, bytes: content, spaceBefore: space))
                space = false
            case ASCII.openParen:
                // RFC 5322 §3.2.2 comment, nested; unterminated ones run to the end.
                var depth = 0
                var content: [UInt8] = []
                repeat {
                    let d = bytes[i]
                    if d == ASCII.backslash && i + 1 < n {
                        i += 1
                        content.append(bytes[i])
                    } else if d == ASCII.openParen {
                        if depth > 0 { content.append(d) }
                        depth += 1
                    } else if d == ASCII.closeParen {
                        depth -= 1
                        if depth > 0 { content.append(d) }
                    } else {
                        content.append(d)
                    }
                    i += 1
                } while i < n && depth > 0
                if keepComments { out.append(Token(kind: .comment, bytes: content, spaceBefore: space)) }
                space = true
            case ASCII.openBracket where mode == .rfc5322:
                // RFC 5322 §3.4.1 domain literal.
                var content: [UInt8] = [c]
                i += 1
                while i < n && bytes[i] != ASCII.closeBracket {
                    if bytes[i] == ASCII.backslash && i + 1 < n { i += 1 }
                    content.append(bytes[i])
                    i += 1
                }
                content.append(ASCII.closeBracket)
                i += 1
                out.append(Token(kind: .domainLiteral, bytes: content, spaceBefore: space))
                space = false
            default:
                if specials.contains(c) || c < 0x20 || c == 0x7F {
                    out.append(Token(kind: .special, bytes: [c], spaceBefore: space))
                    space = false
                    i += 1
                } else {
                    let s = i
                    while i < n {
                        let d = bytes[i]
                        if ASCII.isWSP(d) || specials.contains(d) || d == ASCII.cr || d == ASCII.lf || d < 0x20 || d == 0x7F { break }
                        i += 1
                    }
                    out.append(Token(kind: .atom, bytes: Array(bytes[s..<i]), spaceBefore: space))
                    space = false
                }
            }
        }
        return out
    }

    /// Quotes `text` as an RFC 5322 quoted-string when it is not already a phrase of atoms.
    static func quotedIfNeeded(_ text: String, mode: Mode = .rfc5322) -> String {
        let specials = mode == .rfc5322 ? rfc5322Specials.union([ASCII.dot]) : mimeSpecials
        let bytes = Array(text.utf8)
        let needs = bytes.isEmpty || bytes.contains { specials.contains($0) || $0 < 0x20 || $0 == 0x7F || (mode == .mime && $0 == ASCII.space) }
            || bytes.first.map(ASCII.isWSP) == true || bytes.last.map(ASCII.isWSP) == true
            || text.contains("  ")
        return needs ? quoted(text) : text
    }

    /// `text` as an RFC 5322 §3.2.4 quoted-string.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { out.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }
}
