// The stub resolver on real sockets: our server on a loopback port answering it (A, AAAA,
// MX order, CNAME chains, NXDOMAIN against NODATA, truncation then TCP), and scripted
// servers for what ours never does — silence, SERVFAIL, answers held back to show that
// identical queries in flight share one packet. Cache expiry runs on a hand-moved clock.
import NIOCore
import Testing
import Transport

@testable import DNS

let resolverZone = """
    $ORIGIN example.test.
    $TTL 3600
    @       SOA   ns1 hostmaster 1 7200 900 1209600 300
            NS    ns1
            MX    20 mx2
            MX    10 mx1
            MX    10 mx1b
            A     192.0.2.1
            AAAA  2001:db8::1
    ns1     A     192.0.2.53
    mx1     A     192.0.2.25
    mx1b    A     192.0.2.27
    mx2     A     192.0.2.26
    www     CNAME web
    web     CNAME host
    host    A     192.0.2.80
            AAAA  2001:db8::80
    away    CNAME host.other.test.
    v6only  AAAA  2001:db8::6
    nomail  A     192.0.2.9
    nullmx  MX    0 .
    short 5 A     192.0.2.5
    big     TXT   "\(String(repeating: "a", count: 250))" "\(String(repeating: "b", count: 250))"
            TXT   "\(String(repeating: "c", count: 250))" "\(String(repeating: "d", count: 250))"
            TXT   "\(String(repeating: "e", count: 250))" "\(String(repeating: "f", count: 250))"
    spf     TXT   "v=spf1 " "mx -all"
    """

let otherZone = """
    $ORIGIN other.test.
    $TTL 600
    @    SOA ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 900
         NS  ns1.example.test.
    host A   198.51.100.1
    """

