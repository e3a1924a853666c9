// Our resolver against NSD, the established authoritative server (DESIGN.md rule 6), on a
// loopback port: MX order, CNAME chains, NXDOMAIN against NODATA, truncation then TCP.
import Testing
import Transport

@testable import DNS

@Suite("Resolver against nsd", .serialized, .timeLimit(.minutes(3)))
struct NSDInteropTests {
    static let origin = "example.test"

    func withNSD(_ body: (NSDPeer, DNSResolver) async throws -> Void) async throws {
        let nsd = try await NSDPeer.start(zones: [(Self.origin, resolverZone), ("other.test", otherZone)])
        let resolver = DNSResolver(configuration: DNSResolverConfiguration(servers: [nsd.address], timeout: .seconds(5)))
        do {
            try await body(nsd, resolver)
        } catch {
            await nsd.stop()
            throw error
        }
        await nsd.stop()
    }

    @Test func mxOrderCNAMEsAndNegativeAnswers() async throws {
        try await withNSD { _, resolver in
            guard case .hosts(let hosts) = await resolver.mx(try name("example.test.")) else {
                Issue.record("no MX hosts from nsd")
                return
            }
            #expect(hosts.map(\.preference) == [10, 10, 20])
            guard case .records(let chain) = await resolver.lookup(try name("www.example.test."), .a) else {
                Issue.record("no CNAME chain from nsd")
                return
            }
            #expect(chain.map(\.type) == [.cname, .cname, .a])
            #expect(await resolver.addresses(try name("www.example.test.")) == .addresses([
                try #require(IPAddress("2001:db8::80")), try #require(IPAddress("192.0.2.80")),
            ]))
            // nsd answers for both zones; the chain across them is followed.
            #expect(await resolver.addresses(try name("away.example.test.")) == .addresses([try #require(IPAddress("198.51.100.1"))]))
            #expect(await resolver.mx(try name("nothere.example.test.")) == .noSuchDomain)
            #expect(await resolver.mx(try name("nomail.example.test.")) == .noMXRecords)
            #expect(await resolver.mx(try name("nullmx.example.test.")) == .nullMX)
        }
    }

    @Test func truncatedAnswerFromNSDIsAskedAgainOverTCP() async throws {
        try await withNSD { _, resolver in
            guard case .records(let texts) = await resolver.txt(try name("big.example.test.")) else {
                Issue.record("no TXT records from nsd")
                return
            }
            #expect(texts.count == 3 && texts.allSatisfy { $0.utf8.count == 500 })
            let answer = try await DNSResolver.resolve(
                DNSQuestion(name: try name("big.example.test."), type: .txt),
                configuration: resolver.configuration)
            #expect(answer.overTCP && !answer.response.isTruncated)
        }
    }
}
