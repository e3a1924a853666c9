// Mailboxes and paths as they appear in MAIL and RCPT (RFC 5321 §4.1.2),
// extended to UTF-8 by RFC 6531 §3.3.
//
// An ASCII mailbox is validated by MailStore's `MailAddress` (the one
// validator of the code base); a mailbox with non-ASCII octets is checked
// here against the RFC 6531 grammar (atext and qtext extended by
// UTF8-non-ascii, U-labels in the domain) with the same size limits.
// Whether a UTF-8 mailbox is acceptable (MAIL carried SMTPUTF8) is the
// session's decision, not the parser's.
import MailStore

public struct SMTPMailbox: Hashable, Sendable, CustomStringConvertible {
    /// The local part, case preserved, in minimal quoting.
    public let localPart: String
    /// The domain, lowercased, or an address literal.
    public let domain: String

    public var description: String { localPart + "@" + domain }

    /// True when the mailbox holds non-ASCII characters (RFC 6531).
    public var isInternationalized: Bool { !description.utf8.allSatisfy { $0 < 0x80 } }

    /// The mailbox as a MailStore address; nil for an internationalized one
    /// (accounts are ASCII).
    public var mailAddress: MailAddress? {
        try? MailAddress(localPart: localPart, domain: domain)
    }

    public init(_ address: MailAddress) {
        self.init(validLocalPart: address.localPart, domain: address.domain)
    }

    private init(validLocalPart: String, domain: String) {
        self.localPart = validLocalPart
        self.domain = domain
    }

    /// Parses "local@domain" (without angle brackets).
    public init(_ text: String) throws(SMTPAddressError) {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            do {
                let address = try MailAddress(text)
                self.init(address)
            } catch {
                throw SMTPAddressError(error.reason.description)
            }
        } else {
            let (local, domain) = try Self.parseInternationalized(Array(text.utf8))
            self.init(validLocalPart: local, domain: domain)
        }
    }

    // MARK: - RFC 6531 §3.3

    /// RFC 5321 §4.5.3.1.1-3 limits, in octets, also for UTF-8.
    private static func parseInternationalized(_ bytes: [UInt8]) throws(SMTPAddressError) -> (String, String) {
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { throw SMTPAddressError("missing @") }
        let local = Array(bytes[..<at])
        let domain = Array(bytes[(at + 1)...])
        guard !local.isEmpty else { throw SMTPAddressError("empty local part before @") }
        guard !domain.isEmpty else { throw SMTPAddressError("empty domain after @") }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw SMTPAddressError("not valid UTF-8") }
        for byte in bytes where byte < 0x20 || byte == 0x7F {
            throw SMTPAddressError("control character in address")
        }
        // RFC 5321 §4.5.3.1.1: local part at most 64 octets.
        guard local.count <= MailAddress.maxLocalPartOctets else { throw SMTPAddressError("local part is longer than 64 octets") }
        // RFC 5321 §4.5.3.1.2: domain at most 255 octets.
        guard domain.count <= MailAddress.maxDomainOctets else { throw SMTPAddressError("domain is longer than 255 octets") }
        // RFC 5321 §4.5.3.1.3: path at most 256 octets with "<" and ">".
        guard bytes.count <= MailAddress.maxAddressOctets else { throw SMTPAddressError("address is longer than 254 octets") }
        let localPart = try parseLocalPart(local)
        let domainPart = try parseDomain(domain)
        return (localPart, domainPart)
    }

    private static func parseLocalPart(_ bytes: [UInt8]) throws(SMTPAddressError) -> String {
        if bytes.first == UInt8(ascii: "\"") {
            // Quoted-string with qtextSMTP =/ UTF8-non-ascii (RFC 6531 §3.3).
            guard bytes.count >= 2, bytes.last == UInt8(ascii: "\"") else {
                throw SMTPAddressError("quoted local part is not properly closed")
            }
            var index = 1
            var content: [UInt8] = []
            while index < bytes.count - 1 {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < bytes.count - 1 else { throw SMTPAddressError("quoted local part ends in a backslash") }
                    content.append(bytes[index + 1])
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { throw SMTPAddressError("text after the closing quote of the local part") }
                content.append(byte)
                index += 1
            }
            guard !content.isEmpty else { throw SMTPAddressError("empty local part") }
            if isDotString(content) { return String(decoding: content, as: UTF8.self) }
            var quoted: [UInt8] = [UInt8(ascii: "\"")]
            for byte in content {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
                quoted.append(byte)
            }
            quoted.append(UInt8(ascii: "\""))
            return String(decoding: quoted, as: UTF8.self)
        }
        guard isDotString(bytes) else { throw SMTPAddressError("local part is not a dot-string") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Dot-string with atext =/ UTF8-non-ascii.
    private static func isDotString(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, let last = bytes.last, first != UInt8(ascii: "."), last != UInt8(ascii: ".") else {
            return false
        }
        var previousDot = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if previousDot { return false }
                previousDot = true
            } else {
                guard byte >= 0x80 || isAtext(byte) else { return false }
                previousDot = false
            }
        }
        return true
    }

    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
        }
    }

    /// sub-domain =/ U-label: labels of letters, digits, hyphens or
    /// non-ASCII characters (the full IDNA2008 check is left to DNS).
    private static func parseDomain(_ bytes: [UInt8]) throws(SMTPAddressError) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        if bytes.first == UInt8(ascii: "[") {
            throw SMTPAddressError("an address literal cannot hold non-ASCII characters")
        }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw SMTPAddressError("domain has an empty label") }
            guard label.count <= MailAddress.maxLabelOctets else { throw SMTPAddressError("domain label longer than 63 octets") }
            for byte in label where !(byte >= 0x80 || isLetDig(byte) || byte == UInt8(ascii: "-")) {
                throw SMTPAddressError("character not allowed in a domain")
            }
            if label.first == UInt8(ascii: "-") || label.last == UInt8(ascii: "-") {
                throw SMTPAddressError("domain label starts or ends with a hyphen")
            }
        }
        return text.lowercased()
    }

    static func isLetDig(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }
}

extension SMTPMailbox: Codable {
    /// Stored as "local@domain"; decoding validates again.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a path's mailbox is not valid; the text goes into a 501 reply.
public struct SMTPAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

// MARK: - Paths

/// MAIL FROM's argument: a mailbox or the null path "<>" used by bounces
/// (RFC 5321 §4.5.5).
public enum ReversePath: Hashable, Sendable, CustomStringConvertible {
    case null
    case mailbox(SMTPMailbox)

    public var mailbox: SMTPMailbox? {
        if case .mailbox(let mailbox) = self { return mailbox }
        return nil
    }

    /// "<>" or "<local@domain>".
    public var description: String {
        switch self {
        case .null: return "<>"
        case .mailbox(let mailbox): return "<\(mailbox)>"
        }
    }
}

extension ReversePath: Codable {
    /// "" for the null path, else "local@domain".
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        if text.isEmpty {
            self = .null
            return
        }
        do {
            self = .mailbox(try SMTPMailbox(text))
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(mailbox?.description ?? "")
    }
}

/// RCPT TO's argument: a mailbox, or "<Postmaster>" without a domain, which
/// every server must accept (RFC 5321 §4.1.1.3).
public enum ForwardPath: Hashable, Sendable, CustomStringConvertible {
    case postmaster
    case mailbox(SMTPMailbox)

    public var description: String {
        switch self {
        case .postmaster: return "<Postmaster>"
        case .mailbox(let mailbox): return "<\(mailbox)>"
        }
    }
}
