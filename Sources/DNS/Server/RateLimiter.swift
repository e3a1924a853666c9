// RateLimiter: how many UDP answers one client may get, as a token bucket per client
// address. UDP answers can be aimed at a forged source address; the cap keeps the server
// from being used to flood it (RFC 5358 §4 on reflection; the response rate limiting of
// authoritative servers).
//
// Policy over the limit: the query gets a truncated answer (TC=1, the question only, no
// larger than the query), so a real client retries over TCP, which a forged source cannot
// complete, and a reflection gains no amplification.
//
// Invariants: time is a parameter (nanoseconds of a monotonic clock), never read here; the
// table is bounded by `maxClients` — a bucket that has refilled is the same as no bucket,
// so such entries go first, and if the table is still full it is cleared (the limit then
// fails open for a moment rather than growing without bound).

/// The answers per second and the burst allowed to one client.
public struct RateLimit: Sendable, Hashable {
    /// Tokens added per second.
    public var answersPerSecond: Int
    /// Most tokens a bucket holds: answers a quiet client may get at once.
    public var burst: Int

    public init(answersPerSecond: Int, burst: Int) {
        self.answersPerSecond = max(1, answersPerSecond)
        self.burst = max(1, burst)
    }
}

/// A token bucket per key.
public struct TokenBuckets<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    public let limit: RateLimit
    /// Most clients remembered at once.
    public let maxClients: Int
    private var buckets: [Key: Bucket] = [:]

    public init(limit: RateLimit, maxClients: Int = 65_536) {
        self.limit = limit
        self.maxClients = max(1, maxClients)
    }

    /// Clients currently remembered.
    public var count: Int { buckets.count }

    /// Takes one token from `key`'s bucket at `now` (nanoseconds); false when it is empty.
    public mutating func take(_ key: Key, now: UInt64) -> Bool {
        let capacity = Double(limit.burst)
        var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
        let elapsed = now >= bucket.updated ? Double(now - bucket.updated) / 1e9 : 0
        bucket.tokens = min(capacity, bucket.tokens + elapsed * Double(limit.answersPerSecond))
        bucket.updated = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        if buckets[key] == nil, buckets.count >= maxClients { evict(now: now) }
        buckets[key] = bucket
        return allowed
    }

    /// Drops the buckets that have refilled; clears the table if that frees nothing.
    private mutating func evict(now: UInt64) {
        let refill = UInt64(Double(limit.burst) / Double(limit.answersPerSecond) * 1e9)
        buckets = buckets.filter { now < $0.value.updated || now - $0.value.updated < refill }
        if buckets.count >= maxClients - maxClients / 4 { buckets.removeAll(keepingCapacity: true) }
    }
}
