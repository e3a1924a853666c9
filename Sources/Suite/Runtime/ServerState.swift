// What the running server knows about itself for the control socket: its
// configuration (replaced whole by a successful reload), start time, and the
// services with their listeners and connection counts.
import Foundation
import Logging
import NIOConcurrencyHelpers
import Transport

/// A running service as the control socket sees it.
public struct ServiceSummary: Sendable {
    public let name: String
    public let endpoints: @Sendable () -> [String]
    public let activeConnections: @Sendable () -> Int
}

public final class ServerState: Sendable {
    public let startedAt = Date()
    public let configurationFile: String?
    private let current: NIOLockedValueBox<ChappeConfiguration>
    private let services = NIOLockedValueBox<[ServiceSummary]>([])
    private let queueControl = NIOLockedValueBox<QueueControl?>(nil)
    private let reloadActions = NIOLockedValueBox<[@Sendable (ChappeConfiguration) -> [String]]>([])
    private let logger: Logger

    public init(configuration: ChappeConfiguration, file: String?, logger: Logger) {
        self.current = NIOLockedValueBox(configuration)
        self.configurationFile = file
        self.logger = logger
    }

    public var configuration: ChappeConfiguration {
        current.withLockedValue { $0 }
    }

    public func register(_ summary: ServiceSummary) {
        services.withLockedValue { $0.append(summary) }
    }

    /// The SMTP queue, when the smtp service runs.
    func setQueueControl(_ control: QueueControl) {
        queueControl.withLockedValue { $0 = control }
    }

    var queue: QueueControl? {
        queueControl.withLockedValue { $0 }
    }

    /// Runs `action` with the new configuration after each successful reload; the lines
    /// it returns join the reply (the DNS service reloads its zones this way).
    func onReload(_ action: @escaping @Sendable (ChappeConfiguration) -> [String]) {
        reloadActions.withLockedValue { $0.append(action) }
    }

    // MARK: - Control commands

    public func status() -> ControlReply {
        let uptime = Int(Date().timeIntervalSince(startedAt))
        var lines = [
            "chappe running since \(startedAt.formatted(.iso8601)), uptime \(Self.format(seconds: uptime)), pid \(getpid())",
            "configuration \(configurationFile ?? "built-in defaults")",
        ]
        for service in services.withLockedValue({ $0 }) {
            let count = service.activeConnections()
            let noun = count == 1 ? "connection" : "connections"
            lines.append("\(service.name): \(count) \(noun) on \(service.endpoints().joined(separator: " "))")
        }
        return ControlReply(lines: lines)
    }

    /// Re-reads the configuration file. An invalid file is refused and the
    /// running configuration kept. Keys that only take effect at start
    /// (listeners, data_dir, user, TLS files) are reported.
    public func reload() -> ControlReply {
        guard let file = configurationFile else {
            return ControlReply(error: "running on built-in defaults: there is no file to reload")
        }
        let fresh: ChappeConfiguration
        do {
            fresh = try ChappeConfiguration.load(file: file)
        } catch {
            logger.warning("reload refused: \(error.issues.count) problems in \(file)")
            return ControlReply(
                lines: error.issues.map(\.description),
                error: "configuration refused; still running with the previous one")
        }
        let old = current.withLockedValue { value in
            defer { value = fresh }
            return value
        }
        ChappeLogHandler.globalLevel.withLockedValue { $0 = fresh.logLevel.loggerLevel }
        let pending = ConfigurationDifferences.needingRestart(old: old, new: fresh)
        logger.notice("configuration reloaded from \(file)")
        var lines = ["reloaded \(file)"]
        for action in reloadActions.withLockedValue({ $0 }) {
            lines += action(fresh)
        }
        if !pending.isEmpty {
            lines.append("takes effect at the next restart: \(pending.joined(separator: ", "))")
        }
        return ControlReply(lines: lines)
    }

    static func format(seconds: Int) -> String {
        let (days, rest) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (hours, rest2) = rest.quotientAndRemainder(dividingBy: 3600)
        let (minutes, secs) = rest2.quotientAndRemainder(dividingBy: 60)
        var text = ""
        if days > 0 { text += "\(days)d" }
        if days > 0 || hours > 0 { text += "\(hours)h" }
        if days > 0 || hours > 0 || minutes > 0 { text += "\(minutes)m" }
        return text + "\(secs)s"
    }
}

/// Runs control commands for the control socket's sessions.
public struct ControlPerformer: EffectPerformer {
    public typealias Machine = ControlMachine
    let state: ServerState

    public init(state: ServerState) {
        self.state = state
    }

    static let noQueue = ControlReply(error: "the smtp service is not running")

    public func perform(_ effect: ControlEffect, context: EffectContext) async -> ControlReply {
        switch effect {
        case .status:
            return state.status()
        case .reload:
            context.logger.info("reload requested over the control socket")
            return state.reload()
        case .queueKick:
            guard let queue = state.queue else { return Self.noQueue }
            return queue.kick()
        case .queueFlush:
            guard let queue = state.queue else { return Self.noQueue }
            context.logger.info("queue flush requested over the control socket")
            return await queue.flush()
        case .queueDelete(let id):
            guard let queue = state.queue else { return Self.noQueue }
            context.logger.info("deletion of queue entry \(id) requested over the control socket")
            return await queue.delete(id)
        }
    }
}
