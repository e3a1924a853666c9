// Where mail for a domain goes (RFC 5321 §5.1): the smarthost when
// `relay_host` is set; else the domain's MX hosts by preference (equal
// preferences in random order, done by `MXAnswer`), each host's AAAA then
// A addresses in turn; no MX records: the domain itself (the implicit MX);
// a null MX (RFC 7505): no delivery at all. Which failures are permanent
// follows RFC 5321 §5.1 and RFC 3463: NXDOMAIN 5.1.2, null MX 5.1.10,
// SERVFAIL and timeouts temporary (4.4.3).
import DNS
import Transport

/// One host to try, at `port`.
public struct RouteHost: Sendable, Hashable, CustomStringConvertible {
    /// The host's name, without the root's dot; an address for literals.
    public var name: String
    public var port: Int
    /// Whether `name` is connected to as given (the smarthost: the system
    /// resolver finds it) rather than through the DNS lookup's addresses.
    public var connectsByName: Bool

    public init(name: String, port: Int, connectsByName: Bool = false) {
        self.name = name
        self.port = port
        self.connectsByName = connectsByName
    }

    public var description: String { "\(name):\(port)" }
}

public enum MailRoute: Sendable, Equatable {
    /// The hosts to try, in order.
    case hosts([RouteHost])
    /// No delivery is possible: the status first.
    case permanent(String)
    /// No route for now (the lookup failed): try again later.
    case temporary(String)
}

/// The addresses of one route host.
public enum RouteAddresses: Sendable, Equatable {
    /// Addresses as text, IPv6 first (AAAA, then A).
    case addresses([String])
    /// None now: the next host is tried; the reason goes into the deferral.
    case unavailable(String)
}

public struct MailRouter: Sendable {
    public let dns: any DNSLookup
    /// The smarthost; nil: MX lookup.
    public let relayHost: RouteHost?
    /// The port of every MX host (25; tests use others).
    public let remotePort: Int

    public init(dns: any DNSLookup, relayHost: RouteHost? = nil, remotePort: Int = 25) {
        self.dns = dns
        self.relayHost = relayHost.map { RouteHost(name: $0.name, port: $0.port, connectsByName: true) }
        self.remotePort = remotePort
    }

    /// The hosts for mail to `domain`.
    public func route(_ domain: String) async -> MailRoute {
        if let relayHost { return .hosts([relayHost]) }
        // RFC 5321 §4.1.3: a domain literal names the host itself.
        if domain.hasPrefix("[") && domain.hasSuffix("]") {
            let literal = domain.dropFirst().dropLast()
            let address = literal.hasPrefix("IPv6:") ? String(literal.dropFirst(5)) : String(literal)
            guard IPAddress(address) != nil else { return .permanent("5.1.2 bad address literal \(domain)") }
            return .hosts([RouteHost(name: address, port: remotePort)])
        }
        let name: DNSName
        do {
            name = try DNSName(parsing: domain)
        } catch {
            return .permanent("5.1.2 \(domain) is not a valid domain name: \(error)")
        }
        switch await dns.mx(name) {
        case .hosts(let exchangers):
            return .hosts(exchangers.map { RouteHost(name: Self.hostName($0.exchange), port: remotePort) })
        case .noMXRecords:
            // RFC 5321 §5.1: without MX records the domain is its own mail exchanger.
            return .hosts([RouteHost(name: Self.hostName(name), port: remotePort)])
        case .noSuchDomain:
            return .permanent("5.1.2 the domain \(domain) does not exist")
        case .nullMX:
            // RFC 7505 §4.1 / RFC 7505 §3: the domain accepts no mail.
            return .permanent("5.1.10 \(domain) accepts no mail (null MX, RFC 7505)")
        case .temporaryFailure(let reason):
            return .temporary("4.4.3 cannot look up the MX records of \(domain): \(reason)")
        }
    }

    /// The addresses to connect to for `host`.
    public func addresses(of host: RouteHost) async -> RouteAddresses {
        if host.connectsByName || IPAddress(host.name) != nil { return .addresses([host.name]) }
        let name: DNSName
        do {
            name = try DNSName(parsing: host.name)
        } catch {
            return .unavailable("4.4.3 \(host.name) is not a valid host name")
        }
        switch await dns.addresses(name) {
        case .addresses(let found): return .addresses(found.map(\.description))
        case .noSuchDomain: return .unavailable("4.4.3 the host \(host.name) does not exist")
        case .noAddresses: return .unavailable("4.4.3 the host \(host.name) has no address")
        case .temporaryFailure(let reason): return .unavailable("4.4.3 cannot look up \(host.name): \(reason)")
        }
    }

    static func hostName(_ name: DNSName) -> String {
        let text = name.description
        return text.hasSuffix(".") && text.count > 1 ? String(text.dropLast()) : text
    }
}
