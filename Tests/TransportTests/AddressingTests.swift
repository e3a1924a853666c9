// AddressingTests: IP addresses, listener addresses and CIDR networks —
// parsing (success and every kind of refusal), canonical formatting, and
// network membership including IPv4-mapped IPv6 peers.

import Testing
@testable import Transport

// MARK: - IPAddress

@Suite("IPAddress")
struct IPAddressTests {
    @Test(arguments: [
        ("127.0.0.1", [127, 0, 0, 1] as [UInt8]),
        ("0.0.0.0", [0, 0, 0, 0]),
        ("255.255.255.255", [255, 255, 255, 255]),
    ])
    func parsesIPv4(text: String, bytes: [UInt8]) throws {
        let address = try #require(IPAddress(text))
        #expect(address.bytes == bytes)
        #expect(address.family == .ipv4)
        #expect(address.description == text)
    }

    @Test(arguments: [
        ("::1", "::1"),
        ("::", "::"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:DB8::A", "2001:db8::a"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
    ])
    func parsesIPv6ToCanonicalText(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.bytes.count == 16)
        #expect(address.isIPv6)
        #expect(address.description == canonical)
    }

    @Test(arguments: [
        "", "localhost", "127.1", "1.2.3.256", "1.2.3.4.5", " 1.2.3.4", "1.2.3.4 ",
        "01.2.3.4", "fe80::1%eth0", "[::1]", "::1::2", "1.2.3.4\u{0}", "12345::",
    ])
    func refusesNonLiterals(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func rawBytesAndMapping() throws {
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        let v4 = try #require(IPAddress(bytes: [192, 0, 2, 1]))
        #expect(v4 == IPAddress(ipv4: 192, 0, 2, 1))
        #expect(v4.ipv4Mapped.description == "::ffff:192.0.2.1")
        #expect(v4.ipv4Mapped.unmappedIPv4 == v4)
        #expect(IPAddress("2001:db8::1")?.unmappedIPv4 == nil)
        #expect(IPAddress.ipv6Loopback.description == "::1")
        #expect(IPAddress.ipv4Any.isUnspecified && IPAddress.ipv6Any.isUnspecified)
        #expect(IPAddress("127.9.9.9")?.isLoopback == true)
        #expect(IPAddress("::ffff:127.0.0.1")?.isLoopback == true)
        #expect(IPAddress("::1")?.isLoopback == true)
        #expect(IPAddress("10.0.0.1")?.isLoopback == false)
    }
}

// MARK: - ListenAddress

@Suite("ListenAddress")
struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:2025", "127.0.0.1", 2025, false),
        ("[::1]:2025", "::1", 2025, true),
        ("0.0.0.0:25", "0.0.0.0", 25, false),
        ("[::]:25", "::", 25, true),
        ("[2001:db8::1]:65535", "2001:db8::1", 65535, true),
        ("10.0.0.1:1", "10.0.0.1", 1, false),
    ])
    func parses(text: String, host: String, port: Int, isIPv6: Bool) throws {
        let address = try ListenAddress(text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.isIPv6 == isIPv6)
        #expect(address.description == text)
        #expect(try ListenAddress(address.description) == address)
    }

    @Test func canonicalDescription() throws {
        #expect(try ListenAddress("[0:0:0:0:0:0:0:1]:25").description == "[::1]:25")
    }

    @Test func refusesHostNames() {
        #expect {
            try ListenAddress("localhost:2025")
        } throws: { error in
            let text = "\(error)"
            return text.contains("\"localhost\"") && text.contains("host name")
                && text.contains("binds an IP address")
        }
        #expect(throws: AddressParseError.self) { try ListenAddress("mail.example.test:25") }
    }

    @Test(arguments: [
        ("127.0.0.1:0", "out of range 1...65535"),
        ("127.0.0.1:70000", "out of range 1...65535"),
        ("127.0.0.1:", "not a number"),
        ("127.0.0.1:http", "not a number"),
        ("127.0.0.1:+25", "not a number"),
        ("127.0.0.1", "has no port"),
        ("[::1]", "has no port"),
        ("::1:2025", "brackets"),
        ("2001:db8::1:25", "brackets"),
        ("[127.0.0.1]:25", "IPv6 only"),
        ("[::1", "without \"]\""),
        ("[::1]2025", "not \":port\""),
        (":2025", "has no address"),
        ("", "is empty"),
        ("1.2.3.999:25", "not an IPv4 or IPv6 address"),
        ("[fe80::1%eth0]:25", "zone"),
    ])
    func refuses(text: String, reason: String) {
        #expect {
            try ListenAddress(text)
        } throws: { error in
            guard let error = error as? AddressParseError else { return false }
            return error.input == text && error.description.contains(reason)
        }
    }

    @Test func defaultPortForEndpoints() throws {
        #expect(try ListenAddress(parsing: "192.0.2.1", defaultPort: 53).description == "192.0.2.1:53")
        #expect(try ListenAddress(parsing: "2001:db8::1", defaultPort: 53).description == "[2001:db8::1]:53")
        #expect(try ListenAddress(parsing: "[2001:db8::1]", defaultPort: 53).port == 53)
        #expect(try ListenAddress(parsing: "[2001:db8::1]:5353", defaultPort: 53).port == 5353)
        #expect(try ListenAddress(parsing: "192.0.2.1:5353", defaultPort: 53).port == 5353)
        #expect(throws: AddressParseError.self) { try ListenAddress(parsing: "dns.example", defaultPort: 53) }
    }

    @Test func portZeroOnlyInCode() {
        let ephemeral = ListenAddress(address: .ipv4Loopback, port: 0)
        #expect(ephemeral.description == "127.0.0.1:0")
        #expect(throws: AddressParseError.self) { try ListenAddress(ephemeral.description) }
    }
}

