// Every reply the server sends, in one place (STYLE.md rule 8). The error
// categories map as:
//   syntax    -> 500 / 501 / 504 / 555 (5.5.x), the command is refused and counted
//   sequence  -> 503 5.5.1 (generated from SMTPCommandTable)
//   policy    -> 5xx with 5.1.x / 5.3.4 / 5.4.6 / 5.6.x / 5.7.x
//   temporary -> 4xx (451 4.3.0, 452 4.5.3, 454 4.7.0) and a log line by the performer
//   I/O       -> the connection closes (after 421 when the session ends it)
// Client input in a reply is quoted and cut (`SMTPReply.quoted`).

extension SMTPReply {
    // MARK: Session

    /// RFC 5321 §4.2: the greeting carries no enhanced code (RFC 2034 §4).
    static func greeting(_ hostname: String) -> SMTPReply {
        SMTPReply(220, nil, "\(hostname) ESMTP Chappe")
    }

    static func closing(_ hostname: String) -> SMTPReply {
        SMTPReply(221, .undefined, "\(hostname) closing connection")
    }

    static let ok = SMTPReply(250, .undefined, "OK")
    static let shuttingDown = SMTPReply(421, .notAccepting, "service shutting down, try again later")
    static let idleTimeout = SMTPReply(421, .badConnection, "idle timeout, closing connection")
    static let tooManyErrors = SMTPReply(421, .security, "too many errors, closing connection")
    static let tooManyCommands = SMTPReply(421, .security, "too many commands, closing connection")
    static let tooManyAuthFailures = SMTPReply(421, .security, "too many failed authentications, closing connection")

    /// RFC 5321 §4.5.3.1.4 and §4.5.3.1.6 ("500 Line too long", §4.5.3.1.9).
    static let lineTooLong = SMTPReply(500, .syntaxError, "line too long")
    /// RFC 5321 §2.3.8: a command line ends only in CRLF.
    static let bareLineEnding = SMTPReply(500, .syntaxError, "line must end with CRLF")

    // MARK: Parse errors

    /// The one mapping from parse errors to replies.
    static func refusal(_ error: SMTPParseError) -> SMTPReply {
        switch error {
        case .empty, .unknownCommand:
            return SMTPReply(500, .invalidCommand, error.description)
        case .lineTooLong:
            return lineTooLong
        case .invalidUTF8:
            return SMTPReply(500, .syntaxError, error.description)
        case .syntax:
            return SMTPReply(501, .syntaxError, error.description)
        case .invalidDomain:
            return SMTPReply(501, .invalidArguments, error.description)
        case .invalidPath(let verb, _):
            // RFC 3463: X.1.7 bad sender syntax, X.1.3 bad recipient syntax.
            return SMTPReply(501, verb == .mail ? .badSenderSyntax : .badRecipientSyntax, error.description)
        case .unknownParameter, .unsupportedValue:
            // RFC 5321 §4.2.3: 555 MAIL FROM/RCPT TO parameters not recognized.
            return SMTPReply(555, .invalidArguments, error.description)
        case .invalidParameter, .duplicateParameter:
            // RFC 3461 §5.1 (a): 501 syntax error in parameters.
            return SMTPReply(501, .invalidArguments, error.description)
        }
    }

    // MARK: EHLO, HELO, HELP, VRFY, EXPN, NOOP

    static func ehlo(hostname: String, client: String, keywords: [String]) -> SMTPReply {
        SMTPReply(250, nil, ["\(hostname) greets \(client)"] + keywords)
    }

    static func helo(hostname: String, client: String) -> SMTPReply {
        SMTPReply(250, nil, "\(hostname) greets \(client)")
    }

    /// RFC 5321 §3.5.3: 252 when VRFY is not offered.
    static let cannotVerify = SMTPReply(252, .undefined, "cannot VRFY user, but will accept message and attempt delivery")
    static let expnDisabled = SMTPReply(502, .invalidCommand, "EXPN is not available")

    static func verified(_ address: String) -> SMTPReply {
        SMTPReply(250, .recipientValid, "<\(address)>")
    }

    // MARK: STARTTLS and AUTH

