// The resolver's pure parts: the cache with a fake clock, MX answers and their order with a
// seeded generator, and response validation.
import Testing

@testable import DNS

@Suite("Resolver")
struct ResolverTests {
    let t0 = ContinuousClock.now

    func at(_ seconds: Int) -> ContinuousClock.Instant { t0 + .seconds(seconds) }

    func record(_ owner: String, _ ttl: UInt32, _ rdata: RData) throws -> ResourceRecord {
        ResourceRecord(name: try name(owner), ttl: ttl, rdata: rdata)
    }

    func soa(ttl: UInt32, minimum: UInt32) throws -> ResourceRecord {
        try record("example.test.", ttl, .soa(SOA(
            mname: try name("ns1.example.test."), rname: try name("hostmaster.example.test."), serial: 1, refresh: 1,
            retry: 1, expire: 1, minimum: minimum)))
    }

    func response(
        _ owner: String, _ type: RecordType, rcode: DNSRCode = .noError, answers: [ResourceRecord] = [],
        authority: [ResourceRecord] = []
    ) throws -> DNSMessage {
        DNSMessage(
            id: 1, isResponse: true, rcode: rcode, questions: [DNSQuestion(name: try name(owner), type: type)],
            answers: answers, authority: authority)
    }

    // MARK: - Positive caching

    @Test func recordsExpireWithTheirTTL() throws {
        var cache = DNSCache()
        let mail = try name("mail.example.test.")
        cache.insert([try record("mail.example.test.", 300, .a(IPv4Address(192, 0, 2, 25)))], now: t0)
        guard case .records(let fresh) = cache.lookup(mail, type: .a, now: at(100)) else {
            Issue.record("not cached")
            return
        }
        #expect(fresh.map(\.ttl) == [200])  // the TTL counts down
        guard case .records(let late) = cache.lookup(mail, type: .a, now: at(299)) else {
            Issue.record("expired early")
            return
        }
        #expect(late.map(\.ttl) == [1])
        #expect(cache.lookup(mail, type: .a, now: at(300)) == .miss)
        #expect(cache.lookup(mail, type: .aaaa, now: at(1)) == .miss)
        #expect(cache.lookup(try name("MAIL.example.TEST."), type: .a, now: at(1)) != .miss)
    }

    @Test func anRRSetLivesForItsSmallestTTL() throws {
        var cache = DNSCache()
        cache.insert([
            try record("a.test.", 600, .a(IPv4Address(192, 0, 2, 1))), try record("a.test.", 60, .a(IPv4Address(192, 0, 2, 2))),
            try record("zero.test.", 0, .a(IPv4Address(192, 0, 2, 3))),
            try record("huge.test.", 0x8000_0000, .a(IPv4Address(192, 0, 2, 4))),
            try record("long.test.", 1_000_000, .a(IPv4Address(192, 0, 2, 5))),
        ], now: t0)
        #expect(cache.lookup(try name("a.test."), type: .a, now: at(59)) != .miss)
        #expect(cache.lookup(try name("a.test."), type: .a, now: at(60)) == .miss)
        #expect(cache.lookup(try name("zero.test."), type: .a, now: t0) == .miss)  // TTL 0: not cached
        #expect(cache.lookup(try name("huge.test."), type: .a, now: t0) == .miss)  // top bit: 0 (RFC 2181 §8)
        #expect(cache.lookup(try name("long.test."), type: .a, now: at(86_399)) != .miss)
        #expect(cache.lookup(try name("long.test."), type: .a, now: at(86_400)) == .miss)  // capped at maxTTL
    }

    @Test func storesTheChainAndNothingElse() throws {
        var cache = DNSCache()
        let answer = try response("www.example.test.", .a, answers: [
            try record("www.example.test.", 300, .cname(try name("mail.example.test."))),
            try record("mail.example.test.", 300, .a(IPv4Address(192, 0, 2, 25))),
            try record("bank.example.", 300, .a(IPv4Address(6, 6, 6, 6))),  // off the chain: could be forged
        ])
        cache.store(answer, now: t0)
        guard case .records(let records) = cache.resolve(try name("www.example.test."), type: .a, now: at(10)) else {
            Issue.record("chain not cached")
            return
        }
        #expect(records.map(\.type) == [.cname, .a])
        #expect(cache.lookup(try name("bank.example."), type: .a, now: at(10)) == .miss)
        #expect(cache.resolve(try name("www.example.test."), type: .aaaa, now: at(10)) == .miss)
        var truncated = answer
        truncated.isTruncated = true
        var other = DNSCache()
        other.store(truncated, now: t0)
        #expect(other.count == 0)
    }

