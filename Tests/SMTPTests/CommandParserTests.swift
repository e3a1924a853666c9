// The command parser and encoder (STYLE.md rule 2): every command parsed
// from a fixture, encoded to a fixture, and round-tripped; every failure
// with its typed error; every limit crossed (rule 3).
import NIOCore
import Testing

@testable import SMTP

private func mailbox(_ text: String) -> SMTPMailbox {
    (try? SMTPMailbox(text)) ?? SMTPMailbox.placeholder
}

extension SMTPMailbox {
    static let placeholder: SMTPMailbox = {
        guard let value = try? SMTPMailbox("placeholder@invalid.test") else { preconditionFailure("fixture") }
        return value
    }()
}

struct ParseFixture: Sendable, CustomTestStringConvertible {
    let line: String
    let command: SMTPCommand
    var testDescription: String { line }
}

struct FailureFixture: Sendable, CustomTestStringConvertible {
    let line: String
    let error: SMTPParseError
    var testDescription: String { line }
}

let parseFixtures: [ParseFixture] = [
    ParseFixture(line: "EHLO client.example", command: .ehlo("client.example")),
    ParseFixture(line: "ehlo client.example", command: .ehlo("client.example")),
    ParseFixture(line: "EHLO [192.0.2.1]", command: .ehlo("[192.0.2.1]")),
    ParseFixture(line: "EHLO [IPv6:2001:db8::1]", command: .ehlo("[IPv6:2001:db8::1]")),
    ParseFixture(line: "EHLO my_host.example", command: .ehlo("my_host.example")),
    ParseFixture(line: "HELO client.example", command: .helo("client.example")),
    ParseFixture(line: "MAIL FROM:<alice@example.test>", command: .mail(.mailbox(mailbox("alice@example.test")), MailParameters())),
    ParseFixture(line: "mail from:<alice@example.test>", command: .mail(.mailbox(mailbox("alice@example.test")), MailParameters())),
    ParseFixture(line: "MAIL FROM: <alice@example.test>", command: .mail(.mailbox(mailbox("alice@example.test")), MailParameters())),
    ParseFixture(line: "MAIL FROM:<>", command: .mail(.null, MailParameters())),
    ParseFixture(
        line: "MAIL FROM:<@relay.example,@other.example:alice@example.test>",
        command: .mail(.mailbox(mailbox("alice@example.test")), MailParameters())),
    ParseFixture(
        line: "MAIL FROM:<\"john smith\"@example.test>", command: .mail(.mailbox(mailbox("\"john smith\"@example.test")), MailParameters())),
    ParseFixture(
        line: "MAIL FROM:<\"john\"@example.test>", command: .mail(.mailbox(mailbox("john@example.test")), MailParameters())),
    ParseFixture(
        line: "MAIL FROM:<user@[192.0.2.1]>", command: .mail(.mailbox(mailbox("user@[192.0.2.1]")), MailParameters())),
    ParseFixture(
        line: "MAIL FROM:<a@example.test> SIZE=1000 BODY=8BITMIME",
        command: .mail(.mailbox(mailbox("a@example.test")), MailParameters(size: 1000, body: .eightBitMIME))),
    ParseFixture(
        line: "MAIL FROM:<a@example.test> body=7bit size=0",
        command: .mail(.mailbox(mailbox("a@example.test")), MailParameters(size: 0, body: .sevenBit))),
    ParseFixture(
        line: "MAIL FROM:<a@example.test> SIZE=99999999999999999999",
        command: .mail(.mailbox(mailbox("a@example.test")), MailParameters(size: Int.max))),
    ParseFixture(
        line: "MAIL FROM:<a@example.test> RET=HDRS ENVID=QQ314159+2Bx",
        command: .mail(.mailbox(mailbox("a@example.test")), MailParameters(ret: .headers, envelopeID: "QQ314159+x"))),
    ParseFixture(
        line: "MAIL FROM:<a@example.test> ret=full",
        command: .mail(.mailbox(mailbox("a@example.test")), MailParameters(ret: .full))),
    ParseFixture(
        line: "MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή> SMTPUTF8",
        command: .mail(.mailbox(mailbox("δοκιμή@παράδειγμα.δοκιμή")), MailParameters(smtpUTF8: true))),
    ParseFixture(
        line: "MAIL FROM:<a@example.test> AUTH=<>", command: .mail(.mailbox(mailbox("a@example.test")), MailParameters(auth: .unknown))),
    ParseFixture(
        line: "MAIL FROM:<a@example.test> AUTH=e+3Dmc2@example.test",
        command: .mail(.mailbox(mailbox("a@example.test")), MailParameters(auth: .mailbox("e=mc2@example.test")))),
    ParseFixture(line: "RCPT TO:<bob@example.test>", command: .rcpt(.mailbox(mailbox("bob@example.test")), RcptParameters())),
    ParseFixture(line: "RCPT TO:<Postmaster>", command: .rcpt(.postmaster, RcptParameters())),
    ParseFixture(line: "rcpt to:<postmaster>", command: .rcpt(.postmaster, RcptParameters())),
    ParseFixture(
        line: "RCPT TO:<postmaster@example.test>", command: .rcpt(.mailbox(mailbox("postmaster@example.test")), RcptParameters())),
    ParseFixture(
        line: "RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40example.test",
        command: .rcpt(
            .mailbox(mailbox("bob@example.test")),
            RcptParameters(
                notify: .on([.success, .failure]),
                originalRecipient: OriginalRecipient(addressType: "rfc822", address: "bob@example.test")))),
    ParseFixture(
        line: "RCPT TO:<bob@example.test> NOTIFY=never", command: .rcpt(.mailbox(mailbox("bob@example.test")), RcptParameters(notify: .never))),
    ParseFixture(
        line: "RCPT TO:<bob@example.test> NOTIFY=DELAY", command: .rcpt(.mailbox(mailbox("bob@example.test")), RcptParameters(notify: .on([.delay])))),
    ParseFixture(line: "DATA", command: .data),
    ParseFixture(line: "BDAT 1000", command: .bdat(size: 1000, last: false)),
    ParseFixture(line: "BDAT 0 LAST", command: .bdat(size: 0, last: true)),
    ParseFixture(line: "bdat 12 last", command: .bdat(size: 12, last: true)),
    ParseFixture(line: "RSET", command: .rset),
    ParseFixture(line: "RSET ", command: .rset),
    ParseFixture(line: "NOOP", command: .noop(nil)),
    ParseFixture(line: "NOOP are you there", command: .noop("are you there")),
    ParseFixture(line: "QUIT", command: .quit),
    ParseFixture(line: "VRFY alice", command: .vrfy("alice")),
    ParseFixture(line: "EXPN team", command: .expn("team")),
    ParseFixture(line: "HELP", command: .help(nil)),
    ParseFixture(line: "HELP MAIL", command: .help("MAIL")),
    ParseFixture(line: "STARTTLS", command: .startTLS),
    ParseFixture(line: "AUTH PLAIN", command: .auth(mechanism: "PLAIN", initialResponse: nil)),
    ParseFixture(line: "auth login", command: .auth(mechanism: "LOGIN", initialResponse: nil)),
    ParseFixture(line: "AUTH PLAIN AGFsaWNlAHNlY3JldA==", command: .auth(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHNlY3JldA==")),
    ParseFixture(line: "AUTH PLAIN =", command: .auth(mechanism: "PLAIN", initialResponse: "=")),
]

let failureFixtures: [FailureFixture] = [
    FailureFixture(line: "", error: .empty),
    FailureFixture(line: "FOO bar", error: .unknownCommand("FOO")),
    FailureFixture(line: "EHLO", error: .syntax(.ehlo)),
    FailureFixture(line: "EHLO a b", error: .syntax(.ehlo)),
    FailureFixture(line: "EHLO bad..name", error: .invalidDomain("bad..name")),
    FailureFixture(line: "HELO [300.1.1.1]", error: .invalidDomain("[300.1.1.1]")),
    FailureFixture(line: "HELO [IPv6:zz::1]", error: .invalidDomain("[IPv6:zz::1]")),
    FailureFixture(line: "MAIL TO:<a@example.test>", error: .syntax(.mail)),
    FailureFixture(line: "MAIL FROM:a@example.test", error: .invalidPath(.mail, "the address must be in angle brackets")),
    FailureFixture(line: "MAIL FROM:<a@example.test", error: .invalidPath(.mail, "missing \">\"")),
    FailureFixture(line: "MAIL FROM:<a@example.test>x", error: .invalidPath(.mail, "text after \">\"")),
    FailureFixture(line: "MAIL FROM:<@relay.example>", error: .invalidPath(.mail, "malformed source route")),
    FailureFixture(line: "MAIL FROM:<a@example.test> SIZE=abc", error: .invalidParameter(keyword: "SIZE", reason: "a size is 1 to 20 digits")),
    FailureFixture(line: "MAIL FROM:<a@example.test> SIZE=123456789012345678901", error: .invalidParameter(keyword: "SIZE", reason: "a size is 1 to 20 digits")),
    FailureFixture(line: "MAIL FROM:<a@example.test> BODY=BINARYMIME", error: .unsupportedValue(keyword: "BODY", value: "BINARYMIME")),
    FailureFixture(line: "MAIL FROM:<a@example.test> BODY=9BIT", error: .invalidParameter(keyword: "BODY", reason: "use 7BIT or 8BITMIME")),
    FailureFixture(line: "MAIL FROM:<a@example.test> SMTPUTF8=yes", error: .invalidParameter(keyword: "SMTPUTF8", reason: "takes no value")),
    FailureFixture(line: "MAIL FROM:<a@example.test> RET=ALL", error: .invalidParameter(keyword: "RET", reason: "use FULL or HDRS")),
    FailureFixture(line: "MAIL FROM:<a@example.test> RET=FULL RET=HDRS", error: .duplicateParameter("RET")),
    FailureFixture(line: "MAIL FROM:<a@example.test> ENVID=a+2", error: .invalidParameter(keyword: "ENVID", reason: "ENVID is xtext of at most 100 printable characters")),
    FailureFixture(
        line: "MAIL FROM:<a@example.test> ENVID=" + String(repeating: "x", count: 101),
        error: .invalidParameter(keyword: "ENVID", reason: "ENVID is xtext of at most 100 printable characters")),
    FailureFixture(line: "MAIL FROM:<a@example.test> FOO=bar", error: .unknownParameter(.mail, "FOO")),
    FailureFixture(line: "MAIL FROM:<a@example.test> =x", error: .syntax(.mail)),
    FailureFixture(line: "MAIL FROM:<a@example.test> SIZE=", error: .invalidParameter(keyword: "SIZE", reason: "malformed value")),
    FailureFixture(line: "MAIL FROM:<a@@example.test>", error: .invalidPath(.mail, "character '@' is not allowed in an unquoted local part")),
    FailureFixture(line: "MAIL FROM:<a@exa_mple.test>", error: .invalidPath(.mail, "character '_' is not allowed in a domain (letters, digits and hyphens only)")),
    FailureFixture(line: "RCPT TO:<>", error: .invalidPath(.rcpt, "empty recipient")),
    FailureFixture(line: "RCPT FROM:<a@example.test>", error: .syntax(.rcpt)),
    FailureFixture(line: "RCPT TO:<b@example.test> NOTIFY=NEVER,SUCCESS", error: .invalidParameter(keyword: "NOTIFY", reason: "use NEVER or SUCCESS,FAILURE,DELAY")),
    FailureFixture(line: "RCPT TO:<b@example.test> NOTIFY=SUCCESS,SUCCESS", error: .invalidParameter(keyword: "NOTIFY", reason: "use NEVER or SUCCESS,FAILURE,DELAY")),
    FailureFixture(line: "RCPT TO:<b@example.test> NOTIFY=FAILURE NOTIFY=DELAY", error: .duplicateParameter("NOTIFY")),
    FailureFixture(line: "RCPT TO:<b@example.test> ORCPT=b@example.test", error: .invalidParameter(keyword: "ORCPT", reason: "use ORCPT=rfc822;address")),
    FailureFixture(line: "RCPT TO:<b@example.test> ORCPT=rfc822;a+zz", error: .invalidParameter(keyword: "ORCPT", reason: "use ORCPT=rfc822;address")),
    FailureFixture(line: "RCPT TO:<b@example.test> SIZE=10", error: .unknownParameter(.rcpt, "SIZE")),
    FailureFixture(line: "DATA now", error: .syntax(.data)),
    FailureFixture(line: "QUIT now", error: .syntax(.quit)),
    FailureFixture(line: "STARTTLS x", error: .syntax(.startTLS)),
    FailureFixture(line: "BDAT", error: .syntax(.bdat)),
    FailureFixture(line: "BDAT -1", error: .syntax(.bdat)),
    FailureFixture(line: "BDAT 10 FIRST", error: .syntax(.bdat)),
    FailureFixture(line: "BDAT 99999999999999999999999", error: .syntax(.bdat)),
    FailureFixture(line: "VRFY", error: .syntax(.vrfy)),
    FailureFixture(line: "HELP a b", error: .syntax(.help)),
    FailureFixture(line: "AUTH", error: .syntax(.auth)),
    FailureFixture(line: "AUTH PLAIN a b", error: .syntax(.auth)),
    FailureFixture(line: "AUTH PL@IN", error: .syntax(.auth)),
]

@Suite("SMTP command parser")
struct CommandParserTests {
    @Test(arguments: parseFixtures)
    func parses(_ fixture: ParseFixture) {
        #expect(SMTPCommand.parse(fixture.line) == .success(fixture.command))
    }

    @Test(arguments: failureFixtures)
    func refuses(_ fixture: FailureFixture) {
        #expect(SMTPCommand.parse(fixture.line) == .failure(fixture.error))
    }

    @Test(arguments: parseFixtures)
    func roundTrips(_ fixture: ParseFixture) {
        let encoded = fixture.command.wire
        #expect(encoded.hasSuffix("\r\n"))
        #expect(SMTPCommand.parse(Array(encoded.utf8.dropLast(2))) == .success(fixture.command))
    }

    @Test func encodesFixtures() {
        let mail = SMTPCommand.mail(
            .mailbox(mailbox("a@example.test")),
            MailParameters(size: 12, body: .eightBitMIME, smtpUTF8: true, ret: .headers, envelopeID: "id=1 x", auth: .mailbox("a+b@example.test")))
        #expect(mail.wire == "MAIL FROM:<a@example.test> SIZE=12 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+3D1+20x AUTH=a+2Bb@example.test\r\n")
        let rcpt = SMTPCommand.rcpt(
            .mailbox(mailbox("b@example.test")),
            RcptParameters(notify: .on([.delay, .success]), originalRecipient: OriginalRecipient(addressType: "rfc822", address: "b@example.test")))
        #expect(rcpt.wire == "RCPT TO:<b@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b@example.test\r\n")
        #expect(SMTPCommand.mail(.null, MailParameters()).description == "MAIL FROM:<>")
        #expect(SMTPCommand.rcpt(.postmaster, RcptParameters()).description == "RCPT TO:<Postmaster>")
        #expect(SMTPCommand.bdat(size: 0, last: true).description == "BDAT 0 LAST")
        #expect(SMTPCommand.auth(mechanism: "PLAIN", initialResponse: "=").description == "AUTH PLAIN =")
        #expect(SMTPCommand.noop(nil).encoded() == ByteBuffer(string: "NOOP\r\n"))
    }

    @Test func parsesFromBytes() {
        #expect(SMTPCommand.parse(ByteBuffer(string: "NOOP")) == .success(.noop(nil)))
        #expect(SMTPCommand.parse([0x4E, 0x4F, 0x4F, 0x50, 0x20, 0xFF]) == .failure(.invalidUTF8))
    }

    // MARK: - Limits (STYLE.md rule 3)

    /// RFC 5321 §4.5.3.1.4: 512 octets with CRLF.
    @Test func commandLineLimit() {
        let fits = "NOOP " + String(repeating: "x", count: 510 - 5)
        #expect(fits.utf8.count + 2 == 512)
        #expect(SMTPCommand.parse(fits) == .success(.noop(String(repeating: "x", count: 505))))
        #expect(SMTPCommand.parse(fits + "x") == .failure(.lineTooLong(limit: 512)))
        #expect(SMTPCommand.parse(String(repeating: "y", count: 600)) == .failure(.lineTooLong(limit: 512)))
    }

    /// RFC 3461 §5.4 and RFC 1870/4954/6531: MAIL and RCPT may be longer.
    @Test func extendedLimitsForMailAndRcpt() {
        #expect(SMTPCommandTable.mailLineLimit == 1172)
        #expect(SMTPCommandTable.rcptLineLimit == 1042)
        #expect(SMTPCommandTable.longestCommandLine == 1172)
        let orcpt = "rfc822;" + String(repeating: "o", count: 480) + "@example.test"
        let rcpt = "RCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=\(orcpt)"
        #expect(rcpt.utf8.count > 512)
        guard case .success(.rcpt(_, let parameters)) = SMTPCommand.parse(rcpt) else {
            Issue.record("a long RCPT did not parse")
            return
        }
        #expect(parameters.originalRecipient?.address.hasSuffix("@example.test") == true)
        let tooLong = "RCPT TO:<b@example.test> " + String(repeating: "X", count: 1100)
        #expect(SMTPCommand.parse(tooLong) == .failure(.lineTooLong(limit: 1042)))
    }

    /// RFC 3461 §4.2: ORCPT up to 500 characters.
    @Test func originalRecipientLimit() {
        let value = "rfc822;" + String(repeating: "o", count: 500 - 7)
        #expect(value.count == 500)
        if case .failure = SMTPCommand.parse("RCPT TO:<b@example.test> ORCPT=\(value)") {
            Issue.record("500 characters must pass")
        }
        #expect(
            SMTPCommand.parse("RCPT TO:<b@example.test> ORCPT=\(value)o")
                == .failure(.invalidParameter(keyword: "ORCPT", reason: "use ORCPT=rfc822;address")))
    }

    /// RFC 5321 §4.5.3.1.1-3: the sizes of local part, domain and path.
    @Test func addressLimits() {
        let local64 = String(repeating: "l", count: 64)
        if case .failure = SMTPCommand.parse("MAIL FROM:<\(local64)@example.test>") {
            Issue.record("64 octets of local part must pass")
        }
        guard case .failure(.invalidPath(.mail, let reason)) = SMTPCommand.parse("MAIL FROM:<\(local64)l@example.test>") else {
            Issue.record("65 octets of local part must fail")
            return
        }
        #expect(reason.contains("64"))
        let label = String(repeating: "d", count: 63)
        let longDomain = [label, label, label, label].joined(separator: ".")
        guard case .failure(.invalidPath) = SMTPCommand.parse("RCPT TO:<a@\(longDomain)>") else {
            Issue.record("a 255-octet domain in a 256+ path must fail")
            return
        }
    }

    @Test func utf8AddressValidation() {
        #expect(throws: SMTPAddressError.self) { try SMTPMailbox("δοκιμή@") }
        #expect(throws: SMTPAddressError.self) { try SMTPMailbox("δοκ..ιμή@example.test") }
        #expect(throws: SMTPAddressError.self) { try SMTPMailbox("δοκιμή@-bad.example") }
        #expect(throws: SMTPAddressError.self) { try SMTPMailbox("δοκιμή@[192.0.2.1é]") }
        #expect(throws: SMTPAddressError.self) { try SMTPMailbox(String(repeating: "é", count: 33) + "@example.test") }
        let quoted = try? SMTPMailbox("\"δοκ ιμή\"@Example.TEST")
        #expect(quoted?.localPart == "\"δοκ ιμή\"")
        #expect(quoted?.domain == "example.test")
        #expect(quoted?.isInternationalized == true)
        #expect(quoted?.mailAddress == nil)
        #expect((try? SMTPMailbox("a@example.test"))?.mailAddress?.normalized == "a@example.test")
    }

    @Test func xtext() {
        #expect(XText.decode("a+2Bb+3Dc") == "a+b=c")
        #expect(XText.decode("a+2bb") == "a+b")
        #expect(XText.decode("a+2") == nil)
        #expect(XText.decode("a=b") == nil)
        #expect(XText.decode("a b") == nil)
        #expect(XText.encode("a+b=c d\u{1}") == "a+2Bb+3Dc+20d+01")
        #expect(XText.decode(XText.encode("José <x@y>")) == "José <x@y>")
    }

    @Test func tableCoversEveryVerb() {
        for verb in SMTPVerb.allCases {
            #expect(SMTPCommandTable.spec(verb).verb == verb)
        }
        #expect(SMTPCommandTable.entries.count == SMTPVerb.allCases.count)
    }
}
