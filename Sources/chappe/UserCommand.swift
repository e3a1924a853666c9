// chappe user add|del|passwd|list: accounts in data_dir/accounts.sqlite.
import ArgumentParser
import Foundation
import MailStore
import Suite

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage mail accounts.",
        subcommands: [Add.self, Delete.self, Password.self, APOPSecret.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create an account.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The account's address, e.g. alice@example.test.") var address: String
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false

        func run() async throws {
            let mailAddress = try parseAddress(address)
            let password = try PasswordInput.read(fromStdin: passwordStdin, confirm: true)
            let store = try openStore(options)
            do {
                try await store.add(mailAddress, password: password)
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
            print("added \(mailAddress)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete an account (its mail stays on disk).")
        @OptionGroup var options: ConfigOption
        @Argument var address: String

        func run() async throws {
            let mailAddress = try parseAddress(address)
            do {
                try await openStore(options).delete(mailAddress)
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
            print("deleted \(mailAddress)")
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Change an account's password.")
        @OptionGroup var options: ConfigOption
        @Argument var address: String
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false

        func run() async throws {
            let mailAddress = try parseAddress(address)
            let password = try PasswordInput.read(fromStdin: passwordStdin, confirm: true)
            do {
                try await openStore(options).setPassword(mailAddress, password: password)
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
            print("password changed for \(mailAddress)")
        }
    }

    struct APOPSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apop",
            abstract: "Set (or --clear) the account's POP3 APOP secret.",
            discussion: """
                APOP (RFC 1939 §7) proves a shared secret without sending it, which needs the \
                secret itself on the server: it is stored as given, apart from the password's \
                hash. Use a secret that is not the account's password.
                """)
        @OptionGroup var options: ConfigOption
        @Argument var address: String
        @Flag(help: "Read the secret from the first line of standard input.") var secretStdin = false
        @Flag(help: "Remove the secret: APOP is refused for the account.") var clear = false

        func run() async throws {
            let mailAddress = try parseAddress(address)
            let secret = clear ? nil : try PasswordInput.read(fromStdin: secretStdin, confirm: true)
            do {
                try await openStore(options).setAPOPSecret(mailAddress, secret: secret)
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
            print(clear ? "APOP secret removed for \(mailAddress)" : "APOP secret set for \(mailAddress)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the accounts.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let accounts: [Account]
            do {
                accounts = try await openStore(options).list()
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
            for account in accounts {
                print("\(account.address)\tcreated \(account.created.formatted(.iso8601))")
            }
        }
    }
}

private func parseAddress(_ address: String) throws -> MailAddress {
    do {
        return try MailAddress(address)
    } catch {
        throw CommandFailure.usage("\(error)")
    }
}

private func openStore(_ options: ConfigOption) throws -> AccountStore {
    let configuration: ChappeConfiguration
    do {
        configuration = try ConfigurationLocator.load(explicit: options.config)
    } catch let error as ConfigurationError {
        throw CommandFailure.usage("\(error)")
    }
    let dataDirectory = configuration.dataDirectory.path
    do {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return try AccountStore(path: (dataDirectory as NSString).appendingPathComponent("accounts.sqlite"))
    } catch {
        throw CommandFailure.runtime("cannot open the accounts in \(dataDirectory): \(error)")
    }
}
