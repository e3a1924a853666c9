// The DNS service of the real binary (`chappe serve --only dns`), judged by dig and by NSD
// (DESIGN.md rule 6): the same queries to our server and to nsd serving the same zone file
// give the same status, the same AA and TC flags and the same answer records; negative
// answers carry the same SOA. (NSD also puts the apex NS RRset in the authority section of
// positive answers, with its glue; we send minimal responses, which RFC 2181 §9 allows.)
// Then `chappe dns` against our server, and zone reloads in the running server.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("DNS end to end", .serialized, .timeLimit(.minutes(5)))
struct DNSEndToEndTests {
    static let zone = """
        $ORIGIN example.test.
        $TTL 3600
        @       SOA   ns1 hostmaster 2024010101 7200 900 1209600 300
                NS    ns1
                MX    20 mx2
                MX    10 mx1
                A     192.0.2.1
                AAAA  2001:db8::1
                TXT   "v=spf1 mx -all"
        ns1     A     192.0.2.53
        mx1     A     192.0.2.25
                AAAA  2001:db8::25
        mx2     A     192.0.2.26
        www     CNAME web
        web     CNAME host
        host    A     192.0.2.80
                AAAA  2001:db8::80
        nomail  A     192.0.2.9
        big     TXT   "\(String(repeating: "a", count: 200))"
                TXT   "\(String(repeating: "b", count: 200))"
                TXT   "\(String(repeating: "c", count: 200))"

        """

    /// dig's verdict on one query to both servers must agree.
    func expectSameAnswer(_ query: [String], ours: Int, nsd: Int) async throws {
        let mine = try await dig(port: ours, query)
        let theirs = try await dig(port: nsd, query)
        #expect(mine.status == theirs.status, "\(query): \(mine.status) vs nsd \(theirs.status)")
        for flag in ["qr", "aa", "tc", "ra"] {
            #expect(mine.flags.contains(flag) == theirs.flags.contains(flag), "\(query) flag \(flag):\n\(mine)\nnsd:\n\(theirs)")
        }
        #expect(mine.records("ANSWER").sorted() == theirs.records("ANSWER").sorted(), "\(query):\n\(mine)\nnsd:\n\(theirs)")
        if mine.records("ANSWER").isEmpty {
            #expect(mine.records("AUTHORITY").sorted() == theirs.records("AUTHORITY").sorted(), "\(query):\n\(mine)\nnsd:\n\(theirs)")
        }
        // Our additional records (the addresses of MX targets) are among NSD's.
        #expect(Set(mine.records("ADDITIONAL")).isSubset(of: Set(theirs.records("ADDITIONAL"))), "\(query):\n\(mine)\nnsd:\n\(theirs)")
        #expect((mine.ednsUDPSize == nil) == (theirs.ednsUDPSize == nil), "\(query): OPT record present on one side only")
    }

    @Test func digGetsTheSameAnswersFromUsAndFromNSD() async throws {
        let dns = try await DNSFixture.start(zone: Self.zone)
        let nsd = try await NSDServer.start(origin: "example.test", zoneFile: dns.zoneFile)
        let queries = [
            ["example.test", "A"], ["example.test", "AAAA"], ["example.test", "MX"], ["example.test", "TXT"],
            ["example.test", "SOA"], ["example.test", "NS"], ["mx1.example.test", "AAAA"],
            ["nothere.example.test", "A"],  // NXDOMAIN
            ["nomail.example.test", "MX"],  // NODATA
            ["www.example.test", "A"], ["www.example.test", "AAAA"],  // a CNAME chain
            ["www.example.test", "CNAME"], ["EXAMPLE.TEST", "MX"],
            ["example.test", "MX", "+tcp"],
        ]
        for query in queries {
            try await expectSameAnswer(query, ours: dns.port, nsd: nsd.port)
        }
        let refused = try await dig(port: dns.port, ["www.example.com", "A"])
        #expect(refused.status == "REFUSED")  // never an open resolver
        await nsd.stop()
        try await dns.stop()
    }

    /// Without EDNS a UDP answer holds 512 octets (RFC 1035 §4.2.1): the big TXT RRset
    /// comes back truncated; over TCP it comes whole (RFC 7766); with EDNS (RFC 6891) the
    /// client's buffer size decides.
    @Test func largeAnswerIsTruncatedOverUDPAndWholeOverTCPOrWithEDNS() async throws {
        let dns = try await DNSFixture.start(zone: Self.zone)
        let nsd = try await NSDServer.start(origin: "example.test", zoneFile: dns.zoneFile)
        let truncated = try await dig(port: dns.port, ["big.example.test", "TXT", "+notcp", "+ignore", "+noedns"])
        #expect(truncated.flags.contains("tc") && truncated.records("ANSWER").isEmpty, "\(truncated)")
        #expect(truncated.ednsUDPSize == nil)
        let whole = try await dig(port: dns.port, ["big.example.test", "TXT", "+tcp"])
        #expect(!whole.flags.contains("tc") && whole.records("ANSWER").count == 3, "\(whole)")
        let edns = try await dig(port: dns.port, ["big.example.test", "TXT", "+notcp", "+ignore", "+bufsize=4096"])
        #expect(!edns.flags.contains("tc") && edns.records("ANSWER").count == 3, "\(edns)")
        #expect(edns.ednsUDPSize == 1232)
        let small = try await dig(port: dns.port, ["big.example.test", "TXT", "+notcp", "+ignore", "+bufsize=512"])
        #expect(small.flags.contains("tc"), "\(small)")
        for query in [
            ["big.example.test", "TXT", "+notcp", "+ignore", "+noedns"], ["big.example.test", "TXT", "+tcp"],
            ["big.example.test", "TXT", "+notcp", "+ignore", "+bufsize=4096"],
            ["big.example.test", "TXT", "+notcp", "+ignore", "+bufsize=512"],
            ["big.example.test", "TXT"],  // dig retries the truncated answer over TCP itself
        ] {
            try await expectSameAnswer(query, ours: dns.port, nsd: nsd.port)
        }
        await nsd.stop()
        try await dns.stop()
    }

