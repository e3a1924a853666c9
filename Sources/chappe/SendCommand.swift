// `chappe send [-t] [-f FROM] [-i] [RCPT...] < message`: sendmail-compatible
// submission into the queue (no network). Exits 0 only once the message is
// queued durably; a running server delivers it at once, else it is
// delivered when the server starts.
import ArgumentParser
import Foundation
import Suite

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Queue a message from standard input for delivery (sendmail-compatible).")

    @OptionGroup var options: ConfigOption

    @Flag(name: .customShort("t"), help: "Take recipients from To, Cc and Bcc; Bcc is removed.")
    var extractRecipients = false

    @Option(name: .customShort("f"), help: ArgumentHelp("The envelope sender (\"<>\" for none).", valueName: "FROM"))
    var sender: String?

    @Flag(name: .customShort("i"), help: "A line with a single \".\" does not end the message.")
    var ignoreDots = false

    @Argument(help: "Recipients.")
    var recipients: [String] = []

    func run() async throws {
        let configuration: ChappeConfiguration
        do {
            configuration = try ConfigurationLocator.load(explicit: options.config)
        } catch {
            throw CommandFailure.usage("\(error)")
        }
        let input = Array(FileHandle.standardInput.readDataToEndOfFile())
        do {
            let id = try await QueueTools.send(
                input, recipients: recipients, sender: sender, extractRecipients: extractRecipients,
                ignoreDots: ignoreDots, configuration: configuration)
            FileHandle.standardError.write(Data("chappe: queued as \(id)\n".utf8))
        } catch {
            throw CommandFailure(status: error.status, message: error.description)
        }
    }
}
