// Session transcripts (C:/S:) covering the issue's acceptance refusals and
// the command sequence rules, each played line by line, pipelined and
// drip-fed (STYLE.md rule 11).
import Testing

@testable import SMTP

/// The EHLO reply to an outsider on the MX listener without TLS.
let ehloOutsider = """
    S: 250-mx.example.test greets client.example [192.0.2.7]
    S: 250-PIPELINING
    S: 250-SIZE 10000
    S: 250-8BITMIME
    S: 250-ENHANCEDSTATUSCODES
    S: 250-STARTTLS
    S: 250-DSN
    S: 250-SMTPUTF8
    S: 250-CHUNKING
    S: 250 HELP
    """

let greeting = "S: 220 mx.example.test ESMTP Chappe"

let sessionTranscripts: [Transcript] = [
    Transcript(
        "a message to a local user, pipelined envelope",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<alice@example.test>
        C: DATA
        S: 250 2.1.0 sender <carol@remote.example> OK
        S: 250 2.1.5 recipient <alice@example.test> OK
        S: 354 end data with <CR><LF>.<CR><LF>
        C: Subject: hi
        C:
        C: ..a line that starts with a dot
        C: .
        S: 250 2.0.0 OK queued as Q1
        C: QUIT
        S: 221 2.0.0 mx.example.test closing connection
        S: <closed>
        """),
    Transcript(
        "relay attempt from an untrusted address without AUTH",
        """
        \(greeting)
        C: HELO client.example
        S: 250 mx.example.test greets client.example [192.0.2.7]
        C: MAIL FROM:<carol@remote.example>
        S: 250 2.1.0 sender <carol@remote.example> OK
        C: RCPT TO:<dave@elsewhere.example>
        S: 554 5.7.1 relay access denied
        C: DATA
        S: 554 5.5.1 no valid recipients
        """),
    Transcript(
        "relay from a trusted network", peer: "10.1.2.3",
        """
        S: 220 mx.example.test ESMTP Chappe
        C: EHLO relay.example
        S: 250-mx.example.test greets relay.example [10.1.2.3]
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250 HELP
        C: MAIL FROM:<alice@example.test>
        C: RCPT TO:<dave@elsewhere.example>
        S: 250 2.1.0 *
        S: 250 2.1.5 recipient <dave@elsewhere.example> OK
        """),
    Transcript(
        "unknown local user",
        """
        \(greeting)
        C: HELO client.example
        S: 250 *
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<nobody@example.test>
        C: RCPT TO:<flaky@example.test>
        S: 250 2.1.0 *
        S: 550 5.1.1 <nobody@example.test>: recipient address rejected: user unknown
        S: 451 4.3.0 temporary failure looking up the recipient, try again later
        """),
    Transcript(
        "aliases, plus-addressing and postmaster",
        """
        \(greeting)
        C: HELO client.example
        S: 250 *
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<info@example.test>
        C: RCPT TO:<team@lists.example.test>
        C: RCPT TO:<alice+news@example.test>
        C: RCPT TO:<Postmaster>
        C: RCPT TO:<POSTMASTER@lists.example.test>
        S: 250 2.1.0 *
        S: 250 2.1.5 recipient <info@example.test> OK
        S: 250 2.1.5 recipient <team@lists.example.test> OK
        S: 250 2.1.5 recipient <alice+news@example.test> OK
        S: 250 2.1.5 recipient <postmaster@example.test> OK
        S: 250 2.1.5 recipient <POSTMASTER@lists.example.test> OK
        """),
    Transcript(
        "SIZE over the limit is refused on MAIL",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: MAIL FROM:<carol@remote.example> SIZE=10001
        S: 552 5.3.4 message size exceeds the fixed maximum of 10000 octets
        C: MAIL FROM:<carol@remote.example> SIZE=10000
        S: 250 2.1.0 *
        """),
    Transcript(
        "too many recipients",
        """
        \(greeting)
        C: HELO client.example
        S: 250 *
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<alice@example.test>
        C: RCPT TO:<bob@example.test>
        C: RCPT TO:<info@example.test>
        C: RCPT TO:<team@example.test>
        C: RCPT TO:<postmaster@example.test>
        C: RCPT TO:<alice+1@example.test>
        C: DATA
        S: 250 2.1.0 *
        S: 250 2.1.5 *
        S: 250 2.1.5 *
        S: 250 2.1.5 *
        S: 250 2.1.5 *
        S: 250 2.1.5 *
        S: 452 4.5.3 too many recipients
        S: 354 *
        C: .
        S: 250 2.0.0 OK queued as Q1
        """),
    Transcript(
        "MAIL before EHLO and other sequence errors",
        """
        \(greeting)
        C: MAIL FROM:<carol@remote.example>
        S: 503 5.5.1 send EHLO or HELO first
        C: NOOP
        S: 250 2.0.0 OK
        C: EHLO client.example
        \(ehloOutsider)
        C: RCPT TO:<alice@example.test>
        S: 503 5.5.1 need MAIL before RCPT
        C: DATA
        S: 503 5.5.1 need MAIL before DATA
        C: MAIL FROM:<carol@remote.example>
        S: 250 2.1.0 *
        C: MAIL FROM:<carol@remote.example>
        S: 503 5.5.1 nested MAIL command
        C: DATA
        S: 554 5.5.1 no valid recipients
        """),
    Transcript(
        "RSET discards exactly the transaction",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<alice@example.test>
        C: RSET
        C: RCPT TO:<alice@example.test>
        C: MAIL FROM:<carol@remote.example>
        S: 250 2.1.0 *
        S: 250 2.1.5 *
        S: 250 2.0.0 OK
        S: 503 5.5.1 need MAIL before RCPT
        S: 250 2.1.0 *
        """),
    Transcript(
        "a new EHLO resets the transaction",
        """
        \(greeting)
        C: HELO client.example
        S: 250 *
        C: MAIL FROM:<carol@remote.example>
        S: 250 2.1.0 *
        C: HELO client.example
        S: 250 *
        C: RCPT TO:<alice@example.test>
        S: 503 5.5.1 need MAIL before RCPT
        """),
    Transcript(
        "unknown commands, syntax errors and parameters",
        """
        \(greeting)
        C: FOO bar
        S: 500 5.5.1 command "FOO" not recognized
        C: EHLO
        S: 501 5.5.2 syntax: EHLO domain
        C: HELO client.example
        S: 250 *
        C: MAIL FROM:carol@remote.example
        S: 501 5.1.7 bad address: the address must be in angle brackets
        C: MAIL FROM:<carol@remote.example> XYZZY=1
        S: 555 5.5.4 parameter "XYZZY" not supported
        C: MAIL FROM:<carol@remote.example> BODY=BINARYMIME
        S: 555 5.5.4 BODY="BINARYMIME" not supported
        C: MAIL FROM:<carol@remote.example> RET=FULL RET=HDRS
        S: 501 5.5.4 parameter RET given twice
        C: MAIL FROM:<carol@remote.example>
        S: 250 2.1.0 *
        C: RCPT TO:<alice@@example.test>
        S: 501 5.1.3 bad address: *
        """),
    Transcript(
        "bare LF in a command line",
        """
        \(greeting)
        C: NOOP<LF>NOOP
        S: 500 5.5.2 line must end with CRLF
        S: 250 2.0.0 OK
        """),
    Transcript(
        "VRFY, EXPN and HELP",
        """
        \(greeting)
        C: VRFY alice
        S: 252 2.0.0 cannot VRFY user, but will accept message and attempt delivery
        C: EXPN team
        S: 502 5.5.1 EXPN is not available
        C: HELP RCPT
        S: 214-2.0.0 RCPT TO:<address> [NOTIFY=NEVER|SUCCESS,FAILURE,DELAY] [ORCPT=type;xtext]
        S: 214 2.0.0 Add a recipient to the transaction
        C: HELP XYZ
        S: 504 5.5.4 no help for "XYZ"
        """),
    Transcript(
        "null sender and DSN parameters",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: MAIL FROM:<> RET=HDRS ENVID=abc+2B1
        C: RCPT TO:<alice@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;alice@example.test
        C: RCPT TO:<bob@example.test> NOTIFY=NEVER
        C: DATA
        S: 250 2.1.0 sender <> OK
        S: 250 2.1.5 *
        S: 250 2.1.5 *
        S: 354 *
        C: Subject: bounce
        C:
        C: body
        C: .
        S: 250 2.0.0 OK queued as Q1
        """),
    Transcript(
        "UTF-8 addresses need SMTPUTF8",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: MAIL FROM:<josé@remote.example>
        S: 550 5.6.7 non-ASCII sender address needs the SMTPUTF8 parameter
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<josé@example.test>
        S: 250 2.1.0 *
        S: 553 5.6.7 non-ASCII recipient address needs SMTPUTF8 on MAIL
        C: RSET
        C: MAIL FROM:<josé@remote.example> SMTPUTF8
        C: RCPT TO:<josé@example.test>
        S: 250 2.0.0 OK
        S: 250 2.1.0 sender <josé@remote.example> OK
        S: 550 5.1.1 <josé@example.test>: recipient address rejected: user unknown
        """),
    Transcript(
        "smuggling: a bare LF in DATA is refused at the real end",
        """
        \(greeting)
        C: HELO client.example
        S: 250 *
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<alice@example.test>
        C: DATA
        S: 250 2.1.0 *
        S: 250 2.1.5 *
        S: 354 *
        C: Subject: one<LF>.<LF>MAIL FROM:<evil@remote.example><LF>RCPT TO:<bob@example.test><LF>DATA<LF>smuggled
        C: .
        S: 554 5.6.0 message refused: bare CR or LF in the data; lines must end with CRLF
        C: NOOP
        S: 250 2.0.0 OK
        """),
    Transcript(
        "smuggling: a bare CR before the dot is refused too",
        """
        \(greeting)
        C: HELO client.example
        S: 250 *
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<alice@example.test>
        C: DATA
        S: 250 2.1.0 *
        S: 250 2.1.5 *
        S: 354 *
        C: text<CR>.<CR>
        C: .
        S: 554 5.6.0 *
        """),
    Transcript(
        "BDAT chunks, and BDAT 0 LAST",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<alice@example.test>
        C: BDAT 15
        C: Subject: hi<NOCRLF>
        C: <CR><LF><CR><LF><NOCRLF>
        C: BDAT 6 LAST
        C: body<CR><LF><NOCRLF>
        S: 250 2.1.0 *
        S: 250 2.1.5 *
        S: 250 2.0.0 15 octets received
        S: 250 2.0.0 OK queued as Q1
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<bob@example.test>
        C: BDAT 0 LAST
        S: 250 2.1.0 *
        S: 250 2.1.5 *
        S: 250 2.0.0 OK queued as Q2
        """),
    Transcript(
        "BDAT out of sequence is read and dropped, then refused",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: BDAT 10
        C: NOOP<CR><LF>NOOP<NOCRLF>
        S: 503 5.5.1 need MAIL before BDAT
        C: MAIL FROM:<carol@remote.example>
        C: RCPT TO:<alice@example.test>
        C: BDAT 3
        C: abc<NOCRLF>
        C: DATA
        S: 250 2.1.0 *
        S: 250 2.1.5 *
        S: 250 2.0.0 3 octets received
        S: 503 5.5.1 DATA cannot follow BDAT in the same transaction
        C: RSET
        S: 250 2.0.0 OK
        """),
    Transcript(
        "STARTTLS resets the session",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: STARTTLS
        S: 220 2.0.0 ready to start TLS
        C: MAIL FROM:<carol@remote.example>
        S: 503 5.5.1 send EHLO or HELO first
        C: EHLO client.example
        S: 250-mx.example.test greets client.example [192.0.2.7]
        S: 250-PIPELINING
        S: 250-SIZE 10000
        S: 250-8BITMIME
        S: 250-ENHANCEDSTATUSCODES
        S: 250-AUTH PLAIN LOGIN
        S: 250-DSN
        S: 250-SMTPUTF8
        S: 250-CHUNKING
        S: 250 HELP
        C: STARTTLS
        S: 503 5.5.1 TLS already active
        """),
    Transcript(
        "AUTH before STARTTLS on submission", listener: "submission",
        """
        \(greeting)
        C: EHLO client.example
        S: 250-mx.example.test greets client.example [192.0.2.7]
        S: 250-PIPELINING
        S: 250-SIZE 10000
        S: 250-8BITMIME
        S: 250-ENHANCEDSTATUSCODES
        S: 250-STARTTLS
        S: 250-DSN
        S: 250-SMTPUTF8
        S: 250-CHUNKING
        S: 250 HELP
        C: AUTH PLAIN \(plain("alice@example.test", "secret"))
        S: 538 5.7.11 encryption required for requested authentication mechanism
        C: MAIL FROM:<alice@example.test>
        S: 530 5.7.0 must issue a STARTTLS command first
        C: VRFY alice
        S: 530 5.7.0 must issue a STARTTLS command first
        C: NOOP
        S: 250 2.0.0 OK
        """),
    Transcript(
        "submission requires AUTH, then only the user's own address", listener: "submission", tls: true,
        """
        \(greeting)
        C: EHLO client.example
        S: 250-mx.example.test greets client.example [192.0.2.7]
        S: 250-PIPELINING
        S: 250-SIZE 10000
        S: 250-8BITMIME
        S: 250-ENHANCEDSTATUSCODES
        S: 250-AUTH PLAIN LOGIN
        S: 250-DSN
        S: 250-SMTPUTF8
        S: 250-CHUNKING
        S: 250 HELP
        C: MAIL FROM:<alice@example.test>
        S: 530 5.7.0 authentication required
        C: AUTH PLAIN \(plain("alice@example.test", "secret"))
        S: 235 2.7.0 authentication succeeded
        C: AUTH PLAIN \(plain("alice@example.test", "secret"))
        S: 503 5.5.1 already authenticated
        C: MAIL FROM:<bob@example.test>
        S: 553 5.7.1 sender address <bob@example.test> is not owned by user "alice@example.test"
        C: MAIL FROM:<Alice@Example.test>
        C: RCPT TO:<dave@elsewhere.example>
        C: AUTH PLAIN \(plain("alice@example.test", "secret"))
        S: 250 2.1.0 *
        S: 250 2.1.5 recipient <dave@elsewhere.example> OK
        S: 503 5.5.1 AUTH is not allowed during a mail transaction
        """),
    Transcript(
        "AUTH LOGIN, cancel and failure", listener: "submission", tls: true,
        """
        \(greeting)
        C: EHLO client.example
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250-*
        S: 250 HELP
        C: AUTH LOGIN
        S: 334 VXNlcm5hbWU6
        C: *
        S: 501 5.7.0 authentication cancelled
        C: AUTH PLAIN
        S: 334 \("")
        C: not base64!
        S: 501 5.5.2 cannot decode the response
        C: AUTH CRAM-MD5
        S: 504 5.5.4 unrecognized authentication mechanism; use PLAIN or LOGIN
        C: AUTH PLAIN \(plain("alice@example.test", "wrong"))
        S: 535 5.7.8 authentication credentials invalid
        C: AUTH LOGIN \(base64("bob"))
        S: 334 UGFzc3dvcmQ6
        C: \(base64("hunter2"))
        S: 235 2.7.0 authentication succeeded
        C: MAIL FROM:<bob@example.test>
        S: 250 2.1.0 *
        """),
    Transcript(
        "AUTH on the MX listener without TLS",
        """
        \(greeting)
        C: EHLO client.example
        \(ehloOutsider)
        C: AUTH PLAIN \(plain("alice@example.test", "secret"))
        S: 538 5.7.11 encryption required for requested authentication mechanism
        """),
    Transcript(
        "too many failed AUTH closes the session", listener: "submission", tls: true,
        """
        \(greeting)
        C: HELO client.example
        S: 250 *
        C: AUTH PLAIN \(plain("alice@example.test", "x"))
        S: 535 5.7.8 *
        C: AUTH PLAIN \(plain("alice@example.test", "y"))
        S: 535 5.7.8 *
        C: AUTH PLAIN \(plain("alice@example.test", "z"))
        S: 535 5.7.8 *
        S: 421 4.7.0 too many failed authentications, closing connection
        S: <closed>
        """),
]

@Suite("SMTP session transcripts")
struct SessionTranscriptTests {
    @Test(arguments: sessionTranscripts, Transcript.Feed.allCases)
    func plays(_ transcript: Transcript, feed: Transcript.Feed) async {
        await play(transcript, feed: feed)
    }
}
