// The SMTP queue in `chappe serve`: the runner as a service of the group
// (it has no listeners), and the queue commands of the control socket
// (QUEUE-KICK, QUEUE-FLUSH, QUEUE-DELETE) handed to ServerState.
import DNS
import Foundation
import Logging
import MailStore
import ServiceLifecycle
import SMTP
import Transport

/// Runs the queue runner until graceful shutdown.
struct QueueRunnerService: BindableService {
    let runner: QueueRunner

    func bindListeners() async throws {}
    func closeListeners() async {}

    func run() async throws {
        let runner = self.runner
        await cancelWhenGracefulShutdown {
            await runner.run()
        }
    }
}

/// The queue operations the control socket offers.
public struct QueueControl: Sendable {
    let runner: QueueRunner

    func kick() -> ControlReply {
        runner.kick()
        return ControlReply(lines: ["queue run requested"])
    }

    func flush() async -> ControlReply {
        await runner.flush()
        return ControlReply(lines: ["deferred recipients will be retried now"])
    }

    func delete(_ text: String) async -> ControlReply {
        guard let id = QueueID(text) else { return ControlReply(error: "\"\(text)\" is not a queue id") }
        do {
            try await runner.delete(id)
            return ControlReply(lines: ["deleted \(id)"])
        } catch {
            return ControlReply(error: "\(error)")
        }
    }
}

extension SMTPSettings {
    /// The queue folder under data_dir.
    static func queueDirectory(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("queue")
    }

    /// The aliases file, or an empty table (with postmaster) when it is
    /// missing; `localDomains` (the ones in service) default to this section's.
    func aliasTable(logger: Logger, localDomains: [String]? = nil) throws -> AliasTable {
        let path = aliases.path
        let localDomains = localDomains ?? self.localDomains
        guard FileManager.default.fileExists(atPath: path) else {
            logger.notice("no aliases file at \(path); only mailboxes and postmaster receive mail")
            return AliasTable.empty(localDomains: localDomains)
        }
        return try AliasTable.load(path: path, localDomains: localDomains) { file in
            try String(contentsOfFile: file, encoding: .utf8)
        }
    }

    func runnerConfiguration(hostname: String) -> QueueRunnerConfiguration {
        let postmaster = try? SMTPMailbox("postmaster@" + (localDomains.first ?? hostname))
        return QueueRunnerConfiguration(
            hostname: hostname, retrySchedule: retrySchedule, queueLifetime: queueLifetime,
            delayWarningTime: delayWarningTime == .zero ? nil : delayWarningTime, retryJitter: 0.1,
            postmaster: postmaster)
    }

    /// The outbound SMTP client over `dns` (the suite's resolver): TLS
    /// opportunistic and unverified but for `require_verified_tls`.
    func remoteDeliveryAgent(hostname: String, dns: any DNSLookup) -> SMTPRemoteDeliveryAgent {
        let router = MailRouter(
            dns: dns, relayHost: relayHost.map { RouteHost(name: $0.host, port: $0.port) }, remotePort: remotePort)
        return SMTPRemoteDeliveryAgent(
            router: router,
            configuration: SMTPClientConfiguration(
                heloName: hostname, opportunisticTLS: ClientTLSSettings(verifyCertificate: false),
                verifiedTLSDomains: Set(requireVerifiedTLS), connectTimeout: remoteConnectTimeout,
                commandTimeout: remoteCommandTimeout, dataTimeout: remoteCommandTimeout * 2,
                maxConnections: remoteMaxConnections, maxConnectionsPerDomain: remoteMaxConnectionsPerDomain))
    }
}
