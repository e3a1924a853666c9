// [dns] mapped onto the DNS service: zone paths against the file's folder, the UDP rate
// limit (0: none), the resolver servers, and which changes a reload applies.
import DNS
import Testing
@testable import Suite
import Transport

@Suite("DNS settings")
struct DNSSettingsTests {
    @Test func defaultsServeTheExampleZoneWithAGenerousRateLimit() throws {
        let dns = try ChappeConfiguration.defaults(baseDirectory: "/srv/chappe/etc").dns
        #expect(dns.zoneFiles == [ZoneFile(path: "/srv/chappe/etc/zones/example.test.zone")])
        #expect(dns.rateLimit == RateLimit(answersPerSecond: 1000, burst: 2000))
        #expect(dns.listen.map(\.description) == ["127.0.0.1:2053"])
    }

    @Test func customValues() throws {
        let dns = try parseConfig("""
            [dns]
            zones = ["zones/a.test.zone", "/var/lib/zones/b.test.zone"]
            udp_rate_limit = 0
            resolvers = ["127.0.0.1:5353", "[::1]:5353", "192.0.2.53"]
            """).dns
        #expect(dns.zoneFiles.map(\.path) == ["/srv/chappe/etc/zones/a.test.zone", "/var/lib/zones/b.test.zone"])
        #expect(dns.rateLimit == nil)
        #expect(dns.resolverConfiguration.servers.map(\.description) == ["127.0.0.1:5353", "[::1]:5353", "192.0.2.53:53"])
    }

    @Test func zonesAndTheRateLimitNeedNoRestart() throws {
        let base = try parseConfig("[dns]\n")
        let live = try parseConfig("[dns]\nzones = [\"other.zone\"]\nudp_rate_limit = 5\nudp_rate_limit_burst = 10\n")
        let restart = try parseConfig("[dns]\nlisten = [\"127.0.0.1:3053\"]\n")
        #expect(ConfigurationDifferences.needingRestart(old: base, new: live) == [])
        #expect(ConfigurationDifferences.needingRestart(old: base, new: restart) == ["[dns]"])
    }

    @Test func rateLimitValuesAreChecked() {
        #expect(throws: ConfigurationError.self) { try parseConfig("[dns]\nudp_rate_limit = -1\n") }
        #expect(throws: ConfigurationError.self) { try parseConfig("[dns]\nudp_rate_limit_burst = 0\n") }
    }
}
