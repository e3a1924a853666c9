// MailAddress: a validated RFC 5321 mailbox, "local-part@domain".
//
// Invariants of every value:
// - ASCII only, no control characters (RFC 5321 §4.1.2: SMTPUTF8 is not supported here).
// - `localPart` is a Dot-string, or a Quoted-string in its minimal quoting: a quoted
//   form whose content is a valid Dot-string is stored unquoted (§4.1.2: "all quoted
//   forms MUST be treated as equivalent"). Its case is kept as given.
// - `domain` is lowercased: LDH labels of 1...63 octets that neither start nor end with
//   a hyphen, or an address literal "[1.2.3.4]" / "[IPv6:...]" (§4.1.3).
// - Size limits hold: local part ≤ 64 octets, domain ≤ 255, the whole address ≤ 254
//   (a path of 256 octets less "<" and ">") — §4.5.3.1.1–3.
// - `normalized` is the lowercased "local@domain": accounts are looked up by it, so
//   "Alice@Example.Test" and "alice@example.test" name the same account. Equality
//   (`==`) is exact on the local part, as RFC 5321 lets a remote host treat case.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public struct MailAddress: Hashable, Sendable, CustomStringConvertible {
    /// RFC 5321 §4.5.3.1.1: at most 64 octets of local part.
    public static let maxLocalPartOctets = 64
    /// RFC 5321 §4.5.3.1.2: at most 255 octets of domain.
    public static let maxDomainOctets = 255
    /// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including "<" and ">".
    public static let maxAddressOctets = 254
    /// RFC 1035 §2.3.4: a label is at most 63 octets.
    public static let maxLabelOctets = 63

    /// The local part, case preserved, in minimal quoting.
    public let localPart: String
    /// The domain, lowercased, or an address literal such as "[192.0.2.1]".
    public let domain: String
    /// "local@domain", all lowercased: the key for account lookup.
    public let normalized: String

    public var description: String { localPart + "@" + domain }

    /// Parses "local@domain". The last "@" separates the parts, so a quoted local part
    /// may itself contain "@".
    public init(_ string: String) throws(MailAddressError) {
        let bytes = Array(string.utf8)
        guard !bytes.isEmpty else { throw MailAddressError(input: string, reason: .empty) }
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else {
            throw MailAddressError(input: string, reason: .missingAt)
        }
        try self.init(local: Array(bytes[..<at]), domain: Array(bytes[(at + 1)...]), input: string)
    }

    /// Builds an address from its two parts, validated as `init(_:)` does.
    public init(localPart: String, domain: String) throws(MailAddressError) {
        try self.init(local: Array(localPart.utf8), domain: Array(domain.utf8), input: localPart + "@" + domain)
    }

    private init(local: [UInt8], domain: [UInt8], input: String) throws(MailAddressError) {
        func fail(_ reason: MailAddressError.Reason) -> MailAddressError {
            MailAddressError(input: input, reason: reason)
        }
        guard !local.isEmpty else { throw fail(.emptyLocalPart) }
        guard !domain.isEmpty else { throw fail(.emptyDomain) }
        // RFC 5321 §4.1.2: no octets with the high bit set, no control characters.
        for byte in local + domain {
            if byte >= 0x80 { throw fail(.nonASCII) }
            if byte < 0x20 || byte == 0x7F { throw fail(.controlCharacter(byte)) }
        }
        // RFC 5321 §4.5.3.1.1–3, checked from the most specific limit to the least.
        if local.count > Self.maxLocalPartOctets { throw fail(.localPartTooLong(octets: local.count)) }
        if domain.count > Self.maxDomainOctets { throw fail(.domainTooLong(octets: domain.count)) }
        let total = local.count + 1 + domain.count
        if total > Self.maxAddressOctets { throw fail(.addressTooLong(octets: total)) }

        let localPart = try Self.parseLocalPart(local).mapError(fail).get()
        let domainPart = try Self.parseDomain(domain).mapError(fail).get()
        self.localPart = localPart
        self.domain = domainPart
        self.normalized = (localPart + "@" + domainPart).lowercased()
    }

    // MARK: - Local part (RFC 5321 §4.1.2)

    private static func parseLocalPart(_ bytes: [UInt8]) -> Result<String, MailAddressError.Reason> {
        guard bytes.first == UInt8(ascii: "\"") else {
            if let problem = dotStringProblem(bytes) { return .failure(problem) }
            return .success(String(decoding: bytes, as: UTF8.self))
        }
        // Quoted-string = DQUOTE *QcontentSMTP DQUOTE
        var content: [UInt8] = []
        var index = 1
        var closed = false
        while index < bytes.count {
            let byte = bytes[index]
            if closed { return .failure(.textAfterQuotedString) }
            switch byte {
            case UInt8(ascii: "\\"):
                // quoted-pairSMTP = %d92 %d32-126
                guard index + 1 < bytes.count, (32...126).contains(bytes[index + 1]) else {
                    return .failure(.unterminatedQuotedString)
                }
                content.append(bytes[index + 1])
                index += 2
                continue
            case UInt8(ascii: "\""):
                closed = true
            default:
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126 (control octets were refused above)
                content.append(byte)
            }
            index += 1
        }
        guard closed else { return .failure(.unterminatedQuotedString) }
        guard !content.isEmpty else { return .failure(.emptyLocalPart) }
        // §4.1.2: all quoted forms are equivalent; keep the one with minimal quoting.
        if dotStringProblem(content) == nil {
            return .success(String(decoding: content, as: UTF8.self))
        }
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        for byte in content {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
            quoted.append(byte)
        }
        quoted.append(UInt8(ascii: "\""))
        return .success(String(decoding: quoted, as: UTF8.self))
    }

    /// Dot-string = Atom *("." Atom); returns what is wrong, or nil when it is valid.
    private static func dotStringProblem(_ bytes: [UInt8]) -> MailAddressError.Reason? {
        if bytes.first == UInt8(ascii: ".") || bytes.last == UInt8(ascii: ".") {
            return .dotAtEdgeOfLocalPart
        }
        var previousWasDot = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if previousWasDot { return .consecutiveDots }
                previousWasDot = true
            } else {
                guard isAtext(byte) else { return .invalidLocalPartCharacter(byte) }
                previousWasDot = false
            }
        }
        return nil
    }

    /// RFC 5322 §3.2.3 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~".
    private static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
        }
    }

    // MARK: - Domain (RFC 5321 §4.1.2, §4.1.3)

    private static func parseDomain(_ bytes: [UInt8]) -> Result<String, MailAddressError.Reason> {
        if bytes.first == UInt8(ascii: "[") { return parseAddressLiteral(bytes) }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for label in labels {
            let text = String(decoding: label, as: UTF8.self)
            guard !label.isEmpty else { return .failure(.emptyLabel) }
            // RFC 1035 §2.3.4
            guard label.count <= maxLabelOctets else { return .failure(.labelTooLong(label: text, octets: label.count)) }
            for byte in label where !(isLetDig(byte) || byte == UInt8(ascii: "-")) {
                return .failure(.invalidDomainCharacter(byte))
            }
            // sub-domain = Let-dig [Ldh-str]; Ldh-str ends in Let-dig.
            guard let first = label.first, let last = label.last, isLetDig(first), isLetDig(last) else {
                return .failure(.hyphenAtEdgeOfLabel(label: text))
            }
        }
        return .success(String(decoding: bytes, as: UTF8.self).lowercased())
    }

    private static func isLetDig(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }

    /// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]".
    /// General-address-literal (a tag other than "IPv6") is refused: none is registered.
    private static func parseAddressLiteral(_ bytes: [UInt8]) -> Result<String, MailAddressError.Reason> {
        let text = String(decoding: bytes, as: UTF8.self)
        guard bytes.count >= 3, bytes.last == UInt8(ascii: "]") else {
            return .failure(.invalidAddressLiteral(text))
        }
        let inner = String(decoding: bytes[1..<(bytes.count - 1)], as: UTF8.self)
        if inner.lowercased().hasPrefix("ipv6:") {
            let address = String(inner.dropFirst(5))
            guard isIPv6(address) else { return .failure(.invalidAddressLiteral(text)) }
            return .success("[IPv6:" + address.lowercased() + "]")
        }
        if inner.contains(":") { return .failure(.unsupportedAddressLiteral(text)) }
        guard isIPv4(inner) else { return .failure(.invalidAddressLiteral(text)) }
        return .success("[" + inner + "]")
    }

    /// IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT, value 0...255.
    private static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            (1...3).contains(part.utf8.count)
                && part.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                && (Int(part) ?? 256) <= 255
        }
    }

    /// IPv6-addr per RFC 4291 §2.2, as inet_pton(3) reads it; hex digits, ":" and "." only.
    private static func isIPv6(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.allSatisfy({ byte in
            byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
        }) else { return false }
        var storage = in6_addr()
        return inet_pton(AF_INET6, text, &storage) == 1
    }
}

