// RDataParser: the RDATA of one master file entry, from its tokens to a typed `RData`
// (RFC 1035 §5.1 and the RFC of each type), including the generic `\# length hex` form
// of RFC 3597 §5 for any type.

enum RDataParser {
    /// What each type needs, for the error when the token count is wrong.
    private static let usage: [RecordType: String] = [
        .a: "an IPv4 address", .aaaa: "an IPv6 address", .ns: "a host name", .cname: "a target name",
        .ptr: "a target name", .mx: "a preference and a host",
        .soa: "a primary server, a mailbox, a serial and four timers (refresh, retry, expire, minimum)",
        .txt: "one or more strings", .srv: "a priority, a weight, a port and a target", .caa: "flags, a tag and a value",
    ]

    static func parse(
        type: RecordType, tokens: [ZoneToken], origin: DNSName?, line: Int
    ) throws(ZoneSyntaxError) -> RData {
        if let first = tokens.first, !first.quoted, first.bytes == [UInt8(ascii: "\\"), UInt8(ascii: "#")] {
            return try generic(type: type, tokens: Array(tokens.dropFirst()), line: line)
        }
        guard let usage = usage[type] else {
            throw ZoneSyntaxError(line: line, message: "\(type) data must be written in the \\# form (RFC 3597 §5)")
        }
        let fixedCounts: [RecordType: Int] = [
            .a: 1, .aaaa: 1, .ns: 1, .cname: 1, .ptr: 1, .mx: 2, .soa: 7, .srv: 4, .caa: 3,
        ]
        let countIsRight = fixedCounts[type].map { $0 == tokens.count } ?? !tokens.isEmpty
        guard countIsRight else { throw ZoneSyntaxError(line: line, message: "\(type) needs \(usage)") }
        let t = tokens
        switch type {
        case .a:
            guard !t[0].quoted, let address = IPv4Address(t[0].text) else {
                throw ZoneSyntaxError(line: t[0].line, message: "'\(t[0].text)' is not an IPv4 address")
            }
            return .a(address)
        case .aaaa:
            guard !t[0].quoted, let address = IPv6Address(t[0].text) else {
                throw ZoneSyntaxError(line: t[0].line, message: "'\(t[0].text)' is not an IPv6 address")
            }
            return .aaaa(address)
        case .ns:
            return .ns(try name(t[0], origin: origin))
        case .cname:
            return .cname(try name(t[0], origin: origin))
        case .ptr:
            return .ptr(try name(t[0], origin: origin))
        case .mx:
            return .mx(preference: try number(t[0], "MX preference"), exchange: try name(t[1], origin: origin))
        case .soa:
            return .soa(
                SOA(
                    mname: try name(t[0], origin: origin), rname: try name(t[1], origin: origin),
                    serial: try number(t[2], "SOA serial"), refresh: try duration(t[3], "SOA refresh"),
                    retry: try duration(t[4], "SOA retry"), expire: try duration(t[5], "SOA expire"),
                    minimum: try duration(t[6], "SOA minimum")))
        case .srv:
            return .srv(
                priority: try number(t[0], "SRV priority"), weight: try number(t[1], "SRV weight"),
                port: try number(t[2], "SRV port"), target: try name(t[3], origin: origin))
        case .caa:
            let tag = t[1].bytes
            // RFC 8659 §4.1: the tag is one or more ASCII letters and digits.
            guard !t[1].quoted, !tag.isEmpty, tag.count <= 255, tag.allSatisfy(isCAATagOctet) else {
                throw ZoneSyntaxError(line: t[1].line, message: "CAA tag '\(t[1].text)' must be ASCII letters and digits")
            }
            return .caa(flags: try number(t[0], "CAA flags"), tag: t[1].text, value: try characterString(t[2], limit: nil))
        default:
            var strings: [[UInt8]] = []
            for token in t { strings.append(try characterString(token, limit: DNSLimits.maxCharacterStringLength)) }
            return .txt(strings)
        }
    }

    // MARK: - The generic form (RFC 3597 §5)

