// What a service listens on, and the limits its sessions run under.
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ListenEndpoint: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    public var description: String {
        switch self {
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path):
            return path
        }
    }
}

public struct ListenerSpec: Sendable {
    /// The listener's name in logs: "smtp", "submission", "imaps", "control".
    public var name: String
    public var endpoint: ListenEndpoint
    public var implicitTLS: Bool
    /// The configuration key it came from, for error messages: "[smtp] listen".
    public var configKey: String

    public init(name: String, endpoint: ListenEndpoint, implicitTLS: Bool = false, configKey: String) {
        self.name = name
        self.endpoint = endpoint
        self.implicitTLS = implicitTLS
        self.configKey = configKey
    }
}

public struct SessionLimits: Sendable {
    /// Longest line, line ending included.
    public var maxLineLength: Int
    public var lineEndings: LineEndingPolicy
    /// Read timeout until the machine sets another.
    public var idleTimeout: TimeAmount
    public var maxConnections: Int
    public var maxConnectionsPerClient: Int
    /// How long sessions may take to finish at shutdown before they are cut.
    public var drainTimeout: TimeAmount

    public init(
        maxLineLength: Int, lineEndings: LineEndingPolicy, idleTimeout: TimeAmount, maxConnections: Int,
        maxConnectionsPerClient: Int, drainTimeout: TimeAmount
    ) {
        self.maxLineLength = maxLineLength
        self.lineEndings = lineEndings
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.drainTimeout = drainTimeout
    }
}

/// A listener that could not be opened, with the reason in words.
public struct ListenerError: Error, CustomStringConvertible, Sendable {
    public enum Reason: Sendable, Equatable {
        case addressInUse
        case permissionDenied
        case addressNotAvailable
        case tlsNotConfigured
        case other(String)
    }

    public let listener: ListenerSpec
    public let reason: Reason

    public var description: String {
        let port: String
        switch listener.endpoint {
        case .tcp(_, let number): port = "port \(number)"
        case .unix(let path): port = "socket \(path)"
        }
        switch reason {
        case .addressInUse:
            return "\(port) is in use by another process; change \(listener.configKey)"
        case .permissionDenied:
            return "\(port) needs privileges to bind (\(listener.endpoint)); run as root or change \(listener.configKey)"
        case .addressNotAvailable:
            return "address \(listener.endpoint) is not on this machine; change \(listener.configKey)"
        case .tlsNotConfigured:
            return "\(listener.configKey) (\(listener.endpoint)) needs TLS but no certificate is loaded; check [tls]"
        case .other(let text):
            return "cannot listen on \(listener.endpoint) (\(listener.configKey)): \(text)"
        }
    }

    static func from(_ error: Error, listener: ListenerSpec) -> ListenerError {
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return ListenerError(listener: listener, reason: .addressInUse)
            case EACCES: return ListenerError(listener: listener, reason: .permissionDenied)
            case EADDRNOTAVAIL: return ListenerError(listener: listener, reason: .addressNotAvailable)
            default: break
            }
        }
        return ListenerError(listener: listener, reason: .other("\(error)"))
    }
}
