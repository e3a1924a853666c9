// TLS over real loopback sockets: STARTTLS with pipelined plaintext
// discarded (RFC 3207 §4.2), implicit TLS, the client's own check against
// bytes sent between a STARTTLS reply and the handshake, certificate
// verification on and off, and a handshake that never comes.
import NIOCore
import NIOSSL
import Testing
@testable import Transport

@Suite("TLS scenarios", .serialized)
struct TLSScenarioTests {
    /// The client sends "STARTTLS\r\nECHO injected\r\n" in one write; the
    /// server must not run "ECHO injected", before or after the handshake.
    @Test func startTLSDiscardsPipelinedPlaintext() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        try await withServer(tls: fixture.credentials.context) { server in
            let client = try await server.greeted()
            try await within(.seconds(30), onTimeout: { await client.close() }) {
                try await client.send("STARTTLS\r\nECHO injected\r\n")
                #expect(try await client.readLine() == "220 go ahead")
                try await client.startTLS(fixture.clientSettings)
                #expect(await client.isTLS)
                try await client.send("ECHO after\r\nSTATUS\r\n")
                #expect(try await client.readLine() == "250 after")
                #expect(try await client.readLine() == "250 tls=yes peer=127.0.0.1 loopback=yes")
            }
            await client.close()
        }
    }

    @Test func startTLSWithoutVerification() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        try await withServer(tls: fixture.credentials.context) { server in
            let client = try await server.greeted()
            try await within(.seconds(30), onTimeout: { await client.close() }) {
                try await client.send("STARTTLS\r\n")
                #expect(try await client.readLine() == "220 go ahead")
                try await client.startTLS(ClientTLSSettings(verifyCertificate: false))
                try await client.send("STATUS\r\n")
                #expect(try await client.readLine() == "250 tls=yes peer=127.0.0.1 loopback=yes")
            }
            await client.close()
        }
    }

    @Test func implicitTLSListener() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let listeners: [ListenerSpec] = [.loopback(implicitTLS: true, key: "[echo] tls_listen")]
        try await withServer(tls: fixture.credentials.context, listeners: listeners) { server in
            try await within(.seconds(30), onTimeout: {}) {
                let client = try await server.greeted(tls: fixture.clientSettings)
                #expect(await client.isTLS)
                try await client.send("STATUS\r\nSTARTTLS\r\n")
                #expect(try await client.readLine() == "250 tls=yes peer=127.0.0.1 loopback=yes")
                // No second handshake inside TLS: the session ends.
                #expect(try await client.readLine() == "220 go ahead")
                #expect(await isClosed(client))
            }
        }
    }

    @Test func implicitTLSWithoutVerification() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let listeners: [ListenerSpec] = [.loopback(implicitTLS: true)]
        try await withServer(tls: fixture.credentials.context, listeners: listeners) { server in
            try await within(.seconds(30), onTimeout: {}) {
                let client = try await server.greeted(tls: ClientTLSSettings(verifyCertificate: false))
                try await client.send("ECHO secret\r\n")
                #expect(try await client.readLine() == "250 secret")
                await client.close()
            }
        }
    }

    /// A client that opens a TLS port and never sends a ClientHello is
    /// closed by the idle timeout like any other.
    @Test func implicitTLSClientThatNeverHandshakesIsTimedOut() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let limits = SessionLimits.test(idleTimeout: .milliseconds(100))
        try await withServer(limits: limits, tls: fixture.credentials.context, listeners: [.loopback(implicitTLS: true)]) {
            server in
            // Nothing readable arrives (the greeting waits for the
            // handshake); the server must close within the bound.
            let received = try await exchangeUntilClosed(host: server.host(), port: server.port())
            #expect(received.isEmpty)
        }
    }

    /// A lying server puts "250 injected" right after its STARTTLS reply;
    /// the client refuses to upgrade.
    @Test func clientRefusesBytesBetweenTheReplyAndTheHandshake() async throws {
        try await withServer { server in
            let client = try await server.greeted()
            try await client.send("FAKETLS\r\n")
            #expect(try await client.readLine() == "220 go ahead")
            await #expect(throws: ClientError.dataBeforeTLS) {
                try await client.startTLS(ClientTLSSettings(verifyCertificate: false))
            }
            await client.close()
        }
    }

    @Test func verificationRefusesTheWrongName() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let listeners: [ListenerSpec] = [.loopback(implicitTLS: true)]
        try await withServer(tls: fixture.credentials.context, listeners: listeners) { server in
            let wrongName = ClientTLSSettings(
                verifyCertificate: true, serverName: "other.chappe.test", trustRootsPEM: [fixture.certificatePEM])
            // Each attempt must fail, and promptly: a refused handshake
            // must not leave connect waiting.
            for attempt in 0..<10 {
                let outcome = try? await within(.seconds(30), onTimeout: {}) {
                    do {
                        _ = try await server.connect(tls: wrongName)
                        return "connected"
                    } catch {
                        return "refused"
                    }
                }
                #expect(outcome == "refused", "attempt \(attempt): \(outcome ?? "connect hung")")
                if outcome != "refused" { break }
            }
        }
    }

    @Test func verificationRefusesAnUntrustedCertificate() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        try await withServer(tls: fixture.credentials.context) { server in
            let client = try await server.greeted()
            try await within(.seconds(30), onTimeout: { await client.close() }) {
                try await client.send("STARTTLS\r\n")
                #expect(try await client.readLine() == "220 go ahead")
                let systemRoots = ClientTLSSettings(verifyCertificate: true, serverName: TLSFixture.hostname)
                await #expect(throws: (any Error).self) { try await client.startTLS(systemRoots) }
            }
            await client.close()
        }
    }

    /// A peer that accepts TCP and never answers the ClientHello: connect
    /// must give up on its own, not wait forever.
    @Test func implicitTLSHandshakeThatNeverComesTimesOut() async throws {
        let silent = try SilentListener()
        let outcome = try? await within(.seconds(30), onTimeout: { silent.close() }) {
            do {
                _ = try await ClientConnection.connect(
                    host: "127.0.0.1", port: silent.port, implicitTLS: ClientTLSSettings(verifyCertificate: false),
                    connectTimeout: .milliseconds(300), readTimeout: .milliseconds(300))
                return "connected"
            } catch {
                return "failed"
            }
        }
        silent.close()
        #expect(outcome == "failed", "connect neither failed nor returned within 30 s")
    }
}
