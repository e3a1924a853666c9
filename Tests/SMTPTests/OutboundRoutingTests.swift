// Routing over StaticDNS (RFC 5321 §5.1, RFC 7505) and the real agent over
// loopback sockets against our own SMTP server as the peer: MX order, the
// next MX when the first refuses connections, implicit MX, null MX,
// NXDOMAIN against SERVFAIL, and STARTTLS used when offered.
import DNS
import Foundation
import Logging
import NIOPosix
import Testing
import Transport

@testable import SMTP

private let world = """
    $ORIGIN remote.test.
    $TTL 300
    @        SOA  ns hostmaster 1 7200 900 1209600 300
             NS   ns
             MX   20 mx2
             MX   10 mx1
    ns       A    127.0.0.1
    mx1      A    127.0.0.2
    mx2      A    127.0.0.1
    implicit A    127.0.0.1
    nomail   MX   0 .
    noaddr   MX   10 missing
    sub      MX   10 mx2
    """

private func dns() throws -> StaticDNS {
    try StaticDNS(zoneText: world, failing: [try DNSName(parsing: "flaky.remote.test.")])
}

@Suite("Outbound routing")
struct OutboundRoutingTests {
    @Test("MX hosts by preference, at remote_port; relay_host overrides the lookup")
    func mxOrder() async throws {
        let router = MailRouter(dns: try dns(), remotePort: 2525)
        #expect(await router.route("remote.test") == .hosts([
            RouteHost(name: "mx1.remote.test", port: 2525), RouteHost(name: "mx2.remote.test", port: 2525),
        ]))
        #expect(await router.addresses(of: RouteHost(name: "mx1.remote.test", port: 2525)) == .addresses(["127.0.0.2"]))
        let relayed = MailRouter(dns: try dns(), relayHost: RouteHost(name: "smarthost.test", port: 587))
        #expect(await relayed.route("remote.test") == .hosts([RouteHost(name: "smarthost.test", port: 587, connectsByName: true)]))
    }

    @Test("no MX: the domain itself (implicit MX); null MX 5.1.10; NXDOMAIN 5.1.2; SERVFAIL temporary")
    func specialAnswers() async throws {
        let router = MailRouter(dns: try dns(), remotePort: 25)
        #expect(await router.route("implicit.remote.test") == .hosts([RouteHost(name: "implicit.remote.test", port: 25)]))
        guard case .permanent(let nullMX) = await router.route("nomail.remote.test") else {
            Issue.record("null MX not permanent")
            return
        }
        #expect(nullMX.hasPrefix("5.1.10 "))
        guard case .permanent(let missing) = await router.route("nothere.remote.test") else {
            Issue.record("NXDOMAIN not permanent")
            return
        }
        #expect(missing.hasPrefix("5.1.2 "))
        guard case .temporary(let flaky) = await router.route("flaky.remote.test") else {
            Issue.record("SERVFAIL not temporary")
            return
        }
        #expect(flaky.hasPrefix("4.4.3 "))
        guard case .unavailable = await router.addresses(of: RouteHost(name: "missing.remote.test", port: 25)) else {
            Issue.record("an MX host without addresses is usable")
            return
        }
    }

    @Test("the agent: null MX and NXDOMAIN fail every recipient without a connection; no MX address defers")
    func agentWithoutConnections() async throws {
        let agent = SMTPRemoteDeliveryAgent(
            router: MailRouter(dns: try dns(), remotePort: 9), configuration: SMTPClientConfiguration(heloName: "me.test"))
        var message = outbound(["a@nomail.remote.test", "b@nomail.remote.test"])
        message.domain = "nomail.remote.test"
        let report = await agent.deliver(message)
        #expect(report.results.map(\.kind) == [.permanent, .permanent])
        message.domain = "noaddr.remote.test"
        #expect(await agent.deliver(message).results.map(\.kind) == [.temporary, .temporary])
    }

    @Test(
        "over loopback: the first MX refuses connections, the second takes the message over STARTTLS",
        .timeLimit(.minutes(1)))
    func fallbackToTheNextMX() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SelfSignedCertificate.create(
            hostname: "mx2.remote.test", certificatePath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem")
        let credentials = try TLSCredentials.load(
            certificatePath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem")
        let spool = MemorySpool()
        let server = SMTPServer.make(
            configuration: SessionHarness.configuration(),
            listeners: [ListenerSpec(name: "smtp", endpoint: .tcp(host: "127.0.0.1", port: 0), configKey: "[smtp] listen")],
            limits: SMTPServer.sessionLimits(maxConnections: 8, maxConnectionsPerClient: 8, drainTimeout: .milliseconds(300)),
            tls: credentials.context, spool: spool, authenticator: SessionHarness.users,
            resolver: AliasingRecipientResolver(aliases: SessionHarness.aliases(), directory: SessionHarness.directory),
            group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let endpoints = try await server.bind()
        guard case .tcp(_, let port) = endpoints.first else {
            Issue.record("no port")
            return
        }
        let zone = """
            $ORIGIN example.test.
            $TTL 300
            @    SOA  ns hostmaster 1 7200 900 1209600 300
                 NS   ns
                 MX   10 mx1
                 MX   20 mx2
            ns   A    127.0.0.1
            mx1  A    127.0.0.2
            mx2  A    127.0.0.1
            """
        let agent = SMTPRemoteDeliveryAgent(
            router: MailRouter(dns: try StaticDNS(zoneText: zone), remotePort: port),
            configuration: SMTPClientConfiguration(heloName: "client.test", connectTimeout: .seconds(10)))
        var message = outbound(["alice@example.test", "nobody@example.test"], body: "Subject: out\r\n\r\n.dot\r\ncaf\u{e9}\r\n")
        message.domain = "example.test"
        let report = await agent.deliver(message)
        await server.shutdown()
        #expect(report.results.map(\.kind) == [.delivered, .permanent], "\(report)")
        #expect(report.remoteMTA == "mx2.example.test")
        #expect(report.results[1].reply?.hasPrefix("550 5.1.1") == true)
        let received = spool.committed
        #expect(received.count == 1)
        #expect(received.first?.envelope.recipients.map(\.address.description) == ["alice@example.test"])
        #expect(received.first?.bodyText == "Subject: out\r\n\r\n.dot\r\ncaf\u{e9}\r\n")
        #expect(received.first?.envelope.body == .eightBitMIME)
        #expect(received.first?.header.contains("with ESMTPS") == true, "\(received.first?.header ?? "")")
    }
}
