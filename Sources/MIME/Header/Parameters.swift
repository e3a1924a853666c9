// MIME parameters: "; name=value" lists of Content-Type and Content-Disposition (RFC 2045
// §5.1, RFC 2183 §2), with RFC 2231 continuations, charsets and languages, read leniently
// and written strictly.

/// One parameter of a MIME header field, its value decoded to text.
public struct MIMEParameter: Sendable, Hashable {
    /// The attribute name in lower case (RFC 2045 §5.1: matching is case-insensitive).
    public var name: String
    /// The value: quoting removed, RFC 2231 sections joined and decoded, RFC 2047 words in
    /// a quoted value decoded (a common non-standard practice).
    public var value: String

    public init(name: String, value: String) {
        self.name = name.asciiLowercased
        self.value = value
    }
}

enum Parameters {
    /// Parses the parameter list in `bytes` (starting after the main value, at or before the
    /// first ";"). Lenient like common readers: an unquoted value runs to the next ";", a
    /// parameter without "=" is skipped, a later duplicate does not replace an earlier one.
    static func parse(_ bytes: ArraySlice<UInt8>) -> [MIMEParameter] {
        var raw: [(name: String, value: [UInt8], quoted: Bool)] = []
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            // Skip to the next parameter.
            while i < end && (bytes[i] == ASCII.semicolon || ASCII.isWSP(bytes[i]) || bytes[i] == ASCII.cr || bytes[i] == ASCII.lf) { i += 1 }
            guard i < end else { break }
            if bytes[i] == ASCII.openParen { i = skipComment(bytes, i); continue }
            let nameStart = i
            while i < end && bytes[i] != ASCII.equals && bytes[i] != ASCII.semicolon { i += 1 }
            let name = String(decoding: trimmed(bytes[nameStart..<i]), as: UTF8.self).asciiLowercased
            guard i < end, bytes[i] == ASCII.equals else { continue }
            i += 1
            while i < end && ASCII.isWSP(bytes[i]) { i += 1 }
            var value: [UInt8] = []
            var quoted = false
            if i < end && bytes[i] == ASCII.quote {
                // RFC 2045 §5.1 quoted-string (RFC 5322 §3.2.4), quoted-pairs resolved.
                quoted = true
                i += 1
                while i < end && bytes[i] != ASCII.quote {
                    if bytes[i] == ASCII.backslash && i + 1 < end { i += 1 }
                    if bytes[i] != ASCII.cr && bytes[i] != ASCII.lf { value.append(bytes[i]) }
                    i += 1
                }
                i += 1
                while i < end && bytes[i] != ASCII.semicolon { i += 1 }
            } else {
                let valueStart = i
                while i < end && bytes[i] != ASCII.semicolon { i += 1 }
                var v = trimmed(bytes[valueStart..<i])
                // A trailing comment after a token value: "us-ascii (Plain text)".
                if let open = v.firstIndex(of: ASCII.openParen), open > v.startIndex, ASCII.isWSP(v[open - 1]) {
                    v = trimmed(v[v.startIndex..<open])
                }
                value = Array(v)
            }
            if !name.isEmpty { raw.append((name, value, quoted)) }
        }
        return assemble(raw)
    }

    private static func skipComment(_ bytes: ArraySlice<UInt8>, _ start: Int) -> Int {
        var depth = 0
        var i = start
        repeat {
            if bytes[i] == ASCII.backslash { i += 1 } else if bytes[i] == ASCII.openParen { depth += 1 } else if bytes[i] == ASCII.closeParen { depth -= 1 }
            i += 1
        } while i < bytes.endIndex && depth > 0
        return i
    }

    /// RFC 2231 §3, §4: joins "name*0", "name*1*"… sections, percent-decodes extended ones,
    /// and decodes the bytes in the charset named by the first section. An RFC 2231 value
    /// wins over a plain one of the same name.
    private static func assemble(_ raw: [(name: String, value: [UInt8], quoted: Bool)]) -> [MIMEParameter] {
        struct Section { var index: Int; var extended: Bool; var value: [UInt8] }
        var order: [String] = []
        var plain: [String: [UInt8]] = [:]
        var plainQuoted: [String: Bool] = [:]
        var sections: [String: [Section]] = [:]
        for (name, value, quoted) in raw {
            var base = name
            var index = -1
            var extended = false
            if let star = name.firstIndex(of: "*") {
                base = String(name[..<star])
                var rest = name[name.index(after: star)...]
                if rest.hasSuffix("*") {
                    extended = true
                    rest = rest.dropLast()
                }
                if rest.isEmpty {
                    index = 0
                    extended = true
                } else if let n = Int(rest), n >= 0, n < 1000 {
                    index = n
                } else {
                    base = name  // not RFC 2231 after all
                    extended = false
                }
            }
            if !order.contains(base) { order.append(base) }
            if index >= 0 {
                sections[base, default: []].append(Section(index: index, extended: extended, value: value))
            } else if plain[base] == nil {
                plain[base] = value
                plainQuoted[base] = quoted
            }
        }
        var out: [MIMEParameter] = []
        for base in order {
            if var parts = sections[base], !parts.isEmpty {
                parts.sort { $0.index < $1.index }
                var bytes: [UInt8] = []
                var charset: String? = nil
                for (position, part) in parts.enumerated() {
                    var value = part.value[...]
                    if part.extended && position == 0 {
                        // RFC 2231 §4: charset'language'value in the first section.
                        if let q1 = value.firstIndex(of: ASCII.apostrophe),
                           let q2 = value[(q1 + 1)...].firstIndex(of: ASCII.apostrophe) {
                            let name = String(decoding: value[value.startIndex..<q1], as: UTF8.self)
                            if !name.isEmpty { charset = name }
                            value = value[(q2 + 1)...]
                        }
                    }
                    bytes += part.extended ? percentDecoded(value) : Array(value)
                }
                out.append(MIMEParameter(name: base, value: Charset.decodeLeniently(bytes, charset: charset)))
            } else if let value = plain[base] {
                let text = String(mailBytes: value)
                let decoded = plainQuoted[base] == true || text.hasPrefix("=?") ? EncodedWord.decode(text) : text
                out.append(MIMEParameter(name: base, value: decoded))
            }
        }
        return out
    }

    /// RFC 2231 §4: "%" and two hex digits is a byte; a bad escape stays as written.
    private static func percentDecoded(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == ASCII.percent, i + 2 < bytes.endIndex,
               let hi = ASCII.hexValue(bytes[i + 1]), let lo = ASCII.hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    // MARK: - Writing

    /// RFC 2045 §5.1 token characters.
    static func isToken(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !"()<>@,;:\\\"/[]?=".utf8.contains($0) }
    }

    /// Formats parameters as "; name=value" pieces: tokens bare, other ASCII quoted, and
    /// non-ASCII as RFC 2231 UTF-8 with continuations so no piece passes 78 characters.
    static func format(_ parameters: [MIMEParameter]) -> [String] {
        var out: [String] = []
        // Names that are not RFC 2045 tokens cannot be written; such parameters are dropped.
        for parameter in parameters where isToken(parameter.name) {
            let value = parameter.value
            if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && value.utf8.count < 900 {
                out.append(parameter.name + "=" + (isToken(value) ? value : Lexer.quotedIfNeeded(value, mode: .mime)))
                continue
            }
            // RFC 2231 §4: extended value, charset'language'percent-encoded.
            var encoded: [String] = []
            var piece = ""
            let limit = 60
            for character in value {
                var chunk = ""
                for b in String(character).utf8 {
                    if b > 0x20 && b < 0x7F && !"*'%()<>@,;:\\\"/[]?=".utf8.contains(b) {
                        chunk.unicodeScalars.append(Unicode.Scalar(b))
                    } else {
                        chunk += "%" + String(UInt8(b >> 4), radix: 16, uppercase: true) + String(b & 15, radix: 16, uppercase: true)
                    }
                }
                if piece.utf8.count + chunk.utf8.count > limit && !piece.isEmpty {
                    encoded.append(piece)
                    piece = ""
                }
                piece += chunk
            }
            encoded.append(piece)
            if encoded.count == 1 {
                out.append(parameter.name + "*=utf-8''" + encoded[0])
            } else {
                // RFC 2231 §3: continuations name*0*, name*1*, …
                for (index, part) in encoded.enumerated() {
                    out.append(parameter.name + "*\(index)*=" + (index == 0 ? "utf-8''" : "") + part)
                }
            }
        }
        return out
    }
}
