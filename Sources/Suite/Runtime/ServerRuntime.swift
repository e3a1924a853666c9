// `chappe serve`: load, bind everything, drop privileges, run until
// SIGTERM/SIGINT, drain. Exit status 2 with a one-line reason when the
// configuration is invalid or a port cannot be bound, 1 on other failures.
import Foundation
import Logging
import MailStore
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import Transport

public struct ServeOptions: Sendable {
    public var configFile: String?
    /// Only these services (nil: every enabled one).
    public var only: Set<String>?
    public var logLevel: Logger.Level?

    public init(configFile: String? = nil, only: Set<String>? = nil, logLevel: Logger.Level? = nil) {
        self.configFile = configFile
        self.only = only
        self.logLevel = logLevel
    }
}

/// A failure of `chappe serve` with its exit status and one-line reason.
public struct ServeFailure: Error, CustomStringConvertible {
    public let status: Int32
    public let description: String
}

public enum ServerRuntime {
    public static let serviceNames = ["smtp", "pop3", "imap", "nntp", "ftp", "http", "dns"]

    public static func serve(_ options: ServeOptions) async throws {
        let file: String?
        let configuration: ChappeConfiguration
        do {
            file = try ConfigurationLocator.locate(explicit: options.configFile)
            configuration = try ConfigurationLocator.load(explicit: options.configFile)
        } catch let error as ConfigurationError {
            throw ServeFailure(status: 2, description: "\(error)")
        }
        if let only = options.only {
            let unknown = only.subtracting(serviceNames)
            guard unknown.isEmpty else {
                throw ServeFailure(
                    status: 2,
                    description: "--only: unknown service \(unknown.sorted().joined(separator: ", ")); "
                        + "choose from \(serviceNames.joined(separator: ","))")
            }
        }
        ChappeLogHandler.bootstrap(level: options.logLevel ?? configuration.logLevel.loggerLevel)
        let logger = Logger(label: "chappe")
        let state = ServerState(configuration: configuration, file: file, logger: logger)
        let dataDirectory = configuration.dataDirectory.path
        do {
            // Passable but not listable by others: `chappe send` run by any
            // user reaches queue/maildrop; everything inside keeps its own
            // private mode.
            try FileManager.default.createDirectory(
                atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        } catch {
            throw ServeFailure(
                status: 2, description: "cannot create data_dir \(dataDirectory): \(error); change data_dir or fix permissions")
        }

        let group = MultiThreadedEventLoopGroup.singleton
        let control = try await ControlSocket.prepare(
            dataDirectory: dataDirectory, state: state, group: group, logger: logger,
            drainTimeout: configuration.shutdownTimeout)

        let tls: TLSCredentials
        do {
            let loaded = try TLSCredentials.loadOrCreate(
                certificatePath: configuration.tls.certificate.path,
                privateKeyPath: configuration.tls.privateKey.path,
                hostname: configuration.hostname)
            tls = loaded.credentials
            if loaded.created {
                logger.notice(
                    "created a self-signed certificate for \(configuration.hostname) in \(configuration.tls.certificate.path)")
            }
            logger.info("TLS certificate SHA-256 fingerprint \(tls.fingerprint)")
        } catch {
            throw ServeFailure(status: 2, description: "\(error)")
        }

        let accounts: AccountStore
        do {
            accounts = try AccountStore(path: (dataDirectory as NSString).appendingPathComponent("accounts.sqlite"))
        } catch {
            throw ServeFailure(status: 1, description: "\(error)")
        }
        let stores = UserStoreRegistry(dataDirectory: dataDirectory)
        let catalog = ServiceCatalog(
            configuration: configuration, tls: tls.context, group: group, logger: logger, state: state,
            accounts: accounts, stores: stores)
        let services = try catalog.services(only: options.only)

        var bound: [any BindableService] = []
        do {
            for service in [control] + services {
                try await service.bindListeners()
                bound.append(service)
            }
        } catch let error as ListenerError {
            for service in bound { await service.closeListeners() }
            let where_ = file.map { " in \($0)" } ?? ""
            throw ServeFailure(status: 2, description: "\(error)\(where_)")
        }

        do {
            if let note = try PrivilegeDrop.drop(to: configuration.user, owning: dataDirectory) {
                logger.notice("\(note)")
            }
        } catch {
            for service in bound { await service.closeListeners() }
            throw ServeFailure(status: 1, description: "\(error)")
        }

        let reloader = ReloadOnHangup(state: state)
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: (bound.map { $0 as any Service } + [reloader]).map {
                    ServiceGroupConfiguration.ServiceConfiguration(
                        service: $0, successTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.notice("chappe started (pid \(getpid()))")
        do {
            try await serviceGroup.run()
        } catch {
            throw ServeFailure(status: 1, description: "\(error)")
        }
        await stores.closeAll()
        ControlSocket.remove(dataDirectory: dataDirectory)
        logger.notice("chappe stopped")
    }
}

/// A service whose listeners are bound before the service group runs.
public protocol BindableService: Service {
    func bindListeners() async throws
    func closeListeners() async
}

/// SIGHUP re-reads the configuration, as with most Unix daemons.
struct ReloadOnHangup: Service {
    let state: ServerState

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            _ = state.reload()
        }
    }
}
