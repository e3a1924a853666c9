// Encoded words: RFC 2047 "=?charset?B|Q?text?=" in header fields, decoding (leniently, with
// adjacent words joined) and encoding (UTF-8, at most 75 characters per word).

/// RFC 2047 encoded words.
public enum EncodedWord {
    /// Where an encoded word is used: phrases (display names) allow fewer literal
    /// characters in Q encoding than unstructured text (RFC 2047 §5 (1), (3)).
    public enum Context: Sendable {
        case text
        case phrase
    }

    /// RFC 2047 §2: an encoded word is at most 75 characters long.
    public static let maxLength = 75

    // MARK: - Decoding

    /// One encoded word: the charset it names and its decoded bytes.
    struct Decoded {
        var charset: String
        var bytes: [UInt8]
        /// The length of the encoded word in the input.
        var length: Int
    }

    /// Reads the encoded word that starts at `start` in `bytes`, if one does (RFC 2047 §2).
    /// Longer words than 75 characters are accepted; blanks inside are not.
    static func parse(_ bytes: [UInt8], at start: Int) -> Decoded? {
        let n = bytes.count
        guard start + 1 < n, bytes[start] == ASCII.equals, bytes[start + 1] == ASCII.question else { return nil }
        var i = start + 2
        let charsetStart = i
        while i < n && bytes[i] != ASCII.question {
            let c = bytes[i]
            if c <= 0x20 || c >= 0x7F || c == ASCII.equals { return nil }
            i += 1
        }
        guard i + 2 < n, i > charsetStart, bytes[i + 2] == ASCII.question else { return nil }
        let charset = String(decoding: bytes[charsetStart..<i], as: UTF8.self)
        let encoding = ASCII.lower(bytes[i + 1])
        guard encoding == 0x62 || encoding == 0x71 else { return nil }  // "b" or "q"
        i += 3
        let textStart = i
        while i + 1 < n && !(bytes[i] == ASCII.question && bytes[i + 1] == ASCII.equals) {
            let c = bytes[i]
            if c <= 0x20 || c >= 0x7F { return nil }
            i += 1
        }
        guard i + 1 < n else { return nil }
        let text = bytes[textStart..<i]
        let decoded = encoding == 0x62 ? Base64Decoder.decode(text) : decodeQ(text)
        return Decoded(charset: charset, bytes: decoded, length: i + 2 - start)
    }

    /// RFC 2047 §4.2: "_" is a space, "=XX" a byte, anything else itself.
    static func decodeQ(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == ASCII.underscore {
                out.append(ASCII.space)
            } else if c == ASCII.equals, i + 2 < text.endIndex,
                      let hi = ASCII.hexValue(text[i + 1]), let lo = ASCII.hexValue(text[i + 2]) {
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return out
    }

    /// Decodes an unstructured field body (RFC 2047 §6.2): encoded words become text,
    /// blanks between two encoded words are dropped, adjacent words in the same charset are
    /// joined before decoding (so a character split across words survives), and a word in an
    /// unknown charset is kept as written.
    public static func decodeUnstructured(_ bytes: [UInt8]) -> String {
        var out = ""
        var plainStart = 0
        var i = 0
        // Encoded words waiting to be decoded together, and where the last one ended.
        var pendingCharset: String? = nil
        var pendingBytes: [UInt8] = []
        var pendingRaw: [UInt8] = []
        var lastWordEnd = -1

        func flushPending() {
            guard let charset = pendingCharset else { return }
            if let text = Charset.decode(pendingBytes, charset: charset) {
                out += text
            } else {
                out += String(mailBytes: pendingRaw)  // unknown charset: keep the words as written
            }
            pendingCharset = nil
            pendingBytes.removeAll()
            pendingRaw.removeAll()
        }

        while i < bytes.count {
            guard bytes[i] == ASCII.equals, let word = parse(bytes, at: i) else {
                i += 1
                continue
            }
            let between = bytes[plainStart..<i]
            let onlyBlanks = between.allSatisfy { ASCII.isWSP($0) || $0 == ASCII.cr || $0 == ASCII.lf }
            if lastWordEnd == plainStart && onlyBlanks {
                // RFC 2047 §6.2: blanks between adjacent encoded words are ignored.
                if let charset = pendingCharset, Charset.canonicalName(charset) != Charset.canonicalName(word.charset) {
                    flushPending()
                }
            } else {
                flushPending()
                out += String(mailBytes: between)
            }
            if pendingCharset == nil { pendingCharset = word.charset }
            pendingBytes += word.bytes
            pendingRaw += bytes[i..<(i + word.length)]
            i += word.length
            plainStart = i
            lastWordEnd = i
        }
        flushPending()
        out += String(mailBytes: bytes[plainStart...])
        return out
    }

    /// Decodes the encoded words in `text` (for display names and parameter values).
    public static func decode(_ text: String) -> String {
        guard text.contains("=?") else { return text }
        return decodeUnstructured(Array(text.utf8))
    }

    // MARK: - Encoding

    /// Whether `text` can go into a header field as it is: printable ASCII and blanks, with
    /// nothing that looks like an encoded word.
    static func isPlain(_ word: Substring) -> Bool {
        !word.contains("=?") && word.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == ASCII.tab }
    }

