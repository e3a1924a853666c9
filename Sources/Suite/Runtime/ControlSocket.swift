// The control socket: data_dir/control.sock, a Unix socket only the server's
// user may open, served by the same transport as every protocol.
import Foundation
import Logging
import NIOCore
import Transport

public enum ControlSocket {
    public static let fileName = "control.sock"

    public static func path(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent(fileName)
    }

    /// The control server, after checking that no other server owns the socket.
    static func prepare(
        dataDirectory: String, state: ServerState, group: any EventLoopGroup, logger: Logger, drainTimeout: Duration
    ) async throws -> TCPServer<ControlPerformer> {
        let socket = path(dataDirectory: dataDirectory)
        // sockaddr_un holds 108 bytes with the terminating NUL.
        guard socket.utf8.count < 108 else {
            throw ServeFailure(
                status: 2, description: "control socket path \(socket) is longer than 107 bytes; choose a shorter data_dir")
        }
        if FileManager.default.fileExists(atPath: socket),
            let client = try? await ClientConnection.connect(unixSocketPath: socket, readTimeout: .seconds(2))
        {
            await client.close()
            throw ServeFailure(
                status: 2,
                description: "another chappe serve is running with data_dir \(dataDirectory) (its control socket answers); "
                    + "stop it first or change data_dir")
        }
        let server = TCPServer(
            service: "control",
            listeners: [ListenerSpec(name: "control", endpoint: .unix(path: socket), configKey: "data_dir")],
            limits: SessionLimits(
                maxLineLength: 4096, lineEndings: .tolerateBareLF, idleTimeout: .seconds(60), maxConnections: 16,
                maxConnectionsPerClient: 16, drainTimeout: TimeAmount(drainTimeout)),
            tls: nil, performer: ControlPerformer(state: state), group: group, logger: logger,
            busyReply: { _ in ControlMachine.encode(ControlReply(error: "too many control connections")) },
            makeMachine: { ControlMachine() })
        state.register(server.summary)
        return server
    }

    static func remove(dataDirectory: String) {
        unlink(path(dataDirectory: dataDirectory))
    }

    /// Sends one command to a running server and returns its reply. Used by
    /// `chappe status`, `chappe reload` and the queue commands.
    public static func send(_ command: String, dataDirectory: String) async throws -> ControlReply {
        let socket = path(dataDirectory: dataDirectory)
        let client: ClientConnection
        do {
            client = try await ClientConnection.connect(unixSocketPath: socket)
        } catch {
            throw ControlError.notRunning(socket: socket)
        }
        defer { Task { await client.close() } }
        try await client.send(command + "\n")
        var lines: [String] = []
        while true {
            let line = try await client.readLine()
            if line == "OK" {
                return ControlReply(lines: lines)
            }
            if line.hasPrefix("ERR ") {
                return ControlReply(lines: lines, error: String(line.dropFirst(4)))
            }
            guard line.hasPrefix(" ") else {
                throw ControlError.garbled(line: line)
            }
            lines.append(String(line.dropFirst()))
        }
    }
}

public enum ControlError: Error, CustomStringConvertible {
    case notRunning(socket: String)
    case garbled(line: String)

    public var description: String {
        switch self {
        case .notRunning(let socket):
            return "no chappe server is running (nothing answers on \(socket)); start one with `chappe serve`"
        case .garbled(let line):
            return "the server answered something unexpected on the control socket: \(line)"
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// A service that can describe itself for `chappe status`.
protocol SummarizedService {
    var summary: ServiceSummary { get }
}

extension TCPServer: BindableService, SummarizedService {
    public func bindListeners() async throws {
        try await bind()
    }

    public func closeListeners() async {
        await stopListening()
    }

    var summary: ServiceSummary {
        ServiceSummary(
            name: service, endpoints: { [self] in endpoints.map(\.description) },
            activeConnections: { [self] in activeConnections })
    }
}
