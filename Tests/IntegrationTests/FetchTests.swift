// `chappe fetch`: its parts (URL, mbox format and locking, UIDL memory,
// Maildir writer) as units, then the real binary fetching from our own
// server (pop3 + STLS, pop3s) and from Dovecot's POP3 server.
import Foundation
import NIOCore
import Suite
import Testing
import Transport

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Units

@Suite("chappe fetch: parts")
struct FetchPartsTests {
    @Test func urlsThatParse() throws {
        let encoded = try FetchURL.parse("pop3://alice%40example.test@mail.example.test")
        #expect(encoded == FetchURL(scheme: .pop3, user: "alice@example.test", host: "mail.example.test", port: 110))
        #expect(encoded.description == "pop3://alice%40example.test@mail.example.test:110")
        #expect(try FetchURL.parse("pop3://alice@example.test@mail.example.test").user == "alice@example.test")
        let secure = try FetchURL.parse("POP3S://bob@Mail.Example.Test:2995/")
        #expect(secure.scheme == .pop3s && secure.port == 2995 && secure.user == "bob")
        #expect(secure.description == "pop3s://bob@mail.example.test:2995")
        let literal = try FetchURL.parse("pop3s://carol@[::1]:995")
        #expect(literal.host == "::1" && literal.description == "pop3s://carol@[::1]:995")
        #expect(try FetchURL.parse("pop3://d%C3%A9j%C3%A0@127.0.0.1:1").user == "d\u{E9}j\u{E0}")
        #expect(try FetchURL.parse("imaps://x@host").port == 993)
        let imap = try FetchURL.parse("imaps://x@host")
        #expect(imap.mailbox == "INBOX" && imap.description == "imaps://x@host:993/INBOX")
        let folder = try FetchURL.parse("imap://x@host:2143/Lists%2Fswift%20dev")
        #expect(folder.mailbox == "Lists/swift dev" && folder.port == 2143)
        #expect(folder.description == "imap://x@host:2143/Lists%2Fswift%20dev")
    }

    @Test(arguments: [
        "mail.example.test", "http://alice@host", "pop3://host", "pop3://@host", "pop3://alice:secret@host",
        "pop3://alice@", "pop3://alice@host:0", "pop3://alice@host:70000", "pop3://alice@host:x",
        "pop3://alice@host/INBOX", "pop3://al%4@host", "pop3://alice@[::1", "pop3://alice@[127.0.0.1]",
        "pop3://alice@ho st", "pop3://alice;AUTH=*@host", "imap://alice@host/%ZZ", "imap://alice@host/INBOX?x",
    ])
    func urlsThatAreRefused(_ text: String) {
        #expect(throws: FetchError.self) { try FetchURL.parse(text) }
        do {
            _ = try FetchURL.parse(text)
        } catch {
            #expect(error.kind == .usage)
            #expect(!error.message.contains("secret"))
        }
    }

