// Outbound delivery of the real binary (issue 7's acceptance, DESIGN.md
// rule 6): `chappe serve` takes a message on its MX port from a trusted
// loopback client and its queue runner delivers it to a Python aiosmtpd
// sink (Scripts/smtp_sink.py, its replies scripted per test) or to Postfix
// (Scripts/postfix_mx.sh), through `relay_host` or through MX records that
// the suite's own DNS service serves ([dns] resolvers points at it), with
// `remote_port` on the peer's port and the MX hosts in 127.0.0.0/8.
// Failures come back to the local sender as one RFC 3464 report.
import Foundation
import Testing

@Suite("Outbound SMTP end to end", .serialized, .timeLimit(.minutes(5)))
struct OutboundEndToEndTests {
    /// 8-bit body, a line that is a single ".", lines starting with dots.
    static let message = "From: carol@remote.test\r\nTo: dave@far.test\r\nSubject: outbound\r\n"
        + "Message-ID: <outbound-1@remote.test>\r\nDate: Sun, 22 Nov 2026 04:00:00 +0000\r\n\r\n"
        + "Gr\u{FC}\u{DF}e aus K\u{F6}ln\r\n.\r\n..two dots\r\n.one dot\r\nlast line\r\n"

    /// remote.test: mx1 (127.0.0.2, where nothing listens) before mx2
    /// (::1, where nothing listens on the port, then 127.0.0.3);
    /// pref.remote.test lists its MX records against their preference order;
    /// nullmx.remote.test has a null MX (RFC 7505); implicit.remote.test has
    /// no MX, only an address (the implicit MX, RFC 5321 §5.1).
    static let zone = """
        $ORIGIN remote.test.
        $TTL 60
        @       SOA   ns1 hostmaster 2026112201 3600 900 604800 60
                NS    ns1
                MX    20 mx2
                MX    10 mx1
        ns1     A     127.0.0.1
        mx1     A     127.0.0.2
        mx2     AAAA  ::1
                A     127.0.0.3
        pref    MX    30 mx4
                MX    5 mx3
        mx3     A     127.0.0.3
        mx4     A     127.0.0.4
        nullmx  MX    0 .
        implicit A    127.0.0.3

        """

    // MARK: - relay_host

