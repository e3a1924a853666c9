// The one declarative SMTP command table (STYLE.md rule 6): each verb with
// the phases it is allowed in, whether it may come before STARTTLS on a
// submission listener, whether it needs AUTH there, whether it ends a
// pipelined group (RFC 2920 §3.1), its longest command line, its usage
// and help. The parser takes usage and line limits from here; the session
// takes the checks; HELP, the EHLO keywords and the 503 replies are built
// from it.

/// Where a session stands, as far as command order is concerned
/// (RFC 5321 §4.1.4).
public enum SMTPPhase: Sendable, Hashable, CaseIterable {
    /// Before EHLO or HELO.
    case initial
    /// After EHLO/HELO, no mail transaction open.
    case greeted
    /// MAIL accepted, no recipient yet.
    case mailGiven
    /// At least one recipient accepted.
    case recipientsGiven
    /// BDAT chunks received, LAST not yet (RFC 3030 §2).
    case chunking
    /// A BDAT chunk failed: only RSET (or EHLO, QUIT) clears it (RFC 3030 §2).
    case chunkingFailed
}

public enum SMTPVerb: String, Sendable, Hashable, CaseIterable {
    case ehlo = "EHLO"
    case helo = "HELO"
    case mail = "MAIL"
    case rcpt = "RCPT"
    case data = "DATA"
    case bdat = "BDAT"
    case rset = "RSET"
    case noop = "NOOP"
    case quit = "QUIT"
    case vrfy = "VRFY"
    case expn = "EXPN"
    case help = "HELP"
    case startTLS = "STARTTLS"
    case auth = "AUTH"
}

public struct SMTPCommandSpec: Sendable {
    public let verb: SMTPVerb
    public let phases: Set<SMTPPhase>
    /// Allowed on a submission listener before TLS (RFC 3207 §4, RFC 8314).
    public let allowedBeforeTLS: Bool
    /// Needs an authenticated session on a submission listener (RFC 6409 §4.3).
    public let needsAuth: Bool
    /// Must be the last command of a pipelined group (RFC 2920 §3.1). The
    /// SMTP client uses it to know where to stop and read replies; the
    /// server needs no check, because Transport flushes replies at the end
    /// of each read, so a group's replies leave together (RFC 2920 §3.2).
    public let endsPipelineGroup: Bool
    /// The longest command line, CRLF included: 512 (RFC 5321 §4.5.3.1.4)
    /// plus what the parameters of extensions add.
    public let maxLineLength: Int
    public let usage: String
    public let help: String
}

public enum SMTPCommandTable {
    /// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CRLF.
    public static let commandLineLimit = 512
    /// MAIL: + 26 SIZE (RFC 1870 §4), + 16 BODY (RFC 3030 §3), + 10
    /// SMTPUTF8 (RFC 6531 §3.1), + 500 AUTH= (RFC 4954 §3), + 8 RET and
    /// + 100 ENVID (RFC 3461 §5.4).
    public static let mailLineLimit = commandLineLimit + 26 + 16 + 10 + 500 + 108
    /// RCPT: + 530 for NOTIFY and ORCPT (RFC 3461 §5.4).
    public static let rcptLineLimit = commandLineLimit + 530

    /// The longest line any command may have: what the framer's
    /// `maxLineLength` must allow for MAIL and RCPT to reach their limits.
    public static var longestCommandLine: Int {
        entries.map(\.maxLineLength).max() ?? commandLineLimit
    }

    private static let any = Set(SMTPPhase.allCases)

