// `chappe queue list|show ID|flush|delete ID`: the SMTP queue, like mailq and
// postqueue. list and show read data_dir/queue; flush and delete go through
// the running server's control socket.
import ArgumentParser
import Foundation
import Suite

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Inspect and manage the SMTP queue.",
        subcommands: [List.self, Show.self, Flush.self, Delete.self])

    static func load(_ options: ConfigOption) throws -> ChappeConfiguration {
        do {
            return try ConfigurationLocator.load(explicit: options.config)
        } catch {
            throw CommandFailure.usage("\(error)")
        }
    }

    static func print(_ work: () async throws(QueueTools.Failure) -> [String]) async throws {
        do {
            for line in try await work() { Swift.print(line) }
        } catch {
            throw CommandFailure(status: error.status, message: error.description)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", 
            abstract: "List the queued messages: id, size, arrival, sender, recipients with state and last error.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try QueueCommand.load(options)
            try await QueueCommand.print { () async throws(QueueTools.Failure) in try await QueueTools.list(configuration: configuration) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one queued message: its envelope, then the message.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The queue id.") var id: String

        func run() async throws {
            let configuration = try QueueCommand.load(options)
            let id = self.id
            try await QueueCommand.print { () async throws(QueueTools.Failure) in try await QueueTools.show(id, configuration: configuration) }
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "flush", abstract: "Make the running server retry deferred messages now.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try QueueCommand.load(options)
            try await QueueCommand.print { () async throws(QueueTools.Failure) in try await QueueTools.control("QUEUE-FLUSH", configuration: configuration) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Make the running server remove a queued message.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The queue id.") var id: String

        func run() async throws {
            let configuration = try QueueCommand.load(options)
            let command = "QUEUE-DELETE " + id
            try await QueueCommand.print { () async throws(QueueTools.Failure) in try await QueueTools.control(command, configuration: configuration) }
        }
    }
}