    @Test func cachedChainsStopAtTheLimit() throws {
        var cache = DNSCache()
        let links = try (0...DNSLimits.maxCNAMEChain + 1).map { try record("c\($0).test.", 60, .cname(try name("c\($0 + 1).test."))) }
        cache.insert(links, now: t0)
        cache.insert([try record("c\(DNSLimits.maxCNAMEChain + 2).test.", 60, .a(IPv4Address(192, 0, 2, 1)))], now: t0)
        #expect(cache.resolve(try name("c0.test."), type: .a, now: t0) == .miss)
        guard case .records(let records) = cache.resolve(try name("c2.test."), type: .a, now: t0) else {
            Issue.record("a chain within the limit was not followed")
            return
        }
        #expect(records.count == DNSLimits.maxCNAMEChain + 1)
    }

    // MARK: - Negative caching (RFC 2308)

    @Test func nameErrorCoversEveryTypeForTheNegativeTTL() throws {
        var cache = DNSCache()
        cache.store(try response("nope.example.test.", .a, rcode: .nameError, authority: [try soa(ttl: 3600, minimum: 300)]), now: t0)
        let nope = try name("nope.example.test.")
        #expect(cache.lookup(nope, type: .a, now: at(299)) == .nameError)
        #expect(cache.lookup(nope, type: .mx, now: at(299)) == .nameError)
        #expect(cache.lookup(nope, type: .a, now: at(300)) == .miss)
        // The SOA's own TTL when lower than MINIMUM (RFC 2308 §5).
        var short = DNSCache()
        short.store(try response("nope.example.test.", .a, rcode: .nameError, authority: [try soa(ttl: 30, minimum: 300)]), now: t0)
        #expect(short.lookup(nope, type: .a, now: at(29)) == .nameError)
        #expect(short.lookup(nope, type: .a, now: at(30)) == .miss)
    }

    @Test func noDataCoversOneType() throws {
        var cache = DNSCache()
        cache.store(try response("mail.example.test.", .aaaa, authority: [try soa(ttl: 3600, minimum: 120)]), now: t0)
        let mail = try name("mail.example.test.")
        #expect(cache.lookup(mail, type: .aaaa, now: at(119)) == .noData)
        #expect(cache.lookup(mail, type: .a, now: at(1)) == .miss)
        #expect(cache.lookup(mail, type: .aaaa, now: at(120)) == .miss)
        var rng = SeededGenerator(seed: 0)
        #expect(MXAnswer(cached: cache.lookup(mail, type: .aaaa, now: at(1)), using: &rng) == .noMXRecords)
    }

    @Test func negativeAnswersNeedAnSOA() throws {
        var cache = DNSCache()
        cache.store(try response("nope.example.test.", .a, rcode: .nameError), now: t0)
        // A referral (NS only in authority) is not NODATA either.
        cache.store(try response("sub.example.test.", .a, authority: [try record("sub.example.test.", 60, .ns(try name("ns.sub.example.test.")))]), now: t0)
        cache.store(try response("fail.example.test.", .a, rcode: .serverFailure, authority: [try soa(ttl: 60, minimum: 60)]), now: t0)
        #expect(cache.count == 0)
    }

    @Test func negativeAfterACNAME() throws {
        var cache = DNSCache()
        cache.store(try response("alias.example.test.", .a, rcode: .nameError, answers: [
            try record("alias.example.test.", 300, .cname(try name("gone.example.test."))),
        ], authority: [try soa(ttl: 600, minimum: 600)]), now: t0)
        #expect(cache.lookup(try name("gone.example.test."), type: .a, now: at(1)) == .nameError)
        #expect(cache.resolve(try name("alias.example.test."), type: .a, now: at(1)) == .nameError)
    }

    @Test func evictsPastItsSize() throws {
        var cache = DNSCache(maxEntries: 10)
        for index in 0..<25 {
            cache.insert([try record("h\(index).test.", UInt32(100 + index), .a(IPv4Address(192, 0, 2, UInt8(index))))], now: t0)
        }
        #expect(cache.count <= 10)
        #expect(cache.lookup(try name("h24.test."), type: .a, now: t0) != .miss)  // the longest-lived stays
        cache.insertNegative(name: try name("x.test."), type: .a, nameError: true, ttl: 1000, now: at(200))
        #expect(cache.count <= 10)
        #expect(cache.lookup(try name("x.test."), type: .a, now: at(201)) == .nameError)
    }

    // MARK: - MX answers

