// A real server on 127.0.0.1 (ephemeral ports, MX and submission) driven by
// Python's smtplib (DESIGN.md rule 6): a pipelined envelope, a body with a
// line that is a single ".", an 8-bit body, a refused relay, two sessions
// at once, and submission with STARTTLS and AUTH PLAIN. What the twin
// spool received is then compared byte for byte. Bounded in time.
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import Transport

@testable import SMTP

private let clientScript = #"""
import smtplib, ssl, sys, threading
host, mx, sub = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def check(condition, what):
    if not condition:
        print("FAILED:", what)
        sys.exit(1)

# 1. PIPELINING by hand: MAIL, two RCPT and DATA in one write.
s = smtplib.SMTP(host, mx, local_hostname="client.example", timeout=10)
code, _ = s.ehlo()
check(code == 250 and s.has_extn("pipelining") and s.has_extn("chunking") and s.has_extn("8bitmime"), "ehlo")
check(not s.has_extn("auth"), "no AUTH without TLS")
s.send(b"MAIL FROM:<carol@remote.example>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\nDATA\r\n")
codes = [s.getreply()[0] for _ in range(4)]
check(codes == [250, 250, 550, 354], "pipelined replies %r" % codes)
s.send(b"Subject: pipelined\r\n\r\nline one\r\n..\r\n..two dots\r\nlast\r\n.\r\n")
code, reply = s.getreply()
check(code == 250 and b"queued as" in reply, "end of data %r" % reply)

# 2. A body line that is a single "." (smtplib stuffs it).
s.sendmail("carol@remote.example", ["bob@example.test"], b"Subject: dot\r\n\r\nbefore\r\n.\r\nafter\r\n")

# 3. An 8-bit body.
s.sendmail("carol@remote.example", ["alice@example.test"], "Subject: 8bit\r\n\r\ncafé\r\n".encode("utf-8"),
           mail_options=["BODY=8BITMIME"])

# 4. A relay attempt from an untrusted address.
try:
    s.sendmail("carol@remote.example", ["dave@elsewhere.example"], b"Subject: relay\r\n\r\nx\r\n")
    check(False, "relay accepted")
except smtplib.SMTPRecipientsRefused as refused:
    check(refused.recipients["dave@elsewhere.example"][0] == 554, "relay refusal %r" % refused.recipients)
s.quit()

# 5. Two sessions at once.
errors = []
def session(number):
    try:
        c = smtplib.SMTP(host, mx, local_hostname="client%d.example" % number, timeout=10)
        c.sendmail("carol@remote.example", ["alice@example.test"], ("Subject: parallel %d\r\n\r\nbody\r\n" % number).encode())
        c.quit()
    except Exception as error:
        errors.append(repr(error))
threads = [threading.Thread(target=session, args=(n,)) for n in (1, 2)]
for t in threads: t.start()
for t in threads: t.join(20)
check(not errors, "parallel sessions %r" % errors)