    @Test func chappeDNSPrintsTheAnswerWithItsStatus() async throws {
        let dns = try await DNSFixture.start(zone: Self.zone)
        let server = "@127.0.0.1:\(dns.port)"
        let mx = try await dns.chappe(["dns", "example.test", "MX", server])
        #expect(mx.status == 0, "\(mx.stderr)")
        #expect(mx.stdout.contains("status: NOERROR"))
        #expect(mx.stdout.contains("example.test.\t3600\tIN\tMX\t10 mx1.example.test."))
        #expect(mx.stdout.contains("(UDP)"))
        let missing = try await dns.chappe(["dns", "nothere.example.test", server, "--tcp"])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("status: NXDOMAIN") && missing.stdout.contains("(TCP)"))
        // With EDNS the RRset fits over UDP; without, it would not (see the test above).
        let big = try await dns.chappe(["dns", "big.example.test", "TXT", server])
        #expect(big.status == 0 && big.stdout.components(separatedBy: "\tIN\tTXT\t").count == 4, "\(big.stdout)")
        let usage = try await dns.chappe(["dns", "example.test", "NOTATYPE", server])
        #expect(usage.status == 2 && usage.stderr.contains("NOTATYPE"))
        try await dns.stop()
    }

    /// SIGHUP and `chappe reload` read the zones again; a broken file keeps the old ones and
    /// the log names its line.
    @Test func reloadReadsTheZonesAgainAndKeepsThemWhenAFileBreaks() async throws {
        let dns = try await DNSFixture.start(zone: Self.zone)
        #expect(try await dig(port: dns.port, ["new.example.test", "A"]).status == "NXDOMAIN")

        try (Self.zone + "new  A  192.0.2.99\n").write(to: dns.zoneFile, atomically: true, encoding: .utf8)
        let reload = try await dns.chappe(["reload", "--config", dns.sandbox.configFile.path])
        #expect(reload.status == 0 && reload.stdout.contains("dns: serving example.test."), "\(reload.stdout)\(reload.stderr)")
        #expect(try await dig(port: dns.port, ["new.example.test", "A"]).records("ANSWER") == ["new.example.test. 3600 IN A 192.0.2.99"])

        try (Self.zone + "new  A  192.0.2.300\n").write(to: dns.zoneFile, atomically: true, encoding: .utf8)
        dns.hangUp()
        try await dns.server.waitForLog("example.test.zone:22:")
        #expect(try await dig(port: dns.port, ["new.example.test", "A"]).records("ANSWER") == ["new.example.test. 3600 IN A 192.0.2.99"])
        try await dns.stop()
    }
}

/// `chappe serve --only dns` on a free loopback port, serving one zone file.
struct DNSFixture {
    let sandbox: Sandbox
    let server: RunningServer
    let port: Int

    var zoneFile: URL { sandbox.etc.appendingPathComponent("zones/example.test.zone") }

    static func start(zone: String) async throws -> DNSFixture {
        var lastLog = ""
        for _ in 0..<3 {
            let port = try smtpFreePort()
            let sandbox = try Sandbox(services: [
                "dns": "listen = [\"127.0.0.1:\(port)\"]\nzones = [\"zones/example.test.zone\"]\nudp_rate_limit = 0"
            ])
            try FileManager.default.createDirectory(
                at: sandbox.etc.appendingPathComponent("zones"), withIntermediateDirectories: true)
            try zone.write(to: sandbox.etc.appendingPathComponent("zones/example.test.zone"), atomically: true, encoding: .utf8)
            let server = try RunningServer(config: sandbox.configFile, arguments: ["--only", "dns"])
            let deadline = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < deadline, server.process.isRunning, !server.logText.contains("chappe started") {
                try await Task.sleep(for: .milliseconds(20))
            }
            if server.logText.contains("chappe started") {
                return DNSFixture(sandbox: sandbox, server: server, port: port)
            }
            lastLog = server.logText
            _ = try await server.stop()
            guard lastLog.contains("in use") else { break }
        }
        throw SMTPFixtureError("chappe serve --only dns did not start:\n\(lastLog)")
    }

    /// Runs the binary off the cooperative pool.
    func chappe(_ arguments: [String]) async throws -> Chappe.Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Chappe.run(arguments) })
            }
        }
    }

    func hangUp() {
        kill(server.process.processIdentifier, SIGHUP)
    }

    func stop() async throws {
        #expect(try await server.stop() == 0, "\(server.logText)")
    }
}
