// `chappe store check ADDRESS`: reconcile a user's Maildir and index after other programs
// changed the Maildir, or rebuild a missing or corrupt index (PRAGMA quick_check first).
// Prints what changed, one line per finding. Safe while `chappe serve` runs: SQLite's
// locks order the two, and a server whose index was rebuilt reopens it.
// Exit: 0 done, 1 runtime failure, 2 bad usage or configuration (DESIGN.md).

import ArgumentParser
import Foundation
import MailStore
import Suite

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Maintain users' mail stores.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", 
            abstract: "Reconcile a user's Maildir and index; rebuild a missing or corrupt index.")

        @OptionGroup var options: ConfigOption

        @Argument(help: "The account's address, e.g. alice@example.test.")
        var address: String

        func run() async throws {
            let configuration: ChappeConfiguration
            do {
                configuration = try ConfigurationLocator.load(explicit: options.config)
            } catch {
                throw CommandFailure.usage("\(error)")
            }
            let mailAddress: MailAddress
            do {
                mailAddress = try MailAddress(address)
            } catch {
                throw CommandFailure.usage("\(error)")
            }
            let dataDirectory = configuration.dataDirectory.path
            let account: Account?
            do {
                account = try await AccountStore(path: dataDirectory + "/accounts.sqlite").account(mailAddress)
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
            // Mail of a deleted account can still be checked; an address with neither is a mistake.
            let root = UserStore.userDirectory(dataDirectory: dataDirectory, address: mailAddress)
            guard account != nil || FileManager.default.fileExists(atPath: root) else {
                throw CommandFailure.runtime("no account \(mailAddress) and no mail in \(root)")
            }
            do {
                let (store, report) = try await UserStore.open(
                    dataDirectory: dataDirectory, address: account?.address ?? mailAddress,
                    options: StoreOptions(quota: account.map(Quota.init) ?? .unlimited, reconcile: .thorough))
                let usage = try await store.usage()
                await store.close()
                print((report ?? ReconcileReport()).description)
                print("\(usage.messages) messages, \(usage.bytes) bytes" + Self.quotaText(usage.quota))
            } catch {
                throw CommandFailure.runtime("\(mailAddress): \(error)")
            }
        }

        static func quotaText(_ quota: Quota) -> String {
            var limits: [String] = []
            if let bytes = quota.bytes { limits.append("\(bytes) bytes") }
            if let messages = quota.messages { limits.append("\(messages) messages") }
            return limits.isEmpty ? "" : " (quota " + limits.joined(separator: ", ") + ")"
        }
    }
}
