// The resolver's parts without sockets: resolv.conf, reverse names, the words of
// `chappe dns`, the reading of one response, and StaticDNS, the in-memory twin.
import Testing
import Transport

@testable import DNS

@Suite("Resolver parts")
struct ClientPartsTests {
    // MARK: - resolv.conf

    @Test func resolvConfServersAndOptions() throws {
        let conf = ResolvConf(parsing: """
            # comment
            search example.test
            nameserver 192.0.2.53
            nameserver 2001:db8::53 ; trailing comment
            nameserver fe80::1%eth0
            nameserver not-an-address
            nameserver 192.0.2.54
            nameserver 192.0.2.55
            options ndots:2 timeout:3 attempts:9 rotate
            """)
        #expect(conf.servers.map(\.description) == ["192.0.2.53:53", "[2001:db8::53]:53", "192.0.2.54:53"])
        #expect(conf.timeoutSeconds == 3)
        #expect(conf.attempts == ResolvConf.maxAttempts)  // capped as glibc does
    }

    @Test func resolvConfWithoutServersMeansTheLocalHost() {
        let conf = ResolvConf(parsing: "options timeout:0\n")
        #expect(conf.servers.map(\.description) == ["127.0.0.1:53"])
        #expect(conf.timeoutSeconds == 1 && conf.attempts == ResolvConf.defaultAttempts)
    }

    @Test func configuredServersTakePrecedence() throws {
        let conf = ResolvConf(parsing: "nameserver 192.0.2.53\noptions timeout:2 attempts:1\n")
        let override = try ListenAddress("127.0.0.1:5353")
        let configuration = DNSResolverConfiguration.system(servers: [override], resolvConf: conf)
        #expect(configuration.servers == [override])
        #expect(configuration.timeout == .seconds(2) && configuration.attempts == 1)
        #expect(DNSResolverConfiguration.system(resolvConf: conf).servers.map(\.description) == ["192.0.2.53:53"])
    }

    // MARK: - Reverse names

    @Test func reverseNamesOfIPv4AndIPv6() throws {
        #expect(reverseName(of: try #require(IPAddress("192.0.2.25"))).description == "25.2.0.192.in-addr.arpa.")
        #expect(
            reverseName(of: try #require(IPAddress("2001:db8::567:89ab"))).description
                == "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")
        #expect(reverseName(of: try #require(IPAddress("::ffff:192.0.2.1"))).description == "1.2.0.192.in-addr.arpa.")
    }

    // MARK: - chappe dns words

    @Test func digWordsInAnyOrder() throws {
        let request = try DigRequest(words: ["@127.0.0.1:2053", "example.test", "mx", "+tcp"])
        #expect(request.question == DNSQuestion(name: try name("example.test."), type: .mx))
        #expect(request.server == "127.0.0.1" && request.port == 2053 && request.overTCP)
        let plain = try DigRequest(words: ["mail.example.test"])
        #expect(plain.question.type == .a && plain.server == nil && plain.port == 53 && !plain.overTCP)
        let v6 = try DigRequest(words: ["x.test", "AAAA", "@[::1]:5353"], overTCP: true)
        #expect(v6.server == "::1" && v6.port == 5353 && v6.overTCP)
        let named = try DigRequest(words: ["x.test", "@ns.example.test:5353", "TYPE65280"])
        #expect(named.server == "ns.example.test" && named.port == 5353)
        #expect(named.question.type == RecordType(rawValue: 65280))
    }

    @Test func digWordsThatAreRefused() {
        for words in [[], ["a.test", "BOGUS"], ["a.test", "A", "extra"], ["a.test", "+trace"], ["a.test", "@host:99999"], ["a..test"]] {
            #expect(throws: DigUsageError.self, "\(words)") { try DigRequest(words: words) }
        }
    }

    // MARK: - Reading one response

    @Test func interpretationOfResponses() throws {
        let question = DNSQuestion(name: try name("www.example.test."), type: .a)
        let alias = ResourceRecord(name: try name("www.example.test."), ttl: 60, rdata: .cname(try name("host.example.net.")))
        let soa = ResourceRecord(
            name: try name("example.net."), ttl: 60,
            rdata: .soa(SOA(mname: .root, rname: .root, serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60)))
        func response(_ rcode: DNSRCode, answers: [ResourceRecord], authority: [ResourceRecord] = [], tc: Bool = false) -> DNSMessage {
            DNSMessage(isResponse: true, isTruncated: tc, rcode: rcode, questions: [question], answers: answers, authority: authority)
        }
        // A chain that stops at a name the server did not answer for: follow it.
        let open = RRsetLookup.interpret(response(.noError, answers: [alias]), for: question)
        let target = try name("host.example.net.")
        #expect(open.outcome == nil && open.unresolvedAlias?.target == target)
        // The same with an SOA: the target exists without A records.
        #expect(RRsetLookup.interpret(response(.noError, answers: [alias], authority: [soa]), for: question).outcome == .noData)
        // RFC 6604: NXDOMAIN after a CNAME is about the target.
        #expect(RRsetLookup.interpret(response(.nameError, answers: [alias], authority: [soa]), for: question).outcome == .nameError)
        if case .failure = RRsetLookup.interpret(response(.refused, answers: []), for: question).outcome {} else {
            Issue.record("REFUSED is not a failure")
        }
        if case .failure = RRsetLookup.interpret(response(.noError, answers: [], tc: true), for: question).outcome {} else {
            Issue.record("a truncated answer is not a failure")
        }
    }

    // MARK: - StaticDNS

    @Test func staticDNSAnswersLikeTheResolver() async throws {
        let world = try StaticDNS(
            zoneText: """
                $ORIGIN example.test.
                $TTL 300
                @    SOA  ns1 hostmaster 1 7200 900 1209600 300
                     NS   ns1
                     MX   20 backup
                     MX   10 mail
                ns1  A    192.0.2.53
                mail A    192.0.2.25
                     AAAA 2001:db8::25
                www  CNAME mail
                out  CNAME mail.example.net.
                """,
            failing: [try name("flaky.example.test.")])
        guard case .hosts(let hosts) = await world.mx(try name("example.test.")) else {
            Issue.record("no MX")
            return
        }
        #expect(hosts.map(\.description) == ["10 mail.example.test.", "20 backup.example.test."])
        #expect(await world.addresses(try name("www.example.test.")) == .addresses([
            try #require(IPAddress("2001:db8::25")), try #require(IPAddress("192.0.2.25")),
        ]))
        #expect(await world.mx(try name("mail.example.test.")) == .noMXRecords)
        #expect(await world.mx(try name("nothere.example.test.")) == .noSuchDomain)
        #expect(await world.addresses(try name("out.example.test.")) == .noSuchDomain)  // outside the world
        #expect(await world.mx(try name("example.org.")) == .noSuchDomain)
        guard case .temporaryFailure = await world.mx(try name("flaky.example.test.")) else {
            Issue.record("a failing name did not fail")
            return
        }
        #expect(world.questions.first == DNSQuestion(name: try name("example.test."), type: .mx))
    }
}
