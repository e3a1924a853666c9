// The one-shot commands of the real binary: check-config and user, with
// DESIGN.md's exit statuses (0 ok, 1 runtime failure, 2 usage or config).
import Foundation
import Testing

@Suite("chappe command line")
struct CommandLineTests {
    @Test func checkConfigPrintsTheEffectiveConfiguration() throws {
        let sandbox = try Sandbox()
        let result = try Chappe.run(["check-config", "--config", sandbox.configFile.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("hostname = \"mail.sandbox.test\""))
        #expect(result.stdout.contains("data_dir = \"\(sandbox.spool.path)\""))
    }

    @Test func checkConfigNamesAMisspeltKey() throws {
        let sandbox = try Sandbox()
        try sandbox.writeConfig(raw: "[smtp]\nlistne = [\"127.0.0.1:2025\"]\n")
        let result = try Chappe.run(["check-config", "--config", sandbox.configFile.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("[smtp] listne: unknown key"))
        #expect(result.stderr.contains("did you mean \"listen\""))
    }

    @Test func checkConfigReportsEveryProblem() throws {
        let sandbox = try Sandbox()
        try sandbox.writeConfig(raw: "log_level = \"loud\"\n[pop3]\nidle_timeout = \"ten minutes\"\n")
        let result = try Chappe.run(["check-config", "--config", sandbox.configFile.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("log_level"))
        #expect(result.stderr.contains("[pop3] idle_timeout"))
    }

    @Test func missingConfigFileIsAUsageError() throws {
        let result = try Chappe.run(["check-config", "--config", "/nonexistent/chappe.toml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/chappe.toml"))
    }

    @Test func unknownCommandIsAUsageError() throws {
        #expect(try Chappe.run(["frobnicate"]).status == 2)
        #expect(try Chappe.run(["user", "add"]).status == 2)
    }

    @Test func userAddListPasswdDelete() throws {
        let sandbox = try Sandbox()
        let config = ["--config", sandbox.configFile.path]
        let password = "correct horse battery staple"

        let added = try Chappe.run(["user", "add", "Alice@Example.TEST"] + config + ["--password-stdin"], stdin: password + "\n")
        #expect(added.status == 0, "\(added.stderr)")

        let listed = try Chappe.run(["user", "list"] + config)
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("Alice@example.test"))

        let database = try Data(contentsOf: sandbox.spool.appendingPathComponent("accounts.sqlite"))
        #expect(database.range(of: Data(password.utf8)) == nil, "the password is stored in clear")
        let attributes = try FileManager.default.attributesOfItem(atPath: sandbox.spool.appendingPathComponent("accounts.sqlite").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let duplicate = try Chappe.run(["user", "add", "alice@example.test"] + config + ["--password-stdin"], stdin: "other\n")
        #expect(duplicate.status == 1)
        #expect(duplicate.stderr.contains("already exists"))

        let changed = try Chappe.run(["user", "passwd", "alice@example.test"] + config + ["--password-stdin"], stdin: "new one\n")
        #expect(changed.status == 0, "\(changed.stderr)")

        let deleted = try Chappe.run(["user", "del", "alice@example.test"] + config)
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(try Chappe.run(["user", "list"] + config).stdout.isEmpty)

        let again = try Chappe.run(["user", "del", "alice@example.test"] + config)
        #expect(again.status == 1)
    }

    @Test func userAddRefusesBadInput() throws {
        let sandbox = try Sandbox()
        let config = ["--config", sandbox.configFile.path]
        let invalid = try Chappe.run(["user", "add", "not-an-address"] + config + ["--password-stdin"], stdin: "x\n")
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("not-an-address"))
        let empty = try Chappe.run(["user", "add", "bob@example.test"] + config + ["--password-stdin"], stdin: "\n")
        #expect(empty.status != 0)
        let noTerminal = try Chappe.run(["user", "add", "bob@example.test"] + config)
        #expect(noTerminal.status == 2)
        #expect(noTerminal.stderr.contains("--password-stdin"))
    }
}
