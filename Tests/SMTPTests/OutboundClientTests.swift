// The SMTP client session fed with server replies, no sockets (STYLE.md
// rule 5): pipelined groups, HELO fallback, SIZE refusal, 8-bit downgrade,
// STARTTLS and the TLS policy, per-recipient 4xx/5xx, multi-line replies,
// SMTPUTF8 refusal and a connection lost in the middle.
import MIME
import NIOCore
import Testing

@testable import SMTP

/// The replies of `text` ("250-a\r\n250 b\r\n…"), parsed as the driver does.
func serverReplies(_ text: String) -> [SMTPReply] {
    var buffer = ByteBuffer(string: text)
    var parser = SMTPReplyParser()
    var out: [SMTPReply] = []
    while let reply = try? parser.next(from: &buffer) { out.append(reply) }
    return out
}

func serverReply(_ text: String) -> SMTPReply {
    serverReplies(text + "\r\n").first ?? SMTPReply(500, nil, "unparsable fixture")
}

func outboundMailbox(_ text: String) -> SMTPMailbox {
    guard let value = try? SMTPMailbox(text) else { preconditionFailure("fixture \(text)") }
    return value
}

func outbound(
    _ recipients: [String], body: String = "Subject: hi\r\n\r\nhello\r\n", from: String = "alice@example.test",
    smtpUTF8: Bool = false
) -> OutboundMessage {
    OutboundMessage(
        domain: "remote.test", reversePath: .mailbox(outboundMailbox(from)),
        recipients: recipients.map { EnvelopeRecipient(address: outboundMailbox($0)) }, bytes: Array(body.utf8),
        smtpUTF8: smtpUTF8)
}

let fullEHLO = "250-mx.remote.test hello\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8"

@Suite("SMTP client session")
struct OutboundClientTests {
    let policy = SMTPClientPolicy(heloName: "mx.example.test")

