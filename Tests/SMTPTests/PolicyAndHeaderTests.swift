// The relay policy, the Received field builder and the loop guard's
// counter (at chunk sizes 1, 16, 1024, 4096, with CRLF and LF input).
import Foundation
import Testing
import Transport

@testable import SMTP

private func mailbox(_ text: String) -> SMTPMailbox {
    (try? SMTPMailbox(text)) ?? SMTPMailbox.placeholder
}

@Suite("Relay policy")
struct RelayPolicyTests {
    let policy = RelayPolicy.standard(
        localDomains: ["Example.test"], trustedNetworks: [(try? IPNetwork("10.0.0.0/8")) ?? IPNetwork(host: .ipv4Loopback)])

    @Test func localDomainsAreLookedUpForAnyone() {
        let stranger = RelayClient(address: IPAddress("192.0.2.7"), isAuthenticated: false)
        #expect(policy.decide(mailbox("alice@example.test"), client: stranger) == .lookUpLocally)
        #expect(policy.decide(mailbox("alice@EXAMPLE.TEST"), client: stranger) == .lookUpLocally)
        #expect(policy.decide(mailbox("alice@sub.example.test"), client: stranger) == .reject(RelayPolicy.relayDenied))
    }

    @Test func otherDomainsNeedATrustedNetworkOrAuth() {
        let remote = mailbox("dave@elsewhere.example")
        #expect(policy.decide(remote, client: RelayClient(address: IPAddress("10.9.8.7"), isAuthenticated: false)) == .relay)
        #expect(policy.decide(remote, client: RelayClient(address: IPAddress("::ffff:10.9.8.7"), isAuthenticated: false)) == .relay)
        #expect(policy.decide(remote, client: RelayClient(address: IPAddress("192.0.2.7"), isAuthenticated: true)) == .relay)
        #expect(policy.decide(remote, client: RelayClient(address: nil, isAuthenticated: false)) == .reject(RelayPolicy.relayDenied))
        let denied = policy.decide(remote, client: RelayClient(address: IPAddress("192.0.2.7"), isAuthenticated: false))
        #expect(denied == .reject(SMTPReply(554, .notAuthorized, "relay access denied")))
    }

    @Test func rulesMustEndInAnExplicitReject() throws {
        #expect(throws: RelayPolicyError.self) { try RelayPolicy(rules: [.authenticated]) }
        #expect(throws: RelayPolicyError.self) { try RelayPolicy(rules: [.reject, .authenticated, .reject]) }
        #expect(throws: RelayPolicyError.self) { try RelayPolicy(rules: []) }
        let onlyAuth = try RelayPolicy(rules: [.authenticated, .reject])
        #expect(onlyAuth.decide(mailbox("a@example.test"), client: RelayClient(address: nil, isAuthenticated: false)) == .reject(RelayPolicy.relayDenied))
        #expect(policy.rules.last == .reject)
        #expect(policy.isLocal(domain: "EXAMPLE.test"))
        #expect(!policy.isLocal(domain: "elsewhere.example"))
    }
}

@Suite("Received field")
struct ReceivedHeaderTests {
    let date = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func allClauses() {
        let stamp = ReceivedStamp(
            heloName: "client.example", clientIP: "192.0.2.7", clientHostName: "host.client.example",
            serverHostname: "mx.example.test", withProtocol: .esmtpSA, queueID: "ABC123",
            recipient: mailbox("bob@example.test"), date: date, zoneOffsetMinutes: -300)
        #expect(
            ReceivedHeader.field(stamp)
                == "Received: from client.example (host.client.example [192.0.2.7])\r\n\tby mx.example.test (Chappe) with ESMTPSA id ABC123\r\n\tfor <bob@example.test>; Tue, 14 Nov 2023 17:13:20 -0500\r\n"
        )
    }

    @Test func withoutRecipientIDOrReverseName() {
        let stamp = ReceivedStamp(
            heloName: "[IPv6:2001:db8::1]", clientIP: "2001:db8::1", serverHostname: "mx.example.test",
            withProtocol: .esmtp, queueID: nil, recipient: nil, date: date, zoneOffsetMinutes: 0)
        #expect(
            ReceivedHeader.field(stamp)
                == "Received: from [IPv6:2001:db8::1] (unknown [IPv6:2001:db8::1])\r\n\tby mx.example.test (Chappe) with ESMTP;\r\n\tTue, 14 Nov 2023 22:13:20 +0000\r\n"
        )
    }

    @Test func mappedIPv4AndUnixSockets() {
        var stamp = ReceivedStamp(
            heloName: nil, clientIP: "::ffff:192.0.2.9", serverHostname: "mx", withProtocol: .smtp, queueID: "1",
            recipient: nil, date: date, zoneOffsetMinutes: 0)
        #expect(ReceivedHeader.field(stamp).hasPrefix("Received: from [192.0.2.9] (unknown [192.0.2.9])\r\n"))
        stamp.clientIP = "local"
        stamp.heloName = "localhost"
        #expect(ReceivedHeader.field(stamp).hasPrefix("Received: from localhost\r\n\tby mx (Chappe) with SMTP id 1;"))
    }

    /// RFC 3848 and RFC 6531 §4.3.
    @Test func protocolNames() {
        #expect(ReceivedProtocol(extended: false, tls: true, authenticated: true, smtpUTF8: false) == .smtp)
        #expect(ReceivedProtocol(extended: true, tls: false, authenticated: false, smtpUTF8: false) == .esmtp)
        #expect(ReceivedProtocol(extended: true, tls: true, authenticated: false, smtpUTF8: false) == .esmtpS)
        #expect(ReceivedProtocol(extended: true, tls: false, authenticated: true, smtpUTF8: false) == .esmtpA)
        #expect(ReceivedProtocol(extended: true, tls: true, authenticated: true, smtpUTF8: false) == .esmtpSA)
        #expect(ReceivedProtocol(extended: true, tls: true, authenticated: true, smtpUTF8: true) == .utf8SMTPSA)
        #expect(ReceivedProtocol(extended: true, tls: false, authenticated: false, smtpUTF8: true) == .utf8SMTP)
    }
}

@Suite("Received field counter")
struct ReceivedFieldCounterTests {
    static let header = [
        "Received: from a by b; Tue, 14 Nov 2023 10:00:00 +0000",
        "RECEIVED : from c by d; Tue, 14 Nov 2023 10:00:00 +0000",
        "  Received: a continuation does not count",
        "Received-SPF: pass",
        "X-Received: other",
        "Subject: Received: not at the start",
        "received:x",
        "",
        "Received: in the body",
    ]

    @Test(arguments: [1, 16, 1024, 4096], ["\r\n", "\n"])
    func countsAtAnyChunkSize(chunkSize: Int, lineEnding: String) {
        let bytes = Array(Self.header.joined(separator: lineEnding).utf8)
        var counter = ReceivedFieldCounter()
        var index = 0
        while index < bytes.count {
            let end = min(index + chunkSize, bytes.count)
            counter.scan(bytes[index..<end])
            index = end
        }
        #expect(counter.count == 3)
        #expect(!counter.inHeader)
    }

    @Test func emptyMessageAndHeaderOnly() {
        var empty = ReceivedFieldCounter()
        empty.scan(Array("\r\nReceived: x\r\n".utf8))
        #expect(empty.count == 0)
        var open = ReceivedFieldCounter()
        open.scan(Array("Received: x\r\nReceiv".utf8))
        open.scan(Array("ed: y".utf8))
        #expect(open.count == 2)
        #expect(open.inHeader)
    }
}
