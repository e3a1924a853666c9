// Where `chappe fetch` puts messages: a Maildir, an mbox file, or a local
// account of the mail store. `store` returns only once the message is
// durable (file and directory fsynced, or the store's delivery committed):
// the fetch loop deletes the server's copy only after that.
import Foundation
import MailStore
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What identifies one fetched message, for exactly-once delivery.
public struct FetchedMessageKey: Sendable, Equatable {
    /// The source's identity (canonical URL).
    public let source: String
    /// The server's unique id; nil when the server has none.
    public let uniqueID: String?

    public init(source: String, uniqueID: String?) {
        self.source = source
        self.uniqueID = uniqueID
    }
}

public protocol FetchDestination: Sendable {
    /// Where the messages go, for messages to the user.
    var description: String { get }
    /// The UIDL memory used when no --state is given.
    var defaultStatePath: String { get throws }
    /// Stores one message durably.
    func store(_ message: ByteBuffer, key: FetchedMessageKey) async throws
    func close() async
}

extension FetchDestination {
    public func close() async {}
}

/// Runs blocking file work off Swift's cooperative threads.
func onThreadPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}

// MARK: - Maildir

/// A Maildir (tmp, new, cur) that may also be read by mutt, Dovecot or
/// chappe itself: each message is written to tmp/, fsynced, renamed into
/// new/, and new/ is fsynced. Bytes are stored as received (CRLF from a
/// POP3 server), like the store's own deliveries.
public final class MaildirWriter: FetchDestination {
    public let root: String
    private let hostName: String
    private let counter = Atomic<Int>(0)

    /// Creates tmp/, new/ and cur/ if missing.
    public init(path: String) throws {
        root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        hostName = Self.safeHostName(FetchFiles.hostName)
        for folder in ["", "/tmp", "/new", "/cur"] {
            try FetchFiles.makeDirectory(root + folder)
        }
    }

    public var description: String { "Maildir \(root)" }

    public var defaultStatePath: String { root + "/chappe-fetch.uidl" }

    public func store(_ message: ByteBuffer, key: FetchedMessageKey) async throws {
        let name = uniqueName(size: message.readableBytes)
        let root = self.root
        try await onThreadPool { try Self.write(message, root: root, name: name) }
    }

    /// tmp/NAME, fsynced, renamed to new/NAME, new/ fsynced (blocking).
    private static func write(_ message: ByteBuffer, root: String, name: String) throws {
        let temporary = root + "/tmp/" + name
        let descriptor = try FetchFiles.openFile(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        do {
            try message.withUnsafeReadableBytes { try FetchFiles.writeAll(descriptor, $0, path: temporary) }
            try FetchFiles.sync(descriptor, path: temporary)
            Glibc.close(descriptor)
        } catch {
            Glibc.close(descriptor)
            unlink(temporary)
            throw error
        }
        do {
            try FetchFiles.renameFile(temporary, to: root + "/new/" + name)
        } catch {
            unlink(temporary)
            throw error
        }
        try FetchFiles.syncDirectory(root + "/new")
    }

    /// "time.M<microseconds>P<pid>Q<n>.host,S=<size>" (the Maildir
    /// convention, with Dovecot's S= size field).
    private func uniqueName(size: Int) -> String {
        var now = timeval()
        gettimeofday(&now, nil)
        return "\(now.tv_sec).M\(now.tv_usec)P\(getpid())Q\(counter.add(1, ordering: .relaxed).newValue).\(hostName),S=\(size)"
    }

    /// "/" and ":" cannot appear in a Maildir host name (maildir(5)).
    static func safeHostName(_ name: String) -> String {
        name.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
    }
}

// MARK: - A local account

/// Delivers into a local account of the mail store (its INBOX), exactly
/// once per server, user and UIDL: a rerun after a crash between the
/// delivery and the UIDL memory finds the delivery done and stores nothing.
public final class AccountDestination: FetchDestination {
    public let address: MailAddress
    private let store: UserStore
    private let registry: UserStoreRegistry
    private let stateDirectory: String?

    /// Opens the account's store; `stateDirectory` holds the default UIDL
    /// memory (~/.chappe/fetch).
    public init(address: MailAddress, store: UserStore, registry: UserStoreRegistry, stateDirectory: String?) {
        self.address = address
        self.store = store
        self.registry = registry
        self.stateDirectory = stateDirectory
    }

    /// Looks up the account in data_dir and opens its store.
    public static func open(
        address text: String, configuration: ChappeConfiguration, stateDirectory: String?
    ) async throws(FetchError) -> AccountDestination {
        let address: MailAddress
        do {
            address = try MailAddress(text)
        } catch {
            throw .usage("--deliver: \(error)")
        }
        let dataDirectory = configuration.dataDirectory.path
        do {
            let accounts = try AccountStore(path: dataDirectory + "/accounts.sqlite")
            guard let account = try await accounts.account(address) else {
                throw FetchError.usage("--deliver: no local account \(address) in \(dataDirectory)")
            }
            let registry = UserStoreRegistry(dataDirectory: dataDirectory, options: StoreOptions(reconcile: .ifRebuilt))
            let store = try await registry.store(for: account)
            return AccountDestination(address: address, store: store, registry: registry, stateDirectory: stateDirectory)
        } catch let error as FetchError {
            throw error
        } catch {
            throw .runtime("--deliver \(address): \(error)")
        }
    }

    public var description: String { "account \(address)" }

    public var defaultStatePath: String {
        get throws {
            guard let stateDirectory else {
                throw FetchError.usage("no home directory for the UIDL memory of --deliver; give --state FILE")
            }
            return stateDirectory + "/" + FetchURL.encode(address.normalized) + ".uidl"
        }
    }

    public func store(_ message: ByteBuffer, key: FetchedMessageKey) async throws {
        _ = try await store.deliver(.bytes(Array(message.readableBytesView)), deliveryID: Self.deliveryID(for: key))
    }

    /// "fetch SOURCE UIDL": the same message from the same mailbox is one
    /// delivery. Without a UIDL no stable id exists; each copy is new.
    static func deliveryID(for key: FetchedMessageKey) -> String {
        "fetch \(key.source) " + (key.uniqueID ?? "no-uidl-" + UUID().uuidString)
    }

    public func close() async {
        await registry.closeAll()
    }
}
