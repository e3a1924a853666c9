// SMTP commands (RFC 5321 §4.1.1 and the extensions' verbs) and their
// parser: a pure function from one command line (without CRLF) to a
// command or a typed error. Which commands are allowed when is the
// session's business (SMTPCommandTable); the parser checks only syntax,
// the command-line length (RFC 5321 §4.5.3.1.4) and parameter values.
import NIOCore
import Transport

public enum SMTPCommand: Sendable, Hashable {
    case ehlo(String)
    case helo(String)
    case mail(ReversePath, MailParameters)
    case rcpt(ForwardPath, RcptParameters)
    case data
    /// RFC 3030 §2: a chunk of exactly `size` octets follows the line.
    case bdat(size: Int, last: Bool)
    case rset
    case noop(String?)
    case quit
    case vrfy(String)
    case expn(String)
    case help(String?)
    case startTLS
    case auth(mechanism: String, initialResponse: String?)

    public var verb: SMTPVerb {
        switch self {
        case .ehlo: return .ehlo
        case .helo: return .helo
        case .mail: return .mail
        case .rcpt: return .rcpt
        case .data: return .data
        case .bdat: return .bdat
        case .rset: return .rset
        case .noop: return .noop
        case .quit: return .quit
        case .vrfy: return .vrfy
        case .expn: return .expn
        case .help: return .help
        case .startTLS: return .startTLS
        case .auth: return .auth
        }
    }
}

public enum SMTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case unknownCommand(String)
    /// Longer than the command's limit, CRLF included (RFC 5321 §4.5.3.1.4).
    case lineTooLong(limit: Int)
    /// Octets that are not UTF-8.
    case invalidUTF8
    /// Wrong arguments; the usage comes from the command table.
    case syntax(SMTPVerb)
    /// EHLO/HELO's argument is neither a domain nor an address literal.
    case invalidDomain(String)
    /// MAIL's or RCPT's path is malformed.
    case invalidPath(SMTPVerb, String)
    /// An ESMTP parameter this server does not know (RFC 5321 §4.1.1.11: 555).
    case unknownParameter(SMTPVerb, String)
    /// A known parameter with a value this server does not offer (BODY=BINARYMIME).
    case unsupportedValue(keyword: String, value: String)
    case invalidParameter(keyword: String, reason: String)
    /// RFC 3461 §4.5: a parameter given twice.
    case duplicateParameter(String)

    public var description: String {
        switch self {
        case .empty: return "empty command"
        case .unknownCommand(let verb): return "command \(SMTPReply.quoted(verb)) not recognized"
        case .lineTooLong: return "line too long"
        case .invalidUTF8: return "command is not valid UTF-8"
        case .syntax(let verb): return "syntax: \(SMTPCommandTable.spec(verb).usage)"
        case .invalidDomain(let text): return "\(SMTPReply.quoted(text)) is not a domain name or address literal"
        case .invalidPath(_, let reason): return "bad address: \(reason)"
        case .unknownParameter(_, let keyword): return "parameter \(SMTPReply.quoted(keyword)) not supported"
        case .unsupportedValue(let keyword, let value): return "\(keyword)=\(SMTPReply.quoted(value)) not supported"
        case .invalidParameter(let keyword, let reason): return "bad \(keyword) parameter: \(reason)"
        case .duplicateParameter(let keyword): return "parameter \(keyword) given twice"
        }
    }
}

// MARK: - Parsing

extension SMTPCommand {
    public static func parse(_ line: ByteBuffer) -> Result<SMTPCommand, SMTPParseError> {
        parse(Array(line.readableBytesView))
    }

    public static func parse(_ line: String) -> Result<SMTPCommand, SMTPParseError> {
        parse(Array(line.utf8))
    }

    /// Parses one command line, without its CRLF.
    public static func parse(_ bytes: [UInt8]) -> Result<SMTPCommand, SMTPParseError> {
        Result { () throws(SMTPParseError) in try parseLine(bytes) }
    }

