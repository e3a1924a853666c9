// DNSCache: the resolver's memory of answers, keyed by (name, type, class), with positive
// entries that live for their TTL and negative ones per RFC 2308: NXDOMAIN for a whole name,
// NODATA for one type, both for the SOA's negative TTL.
//
// Invariants: time is a parameter (`now`), never read from a clock here; an entry is never
// returned after it expires; a returned record carries the seconds it has left; only the
// records on the CNAME chain from the question are taken from a response (records about
// other names could be forged); at most `maxEntries` entries are kept.

/// What the cache knows about a question.
public enum DNSCacheResult: Sendable, Hashable {
    /// The records, TTLs counting down; for `resolve`, the CNAMEs on the way first.
    case records([ResourceRecord])
    /// The name does not exist (NXDOMAIN, RFC 2308 §2.1).
    case nameError
    /// The name exists without records of the type (NODATA, RFC 2308 §2.2).
    case noData
    /// Nothing known, or known no longer.
    case miss
}

/// A TTL-honouring cache of answers.
public struct DNSCache: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// The key of an entry: an RRset's owner, type and class.
    public struct Key: Sendable, Hashable {
        public var name: DNSName
        public var type: RecordType
        public var recordClass: RecordClass

        public init(name: DNSName, type: RecordType, recordClass: RecordClass = .in) {
            self.name = name
            self.type = type
            self.recordClass = recordClass
        }
    }

    private struct NameKey: Hashable {
        var name: DNSName
        var recordClass: RecordClass
    }

    private enum Entry {
        case records([ResourceRecord], expires: Instant)
        case noData(expires: Instant)

        var expires: Instant {
            switch self {
            case .records(_, let expires), .noData(let expires): expires
            }
        }
    }

    private var entries: [Key: Entry] = [:]
    private var nameErrors: [NameKey: Instant] = [:]

    /// Most entries kept; past it, expired entries go, then those expiring soonest.
    public let maxEntries: Int
    /// Longest a record is kept, whatever its TTL.
    public let maxTTL: UInt32
    /// Longest a negative answer is kept (RFC 2308 §5 suggests one to three hours).
    public let maxNegativeTTL: UInt32

    public init(maxEntries: Int = 10_000, maxTTL: UInt32 = 86_400, maxNegativeTTL: UInt32 = 10_800) {
        self.maxEntries = max(1, maxEntries)
        self.maxTTL = maxTTL
        self.maxNegativeTTL = maxNegativeTTL
    }

    /// Entries held, expired ones not yet dropped included.
    public var count: Int { entries.count + nameErrors.count }

    // MARK: - Storing

    /// Stores `records`, grouped into RRsets; each set lives for its smallest TTL
    /// (RFC 2181 §5.2). TTLs of 0 are not cached; those with the top bit set count as 0
    /// (RFC 2181 §8).
    public mutating func insert(_ records: [ResourceRecord], now: Instant) {
        var sets: [Key: [ResourceRecord]] = [:]
        var order: [Key] = []
        for record in records where record.type != .opt {
            let key = Key(name: record.name, type: record.type, recordClass: record.recordClass)
            if sets[key] == nil { order.append(key) }
            sets[key, default: []].append(record)
        }
        for key in order {
            guard let set = sets[key] else { continue }
            let ttl = min(set.map { $0.ttl > DNSLimits.maxTTL ? 0 : $0.ttl }.min() ?? 0, maxTTL)
            guard ttl > 0 else { continue }
            entries[key] = .records(set, expires: now + .seconds(Int64(ttl)))
            nameErrors[NameKey(name: key.name, recordClass: key.recordClass)] = nil
        }
        evictIfNeeded(now: now)
    }

    /// Stores a negative answer for `ttl` seconds: with `nameError`, the whole name does
    /// not exist (RFC 2308 §5: NXDOMAIN is cached per name); otherwise only `type` is absent.
    public mutating func insertNegative(
        name: DNSName, type: RecordType, recordClass: RecordClass = .in, nameError: Bool, ttl: UInt32, now: Instant
    ) {
        let seconds = min(ttl > DNSLimits.maxTTL ? 0 : ttl, maxNegativeTTL)
        guard seconds > 0 else { return }
        let expires = now + .seconds(Int64(seconds))
        if nameError {
            nameErrors[NameKey(name: name, recordClass: recordClass)] = expires
        } else {
            entries[Key(name: name, type: type, recordClass: recordClass)] = .noData(expires: expires)
        }
        evictIfNeeded(now: now)
    }

    /// Stores what a response says about its own question: the RRsets on the CNAME chain
    /// from the question name, and, at the end of the chain, NXDOMAIN or NODATA for the
    /// lesser of the SOA's TTL and MINIMUM (RFC 2308 §5). Truncated responses, other RCODEs,
    /// ANY questions and negative answers without an SOA (RFC 2308 §5) store nothing.
    public mutating func store(_ response: DNSMessage, now: Instant) {
        guard response.isResponse, !response.isTruncated, response.rcode == .noError || response.rcode == .nameError,
            let question = response.question, question.type != .any
        else { return }
        let chain = Self.chain(in: response.answers, from: question)
        insert(chain.records, now: now)
        guard !chain.answered else { return }
        guard let soaRecord = response.authority.first(where: { $0.type == .soa }), case .soa(let soa) = soaRecord.rdata,
            chain.end.isSubdomain(of: soaRecord.name)
        else { return }
        insertNegative(
            name: chain.end, type: question.type, recordClass: question.recordClass,
            nameError: response.rcode == .nameError, ttl: min(soaRecord.ttl, soa.minimum), now: now)
    }

    /// The records of `answers` on the CNAME chain from the question, where the chain
    /// ends, and whether records of the asked type were found there.
    static func chain(
        in answers: [ResourceRecord], from question: DNSQuestion
    ) -> (records: [ResourceRecord], end: DNSName, answered: Bool) {
        var name = question.name
        var records: [ResourceRecord] = []
        for _ in 0...DNSLimits.maxCNAMEChain {
            let owned = answers.filter { $0.name == name && $0.recordClass == question.recordClass }
            let matching = owned.filter { $0.type == question.type }
            if !matching.isEmpty { return (records + matching, name, true) }
            guard let alias = owned.first(where: { $0.type == .cname }), case .cname(let target) = alias.rdata else {
                break
            }
            records.append(alias)
            name = target
        }
        return (records, name, false)
    }

    private mutating func evictIfNeeded(now: Instant) {
        guard count > maxEntries else { return }
        entries = entries.filter { $0.value.expires > now }
        nameErrors = nameErrors.filter { $0.value > now }
        let target = maxEntries - maxEntries / 10
        guard count > target else { return }
        // Drop the entries closest to expiry until a tenth of the room is free again.
        let all = entries.map { ($0.value.expires, Optional($0.key), NameKey?.none) }
            + nameErrors.map { ($0.value, Key?.none, Optional($0.key)) }
        for (_, key, nameKey) in all.sorted(by: { $0.0 < $1.0 }).prefix(count - target) {
            if let key { entries[key] = nil }
            if let nameKey { nameErrors[nameKey] = nil }
        }
    }

    // MARK: - Looking up

    /// What is known about (name, type, class) at `now`; records carry their remaining TTL.
    public func lookup(_ name: DNSName, type: RecordType, recordClass: RecordClass = .in, now: Instant) -> DNSCacheResult {
        if let expires = nameErrors[NameKey(name: name, recordClass: recordClass)], expires > now { return .nameError }
        switch entries[Key(name: name, type: type, recordClass: recordClass)] {
        case .records(let records, let expires) where expires > now:
            let left = UInt32(clamping: (expires - now).components.seconds)
            return .records(records.map { record in
                var record = record
                record.ttl = left
                return record
            })
        case .noData(let expires) where expires > now:
            return .noData
        default:
            return .miss
        }
    }

    /// Like `lookup`, following cached CNAMEs (at most `DNSLimits.maxCNAMEChain`); the
    /// CNAME records come first in a `.records` result.
    public func resolve(_ name: DNSName, type: RecordType, recordClass: RecordClass = .in, now: Instant) -> DNSCacheResult {
        var current = name
        var chain: [ResourceRecord] = []
        for _ in 0...DNSLimits.maxCNAMEChain {
            switch lookup(current, type: type, recordClass: recordClass, now: now) {
            case .records(let records): return .records(chain + records)
            case .nameError: return .nameError
            case .noData: return .noData
            case .miss: break
            }
            guard type != .cname,
                case .records(let aliases) = lookup(current, type: .cname, recordClass: recordClass, now: now),
                let alias = aliases.first, case .cname(let target) = alias.rdata
            else { return .miss }
            chain.append(alias)
            current = target
        }
        return .miss
    }
}
