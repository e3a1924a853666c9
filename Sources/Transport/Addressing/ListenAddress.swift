// ListenAddress: the IP address and port a listener binds, parsed from the
// text operators write in etc/chappe.toml ("127.0.0.1:2025", "[::1]:2025",
// "0.0.0.0:25", "[::]:25").
//
// Invariants: the host is an IP literal, never a name — a listener binds an
// address, and resolving a name at start-up would make what is bound depend
// on DNS. An IPv6 address is written in brackets so that its colons cannot be
// mistaken for the port separator (RFC 3986 §3.2.2). A port parsed from text
// is in 1...65535; port 0 ("any free port") exists only for tests, through
// `init(address:port:)`.

// MARK: - ListenAddress

/// An IP address and a TCP/UDP port.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// The parsed address.
    public let address: IPAddress
    /// The port, 1...65535 when parsed from text (0 only when built in code).
    public let port: Int

    /// The address as text without brackets: "127.0.0.1", "::1".
    public var host: String { address.description }

    /// True when the address is IPv6 (written in brackets).
    public var isIPv6: Bool { address.isIPv6 }

    /// "127.0.0.1:2025" or "[::1]:2025".
    public var description: String {
        isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// An address and port given in code. Port 0 asks the kernel for any free
    /// port (tests bind that way); text never yields it.
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = Int(port)
    }

    /// Parses "IPv4:port" or "[IPv6]:port".
    public init(_ text: String) throws(AddressParseError) {
        try self.init(parsing: text, defaultPort: nil)
    }

    /// Parses "IPv4:port", "[IPv6]:port" and, when `defaultPort` is given,
    /// also a bare "IPv4", "IPv6" or "[IPv6]" that takes that port (as DNS
    /// resolver entries do with 53).
    public init(parsing text: String, defaultPort: UInt16?) throws(AddressParseError) {
        let (hostText, portText, bracketed) = try ListenAddress.split(text, portOptional: defaultPort != nil)

        guard let address = IPAddress(hostText) else {
            throw ListenAddress.hostError(text, host: hostText, bracketed: bracketed)
        }
        if bracketed, !address.isIPv6 {
            throw AddressParseError(input: text, reason: "has an IPv4 address in brackets; brackets are for IPv6 only, e.g. \"127.0.0.1:2025\"")
        }
        if !bracketed, address.isIPv6, portText != nil {
            // "::1:2025" cannot be told apart from the address "::1:2025".
            throw AddressParseError(input: text, reason: "is ambiguous; write an IPv6 address in brackets, e.g. \"[::1]:2025\"")
        }

        let port: Int
        if let portText {
            port = try ListenAddress.parsePort(portText, input: text)
        } else if let defaultPort {
            port = Int(defaultPort)
        } else {
            throw AddressParseError(input: text, reason: "has no port; use e.g. \"127.0.0.1:2025\" or \"[::1]:2025\"")
        }
        self.address = address
        self.port = port
    }

    // MARK: Parsing helpers

    /// Splits text into host, optional port text, and whether the host was
    /// in brackets.
    private static func split(_ text: String, portOptional: Bool) throws(AddressParseError) -> (String, String?, Bool) {
        if text.isEmpty {
            throw AddressParseError(input: text, reason: "is empty; use e.g. \"127.0.0.1:2025\" or \"[::1]:2025\"")
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw AddressParseError(input: text, reason: "has \"[\" without \"]\"; use e.g. \"[::1]:2025\"")
            }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, nil, true) }
            guard rest.hasPrefix(":") else {
                throw AddressParseError(input: text, reason: "has text after \"]\" that is not \":port\"; use e.g. \"[::1]:2025\"")
            }
            return (host, String(rest.dropFirst()), true)
        }
        let colons = text.filter { $0 == ":" }.count
        switch colons {
        case 0:
            return (text, nil, false)
        case 1:
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), String(parts[1]), false)
        default:
            // Unbracketed IPv6: allowed alone where the port may be omitted.
            if portOptional, IPAddress(text) != nil { return (text, nil, false) }
            if let cut = text.lastIndex(of: ":"), IPAddress(String(text[..<cut])) != nil {
                let host = String(text[..<cut]), port = String(text[text.index(after: cut)...])
                throw AddressParseError(input: text, reason: "needs brackets around its IPv6 address: \"[\(host)]:\(port)\"")
            }
            throw AddressParseError(input: text, reason: "is not an address and port; use e.g. \"127.0.0.1:2025\" or \"[::1]:2025\"")
        }
    }

    private static func parsePort(_ text: String, input: String) throws(AddressParseError) -> Int {
        guard !text.isEmpty, text.count <= 6, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text) else {
            throw AddressParseError(input: input, reason: "has a port that is not a number from 1 to 65535")
        }
        guard (1...65535).contains(port) else {
            throw AddressParseError(input: input, reason: "has port \(port), out of range 1...65535")
        }
        return port
    }

    private static func hostError(_ input: String, host: String, bracketed: Bool) -> AddressParseError {
        if host.isEmpty {
            return AddressParseError(input: input, reason: "has no address; use 0.0.0.0 or [::] for every interface, e.g. \"0.0.0.0:2025\"")
        }
        if host.contains("%") {
            return AddressParseError(input: input, reason: "has an IPv6 zone (\"%…\"), which is not supported; use an address without one")
        }
        let looksLikeName = host.unicodeScalars.contains { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
            && !host.contains(":")
        if looksLikeName {
            return AddressParseError(
                input: input,
                reason: "has host name \(quotedForMessage(host)); a listener binds an IP address, not a name: use e.g. \"127.0.0.1:2025\" or \"[::1]:2025\""
            )
        }
        return AddressParseError(input: input, reason: "has \(quotedForMessage(host)), which is not an IPv4 or IPv6 address")
    }
}
