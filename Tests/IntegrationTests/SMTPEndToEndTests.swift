// The MTA of the real binary, judged by real clients (DESIGN.md rule 6):
// Python's smtplib and a raw pipelining client (Scripts/smtp_scenarios.py)
// on the MX and submission ports, `chappe send` with and without a running
// server, and `chappe queue`. Messages must land in the Maildir
// byte-identical, after the Return-Path and Received fields.
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("SMTP end to end", .serialized)
struct SMTPEndToEndTests {
    /// 8-bit header and body, a line that is a single ".", lines starting with dots.
    static let message = "From: carol@remote.test\r\nTo: bob@example.test\r\nSubject: caf\u{E9}\r\n\r\n"
        + "Gr\u{FC}\u{DF}e aus K\u{F6}ln\r\n.\r\n..two dots\r\n.one dot\r\nlast line\r\n"

    @Test func smtplibOnTheMXPortDeliversByteIdentical() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let result = try await smtp.scenario("send", "carol@remote.test", "bob@example.test", hex(Self.message))
        #expect(result["code"] as? Int == 250, "\(result)")
        for feature in ["pipelining", "8bitmime", "size", "enhancedstatuscodes", "starttls", "dsn"] {
            #expect((result["features"] as? [String])?.contains(feature) == true, "EHLO lacks \(feature)")
        }
        let delivered = try await smtp.waitForMessages(1)
        let text = delivered.first ?? []
        #expect(text.starts(with: Array("Return-Path: <carol@remote.test>\r\nReceived: from client.example".utf8)))
        #expect(text.count > Self.message.utf8.count && Array(text.suffix(Self.message.utf8.count)) == Array(Self.message.utf8))
        try await smtp.stop()
    }

    /// A 30 MB message (under the default 35 MiB SIZE limit) arrives whole.
    @Test func thirtyMegabyteMessageWithSmtplib() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let sent = smtp.sandbox.root.appendingPathComponent("big.eml")
        let result = try await smtp.scenario(
            "big", "carol@remote.test", "bob@example.test", "\(30 * 1024 * 1024)", sent.path)
        #expect(result["code"] as? Int == 250, "\(result)")
        #expect(result["size_limit"] as? Int == 36_700_160)
        let message = Array(try Data(contentsOf: sent))
        let delivered = try await smtp.waitForMessages(1).first ?? []
        #expect(message.count >= 30 * 1024 * 1024)
        #expect(delivered.count > message.count && Array(delivered.suffix(message.count)) == message)
        #expect(delivered.starts(with: Array("Return-Path: <carol@remote.test>\r\nReceived: ".utf8)))
        try await smtp.stop()
    }

    @Test func pipelinedTransactionIsAnsweredInOrder() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let result = try await smtp.scenario("pipelined", "carol@remote.test", "bob@example.test", hex(Self.message))
        let group = result["group"] as? [String] ?? []
        #expect(group.map { String($0.prefix(3)) } == ["250", "250", "354"], "\(result)")
        let end = result["end"] as? [String] ?? []
        #expect(end.first?.hasPrefix("250 ") == true, "\(result)")
        let delivered = try await smtp.waitForMessages(1)
        #expect(Array((delivered.first ?? []).suffix(Self.message.utf8.count)) == Array(Self.message.utf8))
        try await smtp.stop()
    }

    @Test func submissionWithStartTLSAndAuthPlain() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let message = "From: bob@example.test\r\nTo: bob@example.test\r\nSubject: note\r\n\r\nto myself\r\n"
        let result = try await smtp.scenario(
            "submission", smtp.address, smtp.password, smtp.address, "bob@example.test,dave@far.test", hex(message),
            port: smtp.submissionPort)
        #expect(result["code"] as? Int == 250, "\(result)")
        #expect((result["before_tls"] as? [String])?.contains("auth") == false)
        #expect((result["after_tls"] as? String)?.contains("PLAIN") == true)
        let delivered = try await smtp.waitForMessages(1)
        let text = String(decoding: delivered.first ?? [], as: UTF8.self)
        #expect(text.hasPrefix("Return-Path: <bob@example.test>\r\nReceived: "))
        #expect(text.contains("with ESMTPSA"))
        #expect(text.hasSuffix(message))
        // The remote recipient stays queued (relay_host refuses connections
        // here), visible to `chappe queue list`.
        let listed = try Chappe.run(["queue", "list", "--config", smtp.sandbox.configFile.path])
        #expect(listed.status == 0)
        #expect(!listed.stdout.contains("dave@far.test  delivered"), "\(listed.stdout)")
        #expect(listed.stdout.contains("bob@example.test  delivered"))
        try await smtp.stop()
    }

    @Test func relayAndUnknownUsersAreRefused() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let relay = try await smtp.scenario("send", "carol@remote.test", "someone@far.test", hex(Self.message))
        let relayReply = (relay["refused"] as? [String: [Any]])?["someone@far.test"]
        #expect(relayReply?.first as? Int == 554, "\(relay)")
        #expect((relayReply?.last as? String)?.hasPrefix("5.7.1") == true)
        let unknown = try await smtp.scenario("send", "carol@remote.test", "nobody@example.test", hex(Self.message))
        let unknownReply = (unknown["refused"] as? [String: [Any]])?["nobody@example.test"]
        #expect(unknownReply?.first as? Int == 550, "\(unknown)")
        #expect((unknownReply?.last as? String)?.hasPrefix("5.1.1") == true)
        try await smtp.stop()
    }

    /// `chappe reload` re-reads the aliases file (as `newaliases` and
    /// `postfix reload` do): a new list takes mail without a restart.
    @Test func reloadReReadsTheAliasesFile() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let before = try await smtp.scenario("send", "carol@remote.test", "team@example.test", hex(Self.message))
        #expect((before["refused"] as? [String: [Any]])?["team@example.test"]?.first as? Int == 550, "\(before)")
        try "# the new list\nteam: bob\n".write(to: smtp.sandbox.etc.appendingPathComponent("aliases"), atomically: true, encoding: .utf8)
        let reloaded = try Chappe.run(["reload", "--config", smtp.sandbox.configFile.path])
        #expect(reloaded.status == 0 && reloaded.stdout.contains("smtp: aliases re-read from"), "\(reloaded.stdout) \(reloaded.stderr)")
        let after = try await smtp.scenario("send", "carol@remote.test", "team@example.test", hex(Self.message))
        #expect(after["code"] as? Int == 250, "\(after)")
        let delivered = try await smtp.waitForMessages(1)
        #expect(Array((delivered.first ?? []).suffix(Self.message.utf8.count)) == Array(Self.message.utf8))
        try await smtp.stop()
    }

    // MARK: - swaks

    /// swaks sends the data file and then CRLF (so a file without a final
    /// line ending arrives as complete lines); that is what must be stored.
    static let swaksData = "From: carol@remote.test\r\nTo: bob@example.test\r\nSubject: sw\u{E4}ks\r\n\r\n"
        + "8-bit: \u{FC}\u{F6}\u{E4}\r\n..two dots\r\n.one dot\r\nend"

    @Test func swaksWithPipeliningOnTheMXPort() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let file = smtp.sandbox.root.appendingPathComponent("swaks.eml")
        try Data(Self.swaksData.utf8).write(to: file)
        let result = try await smtp.swaks([
            "--server", "127.0.0.1", "--port", "\(smtp.port)", "--from", "carol@remote.test", "--to", "bob@example.test",
            "--data", "@" + file.path, "--pipeline",
        ])
        #expect(result.status == 0, "\(result.output)")
        let delivered = try await smtp.waitForMessages(1)
        let sent = Array((Self.swaksData + "\r\n").utf8)
        #expect(Array((delivered.first ?? []).suffix(sent.count)) == sent)
        #expect((delivered.first ?? []).starts(with: Array("Return-Path: <carol@remote.test>\r\nReceived: ".utf8)))
        try await smtp.stop()
    }

    @Test func swaksSubmissionWithStartTLSAndAuthPlain() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let file = smtp.sandbox.root.appendingPathComponent("swaks.eml")
        try Data(Self.swaksData.utf8).write(to: file)
        let result = try await smtp.swaks([
            "--server", "127.0.0.1", "--port", "\(smtp.submissionPort)", "--from", smtp.address, "--to", "bob@example.test",
            "--tls", "--auth", "PLAIN", "--auth-user", smtp.address, "--auth-password", smtp.password,
            "--data", "@" + file.path,
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("AUTH PLAIN"))
        let delivered = try await smtp.waitForMessages(1)
        let sent = Array((Self.swaksData + "\r\n").utf8)
        #expect(Array((delivered.first ?? []).suffix(sent.count)) == sent)
        try await smtp.stop()
    }

    @Test func chappeSendWithARunningServerDeliversAtOnce() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let sent = try Chappe.run(
            ["send", "--config", smtp.sandbox.configFile.path, "-t", "-f", "root@example.test"],
            stdin: "To: bob@example.test\nBcc: hidden@example.test\nSubject: cron\n\noutput\n")
        #expect(sent.status == 0, "\(sent.stderr)")
        let delivered = try await smtp.waitForMessages(1)
        let text = String(decoding: delivered.first ?? [], as: UTF8.self)
        #expect(text.hasPrefix("Return-Path: <root@example.test>\r\nReceived: by mail.sandbox.test (chappe send"))
        #expect(!text.contains("Bcc:"))
        #expect(text.contains("\r\nMessage-ID: <") && text.contains("\r\nDate: ") && text.hasSuffix("\r\n\r\noutput\r\n"))
        try await smtp.stop()
    }

    @Test func chappeSendFriendlyFormBuildsAMIMEMessage() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let attachment = smtp.sandbox.root.appendingPathComponent("report.pdf")
        let pdf = Data("%PDF-1.4\n\u{0}\u{1}binary\u{FF}\n".utf8)
        try pdf.write(to: attachment)
        let sent = try Chappe.run(
            ["send", "--config", smtp.sandbox.configFile.path, "--to", "bob@example.test", "--subject", "R\u{E9}sum\u{E9}",
             "--attach", attachment.path],
            stdin: "Hello Bob,\n.\nthe report is attached.\n")
        #expect(sent.status == 0, "\(sent.stderr)")
        let delivered = String(decoding: try await smtp.waitForMessages(1).first ?? [], as: UTF8.self)
        #expect(delivered.contains("\r\nTo: bob@example.test\r\n"), "\(delivered)")
        #expect(delivered.contains("\r\nSubject: =?utf-8?"))
        #expect(delivered.contains("Content-Type: multipart/mixed; boundary="))
        #expect(delivered.contains("Content-Type: application/pdf; name=report.pdf"))
        #expect(delivered.contains("Content-Disposition: attachment; filename=report.pdf"))
        #expect(delivered.contains(pdf.base64EncodedString()))
        // A line with a single "." is body text here, not the end of input.
        #expect(delivered.contains("Hello Bob,\r\n.\r\nthe report is attached.\r\n"))
        let bad = try Chappe.run(["send", "--config", smtp.sandbox.configFile.path, "--to", "not an address"], stdin: "x\n")
        #expect(bad.status == 2 && bad.stderr.contains("is not an address"), "\(bad.stderr)")
        try await smtp.stop()
    }

    @Test func chappeSendWithoutAServerQueuesForTheNextStart() async throws {
        let smtp = try SMTPFixture.prepare()
        defer { smtp.cleanUp() }
        try smtp.addUser()
        let sent = try Chappe.run(
            ["send", "--config", smtp.sandbox.configFile.path, "bob@example.test", "far@remote.test"],
            stdin: "Subject: queued\n\nwhile down\n")
        #expect(sent.status == 0, "\(sent.stderr)")
        let listed = try Chappe.run(["queue", "list", "--config", smtp.sandbox.configFile.path])
        #expect(listed.stdout.contains("bob@example.test  pending"), "\(listed.stdout)")
        #expect(listed.stdout.contains("far@remote.test  pending"))
        let id = String(listed.stdout.prefix { $0 != " " })
        let shown = try Chappe.run(["queue", "show", id, "--config", smtp.sandbox.configFile.path])
        #expect(shown.status == 0 && shown.stdout.contains("while down"), "\(shown.stderr)")
        // No server: flush has nobody to ask.
        let flushed = try Chappe.run(["queue", "flush", "--config", smtp.sandbox.configFile.path])
        #expect(flushed.status == 1)
        try await smtp.startServer()
        let delivered = try await smtp.waitForMessages(1)
        #expect(String(decoding: delivered.first ?? [], as: UTF8.self).hasSuffix("\r\n\r\nwhile down\r\n"))
        let deleted = try Chappe.run(["queue", "delete", id, "--config", smtp.sandbox.configFile.path])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let after = try Chappe.run(["queue", "list", "--config", smtp.sandbox.configFile.path])
        #expect(after.stdout.contains("the queue is empty"), "\(after.stdout)")
        try await smtp.stop()
    }
}

