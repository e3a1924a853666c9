// `chappe serve` with SMTP (mail comes in the way it does in production) and
// IMAP on free loopback ports, one account, and the imaplib scenario runner.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

final class IMAPFixture {
    let sandbox: Sandbox
    private(set) var server: RunningServer
    let imapPort: Int
    let imapsPort: Int
    let smtpPort: Int
    let address = "alice@example.test"
    let password = "secret pw"

    var credentials: String { "\(address):\(password)" }
    var maildir: URL { sandbox.spool.appendingPathComponent("mail/example.test/alice/Maildir") }

    private init(sandbox: Sandbox, server: RunningServer, imapPort: Int, imapsPort: Int, smtpPort: Int) {
        self.sandbox = sandbox
        self.server = server
        self.imapPort = imapPort
        self.imapsPort = imapsPort
        self.smtpPort = smtpPort
    }

    /// Starts a server; `plaintextOnLoopback` allows LOGIN without TLS.
    /// Tries new ports if another process took the chosen ones meanwhile.
    static func start(plaintextOnLoopback: Bool = true, maxAuthFailures: Int = 3) async throws -> IMAPFixture {
        var lastLog = ""
        for _ in 0..<3 {
            let imapPort = try LoopbackPort.free()
            let imapsPort = try LoopbackPort.free()
            let smtpPort = try LoopbackPort.free()
            let imap = """
                listen = ["127.0.0.1:\(imapPort)"]
                tls_listen = ["127.0.0.1:\(imapsPort)"]
                allow_plaintext_loopback = \(plaintextOnLoopback)
                auth_failure_delay = "10ms"
                max_auth_failures = \(maxAuthFailures)
                """
            let smtp = """
                listen = ["127.0.0.1:\(smtpPort)"]
                submission = []
                submissions = []
                local_domains = ["example.test"]
                """
            let sandbox = try Sandbox(services: ["imap": imap, "smtp": smtp])
            let fixture = IMAPFixture(
                sandbox: sandbox, server: try RunningServer(config: sandbox.configFile), imapPort: imapPort,
                imapsPort: imapsPort, smtpPort: smtpPort)
            if try await fixture.serverStarted() {
                let added = try Chappe.run(
                    ["user", "add", fixture.address, "--config", sandbox.configFile.path, "--password-stdin"],
                    stdin: fixture.password + "\n")
                guard added.status == 0 else { throw FixtureError("chappe user add: \(added.stderr)") }
                return fixture
            }
            lastLog = fixture.server.logText
            _ = try await fixture.server.stop()
            guard lastLog.contains("in use") else { break }
        }
        throw FixtureError("chappe serve did not start:\n\(lastLog)")
    }

    /// Waits (bounded) for "chappe started"; false when the server exited.
    private func serverStarted() async throws -> Bool {
        // Generous: a loaded machine (parallel builds) can take 20 s to start a server.
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if server.logText.contains("chappe started") { return true }
            if !server.process.isRunning { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func stop() async throws {
        #expect(try await server.stop() == 0, "\(server.logText)")
    }

    /// Runs an imaplib scenario and returns its JSON object.
    func scenario(_ name: String, _ arguments: String...) async throws -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/imap_scenarios.py").path
        let result = try await runTool(
            "python3", [script, name, "127.0.0.1", "\(imapPort)", "\(smtpPort)", address, password] + arguments)
        guard result.status == 0,
            let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        else {
            throw FixtureError("scenario \(name) failed (\(result.status)): \(result.stderr)\nserver log:\n\(server.logText)")
        }
        return object
    }
}
