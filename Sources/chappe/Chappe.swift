// The `chappe` executable: argument parsing only. Each command calls into
// Suite or a module, and maps failures to DESIGN.md's exit statuses:
// 0 success, 1 runtime failure, 2 bad usage or configuration.
import ArgumentParser
import Foundation

@main
struct Chappe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chappe",
        abstract: "Chappe: a mail and news suite (SMTP, POP3, IMAP, NNTP, FTP, HTTP, DNS) in one program.",
        subcommands: [
            Serve.self, CheckConfig.self, UserCommand.self, Status.self, Reload.self, DeliverCommand.self,
            StoreCommand.self, MimeCommand.self, SendCommand.self, QueueCommand.self, FetchCommand.self,
            DNSCommand.self,
        ])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("chappe: \(failure.message)\n".utf8))
            Foundation.exit(failure.status)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            if !message.isEmpty {
                FileHandle.standardError.write(Data("\(message)\n".utf8))
            }
            // ArgumentParser reports usage errors as EX_USAGE (64); DESIGN.md says 2.
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// A failure to report in one line with its exit status.
struct CommandFailure: Error {
    let status: Int32
    let message: String

    static func usage(_ message: String) -> CommandFailure { CommandFailure(status: 2, message: message) }
    static func runtime(_ message: String) -> CommandFailure { CommandFailure(status: 1, message: message) }
}

/// `--config FILE`, shared by every command that reads the configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (default: ./etc/chappe.toml, then /etc/chappe/chappe.toml).", valueName: "FILE"))
    var config: String?
}