# 6. Submission: nothing before STARTTLS, then AUTH PLAIN and relaying.
c = smtplib.SMTP(host, sub, local_hostname="client.example", timeout=10)
c.ehlo()
check(c.has_extn("starttls") and not c.has_extn("auth"), "submission ehlo before TLS")
code, _ = c.mail("alice@example.test")
check(code == 530, "MAIL before STARTTLS gave %d" % code)
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
c.starttls(context=context)
c.ehlo()
check(c.has_extn("auth") and "PLAIN" in c.esmtp_features["auth"], "AUTH after TLS")
code, _ = c.mail("alice@example.test")
check(code == 530, "MAIL before AUTH gave %d" % code)
c.rset()
c.login("alice@example.test", "secret")
c.sendmail("alice@example.test", ["dave@elsewhere.example"], b"Subject: submitted\r\n\r\nhello\r\n")
c.quit()
print("OK")
"""#

/// Runs python3 with `arguments`, waiting at most `limit`.
private func runPython(_ script: String, _ arguments: [String], limit: Duration) async throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let deadline = ContinuousClock.now + limit
    while process.isRunning && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
    if process.isRunning {
        process.terminate()
        Issue.record("python did not finish within \(limit)")
    }
    process.waitUntilExit()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (process.terminationStatus, output)
}

@Suite("SMTP over loopback with smtplib", .serialized)
struct LoopbackScenarioTests {
    @Test(.timeLimit(.minutes(1)))
    func smtplibSendsThroughTheRealServer() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("chappe-smtp-tests-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SelfSignedCertificate.create(
            hostname: "mx.example.test", certificatePath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem")
        let credentials = try TLSCredentials.load(
            certificatePath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem")

        let spool = MemorySpool()
        let server = SMTPServer.make(
            configuration: SessionHarness.configuration(),
            listeners: [
                ListenerSpec(name: "smtp", endpoint: .tcp(host: "127.0.0.1", port: 0), configKey: "[smtp] listen"),
                ListenerSpec(name: "submission", endpoint: .tcp(host: "127.0.0.1", port: 0), configKey: "[smtp] submission"),
            ],
            limits: SMTPServer.sessionLimits(maxConnections: 16, maxConnectionsPerClient: 16, drainTimeout: .milliseconds(300)),
            tls: credentials.context, spool: spool, authenticator: SessionHarness.users,
            resolver: AliasingRecipientResolver(aliases: SessionHarness.aliases(), directory: SessionHarness.directory),
            group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let endpoints = try await server.bind()
        let ports = endpoints.compactMap { endpoint -> Int? in
            if case .tcp(_, let port) = endpoint { return port }
            return nil
        }
        #expect(ports.count == 2)
        let (status, output) = try await runPython(
            clientScript, ["127.0.0.1", String(ports.first ?? 0), String(ports.last ?? 0)], limit: .seconds(40))
        await server.shutdown()
        #expect(status == 0, "smtplib: \(output)")
        #expect(output.contains("OK"), "smtplib: \(output)")

        let bySubject = Dictionary(
            spool.committed.map { message in
                (message.bodyText.split(separator: "\r\n").first.map(String.init) ?? "", message)
            }, uniquingKeysWith: { first, _ in first })
        #expect(spool.committed.count == 6)
        let pipelined = bySubject["Subject: pipelined"]
        #expect(pipelined?.bodyText == "Subject: pipelined\r\n\r\nline one\r\n.\r\n.two dots\r\nlast\r\n")
        #expect(pipelined?.envelope.recipients.map(\.address.description) == ["alice@example.test"])
        #expect(pipelined?.header.hasPrefix("Received: from client.example (unknown [127.0.0.1])\r\n") == true)
        #expect(bySubject["Subject: dot"]?.bodyText == "Subject: dot\r\n\r\nbefore\r\n.\r\nafter\r\n")
        let eightBit = bySubject["Subject: 8bit"]
        #expect(eightBit?.body == Array("Subject: 8bit\r\n\r\ncafé\r\n".utf8))
        #expect(eightBit?.envelope.body == .eightBitMIME)
        #expect(bySubject["Subject: parallel 1"] != nil)
        #expect(bySubject["Subject: parallel 2"] != nil)
        let submitted = bySubject["Subject: submitted"]
        #expect(submitted?.envelope.authenticatedUser == "alice@example.test")
        #expect(submitted?.envelope.isSubmission == true)
        #expect(submitted?.envelope.recipients.map(\.address.description) == ["dave@elsewhere.example"])
        #expect(submitted?.header.contains("with ESMTPSA id") == true)
        #expect(spool.aborted.isEmpty)
    }

    private static func startServer(
        _ configuration: SMTPConfiguration, perClient: Int
    ) async throws -> (TCPServer<SMTPPerformer>, Int) {
        let server = SMTPServer.make(
            configuration: configuration,
            listeners: [ListenerSpec(name: "smtp", endpoint: .tcp(host: "127.0.0.1", port: 0), configKey: "[smtp] listen")],
            limits: SMTPServer.sessionLimits(maxConnections: 16, maxConnectionsPerClient: perClient, drainTimeout: .seconds(2)),
            tls: nil, spool: MemorySpool(), authenticator: SessionHarness.users,
            resolver: AliasingRecipientResolver(aliases: SessionHarness.aliases(), directory: SessionHarness.directory),
            group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let endpoints = try await server.bind()
        guard case .tcp(_, let port) = endpoints.first else { return (server, 0) }
        return (server, port)
    }

    private static func connect(_ port: Int) async throws -> ClientConnection {
        try await ClientConnection.connect(
            host: "127.0.0.1", port: port, connectTimeout: .seconds(30), readTimeout: .seconds(60),
            maxLineLength: 1024, lineEndings: .strict)
    }

    /// Over the per-client cap: 421 4.7.0; at shutdown: 421 4.3.2.
    @Test(.timeLimit(.minutes(1)))
    func busyAndShutdownReplies() async throws {
        let (server, port) = try await Self.startServer(SessionHarness.configuration(), perClient: 1)
        let first = try await Self.connect(port)
        #expect(try await first.readLine() == "220 mx.example.test ESMTP Chappe")
        let second = try await Self.connect(port)
        #expect(
            try await second.readLine()
                == "421 4.7.0 mx.example.test too many connections from your address, try again later")
        await second.close()
        try await first.send("EHLO client.example\r\n")
        while try await first.readLine().hasPrefix("250-") {}
        async let stopped: Void = server.shutdown()
        #expect(try await first.readLine() == "421 4.3.2 service shutting down, try again later")
        await stopped
        await first.close()
    }

    /// RFC 5321 §4.5.3.2.7 (configured short here): 421 4.4.2 and close.
    @Test(.timeLimit(.minutes(1)))
    func idleSessionsAreClosed() async throws {
        let configuration = SessionHarness.configuration { $0.commandTimeout = .milliseconds(200) }
        let (server, port) = try await Self.startServer(configuration, perClient: 4)
        let client = try await Self.connect(port)
        #expect(try await client.readLine() == "220 mx.example.test ESMTP Chappe")
        #expect(try await client.readLine() == "421 4.4.2 idle timeout, closing connection")
        await client.close()
        await server.shutdown()
    }
}