    @Test func mboxEntryQuotesFromLinesAndUsesLF() {
        let message = Array(
            "Return-Path: <bob@example.test>\r\nSubject: hi\r\n\r\nFrom here\r\n>From there\r\n>>From far\r\nFromage\r\n From x\r\nend".utf8)
        let date = Date(timeIntervalSince1970: 1_700_000_000)  // Tue Nov 14 22:13:20 2023 UTC
        let entry = String(decoding: MboxWriter.entry(for: message, date: date), as: UTF8.self)
        #expect(entry == """
            From bob@example.test Tue Nov 14 22:13:20 2023
            Return-Path: <bob@example.test>
            Subject: hi

            >From here
            >>From there
            >>>From far
            Fromage
             From x
            end


            """)
        let anonymous = String(decoding: MboxWriter.entry(for: Array("Subject: x\r\n\r\nbody\r\n".utf8), date: Date(timeIntervalSince1970: 0)), as: UTF8.self)
        #expect(anonymous.hasPrefix("From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: x\n"))
        #expect(anonymous.hasSuffix("body\n\n"))
    }

    @Test func mboxAppendsLockedAndSeparated() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/inbox.mbox"
        // An mbox written by someone else, without the final blank line.
        try Data("From x Thu Jan  1 00:00:00 1970\nSubject: old\n\nold body".utf8).write(to: URL(fileURLWithPath: path))
        let writer = MboxWriter(path: path, clock: { Date(timeIntervalSince1970: 0) })
        let key = FetchedMessageKey(source: "pop3://a@b:110", uniqueID: "1")
        try await writer.store(ByteBuffer(string: "Subject: one\r\n\r\nFrom me\r\n"), key: key)
        try await writer.store(ByteBuffer(string: "Subject: two\r\n\r\nbye\r\n"), key: key)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == """
            From x Thu Jan  1 00:00:00 1970
            Subject: old

            old body

            From MAILER-DAEMON Thu Jan  1 00:00:00 1970
            Subject: one

            >From me

            From MAILER-DAEMON Thu Jan  1 00:00:00 1970
            Subject: two

            bye


            """)
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"), "the dot-lock is removed")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644 || mode == 0o600)
    }

    @Test func mboxWaitsForAnotherProgramsDotLockThenGivesUp() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/locked.mbox"
        #expect(FileManager.default.createFile(atPath: path + ".lock", contents: Data("1\n".utf8)))
        let writer = MboxWriter(path: path, lockTimeout: .milliseconds(300))
        await #expect(throws: (any Error).self) {
            try await writer.store(ByteBuffer(string: "Subject: x\r\n\r\n"), key: FetchedMessageKey(source: "s", uniqueID: "1"))
        }
        #expect(FileManager.default.fileExists(atPath: path + ".lock"), "someone else's lock is left alone")
        #expect((try? Data(contentsOf: URL(fileURLWithPath: path)))?.isEmpty ?? true)
    }

    @Test func uidlMemoryRemembersPrunesAndSurvivesATornLine() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/state/fetch.uidl"
        do {
            let memory = try UIDLMemory(path: path)
            try memory.record(source: "pop3://a@h:110", uniqueID: "u1")
            try memory.record(source: "pop3://a@h:110", uniqueID: "u2")
            try memory.record(source: "pop3://b@h:110", uniqueID: "u1")
            try memory.record(source: "pop3://a@h:110", uniqueID: "bad id")  // not a UIDL: ignored
            #expect(memory.contains(source: "pop3://a@h:110", uniqueID: "u2"))
        }
        do {
            let memory = try UIDLMemory(path: path)
            #expect(memory.uniqueIDs(of: "pop3://a@h:110") == ["u1", "u2"])
            #expect(memory.uniqueIDs(of: "pop3://b@h:110") == ["u1"])
            try memory.retain(source: "pop3://a@h:110", keeping: ["u2", "u9"])
            #expect(memory.uniqueIDs(of: "pop3://a@h:110") == ["u2"])
        }
        // A crash in the middle of an append leaves a torn last line: dropped on load.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("pop3://a@h:110 u3-torn".utf8))
        try handle.close()
        let memory = try UIDLMemory(path: path)
        #expect(memory.uniqueIDs(of: "pop3://a@h:110") == ["u2"])
        #expect(memory.uniqueIDs(of: "pop3://b@h:110") == ["u1"])
        try memory.record(source: "pop3://a@h:110", uniqueID: "u4")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("pop3://a@h:110 u4\n") && !text.contains("torn"))
    }

    @Test func uidlMemoryIsUsedByOneFetchAtATime() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/fetch.uidl"
        do {
            let first = try UIDLMemory(path: path)
            #expect(throws: FetchError.self) { _ = try UIDLMemory(path: path, lockTimeout: .milliseconds(200)) }
            #expect(first.uniqueIDs(of: "x").isEmpty)
        }
        // Released with the first memory.
        #expect(throws: Never.self) { _ = try UIDLMemory(path: path, lockTimeout: .milliseconds(200)) }
    }

    @Test func maildirWriterPutsDurableFilesInNew() async throws {
        let folder = try TemporaryFolder()
        let writer = try MaildirWriter(path: folder.path + "/Mail/")
        let message = "Subject: x\r\n\r\nbody\r\n"
        let key = FetchedMessageKey(source: "s", uniqueID: nil)
        try await writer.store(ByteBuffer(string: message), key: key)
        try await writer.store(ByteBuffer(string: message), key: key)
        let new = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/Mail/new")
        #expect(new.count == 2 && Set(new).count == 2)
        #expect(new.allSatisfy { $0.hasSuffix(",S=\(message.utf8.count)") && !$0.contains(":") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/Mail/tmp").isEmpty)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/Mail/cur"))
        let stored = try String(contentsOfFile: folder.path + "/Mail/new/" + (new.first ?? ""), encoding: .utf8)
        #expect(stored == message)
    }
}

// MARK: - The binary, from our server

@Suite("chappe fetch: end to end", .serialized)
struct FetchEndToEndTests {
    static let first = POP3EndToEndTests.first
    static let second = POP3EndToEndTests.second
    static let third = "From: dave@example.test\r\nSubject: third\r\n\r\nFrom the third\r\n"

    @Test func pop3WithVerifiedSTLSIntoAMaildirThenDeleted() async throws {
        let pop = try await POP3Fixture.start(plaintextOnLoopback: false, hostname: "localhost")
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)
        let local = try TemporaryFolder()
        let passwordFile = try local.write("password", pop.password + "\n")
        let certificate = pop.sandbox.etc.appendingPathComponent("tls/cert.pem").path
        let url = "pop3://alice%40example.test@localhost:\(pop.port)"
        let fetched = try await fetch([url, "--to", local.path + "/Maildir", "--password-file", passwordFile, "--ca-file", certificate])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.output.contains("fetched 2 of 2 messages"), "\(fetched.output)")
        #expect(try local.maildirMessages("Maildir") == [Self.first, Self.second].sorted())
        #expect(pop.maildirFiles().isEmpty, "deleted on the server after the local fsync")
        #expect(FileManager.default.fileExists(atPath: local.path + "/Maildir/chappe-fetch.uidl"))

        let again = try await fetch([url, "--to", local.path + "/Maildir", "--password-file", passwordFile, "--ca-file", certificate])
        #expect(again.status == 0 && again.output.contains("fetched 0 of 0"), "\(again.stderr)")

        // The self-signed certificate is refused unless trusted or --insecure.
        try pop.deliver(Self.third)
        let untrusted = try await fetch([url, "--to", local.path + "/Maildir", "--password-file", passwordFile])
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("chappe: fetch: "), "\(untrusted.stderr)")
        #expect(pop.maildirFiles().count == 1)
        try await pop.stop()
    }

    @Test func pop3sIntoAnMboxKeepingMessagesFetchesOnlyNewOnes() async throws {
        let pop = try await POP3Fixture.start(plaintextOnLoopback: false)
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)
        let local = try TemporaryFolder()
        let mbox = local.path + "/inbox"
        let url = "pop3s://alice%40example.test@127.0.0.1:\(pop.tlsPort)"
        let environment = [FetchRequest.passwordVariable: pop.password]
        let once = try await fetch([url, "--mbox", mbox, "--keep", "--insecure"], environment: environment)
        #expect(once.status == 0, "\(once.stderr)")
        #expect(once.output.contains("fetched 2 of 2 messages") && once.output.contains("kept on the server"))
        let text = try String(contentsOfFile: mbox, encoding: .utf8)
        #expect(text.components(separatedBy: "\nFrom MAILER-DAEMON ").count == 2 && text.hasPrefix("From MAILER-DAEMON "))
        #expect(text.contains("\n>From the start of a line\n") && text.contains("\n..and one with two\n"))
        #expect(!text.contains("\r"))
        #expect(pop.maildirFiles().count == 2)

        let twice = try await fetch([url, "--mbox", mbox, "--keep", "--insecure"], environment: environment)
        #expect(twice.status == 0 && twice.output.contains("fetched 0 of 2 messages") && twice.output.contains(", 2 fetched before"), "\(twice.output)")
        try pop.deliver(Self.third)
        let third = try await fetch([url, "--mbox", mbox, "--keep", "--insecure", "--quiet"], environment: environment)
        #expect(third.status == 0 && third.output.isEmpty, "\(third.stderr)")
        #expect(try String(contentsOfFile: mbox, encoding: .utf8).contains("\n>From the third\n\n"))
        #expect(pop.maildirFiles().count == 3)
        try await pop.stop()
    }

    /// Into a local account: the delivery id comes from server, user and
    /// UIDL, so a rerun that lost its UIDL memory stores nothing twice.
    @Test func deliverIntoALocalAccountExactlyOnce() async throws {
        let pop = try await POP3Fixture.start()
        try pop.deliver(Self.first)
        try pop.deliver(Self.second)
        let target = try Sandbox()
        let added = try Chappe.run(["user", "add", "bob@example.test", "--config", target.configFile.path, "--password-stdin"], stdin: "x\n")
        #expect(added.status == 0, "\(added.stderr)")
        let local = try TemporaryFolder()
        let state = local.path + "/state.uidl"
        let arguments = [
            "pop3://alice%40example.test@127.0.0.1:\(pop.port)", "--deliver", "bob@example.test", "--config", target.configFile.path,
            "--keep", "--insecure", "--state", state,
        ]
        let environment = [FetchRequest.passwordVariable: pop.password, "HOME": local.path]
        let once = try await fetch(arguments, environment: environment)
        #expect(once.status == 0 && once.output.contains("fetched 2 of 2"), "\(once.stderr)")
        let bobNew = target.spool.appendingPathComponent("mail/example.test/bob/Maildir/new").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: bobNew).count == 2)

        try FileManager.default.removeItem(atPath: state)  // as if the run had crashed before remembering
        let rerun = try await fetch(arguments, environment: environment)
        #expect(rerun.status == 0 && rerun.output.contains("fetched 2 of 2"), "\(rerun.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: bobNew)
        #expect(files.count == 2, "no second copy: \(files)")
        let contents = Set(files.compactMap { FileManager.default.contents(atPath: bobNew + "/" + $0) }.map { String(decoding: $0, as: UTF8.self) })
        #expect(contents == [Self.first, Self.second])

        let unknown = try await fetch(
            ["pop3://alice%40example.test@127.0.0.1:\(pop.port)", "--deliver", "nobody@example.test", "--config", target.configFile.path],
            environment: environment)
        #expect(unknown.status == 2 && unknown.stderr.contains("no local account"), "\(unknown.stderr)")
        try await pop.stop()
    }

    @Test func wrongPasswordAndPlaintextPolicyFailClearly() async throws {
        let pop = try await POP3Fixture.start(plaintextOnLoopback: false)
        try pop.deliver(Self.first)
        let local = try TemporaryFolder()
        let wrong = try await fetch(
            ["pop3://alice%40example.test@127.0.0.1:\(pop.port)", "--to", local.path + "/M", "--insecure"],
            environment: [FetchRequest.passwordVariable: "wrong password"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("[AUTH]") && !wrong.stderr.contains("wrong password"), "\(wrong.stderr)")
        #expect(pop.maildirFiles().count == 1)
        try await pop.stop()
    }

    @Test func badUsageExitsWith2() async throws {
        let local = try TemporaryFolder()
        let environment = [FetchRequest.passwordVariable: "pw"]
        let cases: [([String], String)] = [
            (["pop3://alice@", "--to", local.path], "bad URL"),
            (["pop3://alice:pw@host", "--to", local.path], "password in the URL"),
            (["pop3://alice@host/INBOX", "--to", local.path], "a POP3 URL has no path"),
            (["pop3://alice@host", "--to", local.path, "--mbox", local.path + "/m"], "exactly one"),
            (["pop3://alice@host"], "exactly one"),
            (["pop3://alice@127.0.0.1:1", "--to", local.path, "--password-file", local.path + "/missing"], "--password-file"),
        ]
        for (arguments, message) in cases {
            let result = try await fetch(arguments, environment: environment)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let noPassword = try await fetch(["pop3://alice@127.0.0.1:1", "--to", local.path], environment: [FetchRequest.passwordVariable: ""])
        #expect(noPassword.status == 2 && noPassword.stderr.contains(FetchRequest.passwordVariable))
        let refused = try await fetch(["pop3://alice@127.0.0.1:\(try LoopbackPort.free())", "--to", local.path], environment: environment)
        #expect(refused.status == 1, "\(refused.stderr)")
    }
}

// MARK: - The binary, from Dovecot

@Suite("chappe fetch from Dovecot", .serialized)
struct FetchFromDovecotTests {
    static let messages = [
        "From: one@example.org\nSubject: dovecot one\n\nfirst body\n.leading dot\n",
        "From: two@example.org\nSubject: dovecot two\n\nFrom the second\n",
        "From: three@example.org\nSubject: dovecot three\n\nthird body\n",
    ]

    /// What a POP3 server sends for a Maildir file written with LF: CRLF.
    static var onTheWire: [String] {
        messages.map { $0.replacingOccurrences(of: "\n", with: "\r\n") }.sorted()
    }

    @Test func stlsKeepingThenPop3sDeleting() async throws {
        let dovecot = try await Dovecot.start(messages: Self.messages, tls: true)
        defer { dovecot.stop() }
        let local = try TemporaryFolder()
        let environment = [FetchRequest.passwordVariable: dovecot.password]
        let plain = "pop3://\(dovecot.user)@127.0.0.1:\(dovecot.port)"
        let kept = try await fetch([plain, "--to", local.path + "/Kept", "--keep", "--insecure"], environment: environment)
        #expect(kept.status == 0 && kept.output.contains("fetched 3 of 3"), "\(kept.stderr)\n\(dovecot.log)")
        #expect(try local.maildirMessages("Kept") == Self.onTheWire)
        let again = try await fetch([plain, "--to", local.path + "/Kept", "--keep", "--insecure"], environment: environment)
        #expect(again.status == 0 && again.output.contains("fetched 0 of 3"), "\(again.output) \(again.stderr)")

        let secure = "pop3s://\(dovecot.user)@127.0.0.1:\(dovecot.tlsPort)"
        let moved = try await fetch([secure, "--to", local.path + "/Moved", "--insecure"], environment: environment)
        #expect(moved.status == 0 && moved.output.contains("fetched 3 of 3") && moved.output.contains("deleted 3"), "\(moved.stderr)")
        #expect(try local.maildirMessages("Moved") == Self.onTheWire)
        #expect(dovecot.messageFiles().isEmpty, "Dovecot removed them at QUIT")
    }

    /// IMAP: STARTTLS keeping (UIDVALIDITY.UID remembered), then imaps
    /// deleting (UID STORE \\Deleted, EXPUNGE).
    @Test func imapStartTLSKeepingThenImapsDeleting() async throws {
        let dovecot = try await Dovecot.start(messages: Self.messages, tls: true, imap: true)
        defer { dovecot.stop() }
        let folder = try TemporaryFolder()
        let environment = [FetchRequest.passwordVariable: dovecot.password]
        let plain = "imap://\(dovecot.user)@127.0.0.1:\(dovecot.port)/INBOX"
        let kept = try await fetch([plain, "--to", folder.path + "/md", "--keep", "--insecure"], environment: environment)
        #expect(kept.status == 0 && kept.output.contains("fetched 3 of 3"), "\(kept.stderr)\n\(dovecot.log)")
        // IMAP sends the messages with CRLF, as POP3 does.
        #expect(try folder.maildirMessages("md") == Self.onTheWire)
        let again = try await fetch([plain, "--to", folder.path + "/md", "--keep", "--insecure"], environment: environment)
        #expect(again.status == 0 && again.output.contains("fetched 0 of 3"), "\(again.output)")
        let secure = "imaps://\(dovecot.user)@127.0.0.1:\(dovecot.tlsPort)"
        let deleting = try await fetch([secure, "--to", folder.path + "/md2", "--insecure"], environment: environment)
        #expect(deleting.status == 0 && deleting.output.contains("fetched 3 of 3"), "\(deleting.stderr)\n\(dovecot.log)")
        #expect(dovecot.messageFiles().isEmpty, "expunged after the local fsync")
    }

    @Test func aServerWithoutSTLSNeedsAllowPlaintext() async throws {
        let dovecot = try await Dovecot.start(messages: Self.messages, tls: false)
        defer { dovecot.stop() }
        let local = try TemporaryFolder()
        let environment = [FetchRequest.passwordVariable: dovecot.password]
        let url = "pop3://\(dovecot.user)@127.0.0.1:\(dovecot.port)"
        let refused = try await fetch([url, "--mbox", local.path + "/mbox"], environment: environment)
        #expect(refused.status == 1 && refused.stderr.contains("STLS"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: local.path + "/mbox"))
        let allowed = try await fetch([url, "--mbox", local.path + "/mbox", "--allow-plaintext", "--keep"], environment: environment)
        #expect(allowed.status == 0 && allowed.output.contains("fetched 3 of 3"), "\(allowed.stderr)\n\(dovecot.log)")
        let text = try String(contentsOfFile: local.path + "/mbox", encoding: .utf8)
        #expect(text.contains("Subject: dovecot two\n\n>From the second\n"))
        #expect(dovecot.messageFiles().count == 3)
    }
}

// MARK: - Helpers

struct FetchRun {
    let status: Int32
    let output: String
    let stderr: String
}

/// `chappe fetch ARGS` with the given environment (HOME defaults to a
/// folder that does not exist, so nothing lands in the real home).
func fetch(_ arguments: [String], environment: [String: String] = [:]) async throws -> FetchRun {
    var environment = environment
    if environment["HOME"] == nil { environment["HOME"] = "/nonexistent-chappe-test-home" }
    let result = try await runTool(Chappe.binary.path, ["fetch"] + arguments, environment: environment, timeout: .seconds(60))
    return FetchRun(status: result.status, output: String(decoding: result.stdout, as: UTF8.self), stderr: result.stderr)
}

/// A temporary folder, removed with the value.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-fetch-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The contents of the messages in a Maildir's new/, sorted.
    func maildirMessages(_ name: String) throws -> [String] {
        let new = path + "/" + name + "/new"
        return try FileManager.default.contentsOfDirectory(atPath: new).map {
            String(decoding: FileManager.default.contents(atPath: new + "/" + $0) ?? Data(), as: UTF8.self)
        }.sorted()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A private Dovecot POP3 server (Debian's dovecot-pop3d) on free loopback
/// ports, in a temporary folder, with one passwd-file user and a Maildir;
/// the same setup as ../shared/anchors/dovecot-common.sh. Run as root, mail
/// is owned by nobody (Dovecot refuses UID 0); otherwise by the caller.
final class Dovecot {
    let root: String
    let port: Int
    let tlsPort: Int
    let user = "dove"
    let password = "dove pw"
    private let process: Process

    var maildir: String { root + "/home/\(user)/Maildir" }
    var log: String { (try? String(contentsOfFile: root + "/dovecot.log", encoding: .utf8)) ?? "" }

    private init(root: String, port: Int, tlsPort: Int, process: Process) {
        self.root = root
        self.port = port
        self.tlsPort = tlsPort
        self.process = process
    }

    /// `imap`: Dovecot's IMAP server on the ports instead of POP3.
    static func start(messages: [String], tls: Bool, imap: Bool = false) async throws -> Dovecot {
        let binary = "/usr/sbin/dovecot"
        let service = imap ? "imap" : "pop3"
        guard FileManager.default.isExecutableFile(atPath: binary),
            FileManager.default.fileExists(atPath: "/usr/lib/dovecot/" + service)
        else {
            throw FixtureError(
                "Dovecot's \(service) server is not installed (Debian packages dovecot-core, dovecot-\(service)d; make test installs them)")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-dovecot-\(UUID().uuidString.prefix(8))").path
        let port = try LoopbackPort.free()
        let tlsPort = try LoopbackPort.free()
        let isRoot = getuid() == 0
        let mailUID = isRoot ? (getpwnam("nobody")?.pointee.pw_uid ?? 65534) : getuid()
        let mailGID = isRoot ? (getgrnam("nogroup")?.pointee.gr_gid ?? 65534) : getgid()
        let home = root + "/home/dove"
        for folder in ["run", "state", "home/dove/Maildir/new", "home/dove/Maildir/cur", "home/dove/Maildir/tmp"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        for (index, message) in messages.enumerated() {
            try message.write(toFile: home + "/Maildir/new/\(1_700_000_000 + index).M\(index)P1.test", atomically: false, encoding: .utf8)
        }
        try "dove:{PLAIN}dove pw::::::\n".write(toFile: root + "/passwd", atomically: false, encoding: .utf8)
        var settings = """
            base_dir = \(root)/run
            state_dir = \(root)/state
            instance_name = chappe-test-\(port)
            protocols = \(service)
            listen = 127.0.0.1
            log_path = \(root)/dovecot.log
            auth_mechanisms = plain login
            stats_writer_socket_path =
            mail_location = maildir:~/Maildir
            first_valid_uid = 1
            first_valid_gid = 1
            protocol pop3 {
              pop3_uidl_format = %08Xu%08Xv
            }
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(root)/passwd
            }
            userdb {
              driver = static
              args = uid=\(mailUID) gid=\(mailGID) home=\(root)/home/%u
            }
            service \(service)-login {
              inet_listener \(service) {
                address = 127.0.0.1
                port = \(port)
              }
              inet_listener \(service)s {
                address = 127.0.0.1
                port = \(tls ? tlsPort : 0)
                ssl = yes
              }
            }

