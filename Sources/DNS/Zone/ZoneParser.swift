// ZoneParser: master file entries to resource records (RFC 1035 §5.1): $ORIGIN and $TTL
// (RFC 2308 §4), `@`, relative names, an omitted owner, TTL or class taken from what came
// before, TTL and class in either order.
//
// Invariants: every record comes out with the line it started on, for the errors of the
// zone checks that follow; $INCLUDE is refused (a zone is one file).

struct ZoneParser {
    /// The current $ORIGIN, which completes relative names.
    private(set) var origin: DNSName?
    /// The $TTL in force (RFC 2308 §4).
    private var defaultTTL: UInt32?
    /// The last TTL given explicitly (RFC 1035 §5.1 uses it when none is given).
    private var lastTTL: UInt32?
    private var lastOwner: DNSName?
    private var lastClass: RecordClass?
    /// The records so far, each with the line it starts on.
    private(set) var records: [(record: ResourceRecord, line: Int)] = []

    init(origin: DNSName?) {
        self.origin = origin
    }

    mutating func parse(_ bytes: [UInt8]) throws(ZoneSyntaxError) {
        for entry in try ZoneLexer.entries(bytes) {
            if !entry.startsWithBlank, let first = entry.tokens.first, !first.quoted,
                first.bytes.first == UInt8(ascii: "$")
            {
                try directive(entry)
            } else {
                try record(entry)
            }
        }
    }

    // MARK: - Directives (RFC 1035 §5.1, RFC 2308 §4)

    private mutating func directive(_ entry: ZoneEntry) throws(ZoneSyntaxError) {
        let name = entry.tokens[0].text.uppercased()
        let arguments = Array(entry.tokens.dropFirst())
        switch name {
        case "$ORIGIN":
            guard arguments.count == 1 else { throw ZoneSyntaxError(line: entry.line, message: "$ORIGIN needs one name") }
            origin = try RDataParser.name(arguments[0], origin: origin)
        case "$TTL":
            guard arguments.count == 1 else { throw ZoneSyntaxError(line: entry.line, message: "$TTL needs one TTL") }
            defaultTTL = try ttl(arguments[0])
        case "$INCLUDE":
            throw ZoneSyntaxError(line: entry.line, message: "$INCLUDE is not supported: keep a zone in one file")
        default:
            throw ZoneSyntaxError(line: entry.line, message: "unknown directive \(entry.tokens[0].text)")
        }
    }

    /// A TTL: 0 to 2^31-1 seconds (RFC 2181 §8), plain or with units.
    private func ttl(_ token: ZoneToken) throws(ZoneSyntaxError) -> UInt32 {
        let value = try RDataParser.duration(token, "TTL")
        guard value <= DNSLimits.maxTTL else {
            throw ZoneSyntaxError(line: token.line, message: "TTL \(value) is above \(DNSLimits.maxTTL) (RFC 2181 §8)")
        }
        return value
    }

    // MARK: - Records (RFC 1035 §5.1: [owner] [TTL] [class] type RDATA, TTL and class in either order)

    private mutating func record(_ entry: ZoneEntry) throws(ZoneSyntaxError) {
        var tokens = entry.tokens[...]
        let owner: DNSName
        if entry.startsWithBlank {
            guard let lastOwner else {
                throw ZoneSyntaxError(line: entry.line, message: "a line starting with a blank needs an owner before it")
            }
            owner = lastOwner
        } else if let first = tokens.popFirst() {
            owner = try RDataParser.name(first, origin: origin)
        } else {
            return
        }
        var ttl: UInt32?
        var recordClass: RecordClass?
        while let token = tokens.first, !token.quoted {
            if ttl == nil, let digit = token.bytes.first, digit >= 48, digit <= 57 {
                ttl = try self.ttl(token)
            } else if recordClass == nil, let found = RecordClass(token.text), found != .any, found != .none {
                recordClass = found
            } else {
                break
            }
            tokens.removeFirst()
        }
        guard let typeToken = tokens.popFirst() else {
            throw ZoneSyntaxError(line: entry.line, message: "record for \(owner) has no type")
        }
        guard !typeToken.quoted, let type = RecordType(typeToken.text) else {
            throw ZoneSyntaxError(line: typeToken.line, message: "unknown type '\(typeToken.text)'")
        }
        guard !type.isMetaType else {
            throw ZoneSyntaxError(line: typeToken.line, message: "\(type) cannot appear in a zone file")
        }
        let rdata = try RDataParser.parse(type: type, tokens: Array(tokens), origin: origin, line: entry.line)

        if let ttl { lastTTL = ttl }
        let effectiveTTL: UInt32
        if let ttl {
            effectiveTTL = ttl
        } else if let fallback = defaultTTL ?? lastTTL {
            effectiveTTL = fallback
        } else if case .soa(let soa) = rdata {
            effectiveTTL = min(soa.minimum, DNSLimits.maxTTL)  // BIND's rule for an SOA before any TTL
        } else {
            throw ZoneSyntaxError(line: entry.line, message: "record for \(owner) has no TTL and no $TTL is set")
        }
        let effectiveClass = recordClass ?? lastClass ?? .in
        lastOwner = owner
        lastClass = effectiveClass
        let record = ResourceRecord(name: owner, ttl: effectiveTTL, recordClass: effectiveClass, rdata: rdata)
        records.append((record, entry.line))
    }
}