    private static func parseLine(_ bytes: [UInt8]) throws(SMTPParseError) -> SMTPCommand {
        let verbEnd = bytes.firstIndex(of: .space) ?? bytes.endIndex
        let verbText = String(decoding: bytes[..<verbEnd], as: UTF8.self)
        guard !verbText.isEmpty else {
            throw bytes.count + 2 > SMTPCommandTable.commandLineLimit ? .lineTooLong(limit: SMTPCommandTable.commandLineLimit) : .empty
        }
        guard let verb = SMTPVerb(rawValue: verbText.uppercased()) else {
            // RFC 5321 §4.5.3.1.4 applies to unknown lines too.
            if bytes.count + 2 > SMTPCommandTable.commandLineLimit {
                throw .lineTooLong(limit: SMTPCommandTable.commandLineLimit)
            }
            throw .unknownCommand(String(verbText.prefix(16)))
        }
        let spec = SMTPCommandTable.spec(verb)
        // RFC 5321 §4.5.3.1.4: the limit counts the CRLF.
        guard bytes.count + 2 <= spec.maxLineLength else { throw .lineTooLong(limit: spec.maxLineLength) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        var argument = Substring(text)[text.utf8.index(text.startIndex, offsetBy: verbEnd)...]
        argument = argument.drop { $0 == " " }
        while argument.last == " " { argument = argument.dropLast() }
        let words = argument.split(separator: " ")
        switch verb {
        case .ehlo, .helo:
            guard words.count == 1 else { throw .syntax(verb) }
            let domain = String(words[0])
            guard isValidHeloArgument(domain) else { throw .invalidDomain(domain) }
            return verb == .ehlo ? .ehlo(domain) : .helo(domain)
        case .mail:
            return try parseMail(argument)
        case .rcpt:
            return try parseRcpt(argument)
        case .data, .rset, .quit, .startTLS:
            guard words.isEmpty else { throw .syntax(verb) }
            switch verb {
            case .data: return .data
            case .rset: return .rset
            case .quit: return .quit
            default: return .startTLS
            }
        case .bdat:
            guard (1...2).contains(words.count), words[0].allSatisfy(\.isASCIIDigit), let size = Int(words[0]) else {
                throw .syntax(verb)
            }
            if words.count == 2 && words[1].uppercased() != "LAST" { throw .syntax(verb) }
            return .bdat(size: size, last: words.count == 2)
        case .noop:
            return .noop(argument.isEmpty ? nil : String(argument))
        case .vrfy, .expn:
            guard !argument.isEmpty else { throw .syntax(verb) }
            return verb == .vrfy ? .vrfy(String(argument)) : .expn(String(argument))
        case .help:
            guard words.count <= 1 else { throw .syntax(verb) }
            return .help(words.first.map(String.init))
        case .auth:
            guard (1...2).contains(words.count), isSASLMechanismName(words[0]) else { throw .syntax(verb) }
            return .auth(mechanism: words[0].uppercased(), initialResponse: words.count == 2 ? String(words[1]) : nil)
        }
    }

    // MARK: MAIL and RCPT

    private static func parseMail(_ argument: Substring) throws(SMTPParseError) -> SMTPCommand {
        guard argument.prefix(5).uppercased() == "FROM:" else { throw .syntax(.mail) }
        let (content, rest) = try splitPath(argument.dropFirst(5), verb: .mail)
        let path: ReversePath
        if content.isEmpty {
            path = .null
        } else {
            path = .mailbox(try mailbox(content, verb: .mail))
        }
        var parameters = MailParameters()
        var seen: Set<String> = []
        for (keyword, value) in try esmtpParameters(rest, verb: .mail) {
            guard seen.insert(keyword).inserted else { throw .duplicateParameter(keyword) }
            switch keyword {
            case "SIZE":
                // RFC 1870 §3: size-value ::= 1*20DIGIT; beyond Int it is simply too big.
                guard let value, !value.isEmpty, value.count <= SMTPParameterLimits.maxSizeDigits,
                    value.allSatisfy(\.isASCIIDigit)
                else { throw .invalidParameter(keyword: keyword, reason: "a size is 1 to 20 digits") }
                parameters.size = Int(value) ?? Int.max
            case "BODY":
                guard let value else { throw .invalidParameter(keyword: keyword, reason: "needs a value") }
                guard let body = BodyType(rawValue: value.uppercased()) else {
                    if value.uppercased() == "BINARYMIME" { throw .unsupportedValue(keyword: keyword, value: value) }
                    throw .invalidParameter(keyword: keyword, reason: "use 7BIT or 8BITMIME")
                }
                parameters.body = body
            case "SMTPUTF8":
                // RFC 6531 §3.4: no value.
                guard value == nil else { throw .invalidParameter(keyword: keyword, reason: "takes no value") }
                parameters.smtpUTF8 = true
            case "RET":
                guard let value, let ret = DSNReturn(rawValue: value.uppercased()) else {
                    throw .invalidParameter(keyword: keyword, reason: "use FULL or HDRS")
                }
                parameters.ret = ret
            case "ENVID":
                // RFC 3461 §4.4: xtext, at most 100 characters, printable ASCII.
                guard let value, let decoded = XText.decode(value), !decoded.isEmpty,
                    decoded.utf8.count <= SMTPParameterLimits.maxEnvelopeID,
                    decoded.utf8.allSatisfy({ (0x20...0x7E).contains($0) })
                else { throw .invalidParameter(keyword: keyword, reason: "ENVID is xtext of at most 100 printable characters") }
                parameters.envelopeID = decoded
            case "AUTH":
                // RFC 4954 §5: AUTH=<> or AUTH=xtext(mailbox).
                guard let value, value.utf8.count <= SMTPParameterLimits.maxAuthSubmitter else {
                    throw .invalidParameter(keyword: keyword, reason: "needs a value")
                }
                if value == "<>" {
                    parameters.auth = .unknown
                } else {
                    guard let decoded = XText.decode(value), !decoded.isEmpty else {
                        throw .invalidParameter(keyword: keyword, reason: "not valid xtext")
                    }
                    parameters.auth = .mailbox(decoded)
                }
            default:
                throw .unknownParameter(.mail, keyword)
            }
        }
        return .mail(path, parameters)
    }

    private static func parseRcpt(_ argument: Substring) throws(SMTPParseError) -> SMTPCommand {
        guard argument.prefix(3).uppercased() == "TO:" else { throw .syntax(.rcpt) }
        let (content, rest) = try splitPath(argument.dropFirst(3), verb: .rcpt)
        guard !content.isEmpty else { throw .invalidPath(.rcpt, "empty recipient") }
        let path: ForwardPath
        // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain, any case.
        if content.lowercased() == "postmaster" {
            path = .postmaster
        } else {
            path = .mailbox(try mailbox(content, verb: .rcpt))
        }
        var parameters = RcptParameters()
        var seen: Set<String> = []
        for (keyword, value) in try esmtpParameters(rest, verb: .rcpt) {
            guard seen.insert(keyword).inserted else { throw .duplicateParameter(keyword) }
            switch keyword {
            case "NOTIFY":
                guard let value else { throw .invalidParameter(keyword: keyword, reason: "needs a value") }
                // RFC 3461 §4.1
                guard let notify = DSNNotify(value: value) else {
                    throw .invalidParameter(keyword: keyword, reason: "use NEVER or SUCCESS,FAILURE,DELAY")
                }
                parameters.notify = notify
            case "ORCPT":
                // RFC 3461 §4.2: addr-type ";" xtext, up to 500 characters.
                guard let value, value.utf8.count <= SMTPParameterLimits.maxOriginalRecipient,
                    let semicolon = value.firstIndex(of: ";")
                else { throw .invalidParameter(keyword: keyword, reason: "use ORCPT=rfc822;address") }
                let type = value[..<semicolon]
                guard !type.isEmpty, type.utf8.allSatisfy({ SMTPMailbox.isAtext($0) }),
                    let address = XText.decode(value[value.index(after: semicolon)...]), !address.isEmpty
                else { throw .invalidParameter(keyword: keyword, reason: "use ORCPT=rfc822;address") }
                parameters.originalRecipient = OriginalRecipient(addressType: String(type), address: address)
            default:
                throw .unknownParameter(.rcpt, keyword)
            }
        }
        return .rcpt(path, parameters)
    }

    /// Splits "<path> params" into the path's content (between the angle
    /// brackets, source route removed) and the rest. Spaces before "<" are
    /// tolerated, as many clients send "MAIL FROM: <a@b>".
    private static func splitPath(_ text: Substring, verb: SMTPVerb) throws(SMTPParseError) -> (String, Substring) {
        let trimmed = text.drop { $0 == " " }
        guard trimmed.first == "<" else { throw .invalidPath(verb, "the address must be in angle brackets") }
        var inQuotes = false
        var escaped = false
        var close: Substring.Index?
        var index = trimmed.index(after: trimmed.startIndex)
        while index < trimmed.endIndex {
            let character = trimmed[index]
            if escaped {
                escaped = false
            } else if inQuotes && character == "\\" {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == ">" && !inQuotes {
                close = index
                break
            }
            index = trimmed.index(after: index)
        }
        guard let close else { throw .invalidPath(verb, "missing \">\"") }
        var content = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
        // RFC 5321 §4.1.2 and §C: a source route "@a,@b:" is accepted and ignored.
        if content.first == "@" {
            guard let colon = content.firstIndex(of: ":") else { throw .invalidPath(verb, "malformed source route") }
            let route = content[..<colon].split(separator: ",", omittingEmptySubsequences: false)
            guard route.allSatisfy({ $0.count > 1 && $0.first == "@" }) else {
                throw .invalidPath(verb, "malformed source route")
            }
            content = content[content.index(after: colon)...]
        }
        let rest = trimmed[trimmed.index(after: close)...]
        guard rest.isEmpty || rest.first == " " else { throw .invalidPath(verb, "text after \">\"") }
        return (String(content), rest)
    }

    private static func mailbox(_ content: String, verb: SMTPVerb) throws(SMTPParseError) -> SMTPMailbox {
        do {
            return try SMTPMailbox(content)
        } catch {
            throw .invalidPath(verb, error.reason)
        }
    }

    /// esmtp-param *(SP esmtp-param); keywords upper-cased.
    private static func esmtpParameters(_ text: Substring, verb: SMTPVerb) throws(SMTPParseError) -> [(String, String?)] {
        var result: [(String, String?)] = []
        for word in text.split(separator: " ") {
            let keyword: Substring
            let value: Substring?
            if let equals = word.firstIndex(of: "=") {
                keyword = word[..<equals]
                value = word[word.index(after: equals)...]
            } else {
                keyword = word
                value = nil
            }
            // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
            guard let first = keyword.utf8.first, SMTPMailbox.isLetDig(first),
                keyword.utf8.allSatisfy({ SMTPMailbox.isLetDig($0) || $0 == UInt8(ascii: "-") })
            else { throw .syntax(verb) }
            // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 §3.3).
            if let value {
                guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x80 || ((33...126).contains($0) && $0 != UInt8(ascii: "=")) })
                else { throw .invalidParameter(keyword: keyword.uppercased(), reason: "malformed value") }
            }
            result.append((keyword.uppercased(), value.map(String.init)))
        }
        return result
    }

