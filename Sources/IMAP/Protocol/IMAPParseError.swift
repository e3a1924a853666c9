// The one error of the command parser: what the server needs to answer
// `TAG BAD <text>`, or `* BAD <text>` when no tag could be read
// (RFC 9051 §7.1.3).

public struct IMAPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The line held nothing.
        case emptyCommand
        /// The line does not start with a valid tag (RFC 9051 §9 `tag`).
        case invalidTag
        case unknownCommand(String)
        /// The grammar wanted `expected` where the input holds `found`.
        case expected(String, found: String)
        /// A number beyond the 32-bit (`number`) or 63-bit (`number64`) range,
        /// or zero where `nz-number` is required.
        case numberOutOfRange(String)
        /// A date or date-time whose fields are not a calendar date.
        case invalidDate(String)
        /// A string that is not UTF-8 (RFC 9051 §4.3).
        case invalidUTF8(String)
        /// A NUL octet in a `literal` or `quoted` (RFC 9051 §9 note 3).
        case nulInString
        /// Parentheses, NOT or OR nested deeper than the parser allows.
        case nestingTooDeep(limit: Int)
        /// A syntactically valid option, parameter or key this server does not
        /// implement; RFC 5258 §3 and RFC 4466 §2 require BAD for those.
        case unsupported(String)
        /// A combination the grammar forbids, e.g. RECURSIVEMATCH alone.
        case invalid(String)
    }

    /// The command tag when it could be read; nil means answer `* BAD`.
    public var tag: String?
    public var kind: Kind
    /// Octet offset in the command where the error was found.
    public var offset: Int

    public init(tag: String?, kind: Kind, offset: Int = 0) {
        self.tag = tag
        self.kind = kind
        self.offset = offset
    }

    /// The human-readable text of the BAD response.
    public var description: String {
        switch kind {
        case .emptyCommand: return "empty command line"
        case .invalidTag: return "missing or invalid tag"
        case .unknownCommand(let name): return "unknown command \(name)"
        case .expected(let what, let found): return "expected \(what), found \(found)"
        case .numberOutOfRange(let what): return "\(what) out of range"
        case .invalidDate(let text): return "invalid date \(text)"
        case .invalidUTF8(let what): return "\(what) is not valid UTF-8"
        case .nulInString: return "NUL octet in string"
        case .nestingTooDeep(let limit): return "nesting deeper than \(limit) levels"
        case .unsupported(let what): return "unsupported \(what)"
        case .invalid(let what): return what
        }
    }

    /// The reply: `TAG BAD text`, or `* BAD text` without a tag.
    public var response: IMAPResponse {
        let text = IMAPResponseText(code: nil, text: description)
        if let tag {
            return .tagged(IMAPTaggedResponse(tag: tag, status: .bad, text: text))
        }
        return .untagged(.condition(.bad, text))
    }
}