@Suite("Resolver on loopback", .timeLimit(.minutes(2)))
struct ResolverScenarioTests {
    @Test func addressesAreAAAAThenA() async throws {
        let dns = try await LoopbackDNS.start(zones: [resolverZone])
        let resolver = dns.resolver()
        #expect(await resolver.addresses(try name("example.test.")) == .addresses([
            try #require(IPAddress("2001:db8::1")), try #require(IPAddress("192.0.2.1")),
        ]))
        #expect(await resolver.addresses(try name("v6only.example.test.")) == .addresses([try #require(IPAddress("2001:db8::6"))]))
        #expect(await resolver.addresses(try name("nomail.example.test.")) == .addresses([try #require(IPAddress("192.0.2.9"))]))
        await dns.stop()
    }

    /// RFC 5321 §5.1: by preference, lowest first; equal preferences in any order.
    @Test func mxHostsComeInPreferenceOrder() async throws {
        let dns = try await LoopbackDNS.start(zones: [resolverZone])
        let resolver = dns.resolver()
        guard case .hosts(let hosts) = await resolver.mx(try name("example.test.")) else {
            Issue.record("no MX hosts")
            return
        }
        #expect(hosts.map(\.preference) == [10, 10, 20])
        #expect(Set(hosts.prefix(2).map(\.exchange)) == [try name("mx1.example.test."), try name("mx1b.example.test.")])
        #expect(hosts.last?.exchange == (try name("mx2.example.test.")))
        #expect(await resolver.mx(try name("nullmx.example.test.")) == .nullMX)
        await dns.stop()
    }

    @Test func cnameChainsAreFollowed() async throws {
        let dns = try await LoopbackDNS.start(zones: [resolverZone, otherZone])
        let resolver = dns.resolver()
        guard case .records(let records) = await resolver.lookup(try name("www.example.test."), .a) else {
            Issue.record("no records")
            return
        }
        #expect(records.map(\.type) == [.cname, .cname, .a])
        #expect(records.last?.rdata == .a(IPv4Address(192, 0, 2, 80)))
        // The chain goes to another of our zones: the authority follows it itself.
        #expect(await resolver.addresses(try name("away.example.test.")) == .addresses([try #require(IPAddress("198.51.100.1"))]))
        await dns.stop()
    }

    /// A chain that leaves the server's zones is continued by the resolver with a second query.
    @Test func cnameChainsLeavingTheServersZonesAreContinued() async throws {
        let dns = try await LoopbackDNS.start(zones: [resolverZone])
        let other = try await LoopbackDNS.start(zones: [otherZone])
        let resolver = DNSResolver(configuration: DNSResolverConfiguration(servers: [dns.address, other.address], timeout: .seconds(5)))
        // The first server answers the CNAME and REFUSES the target; the second has it.
        #expect(await resolver.addresses(try name("away.example.test.")) == .addresses([try #require(IPAddress("198.51.100.1"))]))
        await dns.stop()
        await other.stop()
    }

    /// RFC 2308: NXDOMAIN (no such name) and NODATA (no such type) stay apart.
    @Test func nxdomainAndNodataAreDistinct() async throws {
        let dns = try await LoopbackDNS.start(zones: [resolverZone])
        let resolver = dns.resolver()
        let missing = try name("nothere.example.test.")
        #expect(await resolver.mx(missing) == .noSuchDomain)
        #expect(await resolver.addresses(missing) == .noSuchDomain)
        #expect(await resolver.txt(missing) == .noSuchDomain)
        #expect(await resolver.mx(try name("nomail.example.test.")) == .noMXRecords)
        #expect(await resolver.txt(try name("nomail.example.test.")) == .noRecords)
        #expect(await resolver.addresses(try name("big.example.test.")) == .noAddresses)
        // Both negative answers are cached: asking again sends nothing.
        let before = dns.server.statistics.udpQueries
        _ = await resolver.mx(missing)
        _ = await resolver.mx(try name("nomail.example.test."))
        #expect(dns.server.statistics.udpQueries == before)
        await dns.stop()
    }

    @Test func ptrAndTXT() async throws {
        let reverse = """
            $ORIGIN 2.0.192.in-addr.arpa.
            $TTL 3600
            @  SOA ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 300
               NS  ns1.example.test.
            25 PTR mx1.example.test.
            """
        let dns = try await LoopbackDNS.start(zones: [resolverZone, reverse])
        let resolver = dns.resolver()
        #expect(await resolver.ptr(try #require(IPAddress("192.0.2.25"))) == .records([try name("mx1.example.test.")]))
        #expect(await resolver.ptr(try #require(IPAddress("192.0.2.26"))) == .noSuchDomain)
        #expect(await resolver.txt(try name("spf.example.test.")) == .records(["v=spf1 mx -all"]))
        await dns.stop()
    }

    /// RFC 7766 §5: the UDP answer is truncated (more than 1232 octets), so the resolver asks
    /// again over TCP and gets every record.
    @Test func truncatedUDPAnswerIsAskedAgainOverTCP() async throws {
        let dns = try await LoopbackDNS.start(zones: [resolverZone])
        let resolver = dns.resolver()
        guard case .records(let texts) = await resolver.txt(try name("big.example.test.")) else {
            Issue.record("no TXT records")
            return
        }
        #expect(texts.count == 3 && texts.allSatisfy { $0.utf8.count == 500 })
        #expect(dns.server.statistics.udpQueries == 1)
        #expect(dns.server.statistics.tcpQueries == 1)
        await dns.stop()
    }

    /// A server that never answers: the lookup is a temporary failure, not "no such domain".
    @Test func timeoutIsATemporaryFailure() async throws {
        let silent = try await ScriptedDNSServer.start { _ in nil }
        let resolver = DNSResolver(
            configuration: DNSResolverConfiguration(servers: [silent.address], timeout: .milliseconds(200), attempts: 2))
        guard case .temporaryFailure = await resolver.mx(try name("example.test.")) else {
            Issue.record("a timeout was not a temporary failure")
            return
        }
        #expect(silent.packets == 2)  // one per attempt
        guard case .temporaryFailure = await resolver.addresses(try name("example.test.")) else {
            Issue.record("a timeout was not a temporary failure")
            return
        }
        await silent.stop()
    }

    /// SERVFAIL is a temporary failure, is not cached, and the next server is tried.
    @Test func servfailIsATemporaryFailureAndTheNextServerIsAsked() async throws {
        let failing = try await ScriptedDNSServer.start { ScriptedDNSServer.reply(to: $0, rcode: .serverFailure) }
        let resolver = DNSResolver(configuration: DNSResolverConfiguration(servers: [failing.address], timeout: .seconds(5), attempts: 1))
        guard case .temporaryFailure(let reason) = await resolver.mx(try name("example.test.")) else {
            Issue.record("SERVFAIL was not a temporary failure")
            return
        }
        #expect(reason.contains("SERVFAIL"))
        _ = await resolver.mx(try name("example.test."))
        #expect(failing.packets == 2)  // not cached

        let dns = try await LoopbackDNS.start(zones: [resolverZone])
        let both = DNSResolver(
            configuration: DNSResolverConfiguration(servers: [failing.address, dns.address], timeout: .seconds(5), attempts: 1))
        guard case .hosts = await both.mx(try name("example.test.")) else {
            Issue.record("the second server was not asked")
            return
        }
        await failing.stop()
        await dns.stop()
    }

    /// Answers are cached for their TTL: the second lookup sends nothing, one after the
    /// TTL asks again.
    @Test func cachedAnswersExpireWithTheirTTL() async throws {
        let dns = try await LoopbackDNS.start(zones: [resolverZone])
        let clock = ManualClock()
        let resolver = dns.resolver(now: { clock.now })
        let short = try name("short.example.test.")
        #expect(await resolver.lookup(short, .a) == .records([ResourceRecord(name: short, ttl: 5, rdata: .a(IPv4Address(192, 0, 2, 5)))]))
        #expect(dns.server.statistics.udpQueries == 1)
        clock.advance(by: .seconds(3))
        guard case .records(let cached) = await resolver.lookup(short, .a) else {
            Issue.record("not cached")
            return
        }
        #expect(cached.map(\.ttl) == [2])  // the TTL counts down in the cache
        #expect(dns.server.statistics.udpQueries == 1)
        clock.advance(by: .seconds(3))
        _ = await resolver.lookup(short, .a)
        #expect(dns.server.statistics.udpQueries == 2)
        await dns.stop()
    }

    /// Two identical queries at once: one packet on the wire, one answer for both.
    @Test func identicalQueriesInFlightShareOnePacket() async throws {
        let server = try await ScriptedDNSServer.start(holding: true) { query in
            ScriptedDNSServer.reply(
                to: query, rcode: .noError,
                answers: [ResourceRecord(name: query.questions[0].name, ttl: 60, rdata: .a(IPv4Address(192, 0, 2, 1)))])
        }
        let resolver = DNSResolver(configuration: DNSResolverConfiguration(servers: [server.address], timeout: .seconds(30)))
        let host = try name("coalesced.example.test.")
        async let first = resolver.query(name: host, type: .a)
        async let second = resolver.query(name: host, type: .a)
        try await eventually("the second query joined the first") { await resolver.coalescedQueries == 1 }
        try await eventually("the query reached the server") { server.packets == 1 }
        server.release()
        let answers = try await [first, second]
        #expect(answers[0] == answers[1] && answers[0].answers.count == 1)
        #expect(server.packets == 1)
        await server.stop()
    }

    /// Replies that do not answer our query (wrong ID, wrong question) are ignored until the
    /// real one comes, or the timeout.
    @Test func mismatchedRepliesAreIgnored() async throws {
        let forger = try await ScriptedDNSServer.start { query in
            var forged = ScriptedDNSServer.reply(to: query, rcode: .nameError)
            forged.id = query.id &+ 1
            return forged
        }
        let resolver = DNSResolver(
            configuration: DNSResolverConfiguration(servers: [forger.address], timeout: .milliseconds(300), attempts: 1))
        guard case .temporaryFailure = await resolver.mx(try name("example.test.")) else {
            Issue.record("a reply with another ID was believed")
            return
        }
        await forger.stop()
    }
}