// MARK: - Crash

@Suite("SMTP kill -9", .serialized)
struct SMTPCrashTests {
    /// DESIGN.md rule 3: every message that got a 250 is delivered exactly
    /// once, whenever the server is killed with SIGKILL. Four clients send
    /// 1,000 messages while the server is killed three times.
    @Test func everyAcknowledgedMessageIsDeliveredExactlyOnce() async throws {
        let smtp = try await SMTPFixture.start()
        defer { smtp.cleanUp() }
        let port = smtp.port
        let clients = (0..<4).map { client in
            Task { try await SMTPFixture.burst(port: port, first: client * 250, count: 250, tries: 50) }
        }
        var generator = SystemRandomNumberGenerator()
        var seen = 0
        for _ in 0..<3 {
            // Kill at a random point while the clients keep sending.
            seen += Int.random(in: 50...200, using: &generator)
            _ = try await smtp.waitForMessages(atLeast: seen)
            smtp.crash()
            try await smtp.startServer()
        }
        var acked: [Int] = []
        for client in clients { acked += try await client.value }
        // Each of the 1,000 messages got its 250, some after a retry.
        #expect(Set(acked.map { $0 / 100 }).count == 1000)
        try await smtp.waitForEmptyQueue()
        var copies: [Int: Int] = [:]
        for message in try await smtp.waitForMessages(atLeast: acked.count) {
            let text = String(decoding: message, as: UTF8.self)
            guard let range = text.range(of: "Subject: crash-") else { continue }
            let number = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
            copies[number, default: 0] += 1
        }
        for number in acked {
            #expect(copies[number] == 1, "message \(number) got 250 and was delivered \(copies[number] ?? 0) times")
        }
        #expect(copies.values.allSatisfy { $0 == 1 }, "a message was delivered twice: \(copies.filter { $0.value > 1 })")
        try await smtp.stop()
    }
}

