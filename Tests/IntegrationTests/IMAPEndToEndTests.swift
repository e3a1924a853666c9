// The IMAP server of the real binary, judged by real clients (DESIGN.md
// rule 6): Python's imaplib (Scripts/imap_scenarios.py) through every
// command family, curl, and mbsync mirroring an account both ways, over
// loopback, against mail delivered by our own SMTP server.
import Foundation
import Testing

@Suite("IMAP end to end", .serialized)
struct IMAPEndToEndTests {
    // MARK: - imaplib

    @Test func imaplibCoversEachCommandFamily() async throws {
        let imap = try await IMAPFixture.start()
        let out = try await imap.scenario("families")
        let capabilities = try #require(out["capabilities"] as? [String])
        for expected in ["IMAP4REV1", "IMAP4REV2", "STARTTLS", "AUTH=PLAIN", "IDLE", "UIDPLUS", "MOVE", "CONDSTORE", "ESEARCH"] {
            #expect(capabilities.contains(expected), "\(capabilities)")
        }
        #expect(out["namespace"] as? [String] == ["((\"\" \".\")) NIL NIL"])
        let list = try #require(out["list"] as? [String])
        #expect(list.first == "(\\HasNoChildren) \".\" INBOX")
        #expect(list.contains("(\\HasNoChildren \\Sent) \".\" Sent"))
        #expect(out["lsub_work"] as? [String] == ["(\\HasNoChildren) \".\" Work"])
        let status = try #require((out["status"] as? [String])?.first)
        #expect(status.hasPrefix("INBOX (MESSAGES 2 UIDNEXT 3 UNSEEN 2 DELETED 0 SIZE "), "\(status)")
        #expect(out["examine_store"] as? String == "NO")
        let flags = try #require(out["fetch_flags"] as? [String])
        #expect(flags.count == 2 && flags[0].hasPrefix("1 (UID 1 FLAGS (\\Recent) RFC822.SIZE "))
        let envelope = try #require((out["envelope"] as? [String])?.first)
        #expect(envelope.contains("\"first\" ((\"Bob\" NIL \"bob\" \"remote.example\"))"), "\(envelope)")
        #expect(envelope.hasSuffix("\"<first@remote.example>\"))"))
        #expect(out["bodystructure"] as? [String] == ["2 (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7BIT\" 10 2 NIL NIL NIL NIL))"])
        let fields = try #require((out["header_fields"] as? [Any])?.first as? [String])
        #expect(fields.last == "From: Bob <bob@remote.example>\r\nSubject: first\r\n\r\n")
        let binary = try #require((out["binary"] as? [Any])?.first as? [String])
        #expect(binary == ["2 (BINARY[1] {10}", "one\r\ntwo\r\n"])
        let body = try #require(hexBytes(out["body_hex"]))
        #expect(String(decoding: body, as: UTF8.self).hasSuffix("Subject: second\r\nMessage-ID: <second@remote.example>\r\n\r\none\r\ntwo\r\n"))
        #expect(out["flags_after_body"] as? [String] == ["2 (FLAGS (\\Seen \\Recent))"])
        #expect(out["search_unseen"] as? [String] == ["1"])
        #expect(out["search_body"] as? [String] == ["1"])
        #expect(out["search_or"] as? [String] == ["2"])
        #expect(out["uid_search"] as? [String] == ["1"])
        #expect((out["esearch_untagged"] as? [String])?.first?.hasSuffix("MIN 1 MAX 2 COUNT 2") == true)
        #expect((out["store"] as? [String])?.first?.contains("FLAGS (\\Flagged \\Recent $Label1)") == true)
        #expect((out["copy"] as? [String])?.first?.hasPrefix("[COPYUID ") == true)
        #expect(out["after_move"] as? [String] == ["1 (UID 1)"])
        #expect((out["append"] as? [String])?.first?.hasPrefix("[APPENDUID ") == true)
        #expect((out["append_trycreate"] as? [Any])?.first as? String == "NO")
        #expect(out["after_expunge"] as? [String] == ["INBOX (MESSAGES 0)"])
        #expect(out["work_after_close"] as? [String] == ["Work (MESSAGES 0)"])
        #expect(out["logout"] as? String == "BYE")
        try await imap.stop()
    }

    @Test func idleSeesAnSMTPDelivery() async throws {
        let imap = try await IMAPFixture.start()
        let out = try await imap.scenario("idle")
        #expect(out["continuation"] as? String == "+ idling")
        #expect(out["untagged"] as? String == "* 1 EXISTS")
        #expect((out["done"] as? String)?.hasSuffix("OK IDLE terminated") == true)
        try await imap.stop()
    }

    @Test func twoSessionsSeeEachOthersStoreAndExpunge() async throws {
        let imap = try await IMAPFixture.start()
        let out = try await imap.scenario("two-sessions")
        #expect(out["alpha_sees_store"] as? [String] == ["2 (UID 2 FLAGS (\\Flagged \\Recent))"])
        #expect(out["beta_sees_store"] as? [String] == ["2 (UID 2 FLAGS (\\Flagged \\Seen))"])
        // RFC 9051 §7.5.1: no EXPUNGE while FETCH runs; the next NOOP has it.
        #expect((out["alpha_no_expunge_during_fetch"] as? [Any])?.first is NSNull)
        #expect(out["alpha_sees_expunge"] as? [String] == ["1"])
        #expect(out["alpha_after"] as? [String] == ["1 (UID 2 FLAGS (\\Flagged \\Seen \\Recent))"])
        try await imap.stop()
    }

