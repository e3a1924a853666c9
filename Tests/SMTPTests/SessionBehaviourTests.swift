// Session rules that transcripts do not show well: line limits, error and
// command limits, shutdown, STARTTLS discarding pipelined input, SASL
// edge cases, sender ownership, loopback plaintext, VRFY/EXPN when enabled.
import NIOCore
import Testing
import Transport

@testable import SMTP

@Suite("SMTP session behaviour")
struct SessionBehaviourTests {
    /// RFC 5321 §4.5.3.1.4: a command over 512 octets gets 500 5.5.2.
    @Test func overLongCommandLine() async {
        var harness = SessionHarness(spool: MemorySpool())
        await harness.connect()
        _ = harness.take()
        #expect(await harness.command("NOOP " + String(repeating: "x", count: 505)) == "250 2.0.0 OK\r\n")
        #expect(await harness.command("NOOP " + String(repeating: "x", count: 506)) == "500 5.5.2 line too long\r\n")
        // Over the framer's limit too: the line is discarded, the session goes on.
        #expect(await harness.command(String(repeating: "A", count: 5000)) == "500 5.5.2 line too long\r\n")
        #expect(await harness.command("EHLO client.example").hasPrefix("250-"))
    }

    @Test func tooManyBadCommandsClose() async {
        var harness = SessionHarness(spool: MemorySpool())
        await harness.connect()
        _ = harness.take()
        for _ in 0..<9 {
            #expect(await harness.command("BOGUS").hasPrefix("500 5.5.1"))
        }
        let last = await harness.command("BOGUS")
        #expect(last == "500 5.5.1 command \"BOGUS\" not recognized\r\n421 4.7.0 too many errors, closing connection\r\n")
        #expect(harness.closed)
    }

    @Test func tooManyCommandsClose() async {
        var harness = SessionHarness(spool: MemorySpool(), configuration: SessionHarness.configuration { $0.maxCommands = 3 })
        await harness.connect()
        _ = harness.take()
        await harness.send("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n")
        #expect(harness.take() == "250 2.0.0 OK\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n421 4.7.0 too many commands, closing connection\r\n")
        #expect(harness.closed)
    }

    @Test func shutdownAnswers421() async {
        var harness = SessionHarness(spool: MemorySpool())
        await harness.connect()
        _ = harness.take()
        await harness.shutDown()
        #expect(harness.take() == "421 4.3.2 service shutting down, try again later\r\n")
        #expect(harness.closed)
    }

    /// RFC 3207 §4.2: commands pipelined after STARTTLS are not executed.
    @Test func startTLSDiscardsPipelinedCommands() async {
        var harness = SessionHarness(spool: MemorySpool())
        await harness.connect()
        _ = harness.take()
        await harness.send("EHLO client.example\r\n")
        _ = harness.take()
        await harness.send("STARTTLS\r\nMAIL FROM:<carol@remote.example>\r\nRCPT TO:<alice@example.test>\r\n")
        #expect(harness.take() == "220 2.0.0 ready to start TLS\r\n")
        #expect(harness.tlsStarts == 1)
        #expect(await harness.command("RCPT TO:<alice@example.test>") == "503 5.5.1 send EHLO or HELO first\r\n")
    }

    @Test func startTLSUnavailable() async {
        var harness = SessionHarness(
            spool: MemorySpool(), configuration: SessionHarness.configuration { $0.startTLSAvailable = false })
        await harness.connect()
        _ = harness.take()
        let ehlo = await harness.command("EHLO client.example")
        #expect(!ehlo.contains("STARTTLS"))
        #expect(await harness.command("STARTTLS") == "454 4.7.0 TLS not available\r\n")
        #expect(await harness.command("MAIL FROM:<carol@remote.example>").hasPrefix("250"))
        #expect(await harness.command("STARTTLS").hasPrefix("503 5.5.1 STARTTLS is not allowed during a mail transaction"))
    }

