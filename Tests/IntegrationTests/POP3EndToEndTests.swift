// The POP3 server of the real binary, judged by real clients (DESIGN.md
// rule 6): Python's poplib (Scripts/pop3_scenarios.py), curl and fetchmail,
// over loopback, against messages put in with `chappe deliver`.
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("POP3 end to end", .serialized)
struct POP3EndToEndTests {
    static let first = """
        From: bob@example.test\r
        To: alice@example.test\r
        Subject: first\r
        Message-ID: <first@example.test>\r
        \r
        Hello Alice,\r
        .a line that starts with a dot\r
        ..and one with two\r
        From the start of a line\r
        .\r
        last line\r

        """
    static let second = "From: carol@example.test\r\nSubject: second\r\n\r\none\r\ntwo\r\nthree\r\n"

    // MARK: - poplib

    @Test func poplibListsRetrievesAndTopsByteIdentical() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)

        let listing = try await pop.scenario("listing")
        #expect(listing["stat"] as? [Int] == [2, Self.first.utf8.count + Self.second.utf8.count])
        #expect(listing["list"] as? [String] == ["1 \(Self.first.utf8.count)", "2 \(Self.second.utf8.count)"])
        let uidl = try #require(listing["uidl"] as? [String])
        #expect(uidl.count == 2 && Set(uidl.map { $0.split(separator: " ").last ?? "" }).count == 2)
        let capabilities = try #require(listing["capa"] as? [String])
        for expected in ["TOP", "UIDL", "USER", "SASL", "STLS", "PIPELINING", "RESP-CODES"] {
            #expect(capabilities.contains(expected), "CAPA lacks \(expected): \(capabilities)")
        }

        let retrieved = try await pop.scenario("retr", "1")
        #expect(hexBytes(retrieved["message"]) == Array(Self.first.utf8))
        #expect(try await hexBytes(pop.scenario("retr", "2")["message"]) == Array(Self.second.utf8))

        let top = try await pop.scenario("top", "2", "1")
        #expect(hexBytes(top["message"]) == Array("From: carol@example.test\r\nSubject: second\r\n\r\none\r\n".utf8))
        let headerOnly = try await pop.scenario("top", "1", "0")
        #expect(hexBytes(headerOnly["message"]).map { String(decoding: $0, as: UTF8.self) }?.hasSuffix("<first@example.test>\r\n\r\n") == true)
        try await pop.stop()
    }

    /// RFC 1939 §5 and §11: LIST and STAT count the octets as sent, with CRLF; a
    /// message stored with bare LF (what a Unix MDA may hand over) goes out with CRLF.
    @Test func listSizeIsTheSizeOnTheWireForAnLFMessage() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver("Subject: lf\n\nline one\nline two\n")
        let listing = try await pop.scenario("listing")
        let retrieved = try await pop.scenario("retr", "1")
        let sent = try #require(hexBytes(retrieved["message"]))
        #expect(sent == Array("Subject: lf\r\n\r\nline one\r\nline two\r\n".utf8))
        #expect(listing["list"] as? [String] == ["1 \(sent.count)"])
        #expect((listing["stat"] as? [Int])?.last == sent.count)
        #expect(retrieved["reply"] as? String == "+OK \(sent.count) octets")
        try await pop.stop()
    }

    /// A mail reader renames the files (new/ to cur/ with ":2,S") while a
    /// session is open: RETR still finds the message.
    @Test func retrFindsAMessageRenamedAfterLogin() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        let result = try await pop.scenario("retr-after-rename", pop.maildir.path)
        #expect(result["renamed"] as? Int == 1)
        #expect(hexBytes(result["message"]) == Array(Self.first.utf8))
        try await pop.stop()
    }

    @Test func uidlIsStableAcrossSessionsAndARestart() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)
        let once = try await pop.scenario("listing")["uidl"] as? [String]
        let twice = try await pop.scenario("listing")["uidl"] as? [String]
        #expect(once != nil && once == twice)
        try await pop.restart()
        let afterRestart = try await pop.scenario("listing")["uidl"] as? [String]
        #expect(afterRestart == once)
        try await pop.stop()
    }

    @Test func deleThenQuitRemovesTheMessageFromTheMaildir() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)
        let before = try #require(try await pop.scenario("listing")["uidl"] as? [String])
        #expect(pop.maildirFiles().count == 2)

        let result = try await pop.scenario("dele-quit", "1")
        #expect((result["dele"] as? String)?.hasPrefix("+OK") == true)
        #expect(result["stat_after_dele"] as? Int == 1)
        #expect((result["quit"] as? String)?.hasPrefix("+OK") == true)

        #expect(pop.maildirFiles().count == 1)
        let after = try await pop.scenario("listing")
        #expect(after["stat"] as? [Int] == [1, Self.second.utf8.count])
        // The survivor keeps its unique id; it is message 1 now.
        #expect((after["uidl"] as? [String])?.first?.split(separator: " ").last == before.last?.split(separator: " ").last)
        try await pop.stop()
    }

    @Test func deleThenRsetKeepsEverything() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)
        let result = try await pop.scenario("dele-rset", "2")
        #expect(result["after_dele"] as? Int == 1)
        #expect((result["rset"] as? String)?.hasPrefix("+OK") == true)
        #expect(result["after_rset"] as? Int == 2)
        #expect(pop.maildirFiles().count == 2)
        #expect(try await pop.scenario("listing")["stat"] as? [Int] == [2, Self.first.utf8.count + Self.second.utf8.count])
        try await pop.stop()
    }

    @Test func stlsThenAuthPlainWhenPlaintextIsRefused() async throws {
        let pop = try await POP3Fixture.start(plaintextOnLoopback: false)
        try pop.deliver(Self.first)
        let result = try await pop.scenario("stls-auth-plain")
        let before = try #require(result["capa_before"] as? [String])
        #expect(before.contains("STLS") && !before.contains("USER") && !before.contains("SASL"))
        #expect((result["user_before_tls"] as? String)?.hasPrefix("-ERR [AUTH]") == true)
        let after = try #require(result["capa_after"] as? [String])
        #expect(!after.contains("STLS") && after.contains("SASL") && after.contains("USER"))
        #expect((result["auth"] as? String)?.hasPrefix("+OK") == true)
        #expect(result["count"] as? Int == 1)
        try await pop.stop()
    }

    /// poplib's apop() (RFC 1939 §7) once `chappe user apop` set a secret;
    /// before that, and with the password instead of the secret, refused.
    @Test func apopWithASecretSetByChappeUserApop() async throws {
        let pop = try await POP3Fixture.start(plaintextOnLoopback: false)
        try pop.deliver(Self.first)
        let before = try await pop.scenario("apop", "shared secret")
        #expect((before["welcome"] as? String)?.contains("@") == true, "the greeting carries a timestamp")
        #expect((before["error"] as? String)?.hasPrefix("-ERR [AUTH]") == true, "\(before)")
        let set = try Chappe.run(
            ["user", "apop", pop.address, "--secret-stdin", "--config", pop.sandbox.configFile.path], stdin: "shared secret\n")
        #expect(set.status == 0, "\(set.stderr)")
        let after = try await pop.scenario("apop", "shared secret")
        #expect(after["count"] as? Int == 1, "\(after)")
        let withPassword = try await pop.scenario("apop", pop.password)
        #expect((withPassword["error"] as? String)?.hasPrefix("-ERR [AUTH]") == true)
        try await pop.stop()
    }

    @Test func wrongPasswordsAreRefusedThenTheConnectionIsClosed() async throws {
        let pop = try await POP3Fixture.start()
        let result = try await pop.scenario("wrong-password", "3")
        let replies = try #require(result["replies"] as? [String])
        #expect(replies.count == 3)
        #expect(replies.allSatisfy { $0.hasPrefix("-ERR [AUTH]") }, "\(replies)")
        #expect(result["closed"] as? Bool == true)
        try await pop.stop()
    }

    @Test func aSecondConcurrentSessionIsRefusedInUse() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        let result = try await pop.scenario("in-use")
        #expect((result["second"] as? String)?.hasPrefix("-ERR [IN-USE]") == true, "\(result)")
        #expect((result["after_first_quit"] as? String)?.hasPrefix("+OK") == true)
        try await pop.stop()
    }

    @Test func anOverLongLineGetsAnErrorAndTheSessionGoesOn() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        let result = try await pop.scenario("long-line", "3000")
        #expect((result["long"] as? String)?.hasPrefix("-ERR") == true)
        #expect((result["noop"] as? String)?.hasPrefix("+OK") == true)
        #expect(result["count"] as? Int == 1)
        try await pop.stop()
    }

    @Test func pop3sWithImplicitTLS() async throws {
        let pop = try await POP3Fixture.start(plaintextOnLoopback: false)
        try pop.deliver(Self.first)
        let result = try await pop.scenario("pop3s", "1", port: pop.tlsPort)
        #expect(result["count"] as? Int == 1)
        #expect(hexBytes(result["message"]) == Array(Self.first.utf8))
        try await pop.stop()
    }

    // MARK: - curl

    @Test func curlRetrievesByteIdentical() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)
        let list = try await runTool("curl", ["-sS", "--max-time", "20", "-u", pop.credentials, "pop3://127.0.0.1:\(pop.port)/"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(String(decoding: list.stdout, as: UTF8.self) == "1 \(Self.first.utf8.count)\r\n2 \(Self.second.utf8.count)\r\n")
        let message = try await runTool("curl", ["-sS", "--max-time", "20", "-u", pop.credentials, "pop3://127.0.0.1:\(pop.port)/1"])
        #expect(message.status == 0, "\(message.stderr)")
        #expect(Array(message.stdout) == Array(Self.first.utf8))
        try await pop.stop()
    }

    @Test func curlWithSSLRequiredUsesSTLSAndPop3sWorks() async throws {
        let pop = try await POP3Fixture.start(plaintextOnLoopback: false)
        try pop.deliver(Self.second)
        // Without TLS the server refuses the password; with --ssl-reqd curl sends STLS first.
        let refused = try await runTool("curl", ["-sS", "--max-time", "20", "-u", pop.credentials, "pop3://127.0.0.1:\(pop.port)/1"])
        #expect(refused.status != 0)
        let upgraded = try await runTool(
            "curl", ["-sS", "--max-time", "20", "--ssl-reqd", "-k", "-u", pop.credentials, "pop3://127.0.0.1:\(pop.port)/1"])
        #expect(upgraded.status == 0, "\(upgraded.stderr)")
        #expect(Array(upgraded.stdout) == Array(Self.second.utf8))
        let implicit = try await runTool(
            "curl", ["-sS", "--max-time", "20", "-k", "-u", pop.credentials, "pop3s://127.0.0.1:\(pop.tlsPort)/1"])
        #expect(implicit.status == 0, "\(implicit.stderr)")
        #expect(Array(implicit.stdout) == Array(Self.second.utf8))
        try await pop.stop()
    }

    // MARK: - fetchmail

    /// fetchmail (STLS, certificate checked against the server's own
    /// self-signed one) hands each message to `chappe deliver` as its MDA,
    /// into another account's Maildir, and deletes it on the server.
    @Test func fetchmailFetchesIntoAMaildirThroughChappeDeliver() async throws {
        let pop = try await POP3Fixture.start(plaintextOnLoopback: false)
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)
        let bob = "bob@example.test"
        let added = try Chappe.run(["user", "add", bob, "--config", pop.sandbox.configFile.path, "--password-stdin"], stdin: "pw\n")
        #expect(added.status == 0, "\(added.stderr)")

        let home = pop.sandbox.root.appendingPathComponent("fetchmail-home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let certificate = pop.sandbox.etc.appendingPathComponent("tls/cert.pem").path
        let rc = home.appendingPathComponent("fetchmailrc")
        try """
            set no syslog
            poll 127.0.0.1 protocol POP3 port \(pop.port) timeout 20
              user "\(pop.address)" there with password "\(pop.password)" is root here
              sslproto "tls1.2+" sslcertck sslcertfile "\(certificate)" sslcommonname "mail.sandbox.test"
              mda "\(Chappe.binary.path) deliver --config \(pop.sandbox.configFile.path) \(bob)"

            """.write(to: rc, atomically: true, encoding: .utf8)
        chmod(rc.path, 0o600)
        let run = try await runTool(
            "fetchmail", ["-f", rc.path, "--nodetach", "--idfile", home.appendingPathComponent("fetchids").path, "-v"],
            environment: ["HOME": home.path, "FETCHMAILHOME": home.path])
        #expect(run.status == 0, "fetchmail: \(String(decoding: run.stdout, as: UTF8.self)) \(run.stderr)")
        #expect(run.stderr.contains("2 messages") || String(decoding: run.stdout, as: UTF8.self).contains("2 messages"))

        let bobNew = pop.sandbox.spool.appendingPathComponent("mail/example.test/bob/Maildir/new")
        let delivered = try FileManager.default.contentsOfDirectory(atPath: bobNew.path).sorted()
        #expect(delivered.count == 2)
        let texts = delivered.compactMap { FileManager.default.contents(atPath: bobNew.appendingPathComponent($0).path) }
            .map { String(decoding: $0, as: UTF8.self) }
        #expect(texts.contains { $0.contains("Subject: first") && $0.contains("..and one with two") })
        #expect(texts.contains { $0.contains("Subject: second") && $0.contains("three") })
        #expect(pop.maildirFiles().isEmpty, "fetchmail deletes what it fetched")
        try await pop.stop()
    }
}

