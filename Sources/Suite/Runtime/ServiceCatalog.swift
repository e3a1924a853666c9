// The services `chappe serve` can run, built from the configuration. Each
// protocol issue adds its service here; a service that is enabled in the
// configuration but not part of this build is reported, not faked.
import DNS
import Foundation
import IMAP
import Logging
import MailStore
import NIOCore
import NIOSSL
import POP3
import SMTP
import Transport

struct ServiceCatalog {
    let configuration: ChappeConfiguration
    let tls: NIOSSLContext
    let group: any EventLoopGroup
    let logger: Logger
    let state: ServerState
    let accounts: AccountStore
    let stores: UserStoreRegistry

    /// The services to run: the enabled ones, restricted to `only` when given.
    /// Throws a `ServeFailure` when a service cannot be set up (its queue
    /// folder, its aliases file).
    func services(only: Set<String>?) throws -> [any BindableService] {
        var built: [any BindableService] = []
        for name in ServerRuntime.serviceNames {
            guard only?.contains(name) ?? true, isEnabled(name) else { continue }
            if name == "smtp" {
                built += try buildSMTP()
            } else if name == "dns" {
                built.append(try buildDNS())
            } else if let service = build(name) {
                if let summary = (service as? any SummarizedService)?.summary {
                    state.register(summary)
                }
                built.append(service)
            } else {
                logger.notice("service \(name) is enabled but not available in this version of chappe")
            }
        }
        return built
    }

    private func isEnabled(_ name: String) -> Bool {
        switch name {
        case "smtp": return configuration.smtp.enabled
        case "pop3": return configuration.pop3.enabled
        case "imap": return configuration.imap.enabled
        case "nntp": return configuration.nntp.enabled
        case "ftp": return configuration.ftp.enabled
        case "http": return configuration.http.enabled
        case "dns": return configuration.dns.enabled
        default: return false
        }
    }

    private func build(_ name: String) -> (any BindableService)? {
        let drain = configuration.shutdownTimeout
        switch name {
        case "pop3":
            let settings = configuration.pop3
            let pop3 = POP3Configuration(
                hostname: configuration.hostname, allowPlaintextOnLoopback: settings.allowPlaintextLoopback,
                startTLSAvailable: true, authFailureDelay: settings.authFailureDelay,
                maxAuthFailures: settings.maxAuthFailures,
                instanceTag: "\(getpid()).\(Int(Date().timeIntervalSince1970))")
            // RFC 1939 asks for CRLF; clients that end lines with LF alone are tolerated.
            return POP3Server.make(
                configuration: pop3,
                listeners: settings.service.listenerSpecs(section: "pop3", plainName: "pop3", tlsName: "pop3s"),
                limits: settings.service.sessionLimits(lineEndings: .tolerateBareLF, drainTimeout: drain),
                tls: tls, backend: StoreMaildropBackend(accounts: accounts, stores: stores), group: group,
                logger: logger)
        case "imap":
            let settings = configuration.imap
            // The framer's limits: lines as configured, APPEND messages up to
            // what SMTP accepts (RFC 7889 APPENDLIMIT announces it).
            let framing = IMAPCommandFramer.Configuration(
                maxLineLength: settings.maxLineLength, maxCommandSize: max(262_144, 2 * settings.maxLineLength),
                maxMessageSize: UInt64(configuration.smtp.maxMessageSize))
            let imap = IMAPConfiguration(
                hostname: configuration.hostname, allowPlaintextOnLoopback: settings.allowPlaintextLoopback,
                startTLSAvailable: true, authFailureDelay: settings.authFailureDelay,
                maxAuthFailures: settings.maxAuthFailures, framing: framing)
            return IMAPServer.make(
                configuration: imap,
                listeners: settings.service.listenerSpecs(section: "imap", plainName: "imap", tlsName: "imaps"),
                limits: settings.service.sessionLimits(lineEndings: .tolerateBareLF, drainTimeout: drain),
                tls: tls, backend: StoreIMAPBackend(accounts: accounts, stores: stores), group: group, logger: logger)
        default:
            return nil
        }
    }

