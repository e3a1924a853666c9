// The authoritative answer engine: queries in, responses out, no sockets.
import Testing

@testable import DNS

@Suite("Authority")
struct AuthorityTests {
    static let zoneText = """
        $ORIGIN example.test.
        $TTL 3600
        @      SOA   ns1 hostmaster 1 7200 900 1209600 300
               NS    ns1
               NS    ns2.example.net.
               MX    10 mail
               MX    20 mail2
               A     192.0.2.1
               AAAA  2001:db8::1
               TXT   "v=spf1 mx -all"
        ns1    A     192.0.2.53
        mail   A     192.0.2.25
               AAAA  2001:db8::25
        mail2  A     192.0.2.26
        www    CNAME web
        web    CNAME mail
        loop1  CNAME loop2
        loop2  CNAME loop1
        out    CNAME www.example.net.
        over   CNAME host.other.test.
        gone   CNAME nothing
        *.wild TXT   "wildcard"
        a.b.deep A   192.0.2.99
        _sip._tcp SRV 10 5 5060 sip
        sip    A     192.0.2.60
        sub    NS    ns.sub
        ns.sub A     192.0.2.77
        big    TXT   "\(String(repeating: "a", count: 200))"
               TXT   "\(String(repeating: "b", count: 200))"
               TXT   "\(String(repeating: "c", count: 200))"
               TXT   "\(String(repeating: "d", count: 200))"
        """

    static let otherText = """
        $ORIGIN other.test.
        $TTL 600
        @    SOA ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 900
             NS  ns1.example.test.
        host A   198.51.100.1
        """

    let authority: Authority

    init() throws {
        authority = try Authority(zones: [
            try Zone(parsing: Self.zoneText, origin: try name("example.test."), fileName: "example.test.zone"),
            try Zone(parsing: Self.otherText, origin: nil, fileName: "other.test.zone"),
        ])
    }

    func ask(
        _ text: String, _ type: RecordType, edns: EDNS? = nil, over transport: DNSTransportKind = .udp
    ) throws -> DNSMessage {
        let query = DNSMessage.query(id: 0x4242, name: try name(text), type: type, edns: edns)
        let bytes = try #require(authority.respond(to: try query.encode(), over: transport))
        let response = try DNSMessage(decoding: bytes)
        try validate(response: response, for: query)
        #expect(response == authority.answer(query, over: transport))
        return response
    }

    func names(_ records: [ResourceRecord]) -> [String] { records.map { "\($0.name) \($0.type)" } }

    // MARK: - Positive answers

    @Test func addressAtTheApex() throws {
        let response = try ask("example.test.", .a)
        #expect(response.rcode == .noError && response.isAuthoritative && !response.recursionAvailable)
        #expect(response.recursionDesired)  // copied from the query (RFC 1035 §4.1.1)
        #expect(response.answers == [ResourceRecord(name: try name("example.test."), ttl: 3600, rdata: .a(IPv4Address(192, 0, 2, 1)))])
        #expect(response.authority.isEmpty && response.additional.isEmpty)
        #expect(response.edns == nil)
    }

    @Test func aaaaAndCaseInsensitiveNames() throws {
        let response = try ask("MAIL.Example.TEST.", .aaaa)
        #expect(response.answers.map(\.rdata) == [.aaaa(try #require(IPv6Address("2001:db8::25")))])
        #expect(response.questions[0].name.description == "MAIL.Example.TEST.")  // the question as asked
    }

