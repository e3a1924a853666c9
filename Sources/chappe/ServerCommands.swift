// serve, check-config, status, reload.
import ArgumentParser
import Foundation
import Logging
import Suite

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the enabled services until SIGTERM or SIGINT.")

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("Run only these services.", valueName: "smtp,pop3,imap,nntp,ftp,http,dns"))
    var only: String?

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "L"))
    var logLevel: String?

    func run() async throws {
        var level: Logger.Level?
        if let logLevel {
            guard let parsed = Logger.Level(rawValue: logLevel.lowercased()) else {
                throw CommandFailure.usage("--log-level: \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
            }
            level = parsed
        }
        let services = only.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }) }
        do {
            try await ServerRuntime.serve(ServeOptions(configFile: options.config, only: services, logLevel: level))
        } catch let failure as ServeFailure {
            throw CommandFailure(status: failure.status, message: failure.description)
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the configuration and print its effective values.")

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print the commented default configuration (what etc/chappe.toml ships with) instead.")
    var defaults = false

    func run() throws {
        if defaults {
            print(ConfigSchema.defaultFileText(), terminator: "")
            return
        }
        do {
            let configuration = try ConfigurationLocator.load(explicit: options.config)
            print(configuration.effectiveText(), terminator: "")
        } catch let error as ConfigurationError {
            throw CommandFailure.usage("\(error)")
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the running server's services, connections and uptime.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await ControlCommand.run("STATUS", config: options.config)
    }
}

struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reload", 
        abstract: "Make the running server re-read its configuration; an invalid one is refused and the old one kept.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await ControlCommand.run("RELOAD", config: options.config)
    }
}

enum ControlCommand {
    static func run(_ command: String, config: String?) async throws {
        let dataDirectory: String
        do {
            dataDirectory = try ConfigurationLocator.dataDirectory(explicit: config)
        } catch let error as ConfigurationError {
            throw CommandFailure.usage("\(error)")
        }
        let reply: ControlReply
        do {
            reply = try await ControlSocket.send(command, dataDirectory: dataDirectory)
        } catch {
            throw CommandFailure.runtime("\(error)")
        }
        if let error = reply.error {
            for line in reply.lines {
                FileHandle.standardError.write(Data("  \(line)\n".utf8))
            }
            throw CommandFailure.runtime(error)
        }
        for line in reply.lines {
            print(line)
        }
    }
}
