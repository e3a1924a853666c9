// Postfix (Debian package, an instance of its own on loopback ports) as the
// peer of our MTA (DESIGN.md rule 6): it relays a message through its
// relayhost to our MX port, and the message lands in the Maildir.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Postfix interoperation", .serialized)
struct PostfixInteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/postfix_relay.sh").path

    @Test func postfixRelaysThroughItsRelayhostToOurMXPort() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        // Postfix's daemons run as the postfix user: its directory must be
        // reachable by it, unlike the test sandbox.
        let directory = "/tmp/chappe-postfix-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let postfixPort = try smtpFreePort()
        let started = try await smtpRunTool("bash", [Self.script, "start", directory, "\(postfixPort)", "\(smtp.port)"])
        var stopped = false
        func stopPostfix() async {
            guard !stopped else { return }
            stopped = true
            _ = try? await smtpRunTool("bash", [Self.script, "stop", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }
        do {
            #expect(started.0 == 0, "postfix did not start: \(String(decoding: started.1 + started.2, as: UTF8.self))")
            try await waitUntilAccepting(port: postfixPort)
            let message = "From: alice@interop.test\r\nTo: bob@example.test\r\nSubject: via Postfix\r\n"
                + "Message-ID: <relay-1@interop.test>\r\nDate: Sun, 22 Nov 2026 04:00:00 +0000\r\n\r\n"
                + "relayed by Postfix\r\n.leading dot\r\n"
            let result = try await smtp.scenario(
                "send", "alice@interop.test", "bob@example.test", hex(message), port: postfixPort)
            #expect(result["code"] as? Int == 250, "\(result)")
            let delivered = String(decoding: try await smtp.waitForMessages(1).first ?? [], as: UTF8.self)
            let maillog = (try? String(contentsOfFile: directory + "/maillog", encoding: .utf8)) ?? ""
            #expect(delivered.hasPrefix("Return-Path: <alice@interop.test>\r\nReceived: from postfix.interop.test"), "\(delivered)\n\(maillog)")
            // Postfix's own trace field follows ours.
            #expect(delivered.contains("by postfix.interop.test (Postfix)"))
            #expect(delivered.hasSuffix("\r\n\r\nrelayed by Postfix\r\n.leading dot\r\n"), "\(delivered)")
            #expect(maillog.contains("status=sent"), "\(maillog)")
        } catch {
            await stopPostfix()
            throw error
        }
        await stopPostfix()
        try await smtp.stop()
    }

    /// Waits (bounded) until 127.0.0.1:port accepts connections.
    private func waitUntilAccepting(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            close(descriptor)
            if connected == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SMTPFixtureError("nothing accepts connections on 127.0.0.1:\(port)")
    }
}
