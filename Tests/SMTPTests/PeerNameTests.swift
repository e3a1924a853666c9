// The client's name in Received (RFC 5321 §4.4): forward-confirmed reverse
// DNS, looked up before the greeting, "unknown" when the PTR name's own
// addresses do not include the client's.
import DNS
import Testing

@testable import SMTP

private func world() throws -> StaticDNS {
    let reverse = """
        $ORIGIN 2.0.192.in-addr.arpa.
        $TTL 300
        @   SOA ns.example.test. hostmaster.example.test. 1 7200 900 1209600 300
            NS  ns.example.test.
        7   PTR client.example.test.
        8   PTR liar.example.test.
        9   PTR missing.example.test.
        """
    let forward = """
        $ORIGIN example.test.
        $TTL 300
        @      SOA ns hostmaster 1 7200 900 1209600 300
               NS  ns
        ns     A   192.0.2.1
        client A   192.0.2.7
        liar   A   198.51.100.1
        """
    return try StaticDNS(zones: [
        try Zone(parsing: reverse, origin: nil, fileName: "reverse"), try Zone(parsing: forward, origin: nil, fileName: "forward"),
    ])
}

@Suite("Peer name (Received)")
struct PeerNameTests {
    @Test("a PTR name counts only when its addresses include the client's")
    func forwardConfirmed() async throws {
        let dns = try world()
        #expect(await PeerNameLookup.verifiedName(of: "192.0.2.7", using: dns) == "client.example.test")
        #expect(await PeerNameLookup.verifiedName(of: "192.0.2.8", using: dns) == nil, "the name points elsewhere")
        #expect(await PeerNameLookup.verifiedName(of: "192.0.2.9", using: dns) == nil, "the name does not exist")
        #expect(await PeerNameLookup.verifiedName(of: "192.0.2.10", using: dns) == nil, "no PTR")
        #expect(await PeerNameLookup.verifiedName(of: "not an address", using: dns) == nil)
    }

    @Test("looked up before the greeting, written into Received; loopback is not looked up")
    func inTheReceivedField() async throws {
        let spool = MemorySpool()
        var harness = SessionHarness(
            spool: spool, configuration: SessionHarness.configuration { $0.peerNameLookup = true }, dns: try world())
        await harness.connect()
        #expect(harness.take().hasPrefix("220 "))
        #expect(await harness.command("EHLO client.example").hasPrefix("250-"))
        #expect(await harness.command("MAIL FROM:<carol@remote.test>").hasPrefix("250"))
        #expect(await harness.command("RCPT TO:<bob@example.test>").hasPrefix("250"))
        #expect(await harness.command("DATA").hasPrefix("354"))
        #expect(await harness.command("Subject: x\r\n\r\nbody\r\n.").hasPrefix("250"))
        #expect(spool.committed.first?.header.hasPrefix("Received: from client.example (client.example.test [192.0.2.7])") == true)

        var local = SessionHarness(
            spool: MemorySpool(), peer: "127.0.0.1", configuration: SessionHarness.configuration { $0.peerNameLookup = true },
            dns: try world())
        await local.connect()
        #expect(local.take().hasPrefix("220 "), "no lookup for loopback")
    }
}