    @Test func relayHostGetsTheMessageByteIdenticalAfterOurReceived() async throws {
        let sink = try await SMTPSink.start()
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"")
        try await mta.send(from: "carol@remote.test", to: ["dave@far.test", "erin@far.test"], Self.message)
        let taken = try await sink.waitForMessages(1)
        let message = try #require(taken.first)
        // Both recipients of the domain in one transaction.
        #expect(message.mailFrom == "carol@remote.test")
        #expect(message.recipients == ["dave@far.test", "erin@far.test"])
        #expect(message.mailOptions.contains("BODY=8BITMIME"), "\(message.mailOptions)")
        #expect(message.helo == "mail.sandbox.test")
        let sent = Array(Self.message.utf8)
        #expect(message.data.count > sent.count && Array(message.data.suffix(sent.count)) == sent, "\(message.text)")
        #expect(message.text.hasPrefix("Received: from client.example"), "\(message.text)")
        // What comes before the message is one Received field, folded or not.
        let added = String(decoding: message.data.prefix(max(0, message.data.count - sent.count)), as: UTF8.self)
        let addedLines = added.components(separatedBy: "\r\n").dropLast()
        let folded = addedLines.dropFirst().allSatisfy { $0.hasPrefix(" ") || $0.hasPrefix("\t") }
        #expect(added.hasSuffix("\r\n") && folded, "\(added)")
        #expect(message.text.contains("by mail.sandbox.test"))
        #expect(!message.text.contains("Return-Path:"))
        let listed = try await mta.waitForEmptyQueue()
        #expect(listed.contains("the queue is empty"))
        try await mta.stop()
        await sink.stop()
    }

    /// The sink answers 451 to the first end of data; with retry_schedule
    /// ["1s"] the next attempt delivers, and the sender hears nothing.
    @Test func temporaryFailureThenSuccessOnTheNextAttempt() async throws {
        let sink = try await SMTPSink.start(options: ["--tempfail-first", "1"])
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"")
        try await mta.send(from: mta.bob, to: ["frank@far.test"], Self.message)
        let taken = try await sink.waitForMessages(1)
        #expect(taken.first?.recipients == ["frank@far.test"])
        #expect(sink.transactions.map(\.reply) == ["451", "250"])
        try await mta.waitForEmptyQueue()
        #expect(mta.bobsMailCount == 0, "a report went to the sender")
        #expect(mta.log.contains("4.3.0"), "the deferral is not in the log:\n\(mta.log)")
        try await mta.stop()
        await sink.stop()
    }

    /// One recipient deferred at RCPT (451): the other gets the message at
    /// once, the deferred one alone at the next attempt; nobody twice.
    @Test func temporaryRecipientFailureIsRetriedForThatRecipientOnly() async throws {
        let sink = try await SMTPSink.start(options: ["--reply-once", "grace@far.test=451 4.2.1 mailbox busy"])
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"")
        try await mta.send(from: mta.bob, to: ["frank@far.test", "grace@far.test"], Self.message)
        let taken = try await sink.waitForMessages(2)
        #expect(taken.map(\.recipients) == [["frank@far.test"], ["grace@far.test"]], "\(mta.log)")
        try await mta.waitForEmptyQueue()
        #expect(sink.messages.count == 2)
        #expect(mta.bobsMailCount == 0, "a report went to the sender")
        try await mta.stop()
        await sink.stop()
    }

    /// Two of three recipients refused at RCPT: the third gets the message,
    /// the sender one DSN naming exactly the two, with the peer's replies;
    /// with and without PIPELINING (RFC 2920) at the peer.
    @Test(arguments: [false, true])
    func permanentFailuresPerRecipientGiveOneDSNToTheSender(pipelining: Bool) async throws {
        let sink = try await SMTPSink.start(
            options: [
                "--reply", "bad1@far.test=550 5.1.1 <bad1@far.test>: no such user",
                "--reply", "bad2@far.test=553 5.1.3 bad2 is not welcome",
            ] + (pipelining ? ["--pipelining"] : []))
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"")
        try await mta.send(from: mta.bob, to: ["good@far.test", "bad1@far.test", "bad2@far.test"], Self.message)
        let taken = try await sink.waitForMessages(1)
        #expect(taken.first?.recipients == ["good@far.test"])
        try await mta.waitForEmptyQueue()
        let reports = try await mta.waitForBobsMail(1)
        let report = try #require(reports.first)
        #expect(report.hasPrefix("Return-Path: <>\r\n"), "\(report)")
        #expect(report.contains("multipart/report") && report.contains("report-type=delivery-status"), "\(report)")
        #expect(Self.finalRecipients(report) == ["bad1@far.test", "bad2@far.test"], "\(report)")
        #expect(report.contains("Diagnostic-Code: smtp; 550 5.1.1 <bad1@far.test>: no such user"), "\(report)")
        #expect(report.contains("Diagnostic-Code: smtp; 553 5.1.3 bad2 is not welcome"), "\(report)")
        #expect(report.contains("Status: 5.1.1") && report.contains("Status: 5.1.3"))
        #expect(report.contains("Subject: outbound"), "the original header is missing")
        try await mta.stop()
        await sink.stop()
    }

    /// The peer lacks 8BITMIME: the message goes as 7-bit MIME (RFC 6152
    /// §3) that Python's email package reads back to the same content.
    @Test func eightBitMessageToAPeerWithout8BITMIMEArrivesAsValid7BitMIME() async throws {
        let sink = try await SMTPSink.start(options: ["--no-8bitmime"])
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"")
        let text = "Gr\u{FC}\u{DF}e aus K\u{F6}ln,\r\n.\r\nna\u{EF}ve caf\u{E9} \u{2014} \u{20AC}5\r\n"
        var bytes = Array(
            ("From: carol@remote.test\r\nTo: dave@far.test\r\nSubject: Gr\u{FC}\u{DF}e aus K\u{F6}ln\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + text + "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").utf8)
        let octets = (0x80...0xFF).map { UInt8($0) } + Array(" and ASCII".utf8)
        bytes += octets + Array("\r\n--b1--\r\n".utf8)
        try await mta.send(from: "carol@remote.test", to: ["dave@far.test"], bytes: bytes)
        let taken = try await sink.waitForMessages(1)
        let message = try #require(taken.first)
        #expect(!message.mailOptions.contains { $0.uppercased().hasPrefix("BODY=8BITMIME") }, "\(message.mailOptions)")
        let (status, output, errors) = try await smtpRunTool(
            "python3", [OutboundScripts.path("mime_check.py"), message.data.map { String(format: "%02x", $0) }.joined()])
        let check = try #require(
            status == 0 ? (try? JSONSerialization.jsonObject(with: output)) as? [String: Any] : nil,
            "mime_check.py: \(String(decoding: errors, as: UTF8.self))")
        #expect(check["seven_bit"] as? Bool == true, "\(message.text)")
        #expect(check["short_lines"] as? Bool == true)
        #expect((check["defects"] as? [String])?.isEmpty == true, "\(check)")
        #expect(check["subject"] as? String == "Gr\u{FC}\u{DF}e aus K\u{F6}ln", "\(check)")
        let parts = check["parts"] as? [[String: Any]] ?? []
        #expect(parts.count == 2, "\(check)")
        // The line break before a boundary belongs to the boundary (RFC 2046 §5.1.1).
        let decoded = (parts.first?["text"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(decoded == String(text.dropLast()).replacingOccurrences(of: "\r\n", with: "\n"), "\(check)")
        #expect(parts.last?["hex"] as? String == octets.map { String(format: "%02x", $0) }.joined(), "\(check)")
        try await mta.waitForEmptyQueue()
        try await mta.stop()
        await sink.stop()
    }

    /// An internationalized recipient (RFC 6531) goes with SMTPUTF8 to a
    /// peer that offers it; to one that does not, it fails with 5.6.7 and
    /// a DSN, while the ASCII recipient of the same message is delivered.
    @Test(arguments: [true, false])
    func internationalizedRecipientNeedsSMTPUTF8AtThePeer(offered: Bool) async throws {
        let sink = try await SMTPSink.start(options: offered ? [] : ["--no-smtputf8"])
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"")
        let international = "j\u{FC}rgen@far.test"
        try await mta.send(
            from: mta.bob, to: [international, "plain@far.test"], Self.message, options: ["SMTPUTF8", "BODY=8BITMIME"])
        let taken = try await sink.waitForMessages(1)
        let message = try #require(taken.first)
        #expect(Array(message.data.suffix(Self.message.utf8.count)) == Array(Self.message.utf8))
        try await mta.waitForEmptyQueue()
        if offered {
            #expect(message.recipients == [international, "plain@far.test"])
            #expect(message.mailOptions.contains("SMTPUTF8"), "\(message.mailOptions)")
            #expect(mta.bobsMailCount == 0)
        } else {
            #expect(message.recipients == ["plain@far.test"])
            #expect(!message.mailOptions.contains("SMTPUTF8"), "\(message.mailOptions)")
            let report = try #require(try await mta.waitForBobsMail(1).first)
            #expect(Self.finalRecipients(report) == [international], "\(report)")
            #expect(report.contains("Status: 5.6.7"), "\(report)")
        }
        try await mta.stop()
        await sink.stop()
    }

    @Test func startTLSIsUsedWhenThePeerOffersIt() async throws {
        let (cert, key, folder) = try await Self.selfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sink = try await SMTPSink.start(options: ["--starttls", cert, key])
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"")
        try await mta.send(from: "carol@remote.test", to: ["dave@far.test"], Self.message)
        let message = try #require(try await sink.waitForMessages(1).first)
        #expect(message.tls, "the message came without TLS")
        #expect(Array(message.data.suffix(Self.message.utf8.count)) == Array(Self.message.utf8))
        try await mta.waitForEmptyQueue()
        try await mta.stop()
        await sink.stop()
    }

    /// With an hour to the next retry, and after a restart, `chappe queue
    /// flush` (over the control socket) retries the deferred message now.
    @Test func queueFlushRetriesADeferredMessageNow() async throws {
        let sink = try await SMTPSink.start(options: ["--tempfail-first", "1"])
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"", retry: "1h")
        try await mta.send(from: mta.bob, to: ["frank@far.test"], Self.message)
        let listed = try await mta.waitForQueueList(showing: "frank@far.test  deferred")
        #expect(listed.contains("4.3.0"), "\(listed)")
        #expect(sink.messages.isEmpty)
        // The deferral survives a restart of the server.
        try await mta.stop()
        try await mta.startServer()
        #expect(try await mta.chappe(["queue", "list"]).stdout.contains("frank@far.test  deferred"))
        let flushed = try await mta.chappe(["queue", "flush"])
        #expect(flushed.status == 0, "\(flushed.stderr)")
        let taken = try await sink.waitForMessages(1)
        #expect(taken.first?.recipients == ["frank@far.test"])
        try await mta.waitForEmptyQueue()
        try await mta.stop()
        await sink.stop()
    }

    /// require_verified_tls: a self-signed certificate defers that domain's
    /// mail (nothing is sent in plaintext or over unverified TLS); another
    /// domain still goes over TLS without the check (RFC 7435).
    @Test func requireVerifiedTLSDefersWhenTheCertificateDoesNotVerify() async throws {
        let (cert, key, folder) = try await Self.selfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sink = try await SMTPSink.start(options: ["--starttls", cert, key])
        let mta = try await OutboundFixture.start(
            smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"\nrequire_verified_tls = [\"far.test\"]", retry: "1h")
        try await mta.send(from: mta.bob, to: ["frank@far.test", "nina@near.test"], Self.message)
        let taken = try await sink.waitForMessages(1)
        #expect(taken.first?.recipients == ["nina@near.test"])
        #expect(taken.first?.tls == true)
        let listed = try await mta.waitForQueueList(showing: "frank@far.test  deferred")
        #expect(listed.contains("(4.7."), "\(listed)")
        #expect(sink.transactions.count == 1, "far.test's mail reached the sink")
        try await mta.stop()
        await sink.stop()
    }

    /// Delivery survives a crash: killed (SIGKILL) while the peer has not
    /// answered the end of data, the server sends the message again after
    /// its restart (RFC 5321 §6.1: a duplicate rather than a loss).
    @Test func inFlightDeliveryIsRetriedAfterACrash() async throws {
        let sink = try await SMTPSink.start(options: ["--hold-first", "60"])
        let mta = try await OutboundFixture.start(smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"")
        try await mta.send(from: mta.bob, to: ["frank@far.test", "grace@far.test"], Self.message)
        let deadline = ContinuousClock.now + .seconds(60)
        while sink.transactions.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(sink.transactions.map(\.reply) == ["held"])
        mta.crash()
        try await mta.startServer()
        let taken = try await sink.waitForMessages(1)
        #expect(taken.first?.recipients == ["frank@far.test", "grace@far.test"])
        #expect(sink.transactions.map(\.reply) == ["held", "250"])
        try await mta.waitForEmptyQueue()
        #expect(sink.messages.count == 1)
        try await mta.stop()
        await sink.stop()
    }

    /// remote_max_connections_per_domain: a dozen messages queued at once
    /// (one client connection each) reach a slow peer over at most two
    /// connections at a time.
    @Test func connectionsToOneDestinationStayUnderTheCap() async throws {
        let sink = try await SMTPSink.start(options: ["--data-delay", "0.3"])
        let mta = try await OutboundFixture.start(
            smtpKeys: "relay_host = \"127.0.0.1:\(sink.port)\"\nremote_max_connections_per_domain = 2")
        let (status, output, errors) = try await smtpRunTool(
            "python3",
            [OutboundScripts.path("smtp_scenarios.py"), "burst", "127.0.0.1", "\(mta.port)", "load@far.test", "cap", "0", "12"])
        let acked = (try? JSONSerialization.jsonObject(with: output) as? [String: Any])?["acked"] as? [Int]
        #expect(status == 0 && acked?.count == 12, "\(String(decoding: errors, as: UTF8.self))")
        let taken = try await sink.waitForMessages(12)
        let subjects = taken.map { $0.text.components(separatedBy: "Subject: ").last?.prefix { $0 != "\r" } ?? "" }
        #expect(Set(subjects).count == 12, "\(subjects)")
        let connections = sink.connections
        #expect((1...2).contains(connections.most), "\(connections.most) connections at once")
        try await mta.waitForEmptyQueue()
        try await mta.stop()
        await sink.stop()
    }

    // MARK: - MX records from our own DNS service

    /// mx1 refuses connections, so remote.test's mail goes to mx2's second
    /// address; pref's goes to its preferred MX although the zone lists it
    /// second; implicit's to the domain's own address.
    @Test func mxPreferenceOrderAndFallbackThroughOurDNSService() async throws {
        let sink = try await SMTPSink.start(hosts: ["127.0.0.3", "127.0.0.4"])
        let mta = try await OutboundFixture.start(smtpKeys: "remote_port = \(sink.port)", zone: Self.zone)
        // The DNS service of the same `chappe serve` answers for the zone.
        let answer = try await mta.chappe(["dns", "remote.test", "MX", "@127.0.0.1:\(mta.dnsPort)"], configured: false)
        #expect(answer.stdout.contains("MX\t10 mx1.remote.test."), "\(answer.stdout)\(answer.stderr)\n\(mta.log)")
        try await mta.send(
            from: "carol@sender.test", to: ["alice@remote.test", "carol@pref.remote.test", "ivan@implicit.remote.test"],
            Self.message)
        let taken = try await sink.waitForMessages(3)
        let byRecipient = Dictionary(taken.map { ($0.recipients.joined(separator: ","), $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byRecipient["alice@remote.test"]?.local == "127.0.0.3", "\(taken.map(\.local))\n\(mta.log)")
        #expect(byRecipient["carol@pref.remote.test"]?.local == "127.0.0.3", "\(taken.map(\.local))\n\(mta.log)")
        #expect(byRecipient["ivan@implicit.remote.test"]?.local == "127.0.0.3", "\(taken.map(\.local))\n\(mta.log)")
        #expect(!taken.contains { $0.local == "127.0.0.4" })
        for message in taken {
            #expect(Array(message.data.suffix(Self.message.utf8.count)) == Array(Self.message.utf8))
        }
        try await mta.waitForEmptyQueue()
        #expect(mta.log.contains("via mx2.remote.test"), "\(mta.log)")
        #expect(mta.log.contains("via mx3.remote.test"), "\(mta.log)")
        #expect(mta.log.contains("via implicit.remote.test"), "\(mta.log)")
        try await mta.stop()
        await sink.stop()
    }

    /// A null MX (RFC 7505) and a domain that does not exist fail at once:
    /// one failure DSN to the local sender names both.
    @Test func nullMXAndNonexistentDomainFailWithOneDSN() async throws {
        let unused = try LoopbackPort.free()
        let mta = try await OutboundFixture.start(smtpKeys: "remote_port = \(unused)", zone: Self.zone)
        try await mta.send(from: mta.bob, to: ["dan@nullmx.remote.test", "eve@missing.remote.test"], Self.message)
        let reports = try await mta.waitForBobsMail(1)
        let report = try #require(reports.first)
        #expect(report.hasPrefix("Return-Path: <>\r\n"), "\(report)")
        #expect(Self.finalRecipients(report) == ["dan@nullmx.remote.test", "eve@missing.remote.test"], "\(report)")
        #expect(report.contains("Status: 5.1.10"), "\(report)")
        #expect(report.contains("Status: 5.1.2"), "\(report)")
        try await mta.waitForEmptyQueue()
        #expect(mta.bobsMailCount == 1)
        try await mta.stop()
    }

    // MARK: - Postfix

    /// Postfix (its own instance) as the MX of remote.test: our MTA finds it
    /// through our DNS service, takes up its STARTTLS offer, and the message
    /// lands in Postfix's Maildir.
    @Test func postfixAsTheRemoteMXGetsTheMessage() async throws {
        let postfix = try await PostfixMX.start(domain: "remote.test")
        do {
            let zone = Self.zone.replacingOccurrences(of: "mx1     A     127.0.0.2", with: "mx1     A     127.0.0.1")
            let mta = try await OutboundFixture.start(smtpKeys: "remote_port = \(postfix.port)", zone: zone)
            try await mta.send(from: "carol@sender.test", to: ["alice@remote.test"], Self.message)
            let delivered = try await postfix.waitForMessages(1)
            let text = delivered.first ?? ""
            // virtual(8) stores LF line endings.
            let sent = Self.message.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(text.hasPrefix("Return-Path: <carol@sender.test>\n"), "\(text)\n\(postfix.maillog)")
            #expect(text.contains("by mx.postfix.test (Postfix) with ESMTPS"), "STARTTLS was not used:\n\(text)")
            #expect(text.contains("by mail.sandbox.test"), "our Received field is missing:\n\(text)")
            #expect(text.hasSuffix(sent), "\(text)")
            #expect(postfix.maillog.contains("status=sent (delivered to maildir)"), "\(postfix.maillog)")
            try await mta.waitForEmptyQueue()
            #expect(mta.log.contains("via mx1.remote.test"), "\(mta.log)")
            try await mta.stop()
        } catch {
            await postfix.stop()
            throw error
        }
        await postfix.stop()
    }

    // MARK: - Helpers

    /// A self-signed certificate for the sink (openssl): its PEM files and their folder.
    static func selfSignedCertificate() async throws -> (cert: String, key: String, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-it-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (cert, key) = (folder.appendingPathComponent("cert.pem").path, folder.appendingPathComponent("key.pem").path)
        let (status, _, errors) = try await smtpRunTool(
            "openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=sink.test"])
        guard status == 0 else { throw SMTPFixtureError("openssl: \(String(decoding: errors, as: UTF8.self))") }
        return (cert, key, folder)
    }

    /// The Final-Recipient addresses of a DSN, sorted.
    static func finalRecipients(_ report: String) -> [String] {
        report.components(separatedBy: "\r\n").compactMap { line -> String? in
            guard line.hasPrefix("Final-Recipient:"), let separator = line.firstIndex(of: ";") else { return nil }
            return line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
        }.sorted()
    }
}
