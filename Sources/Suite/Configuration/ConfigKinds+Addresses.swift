// ConfigKinds+Addresses: the kinds whose values are network addresses —
// listener addresses, DNS resolver endpoints, trusted networks and the
// smarthost. Parsing itself lives in Transport/Addressing; these kinds only
// adapt its errors to configuration messages.

import Transport

// MARK: - Listeners and endpoints

/// An address a listener binds: "127.0.0.1:2025" or "[::1]:2025".
struct ListenAddressKind: ConfigKind {
    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> ListenAddress {
        let text = try literal.expectString()
        do {
            return try ListenAddress(text)
        } catch {
            throw ConfigValueError(error.description)
        }
    }

    func encode(_ value: ListenAddress) -> ConfigLiteral { .string(value.description) }
    var placeholder: ListenAddress { ListenAddress(address: IPAddress.ipv4Loopback, port: 0) }
    func listeners(in value: ListenAddress) -> [ListenAddress] { [value] }
}

/// A server to talk to by IP: "192.0.2.1", "192.0.2.1:53", "[2001:db8::1]:53"
/// or "2001:db8::1"; without a port it gets `defaultPort`. Printed with the
/// port always.
struct EndpointKind: ConfigKind {
    let defaultPort: UInt16

    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> ListenAddress {
        let text = try literal.expectString()
        do {
            return try ListenAddress(parsing: text, defaultPort: defaultPort)
        } catch {
            throw ConfigValueError(error.description)
        }
    }

    func encode(_ value: ListenAddress) -> ConfigLiteral { .string(value.description) }
    var placeholder: ListenAddress { ListenAddress(address: IPAddress.ipv4Loopback, port: defaultPort) }
}

// MARK: - Networks

/// A CIDR block: "127.0.0.0/8", "::1/128", or one address.
struct NetworkKind: ConfigKind {
    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> IPNetwork {
        let text = try literal.expectString()
        do {
            return try IPNetwork(text)
        } catch {
            throw ConfigValueError(error.description)
        }
    }

    func encode(_ value: IPNetwork) -> ConfigLiteral { .string(value.description) }

    var placeholder: IPNetwork { IPNetwork(host: .ipv4Loopback) }
}

// MARK: - Smarthost

/// "" (no smarthost: deliver by MX lookup) or "host:port", where host is a
/// domain name or an IP address ("[IPv6]:port"); "host" alone means port 25.
struct RelayHostKind: ConfigKind {
    static let smtpPort = 25

    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> RelayHost? {
        let text = try literal.expectString()
        if text.isEmpty { return nil }
        let shown = ConfigLiteral.quoted(text)

        // An IP literal, with or without a port, is parsed by Transport;
        // anything else is a name (which may start with a digit).
        do {
            let endpoint = try ListenAddress(parsing: text, defaultPort: UInt16(RelayHostKind.smtpPort))
            return RelayHost(host: endpoint.host, port: endpoint.port)
        } catch {
            if text.hasPrefix("[") || text.filter({ $0 == ":" }).count > 1 {
                throw ConfigValueError(error.description)
            }
        }

        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        var port = RelayHostKind.smtpPort
        if parts.count == 2 {
            guard let value = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                  (1...65535).contains(value)
            else {
                throw ConfigValueError("\(shown) has a port that is not a number from 1 to 65535")
            }
            port = value
        }
        switch DomainName.validate(String(parts[0])) {
        case .success(let name):
            return RelayHost(host: name, port: port)
        case .failure(let error):
            throw ConfigValueError("\(shown) is not \"host:port\": the host \(error.reason); use e.g. \"smtp.example.net:587\"")
        }
    }

    func encode(_ value: RelayHost?) -> ConfigLiteral { .string(value?.description ?? "") }
    var placeholder: RelayHost? { nil }
}