    @Test("EHLO, then MAIL, RCPTs and DATA in one pipelined group; 550 for one recipient")
    func pipelinedGroup() {
        var session = SMTPClientSession(
            message: outbound(["a@remote.test", "b@remote.test"]), host: "mx.remote.test", policy: policy)
        #expect(session.receive(serverReply("220 mx.remote.test ESMTP")) == .send([.ehlo("mx.example.test")]))
        guard case .send(let group) = session.receive(serverReply(fullEHLO)) else {
            Issue.record("no pipelined group")
            return
        }
        #expect(group.map(\.description) == [
            "MAIL FROM:<alice@example.test> SIZE=22", "RCPT TO:<a@remote.test>", "RCPT TO:<b@remote.test>", "DATA",
        ])
        #expect(session.receive(serverReply("250 2.1.0 ok")) == .readReply)
        #expect(session.receive(serverReply("250 2.1.5 ok")) == .readReply)
        #expect(session.receive(serverReply("550 5.1.1 no such user")) == .readReply)
        #expect(session.receive(serverReply("354 go ahead")) == .sendMessage(Array("Subject: hi\r\n\r\nhello\r\n".utf8)))
        guard case .finish(.completed(let results)) = session.receive(serverReply("250 2.0.0 queued as X")) else {
            Issue.record("not completed")
            return
        }
        #expect(results.map(\.kind) == [.delivered, .permanent])
        #expect(results[1].reply == "550 5.1.1 no such user")
        #expect(results[1].reason == "5.1.1 mx.remote.test said: 550 5.1.1 no such user")
    }

    @Test("a 5xx to EHLO gets HELO; without PIPELINING one command per reply; 4xx defers one recipient")
    func heloFallback() {
        var session = SMTPClientSession(
            message: outbound(["a@remote.test", "b@remote.test"]), host: "old.remote.test", policy: policy)
        _ = session.receive(serverReply("220 old.remote.test"))
        #expect(session.receive(serverReply("502 5.5.1 what?")) == .send([.helo("mx.example.test")]))
        #expect(session.receive(serverReply("250 old.remote.test")) == .send([.mail(.mailbox(outboundMailbox("alice@example.test")), MailParameters())]))
        #expect(session.receive(serverReply("250 ok")) == .send([.rcpt(.mailbox(outboundMailbox("a@remote.test")), RcptParameters())]))
        #expect(session.receive(serverReply("451 4.3.0 try later")) == .send([.rcpt(.mailbox(outboundMailbox("b@remote.test")), RcptParameters())]))
        #expect(session.receive(serverReply("250 ok")) == .send([.data]))
        guard case .sendMessage = session.receive(serverReply("354 go")) else {
            Issue.record("no message")
            return
        }
        guard case .finish(.completed(let results)) = session.receive(serverReply("250 ok")) else {
            Issue.record("not completed")
            return
        }
        #expect(results.map(\.kind) == [.temporary, .delivered])
        #expect(results[0].reason.hasPrefix("4.3.0 "))
    }

    @Test("every RCPT refused without PIPELINING: no DATA, the session ends")
    func allRecipientsRefused() {
        var session = SMTPClientSession(message: outbound(["a@remote.test"]), host: "h", policy: policy)
        _ = session.receive(serverReply("220 h"))
        _ = session.receive(serverReply("250 h"))
        _ = session.receive(serverReply("250 ok"))
        #expect(session.receive(serverReply("550 5.7.1 relaying denied")) == .finish(.completed([
            RemoteRecipientResult(.permanent, "5.7.1 h said: 550 5.7.1 relaying denied", reply: "550 5.7.1 relaying denied")
        ])))
    }

    @Test("MAIL refused: every recipient gets its reply, whatever the pipelined RCPT replies say")
    func mailRefused() {
        var session = SMTPClientSession(message: outbound(["a@remote.test", "b@remote.test"]), host: "h", policy: policy)
        _ = session.receive(serverReply("220 h"))
        _ = session.receive(serverReply(fullEHLO))
        #expect(session.receive(serverReply("452 4.3.1 out of memory")) == .readReply)
        #expect(session.receive(serverReply("503 5.5.1 no MAIL")) == .readReply)
        #expect(session.receive(serverReply("503 5.5.1 no MAIL")) == .readReply)
        guard case .finish(.completed(let results)) = session.receive(serverReply("503 5.5.1 no valid recipients")) else {
            Issue.record("not completed")
            return
        }
        #expect(results.map(\.kind) == [.temporary, .temporary])
    }

    @Test("RFC 1870: a message over the peer's SIZE fails with 5.3.4 before MAIL")
    func sizeRefusal() {
        var session = SMTPClientSession(message: outbound(["a@remote.test"]), host: "h", policy: policy)
        _ = session.receive(serverReply("220 h"))
        guard case .finish(.completed(let results)) = session.receive(serverReply("250-h\r\n250 SIZE 10")) else {
            Issue.record("not refused")
            return
        }
        #expect(results.map(\.kind) == [.permanent])
        #expect(results[0].reason.hasPrefix("5.3.4 "))
    }

    @Test("RFC 6152: without 8BITMIME an 8-bit body goes as valid 7-bit MIME, never raw")
    func eightBitDowngrade() {
        let body = "Subject: caf\u{e9}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncaf\u{e9}\r\n"
        var session = SMTPClientSession(message: outbound(["a@remote.test"], body: body), host: "h", policy: policy)
        _ = session.receive(serverReply("220 h"))
        guard case .send(let group) = session.receive(serverReply("250-h\r\n250 PIPELINING")) else {
            Issue.record("no group")
            return
        }
        #expect(group.first?.description == "MAIL FROM:<alice@example.test>")
        _ = session.receive(serverReply("250 ok"))
        _ = session.receive(serverReply("250 ok"))
        guard case .sendMessage(let sent) = session.receive(serverReply("354 go")) else {
            Issue.record("no message")
            return
        }
        #expect(SevenBitDowngrade.isSevenBit(sent))
        #expect(String(decoding: sent, as: UTF8.self).contains("Content-Transfer-Encoding: quoted-printable"))
    }

    @Test("with 8BITMIME the 8-bit body goes as it is, declared BODY=8BITMIME")
    func eightBitDeclared() {
        let body = "Subject: x\r\n\r\ncaf\u{e9}\r\n"
        var session = SMTPClientSession(message: outbound(["a@remote.test"], body: body), host: "h", policy: policy)
        _ = session.receive(serverReply("220 h"))
        guard case .send(let group) = session.receive(serverReply(fullEHLO)) else {
            Issue.record("no group")
            return
        }
        #expect(group.first?.description == "MAIL FROM:<alice@example.test> SIZE=\(body.utf8.count) BODY=8BITMIME")
    }

    @Test("RFC 3461: NOTIFY, ORCPT, RET and ENVID go only to a peer that offers DSN")
    func dsnParameters() {
        var message = outbound(["a@remote.test"])
        message.recipients[0].notify = .on([.failure, .delay])
        message.recipients[0].originalRecipient = OriginalRecipient(addressType: "rfc822", address: "a@remote.test")
        message.ret = .headers
        message.envelopeID = "QQ314159"
        var withDSN = SMTPClientSession(message: message, host: "h", policy: policy)
        _ = withDSN.receive(serverReply("220 h"))
        guard case .send(let group) = withDSN.receive(serverReply(fullEHLO)) else {
            Issue.record("no group")
            return
        }
        #expect(group.map(\.description).prefix(2) == [
            "MAIL FROM:<alice@example.test> SIZE=22 RET=HDRS ENVID=QQ314159",
            "RCPT TO:<a@remote.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@remote.test",
        ])
        var without = SMTPClientSession(message: message, host: "h", policy: policy)
        _ = without.receive(serverReply("220 h"))
        guard case .send(let plain) = without.receive(serverReply("250-h\r\n250 PIPELINING")) else {
            Issue.record("no group")
            return
        }
        #expect(plain.map(\.description).prefix(2) == ["MAIL FROM:<alice@example.test>", "RCPT TO:<a@remote.test>"])
    }

    @Test("RFC 6531: a UTF-8 recipient fails with 5.6.7 when the peer lacks SMTPUTF8; the others go")
    func smtpUTF8Refusal() {
        var session = SMTPClientSession(
            message: outbound(["j\u{f6}rg@remote.test", "b@remote.test"], smtpUTF8: true), host: "h", policy: policy)
        _ = session.receive(serverReply("220 h"))
        guard case .send(let group) = session.receive(serverReply("250-h\r\n250-PIPELINING\r\n250 8BITMIME")) else {
            Issue.record("no group")
            return
        }
        #expect(group.map(\.description) == ["MAIL FROM:<alice@example.test>", "RCPT TO:<b@remote.test>", "DATA"])
        _ = session.receive(serverReply("250 ok"))
        _ = session.receive(serverReply("250 ok"))
        _ = session.receive(serverReply("354 go"))
        guard case .finish(.completed(let results)) = session.receive(serverReply("250 ok")) else {
            Issue.record("not completed")
            return
        }
        #expect(results.map(\.kind) == [.permanent, .delivered])
        #expect(results[0].reason.hasPrefix("5.6.7 "))
    }

    @Test("RFC 3207: STARTTLS when offered, then EHLO again; the plaintext capabilities are forgotten")
    func startTLS() {
        var session = SMTPClientSession(message: outbound(["a@remote.test"]), host: "h", policy: policy)
        _ = session.receive(serverReply("220 h"))
        #expect(session.receive(serverReply("250-h\r\n250-SIZE 10\r\n250 STARTTLS")) == .send([.startTLS]))
        #expect(session.receive(serverReply("220 2.0.0 ready")) == .startTLS)
        #expect(session.tlsEstablished() == .send([.ehlo("mx.example.test")]))
        #expect(session.isTLSActive)
        guard case .send(let group) = session.receive(serverReply(fullEHLO)) else {
            Issue.record("no group after TLS")
            return
        }
        #expect(group.count == 3)
    }

    @Test("the TLS policy: no STARTTLS offered, or a failed handshake, fails the host (the next one is tried)")
    func requiredTLS() {
        let strict = SMTPClientPolicy(heloName: "mx.example.test", requiresTLS: true)
        var plain = SMTPClientSession(message: outbound(["a@remote.test"]), host: "h", policy: strict)
        _ = plain.receive(serverReply("220 h"))
        guard case .finish(.hostFailed(let reason)) = plain.receive(serverReply(fullEHLO)) else {
            Issue.record("sent without TLS")
            return
        }
        #expect(reason.hasPrefix("4.7.0 "))
        var broken = SMTPClientSession(message: outbound(["a@remote.test"]), host: "h", policy: strict)
        _ = broken.receive(serverReply("220 h"))
        _ = broken.receive(serverReply("250-h\r\n250 STARTTLS"))
        _ = broken.receive(serverReply("220 go"))
        guard case .finish(.hostFailed(let failure)) = broken.tlsFailed("certificate verify failed") else {
            Issue.record("handshake failure not a host failure")
            return
        }
        #expect(failure.hasPrefix("4.7.0 "))
    }

    @Test("a refused greeting fails the host; a lost connection in the transaction defers the rest")
    func failures() {
        var refused = SMTPClientSession(message: outbound(["a@remote.test"]), host: "h", policy: policy)
        guard case .finish(.hostFailed(let reason)) = refused.receive(serverReply("554 5.3.2 go away")) else {
            Issue.record("greeting refusal")
            return
        }
        #expect(reason.hasPrefix("5.3.2 "))
        var lost = SMTPClientSession(message: outbound(["a@remote.test", "b@remote.test"]), host: "h", policy: policy)
        _ = lost.receive(serverReply("220 h"))
        _ = lost.receive(serverReply(fullEHLO))
        _ = lost.receive(serverReply("250 ok"))
        _ = lost.receive(serverReply("550 5.1.1 unknown"))
        guard case .finish(.completed(let results)) = lost.connectionLost("the server closed the connection") else {
            Issue.record("not completed")
            return
        }
        #expect(results.map(\.kind) == [.permanent, .temporary])
        #expect(results[1].reason.hasPrefix("4.4.2 "))
    }

    @Test("multi-line replies: the EHLO keywords, the enhanced code of a multi-line 550")
    func multiLineReplies() {
        let parsed = serverReplies("250-mx hi\r\n250-size 5000\r\n250-STARTTLS\r\n250 8bitmime\r\n550-5.1.1 first\r\n550 5.1.1 second\r\n")
        #expect(parsed.count == 2)
        let capabilities = PeerCapabilities(ehloReply: parsed[0])
        #expect(capabilities.sizeLimit == 5000 && capabilities.startTLS && capabilities.eightBitMIME)
        #expect(!capabilities.pipelining)
        #expect(parsed[1].enhancedCode == "5.1.1")
        #expect(parsed[1].lines == ["first", "second"])
    }
}
