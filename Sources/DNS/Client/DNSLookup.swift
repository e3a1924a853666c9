// DNSLookup: the questions the rest of the suite asks DNS (MX for delivery, addresses of
// hosts, PTR, TXT), with answers that keep apart what the callers must treat differently:
// the name does not exist (permanent), it has no such records, or the lookup failed for now
// (SERVFAIL, timeout: retry later, RFC 5321 §5.1). Implemented by `DNSResolver` (the
// network) and `StaticDNS` (in memory, for tests of other modules; STYLE.md rule 10).
//
// Both implement one primitive, `lookup(_:_:)` — the records of a type at a name, CNAMEs
// followed — and share the rest, so the mapping from DNS outcomes to answers is one code.
import Transport

/// The outcome of looking up one type at one name.
public enum RRsetLookup: Sendable, Hashable {
    /// The CNAME records that led there (if any), then the records of the type.
    case records([ResourceRecord])
    /// The name (or the end of its CNAME chain) does not exist: NXDOMAIN (RFC 2308 §2.1).
    case nameError
    /// The name exists without records of the type: NODATA (RFC 2308 §2.2).
    case noData
    /// No answer for now: SERVFAIL, REFUSED, timeouts, a truncated answer; says why.
    case failure(String)

    /// What one response says about `question`: an outcome, or the target of a CNAME chain
    /// that the response leaves unresolved (an authoritative server answers only inside its
    /// own zones) with the aliases on the way.
    static func interpret(
        _ response: DNSMessage, for question: DNSQuestion
    ) -> (outcome: RRsetLookup?, unresolvedAlias: (target: DNSName, aliases: [ResourceRecord])?) {
        guard !response.isTruncated else { return (.failure("truncated response"), nil) }
        switch response.rcode {
        case .noError, .nameError:
            let chain = DNSCache.chain(in: response.answers, from: question)
            if chain.answered { return (.records(chain.records), nil) }
            // RFC 6604 §3: after CNAMEs the RCODE speaks of the last name of the chain.
            if response.rcode == .nameError { return (.nameError, nil) }
            let hasSOA = response.authority.contains { $0.type == .soa }
            if chain.end != question.name, !hasSOA { return (nil, (chain.end, chain.records)) }
            return (.noData, nil)
        default:
            return (.failure("the server answered \(response.rcode)"), nil)
        }
    }
}

/// The addresses of a host.
public enum AddressAnswer: Sendable, Hashable {
    /// IPv6 addresses first (AAAA), then IPv4 (A).
    case addresses([IPAddress])
    /// The name does not exist.
    case noSuchDomain
    /// The name exists without AAAA or A records.
    case noAddresses
    /// The lookup failed for now: retry later.
    case temporaryFailure(String)
}

/// The records of one type, in the terms of `AddressAnswer`.
public enum LookupAnswer<Value: Sendable & Hashable>: Sendable, Hashable {
    case records([Value])
    case noSuchDomain
    case noRecords
    case temporaryFailure(String)
}

/// The lookups the suite makes.
public protocol DNSLookup: Sendable {
    /// The records of `type` at `name`, CNAMEs followed.
    func lookup(_ name: DNSName, _ type: RecordType) async -> RRsetLookup
    /// The mail exchangers of a domain, in the order to try them (RFC 5321 §5.1).
    func mx(_ domain: DNSName) async -> MXAnswer
    /// The AAAA and A records of a host.
    func addresses(_ host: DNSName) async -> AddressAnswer
    /// The names of an address (RFC 1035 §3.5, RFC 3596 §2.5).
    func ptr(_ address: IPAddress) async -> LookupAnswer<DNSName>
    /// The TXT records of a name, each one's strings joined (as SPF and DKIM read them,
    /// RFC 7208 §3.3), as UTF-8 text.
    func txt(_ name: DNSName) async -> LookupAnswer<String>
}

extension DNSLookup {
    public func mx(_ domain: DNSName) async -> MXAnswer {
        var generator = SystemRandomNumberGenerator()
        switch await lookup(domain, .mx) {
        case .records(let records): return MXAnswer(records: records, using: &generator)
        case .nameError: return .noSuchDomain
        case .noData: return .noMXRecords
        case .failure(let reason): return .temporaryFailure(reason)
        }
    }

    public func addresses(_ host: DNSName) async -> AddressAnswer {
        async let v6 = lookup(host, .aaaa)
        async let v4 = lookup(host, .a)
        let outcomes = [await v6, await v4]
        let found = outcomes.flatMap { outcome -> [IPAddress] in
            guard case .records(let records) = outcome else { return [] }
            return records.compactMap { record in
                switch record.rdata {
                case .aaaa(let address): IPAddress(bytes: address.bytes)
                case .a(let address): IPAddress(bytes: address.bytes)
                default: nil
                }
            }
        }
        if !found.isEmpty { return .addresses(found) }
        if outcomes.contains(.nameError) { return .noSuchDomain }
        for case .failure(let reason) in outcomes { return .temporaryFailure(reason) }
        return .noAddresses
    }

    public func ptr(_ address: IPAddress) async -> LookupAnswer<DNSName> {
        await records(reverseName(of: address), .ptr) { rdata in
            guard case .ptr(let name) = rdata else { return nil }
            return name
        }
    }

    public func txt(_ name: DNSName) async -> LookupAnswer<String> {
        await records(name, .txt) { rdata in
            guard case .txt(let strings) = rdata else { return nil }
            return String(decoding: strings.joined(), as: UTF8.self)
        }
    }

    /// The data of the records of `type` at `name`, mapped by `value`.
    func records<Value>(
        _ name: DNSName, _ type: RecordType, _ value: (RData) -> Value?
    ) async -> LookupAnswer<Value> {
        switch await lookup(name, type) {
        case .records(let records): return .records(records.compactMap { value($0.rdata) })
        case .nameError: return .noSuchDomain
        case .noData: return .noRecords
        case .failure(let reason): return .temporaryFailure(reason)
        }
    }
}

/// The name under which an address's PTR records live: the IPv4 octets reversed under
/// in-addr.arpa (RFC 1035 §3.5), the IPv6 nibbles reversed under ip6.arpa (RFC 3596 §2.5).
public func reverseName(of address: IPAddress) -> DNSName {
    let hexDigits = Array("0123456789abcdef".utf8)
    let labels: [[UInt8]]
    if let v4 = address.unmappedIPv4 ?? (address.isIPv6 ? nil : address) {
        labels = v4.bytes.reversed().map { Array(String($0).utf8) } + [Array("in-addr".utf8), Array("arpa".utf8)]
    } else {
        labels = address.bytes.reversed().flatMap { [[hexDigits[Int($0 & 0x0F)]], [hexDigits[Int($0 >> 4)]]] }
            + [Array("ip6".utf8), Array("arpa".utf8)]
    }
    return DNSName(uncheckedLabels: labels)
}