    /// The MTA: the SMTP server on its three kinds of listener (the names
    /// give each its role, `SMTPConfiguration.listenerRoles`), the queue
    /// under data_dir/queue and its runner.
    private func buildSMTP() throws -> [any BindableService] {
        let settings = configuration.smtp
        let dataDirectory = configuration.dataDirectory.path
        let queue: FileQueue
        let aliases: AliasTable
        do {
            queue = try FileQueue(directory: SMTPSettings.queueDirectory(dataDirectory: dataDirectory))
        } catch {
            throw ServeFailure(status: 1, description: "cannot open the SMTP queue: \(error)")
        }
        do {
            aliases = try settings.aliasTable(logger: logger)
        } catch {
            throw ServeFailure(status: 2, description: "[smtp] aliases \(settings.aliases.path): \(error)")
        }
        let resolver = AliasingRecipientResolver(aliases: aliases, directory: accounts)
        // `chappe reload` re-reads the aliases file, as `newaliases` with
        // `postfix reload` does; the local domains stay those in service
        // (the relay policy was built with them).
        let servingDomains = settings.localDomains
        let logger = self.logger
        state.onReload { fresh in
            do {
                let table = try fresh.smtp.aliasTable(logger: logger, localDomains: servingDomains)
                resolver.replaceAliases(table)
                return ["smtp: aliases re-read from \(fresh.smtp.aliases.path) (\(table.entries.count) names)"]
            } catch {
                return ["smtp: aliases not reloaded, the previous ones stay in service: \(error)"]
            }
        }
        let smtp = SMTPConfiguration(
            hostname: configuration.hostname,
            relayPolicy: .standard(localDomains: settings.localDomains, trustedNetworks: settings.trustedNetworks),
            maxMessageSize: settings.maxMessageSize, maxRecipients: settings.maxRecipients,
            peerNameLookup: settings.peerNameLookup)
        let dns = DNSResolver(configuration: configuration.dns.resolverConfiguration, group: group)
        let listeners =
            settings.service.listen.map { ListenerSpec(name: "smtp", endpoint: $0.endpoint, configKey: "[smtp] listen") }
            + settings.submission.map {
                ListenerSpec(name: "submission", endpoint: $0.endpoint, configKey: "[smtp] submission")
            }
            + settings.submissions.map {
                ListenerSpec(name: "submissions", endpoint: $0.endpoint, implicitTLS: true, configKey: "[smtp] submissions")
            }
        let server = SMTPServer.make(
            configuration: smtp, listeners: listeners,
            limits: SMTPServer.sessionLimits(
                maxConnections: settings.maxConnections, maxConnectionsPerClient: settings.maxConnectionsPerClient,
                drainTimeout: TimeAmount(configuration.shutdownTimeout)),
            tls: tls, spool: queue, authenticator: AccountAuthenticator(accounts: accounts), resolver: resolver,
            dns: dns, group: group, logger: logger)
        state.register(server.summary)
        let pickup = MaildropPickup(
            queueDirectory: queue.directory, spool: queue, domain: settings.localDomains.first ?? configuration.hostname,
            hostname: configuration.hostname, maxMessageSize: settings.maxMessageSize, logger: logger)
        let runner = QueueRunner(
            queue: queue, resolver: resolver, agent: StoreDeliveryAgent(accounts: accounts, stores: stores),
            configuration: settings.runnerConfiguration(hostname: configuration.hostname), logger: logger, pickup: pickup,
            remote: settings.remoteDeliveryAgent(hostname: configuration.hostname, dns: dns))
        state.setQueueControl(QueueControl(runner: runner))
        return [server, QueueRunnerService(runner: runner)]
    }
}