// MARK: - Fixture

/// A sandbox with [smtp] on free loopback ports, no trusted networks (so
/// loopback is an untrusted client), one account, bob@example.test.
final class SMTPFixture {
    let sandbox: Sandbox
    private(set) var port = 0
    private(set) var submissionPort = 0
    private(set) var submissionsPort = 0
    let address = "bob@example.test"
    let password = "bob pw"
    private var server: RunningServer?

    var maildir: URL { sandbox.spool.appendingPathComponent("mail/example.test/bob/Maildir") }

    private init(sandbox: Sandbox) {
        self.sandbox = sandbox
    }

    static func prepare() throws -> SMTPFixture {
        let fixture = SMTPFixture(sandbox: try Sandbox())
        try fixture.choosePorts()
        return fixture
    }

    static func start() async throws -> SMTPFixture {
        let fixture = try prepare()
        try fixture.addUser()
        try await fixture.startServer()
        return fixture
    }

    /// New free ports, written into the configuration.
    private func choosePorts() throws {
        port = try smtpFreePort()
        submissionPort = try smtpFreePort()
        submissionsPort = try smtpFreePort()
        let smtp = """
            listen = ["127.0.0.1:\(port)"]
            submission = ["127.0.0.1:\(submissionPort)"]
            submissions = ["127.0.0.1:\(submissionsPort)"]
            local_domains = ["example.test"]
            trusted_networks = []
            relay_host = "127.0.0.1:9"
            """
        let others = ["pop3", "imap", "nntp", "ftp", "http", "dns"].map { "[\($0)]\nenabled = false\n" }.joined()
        try sandbox.writeConfig(
            raw: "data_dir = \"../spool\"\nhostname = \"\(sandbox.hostname)\"\nshutdown_timeout = \"2s\"\n[smtp]\n\(smtp)\n\(others)")
    }

