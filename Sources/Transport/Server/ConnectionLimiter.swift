// Admission of new connections: a cap on all connections of a service and a
// cap per client address (DESIGN.md rule 4). Over a cap, the protocol's own
// "too busy" reply is sent and the connection closed.
import NIOConcurrencyHelpers

public enum BusyReason: Sendable, Equatable {
    case tooManyConnections
    case tooManyConnectionsFromClient
}

public final class ConnectionLimiter: Sendable {
    public let maxConnections: Int
    public let maxConnectionsPerClient: Int

    private struct State {
        var total = 0
        var perClient: [String: Int] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init(maxConnections: Int, maxConnectionsPerClient: Int) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
    }

    /// Counts a new connection from `client`, or says why it is refused.
    public func admit(_ client: String) -> BusyReason? {
        state.withLockedValue { state in
            if state.total >= maxConnections { return .tooManyConnections }
            let fromClient = state.perClient[client, default: 0]
            if fromClient >= maxConnectionsPerClient { return .tooManyConnectionsFromClient }
            state.total += 1
            state.perClient[client] = fromClient + 1
            return nil
        }
    }

    public func release(_ client: String) {
        state.withLockedValue { state in
            state.total -= 1
            let left = state.perClient[client, default: 1] - 1
            state.perClient[client] = left > 0 ? left : nil
        }
    }

    public var activeConnections: Int {
        state.withLockedValue { $0.total }
    }
}
