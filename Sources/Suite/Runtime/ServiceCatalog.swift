// The services `chappe serve` can run, built from the configuration. Each
// protocol issue adds its service here; a service that is enabled in the
// configuration but not part of this build is reported, not faked.
import Logging
import NIOCore
import NIOSSL
import Transport

struct ServiceCatalog {
    let configuration: ChappeConfiguration
    let tls: NIOSSLContext
    let group: any EventLoopGroup
    let logger: Logger
    let state: ServerState

    /// The services to run: the enabled ones, restricted to `only` when given.
    func services(only: Set<String>?) -> [any BindableService] {
        var built: [any BindableService] = []
        for name in ServerRuntime.serviceNames {
            guard only?.contains(name) ?? true, isEnabled(name) else { continue }
            if let service = build(name) {
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
        nil
    }
}