    func addUser() throws {
        let added = try Chappe.run(
            ["user", "add", address, "--config", sandbox.configFile.path, "--password-stdin"], stdin: password + "\n")
        guard added.status == 0 else { throw SMTPFixtureError("chappe user add: \(added.stderr)") }
    }

    /// Starts the server; when another process took a chosen port
    /// meanwhile (tests run in parallel), tries again on new ones.
    func startServer() async throws {
        var lastLog = ""
        for _ in 0..<3 {
            let server = try RunningServer(config: sandbox.configFile)
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
            try choosePorts()
        }
        throw SMTPFixtureError("chappe serve did not start:\n\(lastLog)")
    }

    func stop() async throws {
        guard let server else { return }
        #expect(try await server.stop() == 0, "\(server.logText)")
        self.server = nil
    }

    func cleanUp() {
        if let server, server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
    }

    /// Kills the server with SIGKILL.
    func crash() {
        guard let server else { return }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        self.server = nil
    }

    /// Waits (bounded) until data_dir/queue/active is empty.
    func waitForEmptyQueue() async throws {
        let active = sandbox.spool.appendingPathComponent("queue/active").path
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if ((try? FileManager.default.contentsOfDirectory(atPath: active)) ?? []).isEmpty { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the queue never emptied: \((try? FileManager.default.contentsOfDirectory(atPath: active)) ?? [])")
    }

    func waitForMessages(atLeast count: Int) async throws -> [[UInt8]] {
        try await waitForMessages(count, exactly: false)
    }

    /// Waits (bounded) until the Maildir holds `count` messages; returns their bytes.
    func waitForMessages(_ count: Int, exactly: Bool = true) async throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + .seconds(60)
        var files: [URL] = []
        while ContinuousClock.now < deadline {
            files = ["new", "cur"].flatMap { folder -> [URL] in
                let url = maildir.appendingPathComponent(folder)
                return ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).map { url.appendingPathComponent($0) }
            }
            if files.count >= count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(exactly ? files.count == count : files.count >= count, "Maildir holds \(files.count) messages; log:\n\(server?.logText ?? "")")
        return try files.map { Array(try Data(contentsOf: $0)) }
    }