    /// Encodes text for an unstructured field (RFC 2047 §5 (1)): words that are plain ASCII
    /// stay as they are; the stretch from the first to the last word that is not becomes
    /// UTF-8 encoded words of at most 75 characters, separated by spaces.
    public static func encodeUnstructured(_ text: String, context: Context = .text) -> String {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard let first = words.firstIndex(where: { !isPlain($0) }),
              let last = words.lastIndex(where: { !isPlain($0) }) else { return text }
        let run = words[first...last].joined(separator: " ")
        var parts = words[..<first].map(String.init)
        parts.append(encode(run, context: context))
        parts += words[(last + 1)...].map(String.init)
        return parts.joined(separator: " ")
    }

    /// Encodes `text` as UTF-8 encoded words, Q or B whichever is shorter, each at most 75
    /// characters and holding whole characters only (RFC 2047 §2, §5 (3)), joined by spaces.
    public static func encode(_ text: String, context: Context = .text) -> String {
        let prefix = "=?utf-8?", suffix = "?="
        let budget = maxLength - prefix.utf8.count - 2 - suffix.utf8.count
        let bytes = Array(text.utf8)
        let qLength = bytes.reduce(0) { $0 + (qLiteral($1, context) ? 1 : 3) }
        let useQ = qLength <= (bytes.count + 2) / 3 * 4
        var words: [String] = []
        var current: [UInt8] = []
        var currentLength = 0
        func flush() {
            guard !current.isEmpty else { return }
            let body = useQ ? encodeQ(current, context) : Base64Encoder.encode(current, lineLength: 0)
            words.append(prefix + (useQ ? "q?" : "b?") + String(decoding: body, as: UTF8.self) + suffix)
            current.removeAll()
            currentLength = 0
        }
        for character in text {
            let chunk = Array(String(character).utf8)
            let grown = useQ
                ? currentLength + chunk.reduce(0) { $0 + (qLiteral($1, context) ? 1 : 3) }
                : (current.count + chunk.count + 2) / 3 * 4
            if grown > budget { flush() }
            current += chunk
            currentLength = useQ ? currentLength + chunk.reduce(0) { $0 + (qLiteral($1, context) ? 1 : 3) } : 0
        }
        flush()
        return words.joined(separator: " ")
    }

    /// RFC 2047 §4.2 and §5 (3): the bytes Q encoding may leave as they are.
    private static func qLiteral(_ b: UInt8, _ context: Context) -> Bool {
        if ASCII.isAlpha(b) || ASCII.isDigit(b) || b == ASCII.space { return true }
        switch context {
        case .phrase: return "!*+-/".utf8.contains(b)
        case .text: return b > 0x20 && b < 0x7F && b != ASCII.equals && b != ASCII.question && b != ASCII.underscore
        }
    }

    private static func encodeQ(_ bytes: [UInt8], _ context: Context) -> [UInt8] {
        var out: [UInt8] = []
        for b in bytes {
            if b == ASCII.space {
                out.append(ASCII.underscore)
            } else if qLiteral(b, context) {
                out.append(b)
            } else {
                out += [ASCII.equals, ASCII.upperHexDigits[Int(b >> 4)], ASCII.upperHexDigits[Int(b & 15)]]
            }
        }
        return out
    }
}