    // MARK: Arguments

    /// EHLO/HELO: a domain (underscores tolerated, as some hosts have them)
    /// or an address literal (RFC 5321 §4.1.3).
    static func isValidHeloArgument(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 else { return false }
        if bytes.first == UInt8(ascii: "[") {
            return SMTPAddressLiteral.parse(text) != nil
        }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        // A trailing dot (a fully qualified name) is tolerated.
        let significant = labels.last?.isEmpty == true && labels.count > 1 ? Array(labels.dropLast()) : labels
        return significant.allSatisfy { label in
            !label.isEmpty && label.count <= 63
                && label.allSatisfy { SMTPMailbox.isLetDig($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
        }
    }

    /// RFC 4422 §3.1: 1 to 20 upper-case letters, digits, "-" or "_".
    static func isSASLMechanismName(_ text: Substring) -> Bool {
        (1...20).contains(text.utf8.count)
            && text.utf8.allSatisfy { SMTPMailbox.isLetDig($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }
}

/// An address literal "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3).
enum SMTPAddressLiteral {
    static func parse(_ text: String) -> String? {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.count > 2 else { return nil }
        let inner = text.dropFirst().dropLast()
        if inner.prefix(5).lowercased() == "ipv6:" {
            let address = inner.dropFirst(5)
            guard let parsed = IPAddress(String(address)), parsed.family == .ipv6 else { return nil }
            return "[IPv6:\(address.lowercased())]"
        }
        guard let parsed = IPAddress(String(inner)), parsed.family == .ipv4 else { return nil }
        return "[\(inner)]"
    }
}

extension UInt8 {
    static let space = UInt8(ascii: " ")
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
