// `chappe fetch` URLs: pop3://USER@HOST[:PORT], pop3s://... (RFC 2384 shape,
// and for IMAP imap://USER@HOST[:PORT][/MAILBOX], imaps://..., RFC 5092 shape,
// without its ";AUTH=" and without a password: passwords never go on a
// command line, where `ps` shows them). The user name is percent-decoded
// (RFC 3986 §2.1), so "alice%40example.test" is alice@example.test; an
// unencoded "@" in the user name is accepted too, since the host never
// holds one (the last "@" ends the user name).
import Foundation

public struct FetchURL: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable, CaseIterable {
        case pop3
        case pop3s
        case imap
        case imaps

        /// RFC 1939 §3 (110), RFC 8314 §7 (995); RFC 9051 (143, 993).
        public var defaultPort: Int {
            switch self {
            case .pop3: 110
            case .pop3s: 995
            case .imap: 143
            case .imaps: 993
            }
        }

        /// TLS from the first byte (RFC 8314 §3).
        public var isImplicitTLS: Bool { self == .pop3s || self == .imaps }
    }

    public let scheme: Scheme
    /// Decoded.
    public let user: String
    /// A name or an IP address; an IPv6 address without its brackets.
    public let host: String
    public let port: Int
    /// IMAP only: the mailbox, decoded; nil for POP3 (an IMAP URL without
    /// one means INBOX).
    public let mailbox: String?

    public init(scheme: Scheme, user: String, host: String, port: Int? = nil, mailbox: String? = nil) {
        self.scheme = scheme
        self.user = user
        self.host = host
        self.port = port ?? scheme.defaultPort
        self.mailbox = scheme == .imap || scheme == .imaps ? (mailbox ?? "INBOX") : nil
    }

    /// The URL in canonical form (user percent-encoded, port always given):
    /// the identity of the remote mailbox in the UIDL memory and in delivery ids.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host.lowercased()
        let path = mailbox.map { "/" + Self.encode($0) } ?? ""
        return "\(scheme.rawValue)://\(Self.encode(user))@\(shownHost):\(port)" + path
    }

    public static func parse(_ text: String) throws(FetchError) -> FetchURL {
        func bad(_ why: String) -> FetchError {
            .usage(
                "bad URL \"\(redacted(text).prefix(200))\": \(why); expected pop3://USER@HOST[:PORT], "
                    + "pop3s://..., imap://USER@HOST[:PORT][/MAILBOX] or imaps://...")
        }
        guard let schemeEnd = text.range(of: "://") else { throw bad("no scheme") }
        let schemeName = text[..<schemeEnd.lowerBound].lowercased()
        guard let scheme = Scheme(rawValue: schemeName) else {
            throw bad("unknown scheme \"\(schemeName.prefix(20))\"")
        }
        var rest = text[schemeEnd.upperBound...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        var mailbox: String?
        if let slash = rest.firstIndex(of: "/") {
            guard scheme == .imap || scheme == .imaps else { throw bad("a POP3 URL has no path") }
            guard let name = decode(rest[rest.index(after: slash)...]), !name.isEmpty else {
                throw bad("bad percent-encoding in the mailbox name")
            }
            mailbox = name
            rest = rest[..<slash]
        }
        guard !rest.contains("?"), !rest.contains("#"), !(mailbox?.contains(where: { $0 == "?" || $0 == "#" }) ?? false) else {
            throw bad("a query or fragment is not supported")
        }
        guard let at = rest.lastIndex(of: "@") else { throw bad("no user name (USER@HOST)") }
        let userInfo = rest[..<at]
        let hostPort = rest[rest.index(after: at)...]
        guard !userInfo.isEmpty else { throw bad("empty user name") }
        guard !userInfo.contains(":") else {
            throw bad("a password in the URL is refused; use --password-file or CHAPPE_FETCH_PASSWORD (a \":\" in the user name is %3A)")
        }
        if userInfo.uppercased().contains(";AUTH=") {
            throw bad(";AUTH= is not supported (AUTH PLAIN or USER/PASS is chosen from the server's CAPA)")
        }
        guard let user = decode(userInfo) else { throw bad("bad percent-encoding in the user name") }
        guard !user.contains(where: { $0.isNewline || $0 == "\0" }) else { throw bad("control characters in the user name") }

        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw bad("unclosed \"[\" in the host") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("junk after \"]\"") }
                portText = after.dropFirst()
            }
            guard host.contains(":") else { throw bad("brackets are only for IPv6 addresses") }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else { throw bad("no host") }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-_:%"))
        guard host.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            throw bad("\"\(host.prefix(60))\" is not a host name or IP address")
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit),
                let number = Int(portText), (1...65535).contains(number)
            else {
                throw bad("the port must be a number from 1 to 65535")
            }
            port = number
        }
        return FetchURL(scheme: scheme, user: user, host: String(host), port: port, mailbox: mailbox)
    }

    /// The URL with what may be a password ("user:password@") hidden.
    static func redacted(_ text: String) -> String {
        guard let start = text.range(of: "://"), let at = text.lastIndex(of: "@"), start.upperBound < at,
            let colon = text[start.upperBound..<at].firstIndex(of: ":")
        else {
            return text
        }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    /// RFC 3986 §2.1 percent-decoding; nil for a broken escape or bytes
    /// that are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first < utf8.endIndex else { return nil }
                let second = utf8.index(after: first)
                guard second < utf8.endIndex, let high = hexValue(utf8[first]), let low = hexValue(utf8[second]) else {
                    return nil
                }
                bytes.append(high << 4 | low)
                index = utf8.index(after: second)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(bytes: bytes, encoding: .utf8)
    }

    /// Percent-encodes all but RFC 3986 unreserved characters.
    static func encode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80 && (CharacterSet.alphanumerics.contains(scalar) || "-._~".unicodeScalars.contains(scalar)) {
                result.unicodeScalars.append(scalar)
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A failure of `chappe fetch`, in one line: bad usage (exit 2) or a
/// runtime failure (exit 1).
public struct FetchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case usage
        case runtime
    }

    public let kind: Kind
    public let message: String

    public static func usage(_ message: String) -> FetchError { FetchError(kind: .usage, message: message) }
    public static func runtime(_ message: String) -> FetchError { FetchError(kind: .runtime, message: message) }

    public var description: String { message }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