    /// Runs swaks (Debian package, installed by `make test`).
    func swaks(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let (status, output, errors) = try await smtpRunTool("swaks", arguments)
        return (status, String(decoding: output + errors, as: UTF8.self))
    }

    /// Sends messages "crash-ID" to bob, one connection each, each message up
    /// to `tries` times; returns the IDs (number * 100 + attempt) that got 250.
    static func burst(port: Int, first: Int, count: Int, tries: Int = 1) async throws -> [Int] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Scripts/smtp_scenarios.py").path
        let (status, output, errors) = try await smtpRunPython(
            [script, "burst", "127.0.0.1", "\(port)", "bob@example.test", "crash", "\(first)", "\(count)", "\(tries)"])
        guard status == 0, let object = try JSONSerialization.jsonObject(with: output) as? [String: Any],
            let acked = object["acked"] as? [Int]
        else {
            throw SMTPFixtureError("smtp_scenarios.py burst failed (\(status)): \(String(decoding: errors, as: UTF8.self))")
        }
        return acked
    }

    /// Runs a scenario of Scripts/smtp_scenarios.py and returns its JSON object.
    func scenario(_ name: String, _ arguments: String..., port: Int? = nil) async throws -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Scripts/smtp_scenarios.py").path
        let (status, output, errors) = try await smtpRunPython([script, name, "127.0.0.1", "\(port ?? self.port)"] + arguments)
        guard status == 0, let object = try JSONSerialization.jsonObject(with: output) as? [String: Any] else {
            throw SMTPFixtureError("smtp_scenarios.py \(name) failed (\(status)): \(String(decoding: errors, as: UTF8.self))")
        }
        return object
    }
}

struct SMTPFixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func hex(_ text: String) -> String {
    text.utf8.map { String(format: "%02x", $0) }.joined()
}

/// A loopback TCP port that was free a moment ago.
func smtpFreePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw SMTPFixtureError("socket: errno \(errno)") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    guard bound == 0 else { throw SMTPFixtureError("bind: errno \(errno)") }
    let named = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard named == 0 else { throw SMTPFixtureError("getsockname: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

private func smtpRunPython(_ arguments: [String]) async throws -> (Int32, Data, Data) {
    try await smtpRunTool("python3", arguments)
}

/// Runs a tool off the cooperative pool, with a bound on its run time.
func smtpRunTool(_ name: String, _ arguments: [String]) async throws -> (Int32, Data, Data) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            do {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = [name] + arguments
                let output = Pipe()
                let errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                process.standardInput = FileHandle.nullDevice
                try process.run()
                let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
                DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
                let out = output.fileHandleForReading.readDataToEndOfFile()
                let err = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                watchdog.cancel()
                continuation.resume(returning: (process.terminationStatus, out, err))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