// MARK: - Fixture

/// `chappe serve` with only POP3, on free loopback ports (plain with STLS,
/// and implicit TLS), and one account.
final class POP3Fixture {
    let sandbox: Sandbox
    private(set) var server: RunningServer
    let port: Int
    let tlsPort: Int
    let address = "alice@example.test"
    let password = "secret pw"

    var credentials: String { "\(address):\(password)" }
    var maildir: URL { sandbox.spool.appendingPathComponent("mail/example.test/alice/Maildir") }

    private init(sandbox: Sandbox, server: RunningServer, port: Int, tlsPort: Int) {
        self.sandbox = sandbox
        self.server = server
        self.port = port
        self.tlsPort = tlsPort
    }

    /// Starts a server; `plaintextOnLoopback` allows USER/PASS without TLS.
    /// Tries new ports if another process took the chosen ones meanwhile.
    static func start(
        plaintextOnLoopback: Bool = true, hostname: String = "mail.sandbox.test", maxAuthFailures: Int = 3
    ) async throws -> POP3Fixture {
        var lastLog = ""
        for _ in 0..<3 {
            let port = try LoopbackPort.free()
            let tlsPort = try LoopbackPort.free()
            let pop3 = """
                listen = ["127.0.0.1:\(port)"]
                tls_listen = ["127.0.0.1:\(tlsPort)"]
                allow_plaintext_loopback = \(plaintextOnLoopback)
                auth_failure_delay = "10ms"
                max_auth_failures = \(maxAuthFailures)
                """
            let sandbox = try Sandbox(services: ["pop3": pop3], hostname: hostname)
            let fixture = POP3Fixture(
                sandbox: sandbox, server: try RunningServer(config: sandbox.configFile), port: port, tlsPort: tlsPort)
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

    func deliver(_ message: String) throws {
        let result = try Chappe.run(["deliver", address, "--config", sandbox.configFile.path], stdin: message)
        guard result.status == 0 else { throw FixtureError("chappe deliver: \(result.stderr)") }
    }

    /// The message files in new/ and cur/.
    func maildirFiles() -> [String] {
        ["new", "cur"].flatMap {
            (try? FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent($0).path)) ?? []
        }
    }

    func restart() async throws {
        #expect(try await server.stop() == 0)
        server = try RunningServer(config: sandbox.configFile)
        guard try await serverStarted() else { throw FixtureError("restart failed:\n\(server.logText)") }
    }

    func stop() async throws {
        #expect(try await server.stop() == 0, "\(server.logText)")
    }

    /// Runs a poplib scenario and returns its JSON object.
    func scenario(_ name: String, _ arguments: String..., port: Int? = nil) async throws -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Scripts/pop3_scenarios.py").path
        let result = try await runTool(
            "python3", [script, name, "127.0.0.1", "\(port ?? self.port)", address, password] + arguments)
        guard result.status == 0,
            let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        else {
            throw FixtureError("scenario \(name) failed (\(result.status)): \(result.stderr)\nserver log:\n\(server.logText)")
        }
        return object
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Bytes from a hex string of the scenario script.
func hexBytes(_ value: Any?) -> [UInt8]? {
    guard let text = value as? String, text.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
        bytes.append(byte)
        index = next
    }
    return bytes
}

// MARK: - Ports and tools

enum LoopbackPort {
    private static let given = Mutex<Set<Int>>([])

    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0,
    /// then closed), never the same twice in this process.
    static func free() throws -> Int {
        for _ in 0..<20 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw FixtureError("socket: errno \(errno)") }
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
                }
            }
            guard bound else { throw FixtureError("bind: errno \(errno)") }
            let port = Int(UInt16(bigEndian: address.sin_port))
            if given.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw FixtureError("no free port")
    }
}

struct ToolResult: Sendable {
    let status: Int32
    let stdout: Data
    let stderr: String
}

/// Runs a program found on PATH to completion, off the test's threads; it
/// is killed after `timeout`.
func runTool(
    _ name: String, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil,
    timeout: Duration = .seconds(90)
) async throws -> ToolResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            do {
                continuation.resume(
                    returning: try runToolBlocking(name, arguments, environment: environment, stdin: stdin, timeout: timeout))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

private func runToolBlocking(
    _ name: String, _ arguments: [String], environment: [String: String], stdin: Data?, timeout: Duration
) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [name] + arguments
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    let output = Pipe()
    let errors = Pipe()
    let input = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = input
    try process.run()
    let pid = process.processIdentifier
    let finished = FinishedFlag()
    DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(timeout.components.seconds))) {
        if !finished.isSet { kill(pid, SIGKILL) }
    }
    if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
    try? input.fileHandleForWriting.close()
    let errorText = LogCollector()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errorText.append(errors.fileHandleForReading.readDataToEndOfFile())
        group.leave()
    }
    let out = output.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    finished.set()
    return ToolResult(status: process.terminationStatus, stdout: out, stderr: errorText.text)
}

private final class FinishedFlag: Sendable {
    private let value = Atomic(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}
