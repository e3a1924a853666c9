// Per-service counters and gauges (swift-metrics); the HTTP service exports
// them in Prometheus text form.
import Metrics

public struct ServiceMetrics: Sendable {
    public let connections: Counter
    public let activeConnections: Meter
    public let refusedConnections: Counter
    public let bytesIn: Counter
    public let bytesOut: Counter
    public let errors: Counter
    public let timeouts: Counter

    public init(service: String) {
        let dimensions = [("service", service)]
        connections = Counter(label: "chappe_connections_total", dimensions: dimensions)
        activeConnections = Meter(label: "chappe_connections_active", dimensions: dimensions)
        refusedConnections = Counter(label: "chappe_connections_refused_total", dimensions: dimensions)
        bytesIn = Counter(label: "chappe_bytes_received_total", dimensions: dimensions)
        bytesOut = Counter(label: "chappe_bytes_sent_total", dimensions: dimensions)
        errors = Counter(label: "chappe_errors_total", dimensions: dimensions)
        timeouts = Counter(label: "chappe_timeouts_total", dimensions: dimensions)
    }
}
