// ResolverConfiguration: which recursive servers the stub resolver asks and how patiently,
// from /etc/resolv.conf (resolv.conf(5): `nameserver`, `options timeout:N attempts:N`) or
// from the suite's `[dns] resolvers`, whose entries may carry a port ("127.0.0.1:5353",
// "[::1]:5353") so that tests can point the resolver at a server on loopback.
//
// Invariants: parsing never fails — unknown lines and bad values are skipped, as the C
// library does; the limits are glibc's (at most 3 servers, timeout at most 30 s, attempts
// at most 5); a file without a usable server means the local host (127.0.0.1:53).
import Foundation
import Transport

/// What /etc/resolv.conf says, as far as a stub resolver needs.
public struct ResolvConf: Sendable, Hashable {
    /// The `nameserver` lines, in order, port 53.
    public var servers: [ListenAddress]
    /// `options timeout:N`: seconds to wait for one answer (resolv.conf(5) default 5).
    public var timeoutSeconds: Int
    /// `options attempts:N`: rounds over the servers (resolv.conf(5) default 2).
    public var attempts: Int

    /// glibc's MAXNS.
    public static let maxServers = 3
    public static let defaultTimeoutSeconds = 5
    public static let maxTimeoutSeconds = 30
    public static let defaultAttempts = 2
    public static let maxAttempts = 5

    public init(servers: [ListenAddress], timeoutSeconds: Int = defaultTimeoutSeconds, attempts: Int = defaultAttempts) {
        self.servers = servers
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
    }

    /// Parses the text of a resolv.conf file.
    public init(parsing text: String) {
        var servers: [ListenAddress] = []
        var timeout = Self.defaultTimeoutSeconds
        var attempts = Self.defaultAttempts
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.prefix { $0 != "#" && $0 != ";" }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first else { continue }
            switch keyword {
            case "nameserver":
                // A scoped IPv6 address ("fe80::1%eth0") cannot be told to a socket by text here: skipped.
                guard words.count >= 2, servers.count < Self.maxServers,
                    let address = IPAddress(String(words[1]))
                else { continue }
                servers.append(ListenAddress(address: address, port: 53))
            case "options":
                for option in words.dropFirst() {
                    let parts = option.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, let value = Int(parts[1]) else { continue }
                    switch parts[0] {
                    case "timeout": timeout = min(max(1, value), Self.maxTimeoutSeconds)
                    case "attempts": attempts = min(max(1, value), Self.maxAttempts)
                    default: break
                    }
                }
            default:
                continue
            }
        }
        self.init(
            servers: servers.isEmpty ? [ListenAddress(address: .ipv4Loopback, port: 53)] : servers,
            timeoutSeconds: timeout, attempts: attempts)
    }

    /// The file at `path`; a missing or unreadable file is an empty one (the local host).
    public static func load(path: String = "/etc/resolv.conf") -> ResolvConf {
        let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return ResolvConf(parsing: text)
    }
}

/// How the stub resolver talks to its servers.
public struct DNSResolverConfiguration: Sendable, Hashable {
    /// The recursive servers, asked in order.
    public var servers: [ListenAddress]
    /// How long to wait for one answer from one server.
    public var timeout: Duration
    /// Rounds over the server list before giving up.
    public var attempts: Int
    /// The EDNS(0) UDP payload size announced (RFC 6891 §6.2.5; 1232 avoids fragmentation).
    public var udpPayloadSize: UInt16
    /// Ask over TCP from the start (`chappe dns +tcp`), not only after truncation.
    public var alwaysTCP: Bool

    public init(
        servers: [ListenAddress], timeout: Duration = .seconds(ResolvConf.defaultTimeoutSeconds),
        attempts: Int = ResolvConf.defaultAttempts, udpPayloadSize: UInt16 = DNSLimits.defaultEDNSPayloadSize,
        alwaysTCP: Bool = false
    ) {
        self.servers = servers
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.udpPayloadSize = udpPayloadSize
        self.alwaysTCP = alwaysTCP
    }

    /// The servers of `servers` if any (the suite's `[dns] resolvers`), else those of
    /// resolv.conf; timeout and attempts from resolv.conf either way.
    public static func system(servers: [ListenAddress] = [], resolvConf: ResolvConf = .load()) -> DNSResolverConfiguration {
        DNSResolverConfiguration(
            servers: servers.isEmpty ? resolvConf.servers : servers, timeout: .seconds(resolvConf.timeoutSeconds),
            attempts: resolvConf.attempts)
    }
}
