// MXAnswer: what an MX lookup means for mail delivery, with the cases RFC 5321 §5.1 and
// RFC 7505 tell apart, and the host order: by preference, equal preferences in random
// order (RFC 5321 §5.1) from an injected generator.

/// One mail exchanger.
public struct MXHost: Sendable, Hashable, CustomStringConvertible {
    public var preference: UInt16
    public var exchange: DNSName

    public init(preference: UInt16, exchange: DNSName) {
        self.preference = preference
        self.exchange = exchange
    }

    public var description: String { "\(preference) \(exchange)" }
}

/// The outcome of an MX lookup for a mail domain.
public enum MXAnswer: Sendable, Hashable {
    /// The mail exchangers, in the order to try them.
    case hosts([MXHost])
    /// The domain exists but has no MX records: deliver to its own address records, the
    /// implicit MX (RFC 5321 §5.1).
    case noMXRecords
    /// The domain does not exist (NXDOMAIN): a permanent failure.
    case noSuchDomain
    /// The domain accepts no mail: a single MX of preference 0 with the root as exchange
    /// (RFC 7505 §3); a permanent failure (RFC 7505 §4.1 suggests 556).
    case nullMX
    /// The lookup failed for now (SERVFAIL, REFUSED, truncation, timeout): retry later
    /// (RFC 5321 §5.1 forbids treating it as "no MX").
    case temporaryFailure(String)

    /// The answer a response to an MX query for `domain` gives; CNAMEs in the answer
    /// section are followed from `domain`.
    public init(response: DNSMessage, domain: DNSName, using generator: inout some RandomNumberGenerator) {
        guard !response.isTruncated else {
            self = .temporaryFailure("truncated response")
            return
        }
        switch response.rcode {
        case .noError:
            let chain = DNSCache.chain(in: response.answers, from: DNSQuestion(name: domain, type: .mx))
            self.init(records: chain.answered ? chain.records : [], using: &generator)
        case .nameError:
            self = .noSuchDomain
        default:
            self = .temporaryFailure("the server answered \(response.rcode)")
        }
    }

    /// The answer a cache result gives.
    public init(cached result: DNSCacheResult, using generator: inout some RandomNumberGenerator) {
        switch result {
        case .records(let records): self.init(records: records, using: &generator)
        case .nameError: self = .noSuchDomain
        case .noData: self = .noMXRecords
        case .miss: self = .temporaryFailure("not cached")
        }
    }

    /// The answer the MX records of a domain give (other record types are ignored).
    public init(records: [ResourceRecord], using generator: inout some RandomNumberGenerator) {
        let hosts = records.compactMap { record -> MXHost? in
            guard case .mx(let preference, let exchange) = record.rdata else { return nil }
            return MXHost(preference: preference, exchange: exchange)
        }
        guard !hosts.isEmpty else {
            self = .noMXRecords
            return
        }
        // RFC 7505 §3: "." is not a host. A lone `0 .` is a null MX; a root exchange among
        // other MX records (which RFC 7505 §3 forbids) is skipped, and if nothing is left the
        // domain takes no mail either.
        let real = hosts.filter { !$0.exchange.isRoot }
        self = real.isEmpty ? .nullMX : .hosts(Self.sorted(real, using: &generator))
    }

    /// `hosts` by preference, lowest first, hosts of equal preference shuffled (RFC 5321 §5.1).
    public static func sorted(_ hosts: [MXHost], using generator: inout some RandomNumberGenerator) -> [MXHost] {
        let groups = Dictionary(grouping: hosts, by: \.preference)
        return groups.keys.sorted().flatMap { groups[$0, default: []].shuffled(using: &generator) }
    }
}
