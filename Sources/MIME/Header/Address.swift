// Addresses: mailboxes, groups and address lists of RFC 5322 §3.4 (with the obsolete
// syntax of §4.4), display names with RFC 2047 words, parsed from bytes and formatted back.

/// One mailbox: an optional display name and an address (RFC 5322 §3.4).
public struct Mailbox: Sendable, Hashable, CustomStringConvertible {
    /// The display name, decoded (quotes removed, RFC 2047 words decoded); nil when absent.
    public var displayName: String?
    /// The local part, unquoted.
    public var localPart: String
    /// The domain; empty when the address had none (accepted leniently).
    public var domain: String

    public init(displayName: String? = nil, localPart: String, domain: String) {
        self.displayName = displayName
        self.localPart = localPart
        self.domain = domain
    }

    /// Parses a single mailbox such as `"Doe, Jane" <jane@example.test>`.
    public init?(_ text: String) {
        guard let list = AddressList(parsing: Array(text.utf8)).mailboxes.first else { return nil }
        self = list
    }

    /// The address "local@domain", the local part quoted when it is not a dot-atom.
    public var address: String {
        let local = isDotAtom(localPart) ? localPart : Lexer.quoted(localPart)
        return domain.isEmpty ? local : local + "@" + domain
    }

    /// The mailbox as written in a header field: `Name <local@domain>` with the name quoted
    /// or RFC 2047-encoded as needed (RFC 5322 §3.4, RFC 2047 §5 (3)).
    public var description: String {
        guard let name = displayName, !name.isEmpty else { return address }
        let phrase = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F } && !name.contains("=?")
            ? Lexer.quotedIfNeeded(name)
            : EncodedWord.encode(name, context: .phrase)
        return phrase + " <" + address + ">"
    }

    private func isDotAtom(_ text: String) -> Bool {
        let atext = Set("!#$%&'*+-/=?^_`{|}~".utf8)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return !text.isEmpty && parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { ASCII.isAlpha($0) || ASCII.isDigit($0) || atext.contains($0) || $0 >= 0x80 }
        }
    }
}

/// A named group of mailboxes (RFC 5322 §3.4), such as `undisclosed-recipients:;`.
public struct Group: Sendable, Hashable, CustomStringConvertible {
    public var displayName: String
    public var members: [Mailbox]

    public init(displayName: String, members: [Mailbox]) {
        self.displayName = displayName
        self.members = members
    }

    public var description: String {
        let name = displayName.unicodeScalars.allSatisfy(\.isASCII) ? Lexer.quotedIfNeeded(displayName) : EncodedWord.encode(displayName, context: .phrase)
        return name + ":" + (members.isEmpty ? "" : " " + members.map(\.description).joined(separator: ", ")) + ";"
    }
}

/// One entry of an address list: a mailbox or a group.
public enum Address: Sendable, Hashable, CustomStringConvertible {
    case mailbox(Mailbox)
    case group(Group)

    /// The mailboxes this address stands for.
    public var mailboxes: [Mailbox] {
        switch self {
        case .mailbox(let mailbox): [mailbox]
        case .group(let group): group.members
        }
    }

    public var description: String {
        switch self {
        case .mailbox(let mailbox): mailbox.description
        case .group(let group): group.description
        }
    }
}

/// An address list (RFC 5322 §3.4 address-list, with the obsolete forms of §4.4: empty
/// members, routes in angle addresses, phrases with dots).
public struct AddressList: Sendable, Hashable, CustomStringConvertible {
    public var addresses: [Address]

    public init(_ addresses: [Address]) { self.addresses = addresses }

    /// Parses a field body leniently; what cannot be read is skipped.
    public init(parsing bytes: [UInt8]) {
        var parser = AddressParser(tokens: Lexer.tokens(bytes, mode: .rfc5322))
        addresses = parser.addressList()
    }

    /// Every mailbox, groups flattened.
    public var mailboxes: [Mailbox] { addresses.flatMap(\.mailboxes) }

    /// The list as written in a header field, entries separated by ", ".
    public var description: String { addresses.map(\.description).joined(separator: ", ") }
}

/// A recursive-descent reader over the tokens of an address list.
struct AddressParser {
    let tokens: [Token]
    var i = 0

    init(tokens: [Token]) { self.tokens = tokens }

    mutating func addressList() -> [Address] {
        var out: [Address] = []
        while i < tokens.count {
            if tokens[i].isSpecial(ASCII.comma) || tokens[i].isSpecial(ASCII.semicolon) || tokens[i].isSpecial(ASCII.greaterThan) {
                i += 1  // RFC 5322 §4.4: empty list members
                continue
            }
            let start = i
            if let address = address() { out.append(address) }
            if i == start { i += 1 }
        }
        return out
    }

