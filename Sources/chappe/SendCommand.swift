// `chappe send [-t] [-f FROM] [-i] [RCPT...] < message`: sendmail-compatible
// submission into the queue (no network). Exits 0 only once the message is
// queued durably; a running server delivers it at once, else it is
// delivered when the server starts. The friendly form, `chappe send --to A
// --subject S [--attach FILE]... < body`, builds a MIME message first.
import ArgumentParser
import Foundation
import SMTP
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

    @Option(help: ArgumentHelp("Build a message to this address from the text on standard input (repeatable).", valueName: "ADDRESS"))
    var to: [String] = []

    @Option(help: ArgumentHelp("A Cc recipient of the built message (repeatable).", valueName: "ADDRESS"))
    var cc: [String] = []

    @Option(help: ArgumentHelp("A Bcc recipient of the built message, in no header field (repeatable).", valueName: "ADDRESS"))
    var bcc: [String] = []

    @Option(help: "The subject of the built message.")
    var subject: String?

    @Option(help: ArgumentHelp("Attach a file to the built message (repeatable).", valueName: "FILE"))
    var attach: [String] = []

    /// Any of the friendly options: the input is a body, not a message.
    private var composes: Bool {
        !to.isEmpty || !cc.isEmpty || !bcc.isEmpty || subject != nil || !attach.isEmpty
    }

    func run() async throws {
        let configuration: ChappeConfiguration
        do {
            configuration = try ConfigurationLocator.load(explicit: options.config)
        } catch {
            throw CommandFailure.usage("\(error)")
        }
        var input = Array(FileHandle.standardInput.readDataToEndOfFile())
        var recipients = self.recipients
        if composes {
            guard !extractRecipients else { throw CommandFailure.usage("-t takes recipients from a message; with --to, there is none") }
            var composed = ComposedMessage(body: String(decoding: input, as: UTF8.self))
            composed.to = to + recipients
            composed.cc = cc
            composed.bcc = bcc
            composed.subject = subject
            for path in attach {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CommandFailure.usage("cannot read \(path): check the path and its permissions")
                }
                composed.attachments.append(.init(filename: URL(fileURLWithPath: path).lastPathComponent, data: Array(data)))
            }
            do {
                (input, recipients) = try composed.build(hostname: configuration.hostname)
            } catch {
                throw CommandFailure.usage("\(error)")
            }
        }
        do {
            let id = try await QueueTools.send(
                input, recipients: recipients, sender: sender, extractRecipients: extractRecipients,
                ignoreDots: ignoreDots || composes, configuration: configuration)
            FileHandle.standardError.write(Data("chappe: queued as \(id)\n".utf8))
        } catch {
            throw CommandFailure(status: error.status, message: error.description)
        }
    }
}