    @Test func startTLSAndImapsWhenPlaintextIsRefused() async throws {
        let imap = try await IMAPFixture.start(plaintextOnLoopback: false)
        let out = try await imap.scenario("starttls", "\(imap.imapsPort)")
        let before = try #require(out["capabilities_before"] as? [String])
        #expect(before.contains("STARTTLS") && before.contains("LOGINDISABLED") && !before.contains("AUTH=PLAIN"))
        #expect((out["login_before_tls"] as? String)?.contains("PRIVACYREQUIRED") == true)
        let after = try #require((out["capabilities_after"] as? [String])?.first)
        #expect(!after.contains("STARTTLS") && after.contains("AUTH=PLAIN"))
        #expect(out["select"] as? [String] == ["0"])
        #expect(out["imaps_select"] as? [String] == ["0"])
        try await imap.stop()
    }

    @Test func wrongPasswordsAreRefusedThenTheConnectionIsClosed() async throws {
        let imap = try await IMAPFixture.start()
        let out = try await imap.scenario("wrong-password", "3")
        let replies = try #require(out["replies"] as? [String])
        #expect(replies.count == 3 && replies.allSatisfy { $0.contains("AUTHENTICATIONFAILED") }, "\(replies)")
        #expect(out["closed"] as? Bool == true)
        try await imap.stop()
    }

    // MARK: - curl

    @Test func curlListsAndFetches() async throws {
        let imap = try await IMAPFixture.start()
        _ = try await imap.scenario("deliver", "by curl")
        let base = "imap://127.0.0.1:\(imap.imapPort)"
        let list = try await runTool("curl", ["-sS", "--max-time", "20", "-u", imap.credentials, base + "/"])
        #expect(list.status == 0, "\(list.stderr)")
        let listing = String(decoding: list.stdout, as: UTF8.self)
        #expect(listing.hasPrefix("* LIST (\\HasNoChildren) \".\" INBOX\r\n") && listing.contains("\\Drafts"), "\(listing)")
        let message = try await runTool("curl", ["-sS", "--max-time", "20", "-u", imap.credentials, base + "/INBOX;UID=1"])
        #expect(message.status == 0, "\(message.stderr)")
        let text = String(decoding: message.stdout, as: UTF8.self)
        #expect(text.contains("Subject: by curl\r\n") && text.hasSuffix("\r\n\r\nabout by curl\r\n"), "\(text)")
        let search = try await runTool("curl", ["-sS", "--max-time", "20", "-u", imap.credentials, base + "/INBOX?SUBJECT%20curl"])
        #expect(String(decoding: search.stdout, as: UTF8.self) == "* SEARCH 1\r\n")
        try await imap.stop()
    }

    @Test func curlWithSSLRequiredUsesSTARTTLSAndImapsWorks() async throws {
        let imap = try await IMAPFixture.start(plaintextOnLoopback: false)
        let refused = try await runTool(
            "curl", ["-sS", "--max-time", "20", "-u", imap.credentials, "imap://127.0.0.1:\(imap.imapPort)/"])
        #expect(refused.status != 0, "a password without TLS must be refused")
        let starttls = try await runTool(
            "curl", ["-sS", "--max-time", "20", "--ssl-reqd", "-k", "-u", imap.credentials, "imap://127.0.0.1:\(imap.imapPort)/"])
        #expect(starttls.status == 0, "\(starttls.stderr)")
        #expect(String(decoding: starttls.stdout, as: UTF8.self).contains("\".\" INBOX"))
        let imaps = try await runTool(
            "curl", ["-sS", "--max-time", "20", "-k", "-u", imap.credentials, "imaps://127.0.0.1:\(imap.imapsPort)/INBOX?ALL"])
        #expect(imaps.status == 0, "\(imaps.stderr)")
        #expect(String(decoding: imaps.stdout, as: UTF8.self) == "* SEARCH\r\n")
        try await imap.stop()
    }

    // MARK: - mbsync