    /// address = mailbox / group.
    mutating func address() -> Address? {
        let phrase = words()
        guard i < tokens.count else { return phraseOnly(phrase) }
        let t = tokens[i]
        if t.isSpecial(ASCII.colon) {
            // group = display-name ":" [group-list] ";"
            i += 1
            var members: [Mailbox] = []
            while i < tokens.count && !tokens[i].isSpecial(ASCII.semicolon) {
                if tokens[i].isSpecial(ASCII.comma) { i += 1; continue }
                let start = i
                if let mailbox = mailbox() { members.append(mailbox) }
                if i == start { i += 1 }
            }
            if i < tokens.count { i += 1 }  // ";"
            return .group(Group(displayName: displayName(phrase) ?? "", members: members))
        }
        i = i - phrase.count
        return mailbox().map(Address.mailbox)
    }

    /// mailbox = name-addr / addr-spec.
    mutating func mailbox() -> Mailbox? {
        let phrase = words()
        guard i < tokens.count else { return phraseOnly(phrase).flatMap { if case .mailbox(let m) = $0 { m } else { nil } } }
        let t = tokens[i]
        if t.isSpecial(ASCII.lessThan) {
            i += 1
            // RFC 5322 §4.4 obs-route: "@a,@b:" before the address.
            if let colon = tokens[i...].firstIndex(where: { $0.isSpecial(ASCII.colon) || $0.isSpecial(ASCII.greaterThan) }),
               tokens[colon].isSpecial(ASCII.colon), i < tokens.count, tokens[i].isSpecial(ASCII.at) {
                i = colon + 1
            }
            let local = words()
            var domain: [Token] = []
            if i < tokens.count && tokens[i].isSpecial(ASCII.at) {
                i += 1
                domain = domainTokens(stopAtAngle: true)
            }
            while i < tokens.count && !tokens[i].isSpecial(ASCII.greaterThan) && !tokens[i].isSpecial(ASCII.comma) { i += 1 }
            if i < tokens.count && tokens[i].isSpecial(ASCII.greaterThan) { i += 1 }
            return Mailbox(displayName: displayName(phrase), localPart: localPart(local), domain: joined(domain))
        }
        if t.isSpecial(ASCII.at) {
            i += 1
            let domain = domainTokens(stopAtAngle: false)
            // A stray display name before an angle address written without one: skip on.
            return Mailbox(displayName: nil, localPart: localPart(phrase), domain: joined(domain))
        }
        if phrase.isEmpty { return nil }
        return Mailbox(displayName: nil, localPart: localPart(phrase), domain: "")
    }

    private func phraseOnly(_ phrase: [Token]) -> Address? {
        phrase.isEmpty ? nil : .mailbox(Mailbox(displayName: nil, localPart: localPart(phrase), domain: ""))
    }

    /// Atoms and quoted strings (a phrase, or a local part).
    mutating func words() -> [Token] {
        var out: [Token] = []
        while i < tokens.count, tokens[i].kind == .atom || tokens[i].kind == .quoted {
            out.append(tokens[i])
            i += 1
        }
        return out
    }

    /// Domain tokens up to the end of the address.
    mutating func domainTokens(stopAtAngle: Bool) -> [Token] {
        var out: [Token] = []
        while i < tokens.count {
            let t = tokens[i]
            if t.kind == .special && (t.isSpecial(ASCII.comma) || t.isSpecial(ASCII.semicolon) || t.isSpecial(ASCII.greaterThan) || t.isSpecial(ASCII.lessThan)) { break }
            out.append(t)
            i += 1
        }
        return out
    }

    /// The display name of a phrase: words joined by single spaces, RFC 2047 words decoded
    /// (also inside quoted strings, as lenient readers do).
    func displayName(_ phrase: [Token]) -> String? {
        guard !phrase.isEmpty else { return nil }
        var bytes: [UInt8] = []
        for (index, token) in phrase.enumerated() {
            if index > 0 { bytes.append(ASCII.space) }
            bytes += token.bytes
        }
        return EncodedWord.decodeUnstructured(bytes)
    }

    func localPart(_ tokens: [Token]) -> String {
        String(mailBytes: tokens.flatMap(\.bytes))
    }

    func joined(_ tokens: [Token]) -> String {
        String(mailBytes: tokens.flatMap(\.bytes))
    }
}
