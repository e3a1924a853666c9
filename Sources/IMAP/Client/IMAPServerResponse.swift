// What an IMAP server sends, as the client reads it (RFC 9051 §7, §9
// "response"): a line, with literals `{N}` spliced in, tokenised into
// values — atoms, numbers, strings (quoted or literal), NIL, parenthesised
// lists and bracketed response codes. The client needs only this generic
// shape and a few accessors: FETCH data is found by attribute name, not
// by position, so unknown attributes and extensions pass unharmed.
//
// Pure: `IMAPServerResponse.parse(line:literals:)` is tested without a
// socket; `IMAPClient` reads the line and literals and hands them over.

public indirect enum IMAPValue: Sendable, Equatable {
    /// An atom, with any "[section]<partial>" that follows it kept in it
    /// ("BODY[]", "BODY[HEADER.FIELDS (TO)]").
    case atom(String)
    case number(UInt64)
    case string([UInt8])
    case nilValue
    case list([IMAPValue])
    /// A response code: "[UIDVALIDITY 3857529045]".
    case code([IMAPValue])

    public var atom: String? {
        if case .atom(let text) = self { return text }
        return nil
    }

    public var number: UInt64? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// An atom, number or string as text (a mailbox name may be any of them).
    public var text: String? {
        switch self {
        case .atom(let text): text
        case .number(let value): String(value)
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}

public struct IMAPServerResponse: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case untagged
        case continuation
        case tagged(String)
    }

    public var kind: Kind
    /// The values after the tag ("*", "+" or the command's tag).
    public var values: [IMAPValue]

    /// OK / NO / BAD / BYE / PREAUTH of a status response, upper-cased.
    public var status: String? {
        guard let first = values.first?.atom?.uppercased(), ["OK", "NO", "BAD", "BYE", "PREAUTH"].contains(first) else {
            return nil
        }
        return first
    }

    /// For "* 23 EXISTS" and "* 5 FETCH (...)": the number and the keyword.
    public var numbered: (number: UInt64, keyword: String)? {
        guard values.count >= 2, let number = values[0].number, let keyword = values[1].atom else { return nil }
        return (number, keyword.uppercased())
    }

    /// The response code of a status response, with its arguments.
    public var code: [IMAPValue]? {
        guard status != nil, values.count >= 2, case .code(let code) = values[1] else { return nil }
        return code
    }

    /// The human text of a status response (after any code).
    public var statusText: String {
        let start = code == nil ? 1 : 2
        return values.dropFirst(start).compactMap(\.text).joined(separator: " ")
    }

    /// In "* 5 FETCH (UID 7 BODY[] {12}...)": the value after `attribute`.
    public func fetchAttribute(_ attribute: String) -> IMAPValue? {
        guard numbered?.keyword == "FETCH", values.count >= 3, case .list(let items) = values[2] else { return nil }
        var index = 0
        while index + 1 < items.count {
            if items[index].atom?.uppercased() == attribute { return items[index + 1] }
            index += 2
        }
        return nil
    }

    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Tokenises one response: `line` holds the text with each literal's
    /// "{N}" marker at the end of a segment, and `literals` the bytes that
    /// followed each marker, in order.
    public static func parse(line: [UInt8], literals: [[UInt8]]) throws(Malformed) -> IMAPServerResponse {
        var reader = Tokenizer(bytes: line, literals: literals)
        guard let tag = reader.word() else { throw Malformed(description: "empty response") }
        let kind: Kind =
            switch tag {
            case "*": .untagged
            case "+": .continuation
            default: .tagged(tag)
            }
        if case .continuation = kind {
            // RFC 9051 §7.5: free text (or base64) follows, not values.
            let rest = reader.restAsText()
            return IMAPServerResponse(kind: kind, values: rest.isEmpty ? [] : [.atom(rest)])
        }
        var values: [IMAPValue] = []
        while let value = try reader.value(depth: 0) {
            values.append(value)
            // The text of a status response is free text: keep it as words.
            if values.count == 1, let word = value.atom?.uppercased(), ["OK", "NO", "BAD", "BYE", "PREAUTH"].contains(word) {
                if reader.peek == UInt8(ascii: "[") {
                    guard let code = try reader.value(depth: 0) else { break }
                    values.append(code)
                }
                let text = reader.restAsText()
                if !text.isEmpty { values.append(.atom(text)) }
                break
            }
        }
        return IMAPServerResponse(kind: kind, values: values)
    }
}