    @Test func mxWithGlue() throws {
        let response = try ask("example.test.", .mx)
        #expect(response.answers.map(\.rdata) == [
            .mx(preference: 10, exchange: try name("mail.example.test.")), .mx(preference: 20, exchange: try name("mail2.example.test.")),
        ])
        #expect(names(response.additional) == ["mail.example.test. A", "mail.example.test. AAAA", "mail2.example.test. A"])
    }

    @Test func txtSoaAndNs() throws {
        #expect(try ask("example.test.", .txt).answers.map(\.rdata) == [.txt([Array("v=spf1 mx -all".utf8)])])
        let soa = try ask("example.test.", .soa)
        #expect(soa.answers.count == 1 && soa.answers[0].ttl == 3600)
        let ns = try ask("example.test.", .ns)
        #expect(ns.answers.count == 2)
        #expect(names(ns.additional) == ["ns1.example.test. A"])  // ns2 is not ours
    }

    @Test func srvWithTargetAddress() throws {
        let response = try ask("_sip._tcp.example.test.", .srv)
        #expect(response.answers.count == 1)
        #expect(names(response.additional) == ["sip.example.test. A"])
    }

    @Test func anyAnswersEveryRRSet() throws {
        let response = try ask("example.test.", .any)
        #expect(Set(response.answers.map(\.type)) == [.soa, .ns, .mx, .a, .aaaa, .txt])
        #expect(response.answers.count == 8)
        // Glue for the MX and NS targets, not repeating what the answer holds.
        #expect(names(response.additional) == ["ns1.example.test. A", "mail.example.test. A", "mail.example.test. AAAA", "mail2.example.test. A"])
    }

    // MARK: - Negative answers (RFC 2308)

    @Test func nameErrorWithSOA() throws {
        let response = try ask("nope.example.test.", .a)
        #expect(response.rcode == .nameError && response.isAuthoritative && response.answers.isEmpty)
        #expect(names(response.authority) == ["example.test. SOA"])
        #expect(response.authority[0].ttl == 300)  // min(SOA TTL 3600, MINIMUM 300), RFC 2308 §3
    }

    @Test func noDataWithSOA() throws {
        let response = try ask("mail2.example.test.", .aaaa)
        #expect(response.rcode == .noError && response.isAuthoritative && response.answers.isEmpty)
        #expect(names(response.authority) == ["example.test. SOA"])
        // An empty non-terminal exists: NODATA, not NXDOMAIN (RFC 4592 §2.2.2).
        let between = try ask("b.deep.example.test.", .a)
        #expect(between.rcode == .noError && between.answers.isEmpty && between.authority.count == 1)
    }

    @Test func negativeTTLOfAnotherZone() throws {
        let response = try ask("nope.other.test.", .a)
        #expect(response.rcode == .nameError)
        #expect(response.authority[0].name == (try name("other.test.")) && response.authority[0].ttl == 600)
    }

    // MARK: - Aliases and wildcards

    @Test func cnameChainIsFollowed() throws {
        let response = try ask("www.example.test.", .a)
        #expect(response.rcode == .noError && response.isAuthoritative)
        #expect(names(response.answers) == ["www.example.test. CNAME", "web.example.test. CNAME", "mail.example.test. A"])
        // Asking for the CNAME itself does not follow it.
        #expect(names(try ask("www.example.test.", .cname).answers) == ["www.example.test. CNAME"])
    }

    @Test func cnameLoopsAndExitsStop() throws {
        let loop = try ask("loop1.example.test.", .a)
        #expect(loop.rcode == .noError && names(loop.answers) == ["loop1.example.test. CNAME", "loop2.example.test. CNAME"])
        let out = try ask("out.example.test.", .a)
        #expect(out.rcode == .noError && names(out.answers) == ["out.example.test. CNAME"] && out.authority.isEmpty)
        // Into our other zone.
        let over = try ask("over.example.test.", .a)
        #expect(names(over.answers) == ["over.example.test. CNAME", "host.other.test. A"])
        // To a name that does not exist: NXDOMAIN with the CNAME (RFC 6604 §3).
        let gone = try ask("gone.example.test.", .a)
        #expect(gone.rcode == .nameError && names(gone.answers) == ["gone.example.test. CNAME"])
        #expect(names(gone.authority) == ["example.test. SOA"])
    }

    @Test func cnameChainsStopAtTheLimit() throws {
        // c0 → c1 → … → c19 → an address: only DNSLimits.maxCNAMEChain links are followed.
        var text = "$ORIGIN chain.test.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n NS ns\nns A 192.0.2.1\n"
        for index in 0..<20 { text += "c\(index) CNAME c\(index + 1)\n" }
        text += "c20 A 192.0.2.2\n"
        let engine = try Authority(zones: [try Zone(parsing: text, origin: nil)])
        let reply = engine.answer(DNSMessage.query(id: 1, name: try name("c0.chain.test."), type: .a), over: .tcp)
        #expect(reply.rcode == .noError)
        #expect(reply.answers.count == DNSLimits.maxCNAMEChain && reply.answers.allSatisfy { $0.type == .cname })
        let short = engine.answer(DNSMessage.query(id: 1, name: try name("c5.chain.test."), type: .a), over: .tcp)
        #expect(short.answers.count == 16 && short.answers.last?.type == .a)
    }

    @Test func wildcardsSynthesiseTheQueryName() throws {
        let response = try ask("anything.wild.example.test.", .txt)
        #expect(response.answers == [
            ResourceRecord(name: try name("anything.wild.example.test."), ttl: 3600, rdata: .txt([Array("wildcard".utf8)]))
        ])
        #expect(try ask("a.b.wild.example.test.", .txt).answers.count == 1)
        let noData = try ask("anything.wild.example.test.", .a)
        #expect(noData.rcode == .noError && noData.answers.isEmpty && noData.authority.count == 1)
    }

    // MARK: - Delegations

    @Test func referralWithGlue() throws {
        let response = try ask("host.sub.example.test.", .a)
        #expect(response.rcode == .noError && !response.isAuthoritative && response.answers.isEmpty)
        #expect(names(response.authority) == ["sub.example.test. NS"])
        #expect(names(response.additional) == ["ns.sub.example.test. A"])
        // The delegation point itself refers too, even for NS (the child is authoritative).
        #expect(!(try ask("sub.example.test.", .ns)).isAuthoritative)
    }

    // MARK: - Refusals and errors

    @Test func refusedOutsideOurZones() throws {
        for (text, type) in [("example.org.", RecordType.a), ("test.", .soa), (".", .ns)] {
            let response = try ask(text, type)
            #expect(response.rcode == .refused && !response.isAuthoritative)
            #expect(response.answers.isEmpty && response.authority.isEmpty && response.additional.isEmpty)
        }
        // Another class is not ours either; zone transfers are not offered.
        let chaos = DNSMessage.query(id: 1, name: try name("example.test."), type: .txt, recordClass: .chaos, edns: nil)
        #expect(authority.answer(chaos, over: .udp).rcode == .refused)
        #expect(try ask("example.test.", .axfr, over: .tcp).rcode == .refused)
        #expect(try ask("example.test.", .maila).rcode == .notImplemented)
    }

    @Test func formatErrors() throws {
        var two = DNSMessage.query(id: 5, name: try name("example.test."), type: .a, edns: nil)
        two.questions.append(DNSQuestion(name: try name("mail.example.test."), type: .a))
        let reply = authority.answer(two, over: .udp)
        #expect(reply.rcode == .formatError && reply.id == 5 && reply.isResponse && reply.questions.isEmpty)
        var none = two
        none.questions = []
        #expect(authority.answer(none, over: .udp).rcode == .formatError)
        var withAnswer = DNSMessage.query(id: 5, name: try name("example.test."), type: .a, edns: nil)
        withAnswer.answers = [ResourceRecord(name: .root, ttl: 0, rdata: .a(IPv4Address(1, 2, 3, 4)))]
        #expect(authority.answer(withAnswer, over: .udp).rcode == .formatError)
        // A packet that does not decode still gets FORMERR with its ID (RFC 1035 §4.1.1).
        let broken = Fixtures.query(nameBytes: hex("c00c"))
        let bytes = try #require(authority.respond(to: broken, over: .udp))
        let decoded = try DNSMessage(decoding: bytes)
        #expect(decoded.rcode == .formatError && decoded.id == 1 && decoded.isResponse && decoded.edns == nil)
        // A fault in the OPT record gets FORMERR with an OPT record (RFC 6891 §7).
        let opt = hex("00 0029 1000 00000000 0000")
        let twoOPT = hex("0002 0000 0001 0000 0000 0002") + (try wire("example.test.")) + hex("0001 0001") + opt + opt
        let optReply = try DNSMessage(decoding: try #require(authority.respond(to: twoOPT, over: .udp)))
        #expect(optReply.rcode == .formatError && optReply.id == 2 && optReply.edns?.udpPayloadSize == 1232)
    }

    @Test func responsesAndRuntsAreDropped() throws {
        #expect(authority.respond(to: Fixtures.mxAnswer, over: .udp) == nil)
        #expect(authority.respond(to: [0x12, 0x34, 0x01], over: .udp) == nil)
    }

    @Test func notImplementedOpcodes() throws {
        for opcode in [DNSOpcode.inverseQuery, .status, .notify, .update, DNSOpcode(rawValue: 15)] {
            var query = DNSMessage.query(id: 8, name: try name("example.test."), type: .soa, edns: nil)
            query.opcode = opcode
            let reply = authority.answer(query, over: .udp)
            #expect(reply.rcode == .notImplemented && reply.opcode == opcode && !reply.isAuthoritative)
        }
    }

    // MARK: - EDNS and sizes

    @Test func ednsIsEchoedWithOurSize() throws {
        let response = try ask("example.test.", .a, edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        #expect(response.edns == EDNS(udpPayloadSize: 1232, dnssecOK: true))
        #expect(response.rcode == .noError)
    }

    @Test func badVersion() throws {
        let response = try ask("example.test.", .a, edns: EDNS(udpPayloadSize: 4096, version: 1))
        #expect(response.rcode == .badVersion)
        #expect(response.edns?.version == 0)
        #expect(response.answers.isEmpty && !response.isAuthoritative)
    }

    @Test func truncatesOver512AndFitsWithEDNS() throws {
        // Four TXT records of 200 octets: about 860 octets.
        let plain = try ask("big.example.test.", .txt)
        #expect(plain.isTruncated && plain.answers.isEmpty && plain.rcode == .noError)
        let query = DNSMessage.query(id: 1, name: try name("big.example.test."), type: .txt, edns: nil)
        #expect(try #require(authority.respond(to: try query.encode(), over: .udp)).count <= 512)
        let edns = try ask("big.example.test.", .txt, edns: EDNS(udpPayloadSize: 4096))
        #expect(!edns.isTruncated && edns.answers.count == 4)
        let tcp = try ask("big.example.test.", .txt, over: .tcp)
        #expect(!tcp.isTruncated && tcp.answers.count == 4)
        // A client offering less than 512 gets 512 (RFC 6891 §6.2.5).
        #expect(authority.sizeLimit(for: DNSMessage(edns: EDNS(udpPayloadSize: 100)), over: .udp) == 512)
        #expect(authority.sizeLimit(for: DNSMessage(edns: EDNS(udpPayloadSize: 65000)), over: .udp) == 1232)
        #expect(authority.sizeLimit(for: DNSMessage(), over: .tcp) == 65535)
    }

    @Test func duplicateZonesAreRefused() throws {
        let zone = try Zone(parsing: Self.otherText, origin: nil)
        #expect(throws: ZoneError(file: "zones", line: nil, message: "two zones for other.test.")) {
            try Authority(zones: [zone, zone])
        }
    }
}
