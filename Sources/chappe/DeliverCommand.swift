// `chappe deliver ADDRESS [--mailbox NAME] [--delivery-id ID] [--create] < message`: a
// local delivery agent (MDA) for other MTAs (Postfix pipe, fetchmail, procmail-style
// scripts) and for tests. It exits 0 only once the message is fsynced in the Maildir and
// indexed. Exit statuses follow sysexits.h as Postfix's pipe(8) reads them:
//   0   delivered
//   65  EX_DATAERR    empty message, or larger than [smtp] max_message_size   (bounce)
//   67  EX_NOUSER     the address is not a valid address or has no account     (bounce)
//   73  EX_CANTCREAT  the message is larger than the account's whole quota     (bounce)
//   75  EX_TEMPFAIL   over quota for now, index locked, I/O error, unreadable
//                     configuration — anything a later retry may fix           (defer)
//   2   bad command-line usage (DESIGN.md; ArgumentParser errors)
// A --mailbox that does not exist gets the message in INBOX (as dovecot-lda does),
// unless --create makes it. Give --delivery-id (Postfix: ${queue_id}) so that a retry
// after a crash or a timeout never stores the message twice.
// Run it as the user that owns data_dir (the `user` of `chappe serve`).

import ArgumentParser
import Foundation
import MailStore
import Suite

struct DeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Deliver a message from standard input into a local mailbox (an MDA).",
        discussion: """
            Exits 0 once the message is on disk (fsynced) and indexed; 67 for an unknown \
            account, 75 for temporary failures (over quota, locked, I/O), 65/73 for \
            permanent ones, as sendmail and Postfix's pipe expect.
            """)

    @OptionGroup var options: ConfigOption

    @Argument(help: "The account's address, e.g. alice@example.test.")
    var address: String

    @Option(help: ArgumentHelp("The mailbox to deliver into (\".\" separates levels).", valueName: "NAME"))
    var mailbox: String = "INBOX"

    @Option(name: .customLong("delivery-id"), help: ArgumentHelp(
        "An id for exactly-once delivery: the same id is stored only once.", valueName: "ID"))
    var deliveryID: String?

    @Flag(help: "Create the mailbox if it does not exist (instead of delivering to INBOX).")
    var create = false

    enum Status {
        static let dataError: Int32 = 65
        static let noUser: Int32 = 67
        static let cannotCreate: Int32 = 73
        static let temporary: Int32 = 75
    }

    func run() async throws {
        let configuration: ChappeConfiguration
        do {
            configuration = try ConfigurationLocator.load(explicit: options.config)
        } catch {
            throw CommandFailure(status: Status.temporary, message: "\(error)")
        }
        let mailAddress: MailAddress
        do {
            mailAddress = try MailAddress(address)
        } catch {
            throw CommandFailure(status: Status.noUser, message: "\(error)")
        }
        let dataDirectory = configuration.dataDirectory.path
        let accounts: AccountStore
        let account: Account?
        do {
            accounts = try AccountStore(path: dataDirectory + "/accounts.sqlite")
            account = try await accounts.account(mailAddress)
        } catch {
            throw CommandFailure(status: Status.temporary, message: "\(error)")
        }
        guard let account else {
            throw CommandFailure(status: Status.noUser, message: "no account \(mailAddress)")
        }
        let message = try Self.readStandardInput(limit: configuration.smtp.maxMessageSize)

        let store: UserStore
        do {
            store = try await UserStore.open(
                dataDirectory: dataDirectory, address: account.address,
                options: StoreOptions(quota: Quota(account), reconcile: .ifRebuilt)
            ).store
        } catch {
            throw CommandFailure(status: Status.temporary, message: "\(error)")
        }
        do {
            let target = try await resolveMailbox(store)
            _ = try await store.deliver(
                .bytes(message), to: target, deliveryID: deliveryID ?? "deliver:" + UUID().uuidString)
        } catch let error as StoreError {
            throw CommandFailure(status: Self.status(for: error), message: "\(mailAddress): \(error)")
        }
        // Delivered: the file and the directory are fsynced and the index committed. Leave
        // without closing the databases: closing the last connection checkpoints the WAL
        // and deletes it (three fsyncs each, for accounts.sqlite and index.sqlite), and the
        // next `chappe deliver` would create both WALs again (two more each). An exit
        // without close is what a crash looks like to SQLite, which it is built for; the
        // WALs stay and are checkpointed by later commits.
        withExtendedLifetime((accounts, store)) {}
        Foundation.exit(0)
    }

    /// The mailbox to deliver into: the one asked for, created with --create, else INBOX.
    private func resolveMailbox(_ store: UserStore) async throws -> String {
        let name: String
        do {
            name = try MailboxName.validated(mailbox)
        } catch {
            throw CommandFailure.usage("--mailbox: \(error)")
        }
        if try await store.mailbox(named: name) != nil { return name }
        if create {
            do {
                try await store.createMailbox(name)
            } catch .mailboxExists {}
            return name
        }
        FileHandle.standardError.write(Data("chappe: no mailbox \"\(name)\" for \(address); delivering to INBOX\n".utf8))
        return MailboxName.inbox
    }

    static func status(for error: StoreError) -> Int32 {
        switch error {
        case .quotaExceeded(let quota): quota.isPermanent ? Status.cannotCreate : Status.temporary
        default: Status.temporary
        }
    }

    /// The message on standard input, at most `limit` bytes.
    static func readStandardInput(limit: Int) throws -> [UInt8] {
        var message: [UInt8] = []
        let input = FileHandle.standardInput
        while true {
            let chunk: Data
            do {
                chunk = try input.read(upToCount: 1 << 16) ?? Data()
            } catch {
                throw CommandFailure(status: Status.temporary, message: "cannot read the message from standard input: \(error)")
            }
            if chunk.isEmpty { break }
            message += chunk
            if message.count > limit {
                throw CommandFailure(
                    status: Status.dataError, message: "the message is larger than max_message_size (\(limit) bytes)")
            }
        }
        if message.isEmpty { throw CommandFailure(status: Status.dataError, message: "the message on standard input is empty") }
        return message
    }
}
