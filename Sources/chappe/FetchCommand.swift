// `chappe fetch pop3://USER@HOST[:PORT] | pop3s://... | imap://USER@HOST[:PORT][/MAILBOX] | imaps://...
// (--to DIR | --mbox FILE | --deliver ADDRESS)`:
// downloads a remote mailbox. The work is Suite's FetchRequest; this maps
// flags onto it and errors onto exit statuses (2 bad usage, 1 failure).
import ArgumentParser
import Foundation
import Suite

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download the messages of a POP3 or IMAP mailbox into a Maildir, an mbox or a local account.",
        discussion: """
            The password comes from --password-file (its first line) or the environment \
            variable \(FetchRequest.passwordVariable), never from the URL. pop3:// and imap:// use \
            STLS / STARTTLS and refuse to log in without it unless --allow-plaintext; pop3s:// \
            and imaps:// are TLS from the start. An IMAP URL may name a mailbox (default INBOX, \
            "/" in a name written %2F); its messages are known by UIDVALIDITY and UID, and \
            fetched without setting \\Seen. A user name holding "@" is written %40: \
            pop3s://alice%40example.test@mail.example.test. \
            Without --keep, a message is deleted on the server only once its local copy \
            is on disk (fsynced). The unique ids (UIDL) of fetched messages are remembered \
            (next to the Maildir or mbox, or in ~/.chappe/fetch for --deliver), so a --keep \
            run fetches only new messages.
            """)

    @Argument(help: ArgumentHelp("pop3://USER@HOST[:PORT], pop3s://..., imap://USER@HOST[:PORT][/MAILBOX] or imaps://....", valueName: "URL"))
    var url: String

    @Option(name: .customLong("to"), help: ArgumentHelp("Store into this Maildir (created if missing).", valueName: "DIR"))
    var maildir: String?

    @Option(help: ArgumentHelp("Append to this mbox file (mboxrd, locked, fsynced).", valueName: "FILE"))
    var mbox: String?

    @Option(help: ArgumentHelp("Deliver into this local account's INBOX.", valueName: "ADDRESS"))
    var deliver: String?

    @Flag(help: "Leave the messages on the server; later runs fetch only new ones.")
    var keep = false

    @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from the first line of FILE.", valueName: "FILE"))
    var passwordFile: String?

    @Flag(name: .customLong("allow-plaintext"), help: "Log in without TLS when a pop3:// server does not offer STLS.")
    var allowPlaintext = false

    @Flag(help: "Do not verify the server's TLS certificate.")
    var insecure = false

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("Also trust the certificates in this PEM file.", valueName: "FILE"))
    var caFile: String?

    @Option(help: ArgumentHelp("The file of remembered unique ids (default: next to the destination).", valueName: "FILE"))
    var state: String?

    @Option(name: .customLong("max-size"), help: ArgumentHelp("Leave messages larger than this many bytes on the server.", valueName: "BYTES"))
    var maxSize: Int = 256 * 1024 * 1024

    @Flag(help: "Print nothing on success.")
    var quiet = false

    @OptionGroup var options: ConfigOption

    func validate() throws {
        let destinations = [maildir, mbox, deliver].compactMap { $0 }
        guard destinations.count == 1 else {
            throw ValidationError("give exactly one of --to DIR, --mbox FILE, --deliver ADDRESS")
        }
        guard maxSize > 0 else { throw ValidationError("--max-size must be a positive number of bytes") }
        if options.config != nil && deliver == nil {
            throw ValidationError("--config is used only with --deliver")
        }
    }

    func run() async throws {
        let destination: FetchRequest.Destination
        if let maildir {
            destination = .maildir(maildir)
        } else if let mbox {
            destination = .mbox(mbox)
        } else {
            destination = .account(deliver ?? "", config: options.config)
        }
        var request = FetchRequest(
            url: url, destination: destination, passwordFile: passwordFile,
            environment: ProcessInfo.processInfo.environment)
        request.keep = keep
        request.allowPlaintext = allowPlaintext
        request.insecure = insecure
        request.caFile = caFile
        request.statePath = state
        request.maxMessageSize = maxSize
        let report: FetchReport
        do {
            report = try await request.run(progress: TerminalProgress.ifTerminal(label: "chappe fetch"))
        } catch {
            throw CommandFailure(status: error.kind == .usage ? 2 : 1, message: "fetch: \(error.message)")
        }
        for warning in report.warnings {
            FileHandle.standardError.write(Data("chappe: fetch: \(warning)\n".utf8))
        }
        if !quiet {
            var line = "fetched \(report.fetched) of \(report.listed) messages (\(report.bytes) bytes)"
            if report.alreadyFetched > 0 { line += ", \(report.alreadyFetched) fetched before" }
            if report.tooLarge > 0 { line += ", \(report.tooLarge) too large" }
            line += keep ? "; kept on the server" : "; deleted \(report.deleted) on the server"
            print(line)
        }
    }
}