    public static let entries: [SMTPCommandSpec] = [
        SMTPCommandSpec(
            verb: .ehlo, phases: any, allowedBeforeTLS: true, needsAuth: false, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "EHLO domain",
            help: "Start an ESMTP session and list the extensions"),
        SMTPCommandSpec(
            verb: .helo, phases: any, allowedBeforeTLS: true, needsAuth: false, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "HELO domain", help: "Start an SMTP session without extensions"),
        SMTPCommandSpec(
            verb: .mail, phases: [.greeted], allowedBeforeTLS: false, needsAuth: true, endsPipelineGroup: false,
            maxLineLength: mailLineLimit,
            usage: "MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME] [SMTPUTF8] [RET=FULL|HDRS] [ENVID=xtext] [AUTH=xtext]",
            help: "Start a mail transaction with the sender's address"),
        SMTPCommandSpec(
            verb: .rcpt, phases: [.mailGiven, .recipientsGiven], allowedBeforeTLS: false, needsAuth: true,
            endsPipelineGroup: false, maxLineLength: rcptLineLimit,
            usage: "RCPT TO:<address> [NOTIFY=NEVER|SUCCESS,FAILURE,DELAY] [ORCPT=type;xtext]",
            help: "Add a recipient to the transaction"),
        SMTPCommandSpec(
            verb: .data, phases: [.recipientsGiven], allowedBeforeTLS: false, needsAuth: true, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "DATA", help: "Send the message, ended by a line holding \".\""),
        SMTPCommandSpec(
            verb: .bdat, phases: [.recipientsGiven, .chunking], allowedBeforeTLS: false, needsAuth: true,
            endsPipelineGroup: false, maxLineLength: commandLineLimit, usage: "BDAT size [LAST]",
            help: "Send a chunk of the message of exactly size octets"),
        SMTPCommandSpec(
            verb: .rset, phases: any, allowedBeforeTLS: true, needsAuth: false, endsPipelineGroup: false,
            maxLineLength: commandLineLimit, usage: "RSET", help: "Abort the mail transaction"),
        SMTPCommandSpec(
            verb: .noop, phases: any, allowedBeforeTLS: true, needsAuth: false, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "NOOP [text]", help: "Do nothing"),
        SMTPCommandSpec(
            verb: .quit, phases: any, allowedBeforeTLS: true, needsAuth: false, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "QUIT", help: "End the session"),
        SMTPCommandSpec(
            verb: .vrfy, phases: any, allowedBeforeTLS: false, needsAuth: false, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "VRFY address", help: "Verify an address (if enabled)"),
        SMTPCommandSpec(
            verb: .expn, phases: any, allowedBeforeTLS: false, needsAuth: false, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "EXPN list", help: "Expand a mailing list (if enabled)"),
        SMTPCommandSpec(
            verb: .help, phases: any, allowedBeforeTLS: true, needsAuth: false, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "HELP [command]", help: "Describe the commands"),
        SMTPCommandSpec(
            verb: .startTLS, phases: [.initial, .greeted], allowedBeforeTLS: true, needsAuth: false,
            endsPipelineGroup: true, maxLineLength: commandLineLimit, usage: "STARTTLS",
            help: "Switch the connection to TLS"),
        SMTPCommandSpec(
            verb: .auth, phases: [.greeted], allowedBeforeTLS: false, needsAuth: false, endsPipelineGroup: true,
            maxLineLength: commandLineLimit, usage: "AUTH mechanism [initial-response]",
            help: "Authenticate with SASL PLAIN or LOGIN"),
    ]

    private static let byVerb: [SMTPVerb: SMTPCommandSpec] = Dictionary(
        uniqueKeysWithValues: entries.map { ($0.verb, $0) })

    public static func spec(_ verb: SMTPVerb) -> SMTPCommandSpec {
        // Every verb has an entry (tested); the fallback keeps this total.
        byVerb[verb] ?? entries[0]
    }

    // MARK: - Generated replies

    /// The 214 reply to HELP: every command with its usage.
    public static func helpReply() -> SMTPReply {
        var lines = ["Commands:"]
        lines += entries.map { "\($0.usage.prefix { $0 != " " }) - \($0.help)" }
        lines.append("HELP command gives the syntax of one command")
        return SMTPReply(214, .helpOK, lines)
    }

    /// The 214 reply to "HELP verb", or 504 for an unknown topic.
    public static func helpReply(topic: String) -> SMTPReply {
        guard let verb = SMTPVerb(rawValue: topic.uppercased()) else {
            return SMTPReply(504, .invalidArguments, "no help for \(SMTPReply.quoted(topic))")
        }
        let entry = spec(verb)
        return SMTPReply(214, .helpOK, ["\(entry.usage)", entry.help])
    }

    /// The reply to a command that is not allowed in `phase` (RFC 5321
    /// §4.1.4: 503), worded from the command's allowed phases.
    public static func sequenceReply(_ verb: SMTPVerb, in phase: SMTPPhase) -> SMTPReply {
        let entry = spec(verb)
        let transactionPhases: Set<SMTPPhase> = [.mailGiven, .recipientsGiven, .chunking, .chunkingFailed]
        let text: String
        switch phase {
        case .initial:
            text = "send EHLO or HELO first"
        case .chunkingFailed:
            // RFC 3030 §2: after a failed BDAT the state is indeterminate.
            text = "the transaction failed; send RSET"
        case .chunking where verb == .data:
            // RFC 3030 §2: DATA and BDAT cannot be mixed in one transaction.
            text = "DATA cannot follow BDAT in the same transaction"
        case .mailGiven where verb == .data || verb == .bdat:
            // RFC 5321 §3.3: 503 or 554 when no recipient was accepted.
            return SMTPReply(554, .badSequence, "no valid recipients")
        case .greeted where entry.phases.isSubset(of: transactionPhases):
            text = verb == .mail ? "bad sequence of commands" : "need MAIL before \(verb.rawValue)"
        default:
            if verb == .mail && transactionPhases.contains(phase) {
                text = "nested MAIL command"
            } else if entry.phases.isDisjoint(with: transactionPhases) && transactionPhases.contains(phase) {
                text = "\(verb.rawValue) is not allowed during a mail transaction"
            } else {
                text = "bad sequence of commands"
            }
        }
        return SMTPReply(503, .badSequence, text)
    }
}
