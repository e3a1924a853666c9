// Zone files: a zone with every master file construct, each error with its line, the zone
// checks, and the default configuration's zone read from etc/zones.
import Foundation
import Testing

@testable import DNS

@Suite("Zone files")
struct ZoneParserTests {
    static let fullZone = ##"""
        ; A zone with every construct of RFC 1035 §5.1.
        $ORIGIN example.test.
        $TTL 1h
        @   IN  SOA ns1 hostmaster.example.test. (
                2025010101 ; serial
                2h         ; refresh
                15m        ; retry
                2w         ; expire
                300 )      ; minimum
            NS  ns1
            IN NS ns2.example.net.
            MX  10 mail
            300 IN A 192.0.2.1          ; TTL before class
            IN 300 AAAA 2001:db8::1     ; class before TTL
            TXT "v=spf1 mx -all"
            TXT "two" "strings" unquoted
            TXT "escapes: \"quoted\" \\ \065\066 ;not a comment"
            CAA 0 issue "ca.example.net"

        ns1 A 192.0.2.53
        mail  A 192.0.2.25
              AAAA 2001:db8::25
        www   CNAME mail
        ptr   PTR mail.example.test.
        _sip._tcp SRV 10 5 5060 sip.example.test.
        sip A 192.0.2.60
        odd\.label A 192.0.2.7
        unknown TYPE65280 \# 4 DEAD BEEF
        generic A \# 4 C0000208
        empty TYPE65281 \# 0
        $ORIGIN sub.example.test.
        @  NS ns
        ns A 192.0.2.77
        $ORIGIN example.test.
        Upper.CASE A 192.0.2.8
        *.wild TXT "wild"
        """##

    @Test func fullZoneWithEveryConstruct() throws {
        let zone = try Zone(parsing: Self.fullZone, origin: try name("example.test."), fileName: "full.zone")
        #expect(zone.origin == (try name("example.test.")))
        #expect(zone.recordClass == .in)
        #expect(zone.soa == SOA(mname: try name("ns1.example.test."), rname: try name("hostmaster.example.test."),
            serial: 2_025_010_101, refresh: 7200, retry: 900, expire: 1_209_600, minimum: 300))
        #expect(zone.soaTTL == 3600 && zone.negativeTTL == 300)
        let apex = zone.origin
        #expect(zone.rrset(at: apex, type: .ns)?.rdata == [.ns(try name("ns1.example.test.")), .ns(try name("ns2.example.net."))])
        #expect(zone.rrset(at: apex, type: .a)?.ttl == 300)
        #expect(zone.rrset(at: apex, type: .aaaa)?.ttl == 300)
        #expect(zone.rrset(at: apex, type: .mx)?.ttl == 3600)
        #expect(zone.rrset(at: apex, type: .txt)?.rdata == [
            .txt([Array("v=spf1 mx -all".utf8)]),
            .txt([Array("two".utf8), Array("strings".utf8), Array("unquoted".utf8)]),
            .txt([Array(#"escapes: "quoted" \ AB ;not a comment"#.utf8)]),
        ])
        #expect(zone.rrset(at: apex, type: .caa)?.rdata == [.caa(flags: 0, tag: "issue", value: Array("ca.example.net".utf8))])
        #expect(zone.rrset(at: try name("mail.example.test."), type: .aaaa)?.rdata == [.aaaa(try #require(IPv6Address("2001:db8::25")))])
        #expect(zone.rrset(at: try name("www.example.test."), type: .cname)?.rdata == [.cname(try name("mail.example.test."))])
        #expect(zone.rrset(at: try name("ptr.example.test."), type: .ptr) != nil)
        #expect(zone.rrset(at: try name("_sip._tcp.example.test."), type: .srv)?.rdata
            == [.srv(priority: 10, weight: 5, port: 5060, target: try name("sip.example.test."))])
        let odd = try DNSName(labels: [Array("odd.label".utf8), Array("example".utf8), Array("test".utf8)])
        #expect(zone.rrset(at: odd, type: .a) != nil)
        #expect(zone.rrset(at: try name("unknown.example.test."), type: RecordType(rawValue: 65280))?.rdata
            == [.unknown(RecordType(rawValue: 65280), [0xDE, 0xAD, 0xBE, 0xEF])])
        // RFC 3597 §5: the generic form of a known type becomes the typed value.
        #expect(zone.rrset(at: try name("generic.example.test."), type: .a)?.rdata == [.a(IPv4Address(192, 0, 2, 8))])
        #expect(zone.rrset(at: try name("empty.example.test."), type: RecordType(rawValue: 65281))?.rdata
            == [.unknown(RecordType(rawValue: 65281), [])])
        #expect(zone.delegation(covering: try name("host.sub.example.test.")) == (try name("sub.example.test.")))
        #expect(zone.rrset(at: try name("ns.sub.example.test."), type: .a) != nil)
        #expect(zone.rrset(at: try name("upper.case.example.test."), type: .a) != nil)
        #expect(zone.rrset(at: try name("*.wild.example.test."), type: .txt) != nil)
        #expect(zone.exists(try name("_tcp.example.test.")))  // an empty non-terminal
        #expect(!zone.exists(try name("nope.example.test.")))
        #expect(zone.records.count == 25)
    }

    @Test func relativeNamesNeedAnOrigin() {
        #expect(zoneError("@ 1 SOA ns1. h. 1 1 1 1 1\n", origin: nil) == "test.zone:1: '@' before any $ORIGIN")
        #expect(zoneError("x.test. 1 SOA ns1 h. 1 1 1 1 1\n", origin: nil) == "test.zone:1: relative name 'ns1' before any $ORIGIN")
        // Without a given origin, absolute names and the SOA's owner make the zone.
        let zone = try? Zone(parsing: "x.test. 1 SOA ns1.x.test. h.x.test. 1 1 1 1 1\nx.test. 1 NS ns1.x.test.\n", origin: nil)
        #expect(zone?.origin == (try? name("x.test.")))
    }

    @Test(arguments: [
        ("mail MX 10\n", "test.zone:6: MX needs a preference and a host"),
        ("$INCLUDE other.zone\n", "test.zone:6: $INCLUDE is not supported: keep a zone in one file"),
        ("$GENERATE 1-2 x$ A 192.0.2.1\n", "test.zone:6: unknown directive $GENERATE"),
        ("x IN FOO 1\n", "test.zone:6: unknown type 'FOO'"),
        ("x ANY 1\n", "test.zone:6: ANY cannot appear in a zone file"),
        ("x\n", "test.zone:6: record for x.example.test. has no type"),
        ("x A\n", "test.zone:6: A needs an IPv4 address"),
        ("x A 192.0.2.300\n", "test.zone:6: '192.0.2.300' is not an IPv4 address"),
        ("x AAAA 2001:db8::g\n", "test.zone:6: '2001:db8::g' is not an IPv6 address"),
        ("x MX 65536 mail\n", "test.zone:6: MX preference '65536' is not a number from 0 to 65535"),
        ("x SRV 1 2 port host\n", "test.zone:6: SRV port 'port' is not a number from 0 to 65535"),
        ("x TXT ( \"a\"\n\n", "test.zone:6: '(' not closed"),
        ("x TXT ( ( \"a\" ) )\n", "test.zone:6: '(' inside parentheses"),
        ("x A 192.0.2.1 )\n", "test.zone:6: ')' without '('"),
        ("x TXT \"open\n", "test.zone:6: quoted string not closed on its line"),
        ("x 2147483648 A 192.0.2.1\n", "test.zone:6: TTL 2147483648 is above 2147483647 (RFC 2181 §8)"),
        ("x 1x A 192.0.2.1\n", "test.zone:6: TTL '1x' is not a number of seconds"),
        ("x TXT ( \"a\"\n  \"b\" ) ; fine\nmail MX ( 10 )\n", "test.zone:8: MX needs a preference and a host"),
        ("outside.example.net. A 192.0.2.1\n", "test.zone:6: outside.example.net. is outside the zone example.test."),
        ("www CNAME mail\nwww A 192.0.2.1\n", "test.zone:7: www.example.test. has a CNAME and other data (RFC 1034 §3.6.2)"),
        ("www A 192.0.2.1\nwww CNAME mail\n", "test.zone:7: www.example.test. has a CNAME and other data (RFC 1034 §3.6.2)"),
        ("www CNAME a\nwww CNAME b\n", "test.zone:7: www.example.test. has a second CNAME (RFC 2181 §10.1)"),
        ("@ SOA ns1 hostmaster 2 1 1 1 1\n", "test.zone:6: a second SOA record (a zone has exactly one)"),
        ("x 300 A 192.0.2.1\nx 600 A 192.0.2.2\n",
         "test.zone:7: TTL 600 differs from 300 of the other A records at x.example.test. (RFC 2181 §5.2)"),
        ("sub NS ns.sub\nns.sub A 192.0.2.1\nmail.sub MX 10 x\n",
         "test.zone:8: mail.sub.example.test. is below the delegation at sub.example.test.: only glue A/AAAA records belong there"),
        ("sub NS ns.sub\nsub TXT \"x\"\n",
         "test.zone:7: sub.example.test. is a delegation: only NS, DS and glue A/AAAA records belong there"),
        ("x TXT \"" + String(repeating: "a", count: 256) + "\"\n", "test.zone:6: string of 256 octets (a character-string holds at most 255)"),
        ("x TYPE65280 \\# 3 DEADBEEF\n", "test.zone:6: \\# length 3 does not match the hex data"),
        ("x TYPE65280 \\# 2 DEAG\n", "test.zone:6: 'DEAG' is not hex data"),
        ("x A \\# 3 C00002\n", "test.zone:6: \\# data is not valid A data: A RDATA at byte 0 does not fill exactly its RDLENGTH of 3 octets"),
        ("x HINFO \"cpu\" \"os\"\n", "test.zone:6: HINFO data must be written in the \\# form (RFC 3597 §5)"),
        ("x CH A 192.0.2.1\n", "test.zone:6: class CH differs from the zone's class IN"),
        ("x CAA 0 \"issue\" \"ca\"\n", "test.zone:6: CAA tag 'issue' must be ASCII letters and digits"),
        (String(repeating: "a", count: 64) + " A 192.0.2.1\n",
         "test.zone:6: bad name '\(String(repeating: "a", count: 64))': label of 64 octets (at most 63)"),
        ("x CNAME a..b\n", "test.zone:6: bad name 'a..b': empty label"),
        ("x TXT \"bad \\999 escape\"\n", "test.zone:6: bad escape in 'bad \\999 escape'"),
    ])
    func errorsCarryTheirLine(text: String, message: String) {
        #expect(zoneError(zoneHeader + text) == message)
    }

    @Test func wholeZoneErrors() {
        #expect(zoneError("$ORIGIN example.test.\n$TTL 1\n@ NS ns1\n") == "test.zone: no SOA record")
        #expect(zoneError("$TTL 1\n@ SOA ns1 h 1 1 1 1 1\n") == "test.zone: no NS records at the apex example.test.")
        #expect(zoneError("@ SOA ns1 h 1 1 1 1 1\n@ NS ns1\n")
            == "test.zone:2: record for example.test. has no TTL and no $TTL is set")
        #expect(zoneError("  A 192.0.2.1\n") == "test.zone:1: a line starting with a blank needs an owner before it")
        #expect(zoneError("$TTL 1\nother.test. SOA ns1 h 1 1 1 1 1\n")
            == "test.zone:2: SOA record at other.test., but the origin is example.test.")
    }

    @Test func defaultsAndLineEndings() throws {
        // An SOA before any TTL takes its MINIMUM (BIND's rule); later records without a TTL
        // take the last one given (RFC 1035 §5.1); CRLF line ends are accepted.
        let text = "$ORIGIN example.test.\r\n@ SOA ns1 h 1 1 1 1 120\r\n@ 60 NS ns1\r\nns1 A 192.0.2.1\r\n   \r\n ; a comment\r\n"
        let zone = try Zone(parsing: text, origin: nil)
        #expect(zone.soaTTL == 120)
        #expect(zone.rrset(at: try name("ns1.example.test."), type: .a)?.ttl == 60)
    }

    @Test func duplicatesAreDroppedAndZonesBuildFromRecords() throws {
        // RFC 2181 §5: an RRset holds no duplicate records.
        let zone = try Zone(parsing: zoneHeader + "x A 192.0.2.1\nx A 192.0.2.1\nX A 192.0.2.1\n", origin: nil)
        #expect(zone.rrset(at: try name("x.example.test."), type: .a)?.rdata.count == 1)
        #expect(zone.records.count == 4)
        // Records built in code go through the same checks, without line numbers.
        let rebuilt = try Zone(records: zone.records, origin: try name("example.test."))
        #expect(rebuilt.records == zone.records)
        let clash = zone.records + [ResourceRecord(name: try name("x.example.test."), ttl: 3600, rdata: .cname(try name("y.test.")))]
        #expect(throws: ZoneError(file: "zone", line: nil, message: "x.example.test. has a CNAME and other data (RFC 1034 §3.6.2)")) {
            try Zone(records: clash)
        }
    }

    // MARK: - The default configuration's zone

    static let exampleZonePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("etc/zones/example.test.zone").path

    @Test func exampleTestZoneLoads() throws {
        let zone = try Zone.load(path: Self.exampleZonePath, displayName: "zones/example.test.zone")
        let apex = try name("example.test.")
        let mail = try name("mail.example.test.")
        #expect(zone.origin == apex)
        #expect(zone.rrset(at: apex, type: .ns) != nil)
        #expect(zone.rrset(at: apex, type: .mx)?.rdata == [.mx(preference: 10, exchange: mail)])
        #expect(zone.rrset(at: apex, type: .a)?.rdata == [.a(IPv4Address(127, 0, 0, 1))])
        #expect(zone.rrset(at: apex, type: .aaaa)?.rdata == [.aaaa(try #require(IPv6Address("::1")))])
        #expect(zone.rrset(at: mail, type: .a)?.rdata == [.a(IPv4Address(127, 0, 0, 1))])
        #expect(zone.rrset(at: mail, type: .aaaa)?.rdata == [.aaaa(try #require(IPv6Address("::1")))])
        #expect(zone.rrset(at: apex, type: .txt)?.rdata == [.txt([Array("v=spf1 mx -all".utf8)])])
    }

    @Test func loadReportsUnreadableFiles() {
        #expect(throws: ZoneError(file: "missing.zone", line: nil, message: "cannot read the file")) {
            try Zone.load(path: "/nonexistent/missing.zone", displayName: "missing.zone")
        }
    }
}
