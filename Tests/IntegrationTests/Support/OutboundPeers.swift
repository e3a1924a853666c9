// The peers of the outbound end-to-end tests (OutboundEndToEndTests.swift):
// an aiosmtpd sink under the tests' control (Scripts/smtp_sink.py), a
// `chappe serve` whose queue delivers to it (through relay_host, or through
// MX records served by its own DNS service), and a Postfix instance that
// delivers into a Maildir (Scripts/postfix_mx.sh). Every process here is
// killed when its owner goes away, also when a test fails.
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum OutboundScripts {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The interpreter behind `python3` (pyenv's shim is a script): started
    /// directly, its process id is the one to signal.
    static func python() async throws -> String {
        let (status, output, errors) = try await smtpRunTool("python3", ["-c", "import sys; print(sys.executable)"])
        let path = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0, !path.isEmpty else {
            throw SMTPFixtureError("python3 does not run: \(String(decoding: errors, as: UTF8.self))")
        }
        return path
    }
}

// MARK: - The sink

/// One transaction the sink saw (a line of transactions.jsonl or a message file).
struct SinkTransaction {
    let mailFrom: String
    let mailOptions: [String]
    let recipients: [String]
    let data: [UInt8]
    let tls: Bool
    let helo: String
    let local: String
    let reply: String

    init?(_ object: Any) {
        guard let object = object as? [String: Any], let mailFrom = object["mail_from"] as? String,
            let recipients = object["rcpt_tos"] as? [String], let hexData = object["data"] as? String
        else { return nil }
        self.mailFrom = mailFrom
        self.mailOptions = object["mail_options"] as? [String] ?? []
        self.recipients = recipients
        var bytes: [UInt8] = []
        var index = hexData.startIndex
        while index < hexData.endIndex, let next = hexData.index(index, offsetBy: 2, limitedBy: hexData.endIndex) {
            bytes.append(UInt8(hexData[index..<next], radix: 16) ?? 0)
            index = next
        }
        self.data = bytes
        self.tls = object["tls"] as? Bool ?? false
        self.helo = object["helo"] as? String ?? ""
        self.local = object["local"] as? String ?? ""
        self.reply = object["reply"] as? String ?? ""
    }

    var text: String { String(decoding: data, as: UTF8.self) }
}

/// Scripts/smtp_sink.py on one system-chosen port of each of its hosts.
final class SMTPSink {
    let state: URL
    let port: Int
    private let process: Process

    private init(state: URL, port: Int, process: Process) {
        self.state = state
        self.port = port
        self.process = process
    }

    /// Starts the sink on `hosts` (all on one port) with the script's `options`.
    static func start(hosts: [String] = ["127.0.0.1"], options: [String] = []) async throws -> SMTPSink {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-it-sink-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try await OutboundScripts.python())
        process.arguments = [OutboundScripts.path("smtp_sink.py"), state.path, hosts.joined(separator: ",")] + options
        _ = FileManager.default.createFile(atPath: state.appendingPathComponent("stderr").path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: state.appendingPathComponent("stderr"))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let ready = state.appendingPathComponent("ready.json")
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, process.isRunning {
            if let data = try? Data(contentsOf: ready),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let port = object["port"] as? Int
            {
                return SMTPSink(state: state, port: port, process: process)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let errors = (try? String(contentsOf: state.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: state)
        throw SMTPFixtureError("smtp_sink.py did not start: \(errors)")
    }

    /// Every transaction so far, taken or refused, in order.
    var transactions: [SinkTransaction] {
        let text = (try? String(contentsOf: state.appendingPathComponent("transactions.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))).flatMap(SinkTransaction.init)
        }
    }

    /// The messages taken, in order.
    var messages: [SinkTransaction] {
        let folder = state.appendingPathComponent("messages")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            (try? Data(contentsOf: folder.appendingPathComponent(name)))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) }.flatMap(SinkTransaction.init)
        }
    }

    /// The most connections open at once so far, and the total.
    var connections: (most: Int, total: Int) {
        let data = try? Data(contentsOf: state.appendingPathComponent("connections.json"))
        let object = data.flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
        return (object?["max"] as? Int ?? 0, object?["total"] as? Int ?? 0)
    }

    /// Waits (bounded) until the sink took `count` messages.
    func waitForMessages(_ count: Int) async throws -> [SinkTransaction] {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline, messages.count < count {
            try await Task.sleep(for: .milliseconds(50))
        }
        let found = messages
        #expect(found.count == count, "the sink took \(found.count) messages, not \(count): \(transactions.map(\.reply))")
        return found
    }

    /// SIGTERM, then SIGKILL if it lingers.
    func stop() async {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: state)
    }
}

// MARK: - Our MTA

/// `chappe serve` with [smtp] on a free loopback port (loopback trusted, so it
/// relays), retries every second, one account bob@example.test; with
/// `zone`, [dns] serves it on a free port and is the suite's only resolver.
final class OutboundFixture {
    let sandbox: Sandbox
    let bob = "bob@example.test"
    private(set) var port = 0
    private(set) var dnsPort = 0
    private let smtpKeys: String
    private let zone: String?
    private var server: RunningServer?

    var bobMaildir: URL { sandbox.spool.appendingPathComponent("mail/example.test/bob/Maildir") }
    var log: String { server?.logText ?? "" }

    /// `smtpKeys` go into [smtp] (relay_host, remote_port, …); `retry` is retry_schedule.
    static func start(smtpKeys: String, zone: String? = nil, retry: String = "1s") async throws -> OutboundFixture {
        let fixture = OutboundFixture(
            sandbox: try Sandbox(), smtpKeys: smtpKeys + "\nretry_schedule = [\"\(retry)\"]", zone: zone)
        if let zone {
            let zones = fixture.sandbox.etc.appendingPathComponent("zones")
            try FileManager.default.createDirectory(at: zones, withIntermediateDirectories: true)
            try zone.write(to: zones.appendingPathComponent("remote.test.zone"), atomically: true, encoding: .utf8)
        }
        try fixture.writeConfig()
        let added = try await fixture.chappe(["user", "add", fixture.bob, "--password-stdin"], stdin: "bob pw\n")
        guard added.status == 0 else { throw SMTPFixtureError("chappe user add: \(added.stderr)") }
        try await fixture.startServer()
        return fixture
    }

    private init(sandbox: Sandbox, smtpKeys: String, zone: String?) {
        self.sandbox = sandbox
        self.smtpKeys = smtpKeys
        self.zone = zone
    }

    private func writeConfig() throws {
        port = try LoopbackPort.free()
        var text = """
            data_dir = "../spool"
            hostname = "\(sandbox.hostname)"
            shutdown_timeout = "2s"
            [smtp]
            listen = ["127.0.0.1:\(port)"]
            submission = []
            submissions = []
            local_domains = ["example.test"]
            trusted_networks = ["127.0.0.0/8"]
            remote_connect_timeout = "10s"
            remote_command_timeout = "60s"
            \(smtpKeys)

            """
        if zone != nil {
            dnsPort = try LoopbackPort.free()
            text += """
                [dns]
                listen = ["127.0.0.1:\(dnsPort)"]
                zones = ["zones/remote.test.zone"]
                resolvers = ["127.0.0.1:\(dnsPort)"]
                udp_rate_limit = 0

                """
        } else {
            text += "[dns]\nenabled = false\n"
        }
        text += ["pop3", "imap", "nntp", "ftp", "http"].map { "[\($0)]\nenabled = false\n" }.joined()
        try sandbox.writeConfig(raw: text)
    }

    /// Kills the server with SIGKILL.
    func crash() {
        guard let server else { return }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        self.server = nil
    }

    /// Starts the server; when a chosen port was taken meanwhile, tries new ones.
    func startServer() async throws {
        var lastLog = ""
        for _ in 0..<3 {
            let server = try RunningServer(config: sandbox.configFile, arguments: ["--log-level", "info"])
            let deadline = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < deadline, server.process.isRunning, !server.logText.contains("chappe started") {
                try await Task.sleep(for: .milliseconds(20))
            }
            if server.logText.contains("chappe started") {
                self.server = server
                return
            }
            lastLog = server.logText
            _ = try await server.stop()
            guard lastLog.contains("in use") else { break }
            try writeConfig()
        }
        throw SMTPFixtureError("chappe serve did not start:\n\(lastLog)")
    }

    /// Sends `message` with smtplib (MAIL `options`) to our MX port; throws unless all is taken.
    func send(
        from sender: String, to recipients: [String], _ message: String, options: [String] = ["BODY=8BITMIME"]
    ) async throws {
        try await send(from: sender, to: recipients, bytes: Array(message.utf8), options: options)
    }

    func send(
        from sender: String, to recipients: [String], bytes: [UInt8], options: [String] = ["BODY=8BITMIME"]
    ) async throws {
        let (status, output, errors) = try await smtpRunTool(
            "python3", [OutboundScripts.path("smtp_scenarios.py"), "send", "127.0.0.1", "\(port)", sender,
                        recipients.joined(separator: ","), bytes.map { String(format: "%02x", $0) }.joined(),
                        options.joined(separator: ",")])
        let object = (try? JSONSerialization.jsonObject(with: output)) as? [String: Any]
        guard status == 0, object?["code"] as? Int == 250, (object?["refused"] as? [String: Any])?.isEmpty ?? true else {
            throw SMTPFixtureError("our MX did not take the message: \(object ?? [:]) \(String(decoding: errors, as: UTF8.self))")
        }
    }

    /// Runs the binary (with this configuration unless `configured` is false), off the cooperative pool.
    func chappe(_ arguments: [String], stdin: String? = nil, configured: Bool = true) async throws -> Chappe.Result {
        let arguments = configured ? arguments + ["--config", sandbox.configFile.path] : arguments
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Chappe.run(arguments, stdin: stdin) })
            }
        }
    }

    /// Waits (bounded) until `chappe queue list` says the queue is empty; returns its last output.
    @discardableResult
    func waitForEmptyQueue() async throws -> String {
        let deadline = ContinuousClock.now + .seconds(90)
        var listed = ""
        while ContinuousClock.now < deadline {
            listed = try await chappe(["queue", "list"]).stdout
            if listed.contains("the queue is empty") { return listed }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("the queue never emptied:\n\(listed)\nlog:\n\(log)")
        return listed
    }

    /// Waits (bounded) until `chappe queue list` shows `text`; returns its output.
    @discardableResult
    func waitForQueueList(showing text: String) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(90)
        var listed = ""
        while ContinuousClock.now < deadline {
            listed = try await chappe(["queue", "list"]).stdout
            if listed.contains(text) { return listed }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("`chappe queue list` never showed \"\(text)\":\n\(listed)\nlog:\n\(log)")
        return listed
    }

    /// Waits (bounded) until bob's Maildir holds `count` messages; returns their text.
    func waitForBobsMail(_ count: Int) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(90)
        var files: [URL] = []
        while ContinuousClock.now < deadline {
            files = bobsFiles
            if files.count >= count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(files.count == count, "bob's Maildir holds \(files.count) messages, not \(count); log:\n\(log)")
        return try files.map { String(decoding: try Data(contentsOf: $0), as: UTF8.self) }
    }

    /// The message files in bob's Maildir now.
    var bobsFiles: [URL] {
        ["new", "cur"].flatMap { folder -> [URL] in
            let url = bobMaildir.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            return names.map { url.appendingPathComponent($0) }
        }
    }

    var bobsMailCount: Int { bobsFiles.count }

    func stop() async throws {
        guard let server else { return }
        #expect(try await server.stop() == 0, "\(server.logText)")
        self.server = nil
    }

    deinit {
        if let server, server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
    }
}

