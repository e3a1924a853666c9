// ResponseCache: the UDP answers already computed, by the octets of their query.
//
// `Authority.respond` is a pure function of the query's octets and the zones: two queries
// that differ only in their ID get answers that differ only in their ID (the ID is copied,
// RFC 1035 §4.1.1; nothing else depends on it, nothing is random). So an answer can be
// kept under the query without its ID and reused with the new ID patched in — the same
// octets `respond` would build, at the cost of one hash lookup. Names keep their case in
// the key, so the echoed question (and 0x20-style case checks) stay exact.
//
// Invariants: an entry belongs to one zone set (ZoneSet clears the cache when it swaps);
// the cache holds at most `maxEntries` answers and forgets them all when full, so a flood
// of distinct names costs memory only up to that bound.

/// The octets of a query after its ID, hashed as one block.
struct QueryKey: Hashable {
    let octets: [UInt8]

    /// The key of `query` (at least a header long): every octet after the ID.
    init(query: some Collection<UInt8>) {
        octets = Array(query.dropFirst(2))
    }

    func hash(into hasher: inout Hasher) {
        octets.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

struct ResponseCache {
    /// Queries longer than this are answered without the cache (real queries are short;
    /// a long one is unusual, and not worth remembering).
    static let maxQuerySize = 512

    let maxEntries: Int
    private var answers: [QueryKey: [UInt8]] = [:]

    init(maxEntries: Int = 16_384) {
        self.maxEntries = max(1, maxEntries)
    }

    var count: Int { answers.count }

    /// The answer kept for `key`, without its ID.
    func answer(for key: QueryKey) -> [UInt8]? {
        answers[key]
    }

    mutating func store(_ response: [UInt8], for key: QueryKey) {
        if answers.count >= maxEntries { answers.removeAll(keepingCapacity: true) }
        answers[key] = response
    }

    mutating func removeAll() {
        answers.removeAll()
    }
}