/// The byte-level reader behind `parse`.
private struct Tokenizer {
    let bytes: [UInt8]
    var literals: [[UInt8]]
    var index = 0
    /// Nesting beyond this is refused: a server cannot make us recurse without end.
    static let maxDepth = 64

    init(bytes: [UInt8], literals: [[UInt8]]) {
        self.bytes = bytes
        self.literals = literals
    }

    var peek: UInt8? {
        skipSpacesPeek()
    }

    private func skipSpacesPeek() -> UInt8? {
        var at = index
        while at < bytes.count && bytes[at] == UInt8(ascii: " ") { at += 1 }
        return at < bytes.count ? bytes[at] : nil
    }

    mutating func skipSpaces() {
        while index < bytes.count && bytes[index] == UInt8(ascii: " ") { index += 1 }
    }

    mutating func word() -> String? {
        skipSpaces()
        let start = index
        while index < bytes.count && bytes[index] != UInt8(ascii: " ") { index += 1 }
        return start == index ? nil : String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func restAsText() -> String {
        skipSpaces()
        defer { index = bytes.count }
        return String(decoding: bytes[index...], as: UTF8.self)
    }

    mutating func value(depth: Int) throws(IMAPServerResponse.Malformed) -> IMAPValue? {
        guard depth < Self.maxDepth else { throw .init(description: "lists nested too deeply") }
        skipSpaces()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "("):
            index += 1
            return .list(try values(until: UInt8(ascii: ")"), depth: depth))
        case UInt8(ascii: "["):
            index += 1
            return .code(try values(until: UInt8(ascii: "]"), depth: depth))
        case UInt8(ascii: "\""):
            return .string(try quoted())
        case UInt8(ascii: "{"), UInt8(ascii: "~"):
            return .string(try literal())
        default:
            let start = index
            let value = atomOrNumber()
            guard index > start else { throw .init(description: "unexpected \"\(Character(UnicodeScalar(bytes[start])))\"") }
            return value
        }
    }

    private mutating func values(until close: UInt8, depth: Int) throws(IMAPServerResponse.Malformed) -> [IMAPValue] {
        var result: [IMAPValue] = []
        while true {
            skipSpaces()
            guard index < bytes.count else { throw .init(description: "unclosed list") }
            if bytes[index] == close {
                index += 1
                return result
            }
            guard let value = try value(depth: depth + 1) else { throw .init(description: "unclosed list") }
            result.append(value)
        }
    }

    private mutating func quoted() throws(IMAPServerResponse.Malformed) -> [UInt8] {
        index += 1
        var result: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return result }
            if byte == UInt8(ascii: "\\"), index < bytes.count {
                result.append(bytes[index])
                index += 1
            } else {
                result.append(byte)
            }
        }
        throw .init(description: "unterminated quoted string")
    }

    /// "{N}" (or "~{N}" for literal8) ends the segment; its bytes come from `literals`.
    private mutating func literal() throws(IMAPServerResponse.Malformed) -> [UInt8] {
        if bytes[index] == UInt8(ascii: "~") { index += 1 }
        guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")), !literals.isEmpty else {
            throw .init(description: "literal without its data")
        }
        index = close + 1
        return literals.removeFirst()
    }

    private mutating func atomOrNumber() -> IMAPValue {
        let start = index
        var bracketDepth = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "[") {
                bracketDepth += 1
            } else if byte == UInt8(ascii: "]") {
                // A "]" that closes a response code ends the atom before it.
                guard bracketDepth > 0 else { break }
                bracketDepth -= 1
            } else if bracketDepth == 0 && (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")) {
                break
            }
            index += 1
        }
        // "BODY[]<0>": the origin octet belongs to the attribute name.
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if text.uppercased() == "NIL" { return .nilValue }
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = UInt64(text) {
            return .number(value)
        }
        return .atom(text)
    }
}