    /// RFC 3207 §4.
    static let readyForTLS = SMTPReply(220, .undefined, "ready to start TLS")
    static let tlsNotAvailable = SMTPReply(454, .security, "TLS not available")
    static let tlsAlreadyActive = SMTPReply(503, .badSequence, "TLS already active")
    /// On submission before STARTTLS (RFC 3207 §4, RFC 8314 §3.3 spirit).
    static let tlsRequired = SMTPReply(530, .security, "must issue a STARTTLS command first")
    /// RFC 4954 §6.
    static let authRequired = SMTPReply(530, .security, "authentication required")
    static let encryptionRequired = SMTPReply(
        538, .encryptionRequired, "encryption required for requested authentication mechanism")
    static let authSucceeded = SMTPReply(235, .security, "authentication succeeded")
    static let authInvalid = SMTPReply(535, .invalidCredentials, "authentication credentials invalid")
    static let authCancelled = SMTPReply(501, .security, "authentication cancelled")
    static let authBadBase64 = SMTPReply(501, .syntaxError, "cannot decode the response")
    static let authLineTooLong = SMTPReply(500, .authLineTooLong, "authentication exchange line is too long")
    static let authAlreadyDone = SMTPReply(503, .badSequence, "already authenticated")
    static let authNotOffered = SMTPReply(502, .invalidCommand, "AUTH is not available on this port")
    static let authMechanism = SMTPReply(504, .invalidArguments, "unrecognized authentication mechanism; use PLAIN or LOGIN")
    static let authTemporary = SMTPReply(454, .security, "temporary authentication failure, try again later")

    /// RFC 4954 §4: "334 " and the base64 challenge, no enhanced code.
    static func challenge(_ base64: String) -> SMTPReply {
        SMTPReply(334, nil, base64)
    }

    // MARK: MAIL and RCPT

    static func senderOK(_ path: ReversePath) -> SMTPReply {
        SMTPReply(250, .otherAddress, "sender \(path) OK")
    }

    static func recipientOK(_ path: SMTPMailbox) -> SMTPReply {
        SMTPReply(250, .recipientValid, "recipient <\(path)> OK")
    }

    /// RFC 1870 §6.1: a declared size over the limit.
    static func declaredTooBig(limit: Int) -> SMTPReply {
        SMTPReply(552, .messageTooBig, "message size exceeds the fixed maximum of \(limit) octets")
    }

    static func senderNotOwned(_ path: ReversePath, user: String) -> SMTPReply {
        SMTPReply(553, .notAuthorized, "sender address \(path) is not owned by user \(quoted(user))")
    }

    /// RFC 6531 §3.5.
    static let nonASCIISender = SMTPReply(550, .nonASCIIAddress, "non-ASCII sender address needs the SMTPUTF8 parameter")
    static let nonASCIIRecipient = SMTPReply(553, .nonASCIIAddress, "non-ASCII recipient address needs SMTPUTF8 on MAIL")

    /// RFC 5321 §4.5.3.1.10: the recipients buffer is full.
    static let tooManyRecipients = SMTPReply(452, .tooManyRecipients, "too many recipients")

    static func unknownUser(_ mailbox: SMTPMailbox) -> SMTPReply {
        SMTPReply(550, .badMailbox, "<\(mailbox)>: recipient address rejected: user unknown")
    }

    static let lookupFailed = SMTPReply(451, .mailSystem, "temporary failure looking up the recipient, try again later")

    // MARK: DATA and BDAT

    /// RFC 5321 §4.3.2: 354 carries no enhanced code.
    static let startData = SMTPReply(354, nil, "end data with <CR><LF>.<CR><LF>")

    static func queued(_ id: QueueID) -> SMTPReply {
        SMTPReply(250, .undefined, "OK queued as \(id)")
    }

    static func chunkReceived(_ octets: Int) -> SMTPReply {
        SMTPReply(250, .undefined, "\(octets) octets received")
    }

    /// RFC 1870 §6.3, RFC 5321 §4.5.3.1.9 ("552 Too much mail data").
    static func messageTooBig(limit: Int) -> SMTPReply {
        SMTPReply(552, .messageTooBig, "message exceeds the fixed maximum of \(limit) octets")
    }

    /// The smuggling defence: the data held a bare CR or LF.
    static let bareLineEndingInData = SMTPReply(
        554, .mediaError, "message refused: bare CR or LF in the data; lines must end with CRLF")

    static func mailLoop(limit: Int) -> SMTPReply {
        SMTPReply(554, .routingLoop, "too many Received fields (more than \(limit)): mail loop")
    }

    static let spoolFailure = SMTPReply(451, .mailSystem, "local error in processing, try again later")
}