    @Test func mxAnswerCases() throws {
        var rng = SeededGenerator(seed: 1)
        let domain = try name("example.test.")
        let hosts = try response("example.test.", .mx, answers: [
            try record("example.test.", 60, .mx(preference: 20, exchange: try name("b.example.test."))),
            try record("example.test.", 60, .mx(preference: 10, exchange: try name("a.example.test."))),
        ])
        #expect(MXAnswer(response: hosts, domain: domain, using: &rng) == .hosts([
            MXHost(preference: 10, exchange: try name("a.example.test.")), MXHost(preference: 20, exchange: try name("b.example.test.")),
        ]))
        let null = try response("example.test.", .mx, answers: [try record("example.test.", 60, .mx(preference: 0, exchange: .root))])
        #expect(MXAnswer(response: null, domain: domain, using: &rng) == .nullMX)
        let none = try response("example.test.", .mx, authority: [try soa(ttl: 60, minimum: 60)])
        #expect(MXAnswer(response: none, domain: domain, using: &rng) == .noMXRecords)
        let missing = try response("example.test.", .mx, rcode: .nameError)
        #expect(MXAnswer(response: missing, domain: domain, using: &rng) == .noSuchDomain)
        let failed = try response("example.test.", .mx, rcode: .serverFailure)
        #expect(MXAnswer(response: failed, domain: domain, using: &rng) == .temporaryFailure("the server answered SERVFAIL"))
        var truncated = hosts
        truncated.isTruncated = true
        #expect(MXAnswer(response: truncated, domain: domain, using: &rng) == .temporaryFailure("truncated response"))
        // Through a CNAME, as RFC 5321 §5.1 allows.
        let aliased = try response("alias.test.", .mx, answers: [
            try record("alias.test.", 60, .cname(domain)), try record("example.test.", 60, .mx(preference: 5, exchange: try name("m.example.test."))),
        ])
        #expect(MXAnswer(response: aliased, domain: try name("alias.test."), using: &rng) == .hosts([MXHost(preference: 5, exchange: try name("m.example.test."))]))
        // A root exchange among real ones is skipped (RFC 7505 §3 forbids the mix).
        let mixed = [try record("example.test.", 60, .mx(preference: 0, exchange: .root)), try record("example.test.", 60, .mx(preference: 10, exchange: try name("a.example.test.")))]
        #expect(MXAnswer(records: mixed, using: &rng) == .hosts([MXHost(preference: 10, exchange: try name("a.example.test."))]))
        #expect(MXAnswer(cached: .nameError, using: &rng) == .noSuchDomain)
        #expect(MXAnswer(cached: .miss, using: &rng) == .temporaryFailure("not cached"))
    }

    @Test func equalPreferencesAreShuffledBySeed() throws {
        let hosts = try (0..<8).map { MXHost(preference: $0 < 6 ? 10 : UInt16(5 * $0), exchange: try name("mx\($0).example.test.")) }
        var orders: Set<[String]> = []
        for seed in 0..<20 as Range<UInt64> {
            var rng = SeededGenerator(seed: seed)
            let sorted = MXAnswer.sorted(hosts.reversed(), using: &rng)
            #expect(sorted.map(\.preference) == [10, 10, 10, 10, 10, 10, 30, 35])
            #expect(Set(sorted.prefix(6)) == Set(hosts.prefix(6)))
            orders.insert(sorted.map(\.exchange.description))
            // The same seed gives the same order.
            var again = SeededGenerator(seed: seed)
            #expect(MXAnswer.sorted(hosts.reversed(), using: &again) == sorted)
        }
        #expect(orders.count > 10)
    }

    // MARK: - Response validation

    @Test func validation() throws {
        let query = DNSMessage.query(id: 77, name: try name("example.test."), type: .mx)
        var response = DNSMessage(id: 77, isResponse: true, questions: [DNSQuestion(name: try name("EXAMPLE.test."), type: .mx)])
        try validate(response: response, for: query)
        response.id = 78
        #expect(throws: DNSResponseMismatch.idMismatch(expected: 77, received: 78)) { try validate(response: response, for: query) }
        response.id = 77
        response.isResponse = false
        #expect(throws: DNSResponseMismatch.notAResponse) { try validate(response: response, for: query) }
        response.isResponse = true
        response.opcode = .notify
        #expect(throws: DNSResponseMismatch.opcodeMismatch) { try validate(response: response, for: query) }
        response.opcode = .query
        for changed in [
            DNSQuestion(name: try name("example.test."), type: .a),
            DNSQuestion(name: try name("example.test."), type: .mx, recordClass: .chaos),
            DNSQuestion(name: try name("other.test."), type: .mx),
        ] {
            response.questions = [changed]
            #expect(throws: DNSResponseMismatch.questionMismatch) { try validate(response: response, for: query) }
        }
        response.questions = []
        #expect(throws: DNSResponseMismatch.questionMismatch) { try validate(response: response, for: query) }
    }
}