    /// `\# length hex...`: the hex may be split into several words; a known type's octets
    /// must decode as that type.
    private static func generic(type: RecordType, tokens: [ZoneToken], line: Int) throws(ZoneSyntaxError) -> RData {
        guard let lengthToken = tokens.first, !lengthToken.quoted, let length = Int(lengthToken.text), length >= 0,
            length <= 0xFFFF
        else {
            throw ZoneSyntaxError(line: line, message: "\\# needs a length and hex data (RFC 3597 §5)")
        }
        var bytes: [UInt8] = []
        var pending: UInt8?
        for token in tokens.dropFirst() {
            for char in token.bytes {
                guard !token.quoted, let nibble = hexValue(char) else {
                    throw ZoneSyntaxError(line: token.line, message: "'\(token.text)' is not hex data")
                }
                if let high = pending {
                    bytes.append(high << 4 | nibble)
                    pending = nil
                } else {
                    pending = nibble
                }
            }
        }
        guard pending == nil, bytes.count == length else {
            throw ZoneSyntaxError(line: line, message: "\\# length \(length) does not match the hex data")
        }
        do {
            return try RData.decode(type: type, rdata: bytes)
        } catch {
            throw ZoneSyntaxError(line: line, message: "\\# data is not valid \(type) data: \(error)")
        }
    }

    private static func hexValue(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: - Fields

    /// A domain name: "@" is the origin, a name without a final dot is relative to it.
    static func name(_ token: ZoneToken, origin: DNSName?) throws(ZoneSyntaxError) -> DNSName {
        guard !token.quoted else { throw ZoneSyntaxError(line: token.line, message: "a name cannot be quoted") }
        if token.bytes == [UInt8(ascii: "@")] {
            guard let origin else { throw ZoneSyntaxError(line: token.line, message: "'@' before any $ORIGIN") }
            return origin
        }
        do throws(DNSNameError) {
            return try DNSName(presentation: token.bytes, origin: origin)
        } catch .relativeWithoutOrigin {
            throw ZoneSyntaxError(line: token.line, message: "relative name '\(token.text)' before any $ORIGIN")
        } catch {
            throw ZoneSyntaxError(line: token.line, message: "bad name '\(token.text)': \(error)")
        }
    }

    /// A decimal number that fits `T`.
    static func number<T: FixedWidthInteger & UnsignedInteger>(
        _ token: ZoneToken, _ what: String
    ) throws(ZoneSyntaxError) -> T {
        guard !token.quoted, !token.bytes.isEmpty, token.bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = T(token.text)
        else {
            throw ZoneSyntaxError(line: token.line, message: "\(what) '\(token.text)' is not a number from 0 to \(T.max)")
        }
        return value
    }

    /// A duration: seconds, or numbers with units w, d, h, m, s ("1h30m", BIND's extension).
    static func duration(_ token: ZoneToken, _ what: String) throws(ZoneSyntaxError) -> UInt32 {
        guard !token.quoted, let seconds = parseDuration(token.bytes) else {
            throw ZoneSyntaxError(line: token.line, message: "\(what) '\(token.text)' is not a number of seconds")
        }
        return seconds
    }

    /// Seconds of a duration token, nil when it is not one or exceeds a 32-bit value.
    static func parseDuration(_ bytes: [UInt8]) -> UInt32? {
        guard let first = bytes.first, first >= 48, first <= 57 else { return nil }
        var total: UInt64 = 0
        var number: UInt64 = 0
        var digits = 0
        var usedUnits = false
        for byte in bytes {
            if byte >= 48, byte <= 57 {
                number = number * 10 + UInt64(byte - 48)
                digits += 1
                guard number <= UInt32.max else { return nil }
                continue
            }
            let units: [UInt8: UInt64] = [0x73: 1, 0x6D: 60, 0x68: 3600, 0x64: 86400, 0x77: 604_800]  // s m h d w
            guard digits > 0, let unit = units[byte | 0x20] else { return nil }
            total += number * unit
            guard total <= UInt32.max else { return nil }
            number = 0
            digits = 0
            usedUnits = true
        }
        if digits > 0 {
            guard !usedUnits else { return nil }
            total = number
        }
        return UInt32(total)
    }

    /// A character-string (RFC 1035 §5.1): quoted or a single word, `\X` and `\DDD` decoded.
    static func characterString(_ token: ZoneToken, limit: Int?) throws(ZoneSyntaxError) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < token.bytes.count {
            let byte = token.bytes[index]
            index += 1
            if byte == UInt8(ascii: "\\") {
                do {
                    out.append(try DNSName.unescape(token.bytes, at: &index))
                } catch {
                    throw ZoneSyntaxError(line: token.line, message: "bad escape in '\(token.text)'")
                }
            } else {
                out.append(byte)
            }
        }
        if let limit, out.count > limit {
            throw ZoneSyntaxError(
                line: token.line, message: "string of \(out.count) octets (a character-string holds at most \(limit))")
        }
        return out
    }
}