    @Test func saslLineTooLongAndTemporaryFailure() async {
        var harness = SessionHarness(spool: MemorySpool(), listener: "submission", tls: true)
        await harness.connect()
        _ = harness.take()
        await harness.send("EHLO client.example\r\n")
        _ = harness.take()
        #expect(await harness.command("AUTH LOGIN") == "334 VXNlcm5hbWU6\r\n")
        #expect(await harness.command(String(repeating: "Q", count: 3000)) == "500 5.5.6 authentication exchange line is too long\r\n")
        // The exchange is over; the next line is a command again.
        #expect(await harness.command("NOOP") == "250 2.0.0 OK\r\n")
        // "=" is an empty initial response: PLAIN with nothing in it fails.
        #expect(await harness.command("AUTH PLAIN =") == "535 5.7.8 authentication credentials invalid\r\n")
        // PLAIN acting for another user fails too (RFC 4616 §2).
        #expect(
            await harness.command("AUTH PLAIN " + plain("alice@example.test", "secret", authzid: "bob"))
                == "535 5.7.8 authentication credentials invalid\r\n")
        var offline = SessionHarness(
            spool: MemorySpool(), listener: "submission", tls: true,
            authenticator: MemoryAuthenticator(users: [:], unavailable: true))
        await offline.connect()
        _ = offline.take()
        await offline.send("EHLO client.example\r\n")
        _ = offline.take()
        #expect(
            await offline.command("AUTH PLAIN " + plain("alice@example.test", "secret"))
                == "454 4.7.0 temporary authentication failure, try again later\r\n")
    }

    @Test func effectsNeverShowThePassword() async {
        var harness = SessionHarness(spool: MemorySpool(), listener: "submission", tls: true)
        await harness.connect()
        await harness.send("EHLO client.example\r\nAUTH PLAIN " + plain("alice@example.test", "secret") + "\r\n")
        #expect(harness.take().hasSuffix("235 2.7.0 authentication succeeded\r\n"))
        #expect(harness.effects == ["authenticate(alice@example.test, <password>)"])
        #expect(!harness.effects.joined().contains("secret"))
    }

    @Test func extraSenderAddresses() async {
        let configuration = SessionHarness.configuration {
            $0.extraSenders = ["bob": ["@lists.example.test", "noreply@example.test"]]
        }
        var harness = SessionHarness(spool: MemorySpool(), listener: "submission", tls: true, configuration: configuration)
        await harness.connect()
        await harness.send("EHLO client.example\r\nAUTH PLAIN " + plain("bob", "hunter2") + "\r\n")
        _ = harness.take()
        #expect(await harness.command("MAIL FROM:<anything@lists.example.test>").hasPrefix("250 2.1.0"))
        #expect(await harness.command("RSET").hasPrefix("250"))
        #expect(await harness.command("MAIL FROM:<noreply@example.test>").hasPrefix("250 2.1.0"))
        #expect(await harness.command("RSET").hasPrefix("250"))
        #expect(await harness.command("MAIL FROM:<alice@example.test>").hasPrefix("553 5.7.1"))
        #expect(await harness.command("MAIL FROM:<>").hasPrefix("250 2.1.0"))
    }

    @Test func loopbackPlaintextSubmissionWhenAllowed() async {
        let configuration = SessionHarness.configuration { $0.allowPlaintextOnLoopback = true }
        var harness = SessionHarness(spool: MemorySpool(), peer: "127.0.0.1", listener: "submission", configuration: configuration)
        await harness.connect()
        _ = harness.take()
        #expect(await harness.command("EHLO client.example").contains("250-AUTH PLAIN LOGIN\r\n"))
        #expect(await harness.command("MAIL FROM:<alice@example.test>") == "530 5.7.0 authentication required\r\n")
        #expect(await harness.command("AUTH PLAIN " + plain("alice@example.test", "secret")).hasPrefix("235"))
        #expect(await harness.command("MAIL FROM:<alice@example.test>").hasPrefix("250"))
        #expect(await harness.command("RCPT TO:<dave@elsewhere.example>").hasPrefix("250 2.1.5"))
        // Not from elsewhere.
        var remote = SessionHarness(spool: MemorySpool(), listener: "submission", configuration: configuration)
        await remote.connect()
        _ = remote.take()
        #expect(!(await remote.command("EHLO client.example").contains("AUTH")))
    }

    @Test func mxWithoutAuthWhenConfigured() async {
        let configuration = SessionHarness.configuration { $0.authOnMX = false }
        var harness = SessionHarness(spool: MemorySpool(), tls: true, configuration: configuration)
        await harness.connect()
        _ = harness.take()
        #expect(!(await harness.command("EHLO client.example").contains("AUTH")))
        #expect(await harness.command("AUTH PLAIN " + plain("alice@example.test", "secret")) == "502 5.5.1 AUTH is not available on this port\r\n")
    }

    @Test func authenticatedClientMayRelayOnMXAfterTLS() async {
        var harness = SessionHarness(spool: MemorySpool(), tls: true)
        await harness.connect()
        await harness.send("EHLO client.example\r\nMAIL FROM:<carol@remote.example>\r\nRCPT TO:<dave@elsewhere.example>\r\nRSET\r\n")
        #expect(harness.take().contains("554 5.7.1 relay access denied"))
        #expect(await harness.command("AUTH PLAIN " + plain("bob", "hunter2")).hasPrefix("235"))
        await harness.send("MAIL FROM:<bob@example.test>\r\nRCPT TO:<dave@elsewhere.example>\r\n")
        #expect(harness.take().hasSuffix("250 2.1.5 recipient <dave@elsewhere.example> OK\r\n"))
    }

    @Test func vrfyAndExpnWhenEnabled() async {
        let configuration = SessionHarness.configuration {
            $0.allowVRFY = true
            $0.allowEXPN = true
        }
        var harness = SessionHarness(spool: MemorySpool(), configuration: configuration)
        await harness.connect()
        _ = harness.take()
        #expect(await harness.command("VRFY alice") == "250 2.1.5 <alice@example.test>\r\n")
        #expect(await harness.command("VRFY <bob@example.test>") == "250 2.1.5 <bob@example.test>\r\n")
        #expect(await harness.command("VRFY nobody").hasPrefix("550 5.1.1"))
        #expect(await harness.command("VRFY someone@elsewhere.example").hasPrefix("252"))
        #expect(await harness.command("VRFY flaky").hasPrefix("451 4.3.0"))
        #expect(
            await harness.command("EXPN team")
                == "250-2.1.5 <alice@example.test>\r\n250-2.1.5 <bob@example.test>\r\n250 2.1.5 <carol@remote.example>\r\n")
        #expect(await harness.command("EXPN alice") == "250 2.1.5 <alice@example.test>\r\n")
        #expect(await harness.command("EXPN nobody").hasPrefix("550 5.1.1"))
    }

    @Test func heloSessionsGetNoExtensionsButStillWork() async {
        let spool = MemorySpool()
        var harness = SessionHarness(spool: spool)
        await harness.connect()
        #expect(harness.take() == "220 mx.example.test ESMTP Chappe\r\n")
        #expect(await harness.command("HELO client.example") == "250 mx.example.test greets client.example [192.0.2.7]\r\n")
        await harness.send("MAIL FROM:<carol@remote.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
        _ = harness.take()
        await harness.send("x\r\n.\r\n")
        #expect(harness.take() == "250 2.0.0 OK queued as Q1\r\n")
        #expect(spool.committed.first?.header.contains("with SMTP id Q1") == true)
    }
}
