// `chappe serve` as an operator runs it: start, status, reload (good and
// broken), refusal of a second server, SIGTERM.
import Foundation
import Testing

@Suite("chappe serve", .serialized)
struct ServeTests {
    @Test func statusReloadAndStop() async throws {
        let sandbox = try Sandbox()
        let config = ["--config", sandbox.configFile.path]
        let server = try RunningServer(config: sandbox.configFile)
        try await server.waitForLog("listening control")
        #expect(server.logText.contains("created a self-signed certificate for mail.sandbox.test"))
        #expect(server.logText.contains("SHA-256 fingerprint"))

        let status = try Chappe.run(["status"] + config)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("chappe running since"))
        #expect(status.stdout.contains("control: 1 connection"))

        let reloaded = try Chappe.run(["reload"] + config)
        #expect(reloaded.status == 0, "\(reloaded.stderr)")
        #expect(reloaded.stdout.contains("reloaded"))

        try sandbox.writeConfig(extra: "log_level = \"loud\"\nbogus_key = 1\n")
        let refused = try Chappe.run(["reload"] + config)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("log_level"))
        #expect(refused.stderr.contains("bogus_key"))
        #expect(refused.stderr.contains("still running with the previous one"))

        let stillServing = try Chappe.run(["status"] + config)
        #expect(stillServing.status == 0)

        try sandbox.writeConfig(extra: "log_level = \"debug\"\n")
        let fixed = try Chappe.run(["reload"] + config)
        #expect(fixed.status == 0, "\(fixed.stderr)")

        #expect(try await server.stop() == 0)
        #expect(server.logText.contains("chappe stopped"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.spool.appendingPathComponent("control.sock").path))

        let afterStop = try Chappe.run(["status"] + config)
        #expect(afterStop.status == 1)
        #expect(afterStop.stderr.contains("no chappe server is running"))
    }

    @Test func controlSocketIsOwnerOnly() async throws {
        let sandbox = try Sandbox()
        let server = try RunningServer(config: sandbox.configFile)
        try await server.waitForLog("chappe started")
        let attributes = try FileManager.default.attributesOfItem(
            atPath: sandbox.spool.appendingPathComponent("control.sock").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try await server.stop() == 0)
    }

    @Test func aSecondServerOnTheSameDataIsRefused() async throws {
        let sandbox = try Sandbox()
        let server = try RunningServer(config: sandbox.configFile)
        try await server.waitForLog("chappe started")
        let second = try Chappe.run(["serve", "--config", sandbox.configFile.path])
        #expect(second.status == 2)
        #expect(second.stderr.contains("another chappe serve is running"))
        #expect(try await server.stop() == 0)
    }

    @Test func invalidConfigurationExitsWithStatus2() throws {
        let sandbox = try Sandbox()
        try sandbox.writeConfig(raw: "[imap]\nlisten = [\"127.0.0.1:99999\"]\n")
        let result = try Chappe.run(["serve", "--config", sandbox.configFile.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("[imap] listen"))
    }

    @Test func unknownServiceInOnlyExitsWithStatus2() throws {
        let sandbox = try Sandbox()
        let result = try Chappe.run(["serve", "--config", sandbox.configFile.path, "--only", "smtp,gopher"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("gopher"))
    }
}