// MARK: - Errors

/// Why a string is not a valid mailbox. `description` quotes the input (control
/// characters escaped, long input cut) and names the problem.
public struct MailAddressError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case missingAt
        case emptyLocalPart
        case emptyDomain
        case nonASCII
        case controlCharacter(UInt8)
        case localPartTooLong(octets: Int)
        case domainTooLong(octets: Int)
        case addressTooLong(octets: Int)
        case invalidLocalPartCharacter(UInt8)
        case dotAtEdgeOfLocalPart
        case consecutiveDots
        case unterminatedQuotedString
        case textAfterQuotedString
        case emptyLabel
        case labelTooLong(label: String, octets: Int)
        case invalidDomainCharacter(UInt8)
        case hyphenAtEdgeOfLabel(label: String)
        case invalidAddressLiteral(String)
        case unsupportedAddressLiteral(String)

        public var description: String {
            switch self {
            case .empty: "empty"
            case .missingAt: "missing @"
            case .emptyLocalPart: "empty local part before @"
            case .emptyDomain: "empty domain after @"
            case .nonASCII: "non-ASCII characters (internationalized addresses are not supported)"
            case .controlCharacter(let byte): "control character \(hexByte(byte))"
            case .localPartTooLong(let octets):
                "local part is \(octets) octets, more than \(MailAddress.maxLocalPartOctets) (RFC 5321 §4.5.3.1.1)"
            case .domainTooLong(let octets):
                "domain is \(octets) octets, more than \(MailAddress.maxDomainOctets) (RFC 5321 §4.5.3.1.2)"
            case .addressTooLong(let octets):
                "address is \(octets) octets, more than \(MailAddress.maxAddressOctets) (RFC 5321 §4.5.3.1.3)"
            case .invalidLocalPartCharacter(let byte):
                "character \(printable(byte)) is not allowed in an unquoted local part"
            case .dotAtEdgeOfLocalPart: "local part starts or ends with a dot"
            case .consecutiveDots: "local part has two dots in a row"
            case .unterminatedQuotedString: "quoted local part is not properly closed"
            case .textAfterQuotedString: "text after the closing quote of the local part"
            case .emptyLabel: "domain has an empty label (a leading, trailing or doubled dot)"
            case .labelTooLong(let label, let octets):
                "domain label \"\(label.prefix(20))…\" is \(octets) octets, more than \(MailAddress.maxLabelOctets)"
            case .invalidDomainCharacter(let byte):
                "character \(printable(byte)) is not allowed in a domain (letters, digits and hyphens only)"
            case .hyphenAtEdgeOfLabel(let label): "domain label \"\(label)\" starts or ends with a hyphen"
            case .invalidAddressLiteral(let literal): "\(literal) is not a valid IPv4 or IPv6 address literal"
            case .unsupportedAddressLiteral(let literal): "address literal \(literal) has an unsupported tag"
            }
        }

        private func hexByte(_ byte: UInt8) -> String {
            let digits = Array("0123456789ABCDEF")
            return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
        }

        private func printable(_ byte: UInt8) -> String {
            (33...126).contains(byte) ? "'" + String(UnicodeScalar(byte)) + "'" : hexByte(byte)
        }
    }

    /// The text that was parsed.
    public let input: String
    public let reason: Reason

    public init(input: String, reason: Reason) {
        self.input = input
        self.reason = reason
    }

    public var description: String { "invalid address \(Self.quote(input)): \(reason)" }

    /// Quotes untrusted input for a log line: escapes quotes, backslashes and
    /// non-printable characters, and cuts it after 100 characters.
    static func quote(_ text: String) -> String {
        var out = "\""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == 100 { out += "…"; break }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case " "..."~": out.unicodeScalars.append(scalar)
            default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return out + "\""
    }
}