// MARK: - IPNetwork

@Suite("IPNetwork")
struct IPNetworkTests {
    @Test(arguments: [
        ("127.0.0.0/8", "127.0.0.0/8", 8),
        ("::1/128", "::1/128", 128),
        ("10.1.2.3", "10.1.2.3/32", 32),
        ("2001:db8::1", "2001:db8::1/128", 128),
        ("0.0.0.0/0", "0.0.0.0/0", 0),
        ("::/0", "::/0", 0),
        ("192.168.0.0/23", "192.168.0.0/23", 23),
        ("2001:DB8::/32", "2001:db8::/32", 32),
    ])
    func parses(text: String, canonical: String, prefix: Int) throws {
        let network = try IPNetwork(text)
        #expect(network.description == canonical)
        #expect(network.prefixLength == prefix)
        #expect(try IPNetwork(network.description) == network)
    }

    @Test(arguments: [
        ("10.1.2.3/8", "did you mean \"10.0.0.0/8\"?"),
        ("192.168.1.0/23", "did you mean \"192.168.0.0/23\"?"),
        ("::1/64", "did you mean \"::/64\"?"),
        ("10.0.0.0/33", "from 0 to 32"),
        ("::/129", "from 0 to 128"),
        ("10.0.0.0/", "from 0 to 32"),
        ("10.0.0.0/x", "from 0 to 32"),
        ("10.0.0.0/-1", "from 0 to 32"),
        ("10.0.0.0/8/8", "from 0 to 32"),
        ("localhost/8", "not an IPv4 or IPv6 address"),
        ("/8", "has no address"),
    ])
    func refuses(text: String, reason: String) {
        #expect {
            try IPNetwork(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func containsIPv4() throws {
        let loopback = try IPNetwork("127.0.0.0/8")
        #expect(loopback.contains("127.0.0.1"))
        #expect(loopback.contains("127.255.255.255"))
        #expect(!loopback.contains("128.0.0.1"))
        #expect(!loopback.contains("::1"))
        #expect(!loopback.contains("not an address"))

        let odd = try IPNetwork("192.168.0.0/23")
        #expect(odd.contains("192.168.1.255"))
        #expect(!odd.contains("192.168.2.0"))
    }

    @Test func ipv4MappedPeersMatchIPv4Networks() throws {
        let loopback = try IPNetwork("127.0.0.0/8")
        #expect(loopback.contains("::ffff:127.0.0.1"))
        #expect(!loopback.contains("::ffff:10.0.0.1"))
        // ::127.0.0.1 (the deprecated IPv4-compatible form) is not mapped.
        #expect(!loopback.contains("::127.0.0.1"))
        let mappedBytes: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF, 127, 0, 0, 1]
        #expect(loopback.contains(bytes: mappedBytes))
        #expect(loopback.contains(bytes: [127, 0, 0, 1]))
        #expect(!loopback.contains(bytes: [127, 0, 0]))
    }

    @Test func ipv4PeersMatchMappedIPv6Networks() throws {
        let mapped = try IPNetwork("::ffff:10.0.0.0/104")
        #expect(mapped.contains("10.9.8.7"))
        #expect(!mapped.contains("11.0.0.1"))
        #expect(try IPNetwork("::/0").contains("192.0.2.1"))
    }

    @Test func containsIPv6() throws {
        let host = try IPNetwork("::1/128")
        #expect(host.contains("::1"))
        #expect(!host.contains("::2"))
        #expect(!host.contains("127.0.0.1"))
        let documentation = try IPNetwork("2001:db8::/32")
        #expect(documentation.contains("2001:db8:ffff::1"))
        #expect(!documentation.contains("2001:db9::1"))
        #expect([host, documentation].containsAddress(IPAddress.ipv6Loopback))
    }

    @Test func memberwiseInitMasks() throws {
        let address = try #require(IPAddress("10.1.2.3"))
        #expect(IPNetwork(address: address, prefixLength: 8)?.description == "10.0.0.0/8")
        #expect(IPNetwork(address: address, prefixLength: 33) == nil)
        #expect(IPNetwork(host: address).description == "10.1.2.3/32")
    }
}
