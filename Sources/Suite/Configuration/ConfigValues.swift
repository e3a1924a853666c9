// ConfigValues: the small value types that configuration keys decode to
// besides the standard ones and Transport's addresses — paths resolved
// against the configuration file's folder, the smarthost, the log level —
// and the domain-name check shared by `hostname`, `local_domains` and
// `relay_host`.

import Foundation

// MARK: - ConfigPath

/// A path from the configuration: the text as written, and the absolute
/// path it names. A relative path is relative to the folder of the file it
/// was read from (DESIGN.md, "Configuration").
///
/// Two paths are equal when they name the same absolute path, whatever
/// their spelling ("tls/cert.pem" read in /srv/etc equals "/srv/etc/tls/cert.pem").
public struct ConfigPath: Sendable, Hashable, CustomStringConvertible {
    /// The path as written in the file.
    public let text: String
    /// The absolute, lexically normalised path ("." and ".." removed;
    /// symbolic links are left alone).
    public let path: String

    /// Resolves `text` against `baseDirectory` (itself absolute).
    public init(_ text: String, relativeTo baseDirectory: String) {
        self.text = text
        self.path = ConfigPath.normalized(text.hasPrefix("/") ? text : baseDirectory + "/" + text)
    }

    /// The absolute path as a file URL.
    public var url: URL { URL(fileURLWithPath: path) }

    public var description: String { path }

    public static func == (lhs: ConfigPath, rhs: ConfigPath) -> Bool { lhs.path == rhs.path }
    public func hash(into hasher: inout Hasher) { hasher.combine(path) }

    /// "/a/./b/../c//d/" → "/a/c/d"; ".." never climbs above "/".
    static func normalized(_ absolute: String) -> String {
        var parts: [Substring] = []
        for part in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `path` made absolute against the current directory, normalised.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalized(path) }
        return normalized(FileManager.default.currentDirectoryPath + "/" + path)
    }
}

// MARK: - RelayHost

/// The smarthost outgoing mail is handed to (`[smtp] relay_host`): a domain
/// name or IP address, and a port.
public struct RelayHost: Sendable, Hashable, CustomStringConvertible {
    /// A domain name ("smtp.example.net") or an IP address without brackets.
    public let host: String
    /// The TCP port, 1...65535 (25 when the text gave none).
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// "host:port", with brackets around an IPv6 address.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

// MARK: - LogLevel

/// How much the suite logs (`log_level`). The names and order are those of
/// swift-log's `Logger.Level`, so Suite maps one onto the other by raw value.
public enum LogLevel: String, Sendable, Hashable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

// MARK: - DomainName

/// The syntax of a host or domain name: RFC 1035 §2.3.1 "preferred name
/// syntax" as relaxed by RFC 1123 §2.1 (labels may start with a digit).
enum DomainName {
    /// The name in lower case without a trailing dot, or a reason it is not a
    /// domain name.
    static func validate(_ text: String) -> Result<String, DomainNameError> {
        var name = text
        if name.hasSuffix(".") { name.removeLast() }
        // RFC 1035 §2.3.4: 255 octets on the wire, 253 characters as text.
        guard !name.isEmpty else { return .failure(.init("is empty")) }
        guard name.utf8.count <= 253 else { return .failure(.init("is longer than 253 characters")) }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty else { return .failure(.init("has an empty label (\"..\")")) }
            guard label.utf8.count <= 63 else {
                return .failure(.init("has a label longer than 63 characters"))
            }
            let allowed = label.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
            }
            guard allowed else {
                return .failure(.init("may only hold letters, digits, \"-\" and \".\""))
            }
            guard !label.hasPrefix("-"), !label.hasSuffix("-") else {
                return .failure(.init("has a label that starts or ends with \"-\""))
            }
        }
        // A name whose last label is numeric would read as an IPv4 address.
        if let last = labels.last, last.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return .failure(.init("ends in a numeric label, which is not a domain name"))
        }
        return .success(name.lowercased())
    }

    struct DomainNameError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