// MARK: - Postfix

/// Scripts/postfix_mx.sh: a Postfix instance on a free loopback port that
/// takes mail for one domain and delivers it with virtual(8) into one Maildir.
final class PostfixMX {
    let directory: String
    let port: Int
    private var running = true

    var maildir: String { directory + "/vmail/inbox" }
    var maillog: String { (try? String(contentsOfFile: directory + "/maillog", encoding: .utf8)) ?? "" }

    private init(directory: String, port: Int) {
        self.directory = directory
        self.port = port
    }

    static func start(domain: String) async throws -> PostfixMX {
        // Postfix's daemons run as postfix and nobody: the folder must be reachable by them.
        let directory = "/tmp/chappe-postfix-mx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let port = try LoopbackPort.free()
        let postfix = PostfixMX(directory: directory, port: port)
        let (status, output, errors) = try await smtpRunTool(
            "bash", [OutboundScripts.path("postfix_mx.sh"), "start", directory, "\(port)", domain])
        guard status == 0 else {
            await postfix.stop()
            throw SMTPFixtureError("postfix did not start: \(String(decoding: output + errors, as: UTF8.self))")
        }
        return postfix
    }

    /// Waits (bounded) until the Maildir holds `count` messages; returns their text.
    func waitForMessages(_ count: Int) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(90)
        var files: [String] = []
        while ContinuousClock.now < deadline {
            files = (try? FileManager.default.contentsOfDirectory(atPath: maildir + "/new")) ?? []
            if files.count >= count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(files.count == count, "Postfix's Maildir holds \(files.count) messages; maillog:\n\(maillog)")
        return files.compactMap { try? String(contentsOfFile: maildir + "/new/" + $0, encoding: .utf8) }
    }

    func stop() async {
        guard running else { return }
        running = false
        _ = try? await smtpRunTool("bash", [OutboundScripts.path("postfix_mx.sh"), "stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit {
        guard running else { return }
        // A test that failed before stop(): stop the instance synchronously.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", OutboundScripts.path("postfix_mx.sh"), "stop", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil { process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
