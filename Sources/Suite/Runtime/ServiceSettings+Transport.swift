// From configuration values to the transport's listener and limit types.
import NIOCore
import Transport

extension ListenAddress {
    var endpoint: ListenEndpoint { .tcp(host: host, port: port) }
}

extension ServiceSettings {
    /// `listen` and `tls_listen` of `section` as listeners named after the
    /// protocol ("pop3", "pop3s"), each remembering its key for errors.
    func listenerSpecs(section: String, plainName: String, tlsName: String) -> [ListenerSpec] {
        listen.map { ListenerSpec(name: plainName, endpoint: $0.endpoint, configKey: "[\(section)] listen") }
            + tlsListen.map {
                ListenerSpec(name: tlsName, endpoint: $0.endpoint, implicitTLS: true, configKey: "[\(section)] tls_listen")
            }
    }

    func sessionLimits(lineEndings: LineEndingPolicy, drainTimeout: Duration) -> SessionLimits {
        SessionLimits(
            maxLineLength: maxLineLength, lineEndings: lineEndings, idleTimeout: TimeAmount(idleTimeout),
            maxConnections: maxConnections, maxConnectionsPerClient: maxConnectionsPerClient,
            drainTimeout: TimeAmount(drainTimeout))
    }
}
