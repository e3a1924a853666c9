// IPv4Address and IPv6Address: the RDATA of A (RFC 1035 §3.4.1) and AAAA (RFC 3596 §2.2)
// records, parsed from and written to their text forms in pure Swift.
//
// Invariants: `bytes` holds exactly 4 or 16 octets, network order.

// MARK: - IPv4Address

/// An IPv4 address, the RDATA of an A record.
public struct IPv4Address: Sendable, Hashable, CustomStringConvertible {
    /// The four octets, network order.
    public let bytes: [UInt8]

    /// The address a.b.c.d.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        bytes = [a, b, c, d]
    }

    /// An address from exactly four octets.
    public init?(bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        guard array.count == 4 else { return nil }
        self.bytes = array
    }

    /// Parses a dotted quad, "192.0.2.1": four decimal numbers of one to three digits,
    /// each at most 255. Nothing else is accepted.
    public init?(_ text: some StringProtocol) {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard value <= 255 else { return nil }
            octets.append(UInt8(value))
        }
        bytes = octets
    }

    public var description: String { bytes.map(String.init).joined(separator: ".") }
}

// MARK: - IPv6Address

/// An IPv6 address, the RDATA of an AAAA record.
public struct IPv6Address: Sendable, Hashable, CustomStringConvertible {
    /// The sixteen octets, network order.
    public let bytes: [UInt8]

    /// An address from exactly sixteen octets.
    public init?(bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        guard array.count == 16 else { return nil }
        self.bytes = array
    }

    /// Parses the text forms of RFC 4291 §2.2: eight groups of up to four hex digits, one
    /// "::" standing for one or more zero groups, and an optional dotted quad in place of
    /// the last two groups. Zone ids and brackets are refused.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        let colon = UInt8(ascii: ":")
        var index = 0
        if utf8.starts(with: [colon, colon]) {
            sawGap = true
            index = 2
        } else if utf8.first == colon {
            return nil
        }
        while index < utf8.count {
            let end = utf8[index...].firstIndex(of: colon) ?? utf8.count
            let group = utf8[index..<end]
            if end == utf8.count, group.contains(UInt8(ascii: ".")) {
                guard let v4 = IPv4Address(String(decoding: group, as: UTF8.self)) else { return nil }
                let words = [UInt16(v4.bytes[0]) << 8 | UInt16(v4.bytes[1]), UInt16(v4.bytes[2]) << 8 | UInt16(v4.bytes[3])]
                if sawGap { tail += words } else { head += words }
                index = end
                break
            }
            guard (1...4).contains(group.count), group.allSatisfy(Self.isHexDigit),
                let value = UInt16(String(decoding: group, as: UTF8.self), radix: 16)
            else { return nil }
            if sawGap { tail.append(value) } else { head.append(value) }
            index = end
            guard index < utf8.count else { break }
            index += 1  // the colon
            if index < utf8.count, utf8[index] == colon {
                guard !sawGap else { return nil }
                sawGap = true
                index += 1
            } else if index == utf8.count {
                return nil  // a single trailing colon
            }
        }
        let count = head.count + tail.count
        guard sawGap ? count <= 7 : count == 8 else { return nil }
        let words = head + Array(repeating: 0, count: 8 - count) + tail
        bytes = words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default: false
        }
    }

    /// The 16-bit groups, network order.
    var words: [UInt16] {
        (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
    }

    /// The canonical text form of RFC 5952 §4: lower-case hex without leading zeros, the
    /// longest run of two or more zero groups (the first of equal runs) shown as "::", and
    /// IPv4-mapped addresses with a dotted quad (§5).
    public var description: String {
        let words = self.words
        if words[0..<5].allSatisfy({ $0 == 0 }), words[5] == 0xFFFF {
            return "::ffff:" + IPv4Address(bytes[12], bytes[13], bytes[14], bytes[15]).description
        }
        var best: Range<Int>?
        var start: Int?
        for index in 0...8 {
            if index < 8, words[index] == 0 {
                if start == nil { start = index }
            } else if let run = start {
                if index - run >= 2, index - run > (best?.count ?? 0) { best = run..<index }
                start = nil
            }
        }
        let hex = words.map { String($0, radix: 16) }
        guard let best else { return hex.joined(separator: ":") }
        return hex[..<best.lowerBound].joined(separator: ":") + "::" + hex[best.upperBound...].joined(separator: ":")
    }
}