    /// mbsync (isync) mirrors the account into a local Maildir, changes made
    /// on either side travel both ways, and a third run has nothing to do.
    @Test func mbsyncMirrorsBothWaysThenHasNothingToDo() async throws {
        let imap = try await IMAPFixture.start()
        _ = try await imap.scenario("deliver", "keep", "flag here", "delete here", "flag there", "delete there")
        let local = imap.sandbox.root.appendingPathComponent("mirror")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        let rc = imap.sandbox.root.appendingPathComponent("mbsyncrc")
        try """
            IMAPAccount chappe
            Host 127.0.0.1
            Port \(imap.imapPort)
            User \(imap.address)
            Pass "\(imap.password)"
            SSLType None
            AuthMechs LOGIN

            IMAPStore remote
            Account chappe

            MaildirStore local
            Path \(local.path)/
            Inbox \(local.path)/INBOX
            SubFolders Verbatim

            Channel mirror
            Far :remote:
            Near :local:
            Patterns *
            Create Both
            Remove Both
            Expunge Both
            SyncState *

            """.write(to: rc, atomically: true, encoding: .utf8)
        let first = try await runTool("mbsync", ["-c", rc.path, "mirror"])
        #expect(first.status == 0, "\(first.stderr)")
        let inbox = local.appendingPathComponent("INBOX")
        #expect(try Mirror.messages(in: inbox).count == 5)

        // Near side: a new message, a flag, a deletion.
        try Data("Subject: made in the mirror\r\n\r\nlocal\r\n".utf8)
            .write(to: inbox.appendingPathComponent("new/1700000000.1.mirror"))
        try Mirror.addFlag("F", toMessageWithSubject: "flag here", in: inbox)
        try Mirror.remove(messageWithSubject: "delete here", in: inbox)
        // Far side: a new folder with a message, a flag, a deletion.
        _ = try await imap.scenario("server-changes", "flag there", "delete there")

        let second = try await runTool("mbsync", ["-c", rc.path, "mirror"])
        #expect(second.status == 0, "\(second.stderr)")
        let state = try await imap.scenario("state")
        let server = try #require(state["INBOX"] as? [[String: Any]])
        let subjects = server.compactMap { $0["subject"] as? String }
        #expect(subjects == ["flag here", "flag there", "keep", "made in the mirror"], "\(subjects)")
        #expect(server.first { $0["subject"] as? String == "flag here" }?["flags"] as? [String] == ["\\Flagged"])
        #expect(try Mirror.flags(ofMessageWithSubject: "flag there", in: inbox)?.contains("R") == true)
        #expect(try Mirror.messages(in: inbox).count == 4)
        #expect(try Mirror.messages(in: local.appendingPathComponent("FromServer")).count == 1)

        // Nothing left to do: no command that changes anything, no file moved.
        let before = try Mirror.files(under: local)
        let third = try await runTool("mbsync", ["-Dn", "-c", rc.path, "mirror"])
        #expect(third.status == 0, "\(third.stderr)")
        // ">>> TAG COMMAND ..." (or ">>> TAG UID COMMAND ...") per command sent.
        let commands = (String(decoding: third.stdout, as: UTF8.self) + third.stderr)
            .split(whereSeparator: \.isNewline).compactMap { line -> String? in
                guard let start = line.range(of: ">>> ") else { return nil }
                let words = line[start.upperBound...].split(separator: " ").dropFirst()
                return words.first == "UID" ? words.dropFirst().first.map(String.init) : words.first.map(String.init)
            }
        #expect(commands.contains("SELECT"), "mbsync -Dn showed no commands: \(commands)")
        let changing = commands.filter { ["APPEND", "STORE", "EXPUNGE", "CREATE", "DELETE", "MOVE", "COPY"].contains($0) }
        #expect(changing.isEmpty, "\(changing)")
        #expect(try Mirror.files(under: local) == before)
        try await imap.stop()
    }
}

/// The mbsync side: a Maildir tree whose message files mbsync names
/// "...,U=n:2,FLAGS".
enum Mirror {
    static func messages(in folder: URL) throws -> [URL] {
        try ["new", "cur"].flatMap { sub -> [URL] in
            let directory = folder.appendingPathComponent(sub)
            guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
            return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        }
    }

    static func message(withSubject subject: String, in folder: URL) throws -> URL? {
        // mbsync keeps messages with LF line ends.
        try messages(in: folder).first { file in
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            return text.split(whereSeparator: \.isNewline).contains { $0 == "Subject: \(subject)" }
        }
    }

    static func flags(ofMessageWithSubject subject: String, in folder: URL) throws -> String? {
        guard let file = try message(withSubject: subject, in: folder) else { return nil }
        let name = file.lastPathComponent
        guard let range = name.range(of: ":2,") else { return "" }
        return String(name[range.upperBound...])
    }

    /// Adds a Maildir flag letter, keeping the letters sorted; moves the file to cur/.
    static func addFlag(_ letter: Character, toMessageWithSubject subject: String, in folder: URL) throws {
        let file = try #require(try message(withSubject: subject, in: folder))
        let name = file.lastPathComponent
        let base = name.range(of: ":2,").map { String(name[..<$0.lowerBound]) } ?? name
        let flags = String((Set(try flags(ofMessageWithSubject: subject, in: folder) ?? "").union([letter])).sorted())
        let target = folder.appendingPathComponent("cur").appendingPathComponent(base + ":2," + flags)
        try FileManager.default.moveItem(at: file, to: target)
    }

    static func remove(messageWithSubject subject: String, in folder: URL) throws {
        try FileManager.default.removeItem(at: try #require(try message(withSubject: subject, in: folder)))
    }

    /// Every file below `root`, relative, sorted.
    static func files(under root: URL) throws -> [String] {
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var files: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            files.append(String(url.path.dropFirst(root.path.count)))
        }
        return files.sorted()
    }
}
