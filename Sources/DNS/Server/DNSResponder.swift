// DNSResponder: what the DNS service does with one query's octets, whichever transport
// brought them — count it, apply the UDP rate limit, and answer from the zones in service.
//
// Invariants: never throws and never traps on input — `Authority.respond` turns every
// malformed packet into FORMERR or nothing, and those are counted as malformed; it runs on
// the event loop (no waiting, no thread hop): the zones are in memory, the rate limit
// table and the zone set are behind locks held for a few instructions.
import Metrics
import NIOCore
import Synchronization

/// Counters of the DNS service, for tests and `chappe status`; the same counts go to
/// swift-metrics for the Prometheus export.
public final class DNSServerStatistics: Sendable {
    private let udp = Atomic<Int>(0)
    private let tcp = Atomic<Int>(0)
    private let malformedCount = Atomic<Int>(0)
    private let rateLimitedCount = Atomic<Int>(0)
    private let udpCounter = Counter(label: "chappe_dns_queries_total", dimensions: [("transport", "udp")])
    private let tcpCounter = Counter(label: "chappe_dns_queries_total", dimensions: [("transport", "tcp")])
    private let malformedCounter = Counter(label: "chappe_dns_malformed_total")
    private let rateLimitedCounter = Counter(label: "chappe_dns_rate_limited_total")

    public init() {}

    /// Queries received over UDP, malformed ones included.
    public var udpQueries: Int { udp.load(ordering: .relaxed) }
    /// Queries received over TCP, malformed ones included.
    public var tcpQueries: Int { tcp.load(ordering: .relaxed) }
    /// Packets dropped or answered FORMERR because they did not decode as a query.
    public var malformed: Int { malformedCount.load(ordering: .relaxed) }
    /// UDP queries over the client's rate limit, answered with TC=1 or dropped.
    public var rateLimited: Int { rateLimitedCount.load(ordering: .relaxed) }

    func countQuery(over transport: DNSTransportKind) {
        switch transport {
        case .udp:
            udp.add(1, ordering: .relaxed)
            udpCounter.increment()
        case .tcp:
            tcp.add(1, ordering: .relaxed)
            tcpCounter.increment()
        }
    }

    func countMalformed() {
        malformedCount.add(1, ordering: .relaxed)
        malformedCounter.increment()
    }

    func countRateLimited() {
        rateLimitedCount.add(1, ordering: .relaxed)
        rateLimitedCounter.increment()
    }
}

/// Who a UDP answer goes to, for the rate limit: an IPv4 address, or the /64 of an IPv6
/// address (one host usually holds a whole /64).
public enum RateLimitClient: Sendable, Hashable {
    case ipv4(UInt32)
    case ipv6Prefix(UInt64)

    /// The client of a socket address; nil for Unix sockets.
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            self = .ipv4(v4.address.sin_addr.s_addr)
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0.prefix(8)) }
            self = .ipv6Prefix(bytes.reduce(0) { $0 << 8 | UInt64($1) })
        case .unixDomainSocket:
            return nil
        }
    }
}

/// Answers queries for the DNS service.
public final class DNSResponder: Sendable {
    public let zones: ZoneSet
    public let statistics = DNSServerStatistics()
    private let buckets: Mutex<TokenBuckets<RateLimitClient>?>

    /// `rateLimit` nil: UDP answers are not limited.
    public init(zones: ZoneSet, rateLimit: RateLimit?) {
        self.zones = zones
        buckets = Mutex(rateLimit.map { TokenBuckets(limit: $0) })
    }

    /// Replaces the UDP rate limit (a reload); every client starts with a full bucket.
    public func setRateLimit(_ limit: RateLimit?) {
        buckets.withLock { $0 = limit.map { TokenBuckets(limit: $0) } }
    }

    /// The response octets for a query's octets, or nil to send nothing. Over UDP, a client
    /// over its rate limit gets a truncated answer instead (see RateLimiter.swift).
    public func respond(to packet: [UInt8], over transport: DNSTransportKind, from client: RateLimitClient?) -> [UInt8]? {
        statistics.countQuery(over: transport)
        let authority = zones.authority
        if transport == .udp, let client, !admit(client) {
            statistics.countRateLimited()
            return Self.truncatedAnswer(to: packet, payloadSize: authority.udpPayloadSize)
        }
        return answer(packet, over: transport, from: authority)
    }

    /// The UDP path of the service: octets in a buffer, answer in a buffer. Answers already
    /// given to the same query octets come from the cache with the new ID.
    public func respond(toDatagram request: ByteBuffer, from address: SocketAddress) -> ByteBuffer? {
        statistics.countQuery(over: .udp)
        let octets = request.readableBytesView
        if let client = RateLimitClient(address), !admit(client) {
            statistics.countRateLimited()
            let payloadSize = zones.authority.udpPayloadSize
            return Self.truncatedAnswer(to: Array(octets), payloadSize: payloadSize).map { ByteBuffer(bytes: $0) }
        }
        guard octets.count >= DNSTCPSession.headerSize, octets.count <= ResponseCache.maxQuerySize else {
            return answer(Array(octets), over: .udp, from: zones.authority).map { ByteBuffer(bytes: $0) }
        }
        let key = QueryKey(query: octets)
        let (authority, generation, kept) = zones.lookUp(key)
        if let kept {
            var answer = ByteBuffer()
            answer.reserveCapacity(kept.count + 2)
            answer.writeBytes(octets.prefix(2))  // the new query's ID (RFC 1035 §4.1.1)
            answer.writeBytes(kept)
            return answer
        }
        guard let response = answer(Array(octets), over: .udp, from: authority) else { return nil }
        if !Self.isFormatError(response) {
            zones.remember(Array(response.dropFirst(2)), for: key, generation: generation)
        }
        return ByteBuffer(bytes: response)
    }

    /// The answer from `authority`, malformed packets counted.
    private func answer(_ packet: [UInt8], over transport: DNSTransportKind, from authority: Authority) -> [UInt8]? {
        guard let response = authority.respond(to: packet, over: transport) else {
            statistics.countMalformed()  // shorter than a header, or a response: dropped
            return nil
        }
        if Self.isFormatError(response) {
            statistics.countMalformed()
        }
        return response
    }

    /// RFC 1035 §4.1.1: FORMERR means the query could not be interpreted.
    private static func isFormatError(_ response: [UInt8]) -> Bool {
        response.count >= 4 && response[3] & 0x0F == UInt8(DNSRCode.formatError.rawValue)
    }

    private func admit(_ client: RateLimitClient) -> Bool {
        let now = NIODeadline.now().uptimeNanoseconds
        return buckets.withLock { table in table?.take(client, now: now) ?? true }
    }

    /// TC=1 with the question and nothing else (RFC 2181 §9: the client should retry over
    /// TCP), or nil when the query does not decode.
    static func truncatedAnswer(to packet: [UInt8], payloadSize: UInt16) -> [UInt8]? {
        guard let query = try? DNSMessage(decoding: packet), !query.isResponse else { return nil }
        let reply = DNSMessage(
            id: query.id, isResponse: true, opcode: query.opcode, isTruncated: true,
            recursionDesired: query.recursionDesired, checkingDisabled: query.checkingDisabled,
            questions: query.questions, edns: query.edns.map { EDNS(udpPayloadSize: payloadSize, dnssecOK: $0.dnssecOK) })
        return try? reply.encode()
    }
}
