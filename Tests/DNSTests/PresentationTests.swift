// Presentation format: records and messages as dig and zone files write them.
import Testing

@testable import DNS

@Suite("Presentation")
struct PresentationTests {
    @Test func everyRDataType() throws {
        let strings = "\"\" \"" + String(repeating: "\\255", count: 255) + #"" "two \"quoted\" \\ strings""#
        let expected = [
            "192.0.2.1", "2001:db8::1", "ns1.example.test.", "target.example.test.", "host.example.test.",
            "10 mail.example.test.", "0 .",
            "ns1.example.test. hostmaster.example.test. 2025010101 3600 900 604800 300",
            #""v=spf1 mx -all""#, strings, "10 5 5060 sip.example.test.", #"128 issue "ca.example.net; account=1""#,
            ##"\# 4 DEADBEEF"##, ##"\# 0"##, ##"\# 7 03435055024F53"##,
        ]
        let rdata = try everyRData()
        #expect(rdata.map(\.description) == expected)
    }

    @Test func records() throws {
        let record = ResourceRecord(name: try name("example.test."), ttl: 3600, rdata: .mx(preference: 10, exchange: try name("mail.example.test.")))
        #expect(record.description == "example.test.\t3600\tIN\tMX\t10 mail.example.test.")
        let unknown = ResourceRecord(
            name: try name("a.example.test."), ttl: 0, recordClass: RecordClass(rawValue: 32),
            rdata: .unknown(RecordType(rawValue: 731), [0x0A, 0, 0, 1]))
        // RFC 3597 §5: generic type, class and data.
        #expect(unknown.description == "a.example.test.\t0\tCLASS32\tTYPE731\t\\# 4 0A000001")
    }

    @Test func digStyleMessage() throws {
        let query = try DNSMessage(decoding: Fixtures.digQuery)
        var response = DNSMessage(
            id: query.id, isResponse: true, isAuthoritative: true, recursionDesired: true, questions: query.questions,
            answers: [ResourceRecord(name: try name("example.com."), ttl: 60, rdata: .a(IPv4Address(93, 184, 216, 34)))],
            edns: EDNS(udpPayloadSize: 1232, dnssecOK: true))
        response.authority = [ResourceRecord(name: try name("example.com."), ttl: 60, rdata: .ns(try name("a.iana-servers.net.")))]
        #expect(
            response.description == """
                ;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 6699
                ;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 1, ADDITIONAL: 1

                ;; OPT PSEUDOSECTION:
                ; EDNS: version: 0, flags: do; udp: 1232

                ;; QUESTION SECTION:
                ;example.com.\t\tIN\tA

                ;; ANSWER SECTION:
                example.com.\t60\tIN\tA\t93.184.216.34

                ;; AUTHORITY SECTION:
                example.com.\t60\tIN\tNS\ta.iana-servers.net.

                """)
        let nx = try DNSMessage(decoding: Fixtures.nameError)
        #expect(nx.description.hasPrefix(";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 7\n;; flags: qr rd ra;"))
        #expect(query.description.contains("; OPTION 10: \\# 8 0102030405060708"))
    }
}
