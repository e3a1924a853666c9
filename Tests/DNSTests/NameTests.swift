// DNSName, addresses and codes: presentation parsing and printing, case, limits.
import Testing

@testable import DNS

@Suite("Names, addresses and codes")
struct NameTests {
    @Test func parsesAbsoluteRelativeAndRoot() throws {
        let origin = try name("example.test.")
        #expect(try DNSName(parsing: "www", origin: origin).description == "www.example.test.")
        #expect(try DNSName(parsing: "www.example.test.", origin: origin).labels.count == 3)
        #expect(try DNSName(parsing: ".") == .root)
        #expect(DNSName.root.description == ".")
        #expect(DNSName.root.wireLength == 1)
        #expect(try name("a.b.").wireLength == 5)
        #expect(throws: DNSNameError.relativeWithoutOrigin) { try DNSName(parsing: "www", origin: nil) }
    }

    @Test func escapesRoundTrip() throws {
        // RFC 1035 §5.1: "\." is a dot inside a label, "\DDD" an octet in decimal.
        let parsed = try name(#"a\.b.c\032d\255.test."#)
        #expect(parsed.labels[0] == Array("a.b".utf8))
        #expect(parsed.labels[1] == [UInt8(ascii: "c"), 32, UInt8(ascii: "d"), 255])
        #expect(parsed.description == #"a\.b.c\032d\255.test."#)
        #expect(try name(parsed.description) == parsed)
        #expect(try name(#"q\"\(\)\;\@\$\\x."#).description == #"q\"\(\)\;\@\$\\x."#)
        #expect(throws: DNSNameError.badEscape) { try name(#"a\256."#) }
        #expect(throws: DNSNameError.badEscape) { try name(#"a\25"#) }
        #expect(throws: DNSNameError.badEscape) { try name("a\\") }
    }

    @Test func comparesWithoutCaseAndKeepsCase() throws {
        // RFC 4343 §3: ASCII letters compare without case; other octets exactly.
        let upper = try name("WWW.Example.TEST.")
        let lower = try name("www.example.test.")
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(upper.description == "WWW.Example.TEST.")
        #expect(upper.lowercased.description == "www.example.test.")
        #expect(try name(#"\200.test."#) != name(#"\224.test."#))  // 0xC8 vs 0xE0: not ASCII letters
        #expect(Set([upper, lower]).count == 1)
    }

    @Test func enforcesLabelAndNameLimits() throws {
        // RFC 1035 §2.3.4: labels of 63 octets, names of 255.
        let label63 = String(repeating: "a", count: 63)
        #expect(try name(label63 + ".").labels[0].count == 63)
        #expect(throws: DNSNameError.labelTooLong(64)) { try name(label63 + "a.") }
        #expect(throws: DNSNameError.labelTooLong(64)) { try DNSName(labels: [Array(repeating: 97, count: 64)]) }
        // Four labels of 63 octets and one of 1: 4 × 64 + 2 + 1 = 259 > 255; 3 × 64 + 62 + 1 fits.
        let fits = try DNSName(labels: Array(repeating: Array(repeating: 97, count: 63), count: 3) + [Array(repeating: 98, count: 61)])
        #expect(fits.wireLength == 255)
        #expect(throws: DNSNameError.nameTooLong(257)) { try fits.prepending([UInt8(ascii: "x")]) }
        #expect(throws: DNSNameError.emptyLabel) { try name("a..b.") }
        #expect(throws: DNSNameError.emptyLabel) { try name(".a.") }
        #expect(throws: DNSNameError.emptyLabel) { try name("") }
    }

    @Test func structure() throws {
        let www = try name("www.example.test.")
        #expect(www.parent == (try name("example.test.")))
        #expect(DNSName.root.parent == nil)
        #expect(www.isSubdomain(of: try name("EXAMPLE.test.")))
        #expect(www.isSubdomain(of: .root))
        #expect(!www.isSubdomain(of: try name("ample.test.")))
        #expect(!(try name("example.test.")).isSubdomain(of: www))
        #expect(try name("*.example.test.").isWildcard)
        #expect(www.relative(to: try name("example.test.")) == "www")
        #expect(www.relative(to: www) == "@")
        #expect(www.relative(to: try name("other.test.")) == "www.example.test.")
    }

    @Test func ipAddresses() {
        #expect(IPv4Address("192.0.2.1")?.bytes == [192, 0, 2, 1])
        for bad in ["192.0.2", "192.0.2.256", "1.2.3.4.5", "a.b.c.d", "1..2.3", "", "1.2.3.1234"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        // RFC 5952 §4: lower case, no leading zeros, the longest zero run compressed.
        let cases = [
            ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("::", "::"), ("::1", "::1"), ("1::", "1::"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ]
        for (input, canonical) in cases {
            #expect(IPv6Address(input)?.description == canonical, "\(input)")
        }
        for bad in [":", ":1", "1:", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::", "+1::", "::1%eth0"] {
            #expect(IPv6Address(bad) == nil, "\(bad)")
        }
    }

    @Test func codes() {
        #expect(RecordType("mx") == .mx)
        #expect(RecordType("TYPE65280")?.rawValue == 65280)
        #expect(RecordType("TYPE65536") == nil)
        #expect(RecordType("TYPE") == nil)
        #expect(RecordType(rawValue: 65280).description == "TYPE65280")
        #expect(RecordType.caa.description == "CAA")
        #expect(RecordClass("in") == .in)
        #expect(RecordClass("CLASS32")?.description == "CLASS32")
        #expect(DNSRCode(rawValue: 16).description == "BADVERS")
        #expect(DNSRCode.badVersion.headerBits == 0 && DNSRCode.badVersion.extendedBits == 1)
        #expect(DNSOpcode.notify.description == "NOTIFY")
        #expect(RecordType.any.isMetaType && RecordType.opt.isMetaType && !RecordType.caa.isMetaType)
    }
}