            """
        if tls {
            let certificate = root + "/cert.pem"
            let key = root + "/key.pem"
            try SelfSignedCertificate.create(hostname: "localhost", certificatePath: certificate, privateKeyPath: key)
            settings += "ssl = yes\nssl_cert = <\(certificate)\nssl_key = <\(key)\ndisable_plaintext_auth = yes\n"
            if FileManager.default.fileExists(atPath: "/usr/share/dovecot/dh.pem") {
                settings += "ssl_dh = </usr/share/dovecot/dh.pem\n"
            }
        } else {
            settings += "ssl = no\ndisable_plaintext_auth = no\n"
        }
        if !isRoot, let me = getpwuid(getuid()).map({ String(cString: $0.pointee.pw_name) }),
            let group = getgrgid(getgid()).map({ String(cString: $0.pointee.gr_name) })
        {
            settings += "default_internal_user = \(me)\ndefault_login_user = \(me)\ndefault_internal_group = \(group)\n"
            settings += "service \(service)-login {\n  chroot =\n}\n"
        }
        try settings.write(toFile: root + "/dovecot.conf", atomically: false, encoding: .utf8)
        if isRoot {
            for path in [home, home + "/Maildir", home + "/Maildir/new", home + "/Maildir/cur", home + "/Maildir/tmp"]
                + (try FileManager.default.contentsOfDirectory(atPath: home + "/Maildir/new")).map({ home + "/Maildir/new/" + $0 })
            {
                chown(path, mailUID, mailGID)
            }
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-F", "-c", root + "/dovecot.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dovecot = Dovecot(root: root, port: port, tlsPort: tlsPort, process: process)
        // A hang guard only: with the whole suite running on two cores,
        // Dovecot's master and login processes have taken over 20 s to listen.
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if acceptsConnections(port: port) && (!tls || acceptsConnections(port: tlsPort)) { return dovecot }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = dovecot.log
        dovecot.stop()
        throw FixtureError("dovecot did not start:\n\(log)")
    }

    /// The message files left in the Maildir.
    func messageFiles() -> [String] {
        ["new", "cur"].flatMap { (try? FileManager.default.contentsOfDirectory(atPath: maildir + "/" + $0)) ?? [] }
    }

    /// SIGTERM, a short wait, SIGKILL (Dovecot's master can take seconds
    /// waiting for idle login processes; its children exit when it is gone);
    /// then the folder goes.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Whether 127.0.0.1:port accepts a TCP connection now.
func acceptsConnections(port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
