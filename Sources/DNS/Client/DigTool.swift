// DigTool: `chappe dns NAME [TYPE] [@SERVER[:PORT]] [+tcp]`, a small dig. The words are
// read as dig reads them: "@" starts the server, "+" an option, the first other word is
// the name and the second the type (A when left out). The answer is printed in dig's
// presentation format (`DNSMessage.description`); the exit status is 0 for NOERROR and 1
// for any other RCODE or no answer.
import Transport

/// A bad command line, said in one line.
public struct DigUsageError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// What to ask and of whom.
public struct DigRequest: Sendable, Hashable {
    public var question: DNSQuestion
    /// The server as written after "@": an IP address or a host name, nil for resolv.conf's.
    public var server: String?
    public var port: Int
    public var overTCP: Bool

    /// Reads dig-style words; `overTCP` is the `--tcp` flag, "+tcp" also sets it.
    public init(words: [String], overTCP: Bool = false) throws(DigUsageError) {
        var positional: [String] = []
        var server: String?
        var port = 53
        var tcp = overTCP
        for word in words {
            if word.hasPrefix("@") {
                (server, port) = try Self.server(String(word.dropFirst()))
            } else if word.hasPrefix("+") {
                switch word.lowercased() {
                case "+tcp", "+vc": tcp = true
                case "+notcp", "+novc": tcp = false
                default: throw DigUsageError("unknown option \(word) (known: +tcp, +notcp)")
                }
            } else {
                positional.append(word)
            }
        }
        guard let nameText = positional.first else { throw DigUsageError("missing NAME") }
        guard positional.count <= 2 else {
            throw DigUsageError("too many words: \(positional.dropFirst(2).joined(separator: " "))")
        }
        let name: DNSName
        do {
            name = try DNSName(parsing: nameText)
        } catch {
            throw DigUsageError("\(nameText) is not a domain name: \(error)")
        }
        let type = positional.count == 2 ? RecordType(positional[1]) : .a
        guard let type else {
            throw DigUsageError("\(positional[1]) is not a record type (A, AAAA, MX, TXT, TYPE65280, ...)")
        }
        question = DNSQuestion(name: name, type: type)
        self.server = server
        self.port = port
        self.overTCP = tcp
    }

    /// "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:5353", "2001:db8::1", "ns.example",
    /// "ns.example:5353".
    private static func server(_ text: String) throws(DigUsageError) -> (String, Int) {
        if let address = try? ListenAddress(parsing: text, defaultPort: 53) { return (address.host, address.port) }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard !text.isEmpty, !text.hasPrefix("["), parts.count <= 2 else {
            throw DigUsageError("@\(text) is not a server (@IP, @IP:PORT, @[IPv6]:PORT or @NAME[:PORT])")
        }
        guard parts.count == 2 else { return (text, 53) }
        guard let port = Int(parts[1]), (1...65535).contains(port) else {
            throw DigUsageError("@\(text) has a port that is not a number from 1 to 65535")
        }
        return (String(parts[0]), port)
    }
}

/// The outcome of `chappe dns`: what to print on stdout and stderr, and the exit status.
public struct DigOutput: Sendable, Hashable {
    public var standardOutput: String
    public var standardError: String
    public var status: Int32
}

public enum DigTool {
    /// Asks the question and renders the answer. Servers come from the request, else from
    /// `resolvConf`; a server given by name is looked up through resolv.conf's servers.
    public static func run(_ request: DigRequest, resolvConf: ResolvConf = .load()) async -> DigOutput {
        let system = DNSResolverConfiguration.system(resolvConf: resolvConf)
        var servers = system.servers
        if let host = request.server {
            switch await serverAddresses(host, port: request.port, system: system) {
            case .success(let addresses): servers = addresses
            case .failure(let error): return DigOutput(standardOutput: "", standardError: error.description, status: 1)
            }
        }
        let configuration = DNSResolverConfiguration(
            servers: servers, timeout: system.timeout, attempts: system.attempts, alwaysTCP: request.overTCP)
        let answer: ServerAnswer
        do {
            answer = try await DNSResolver.resolve(request.question, configuration: configuration)
        } catch {
            return DigOutput(standardOutput: "", standardError: ";; communications error: \(error)", status: 1)
        }
        let server = answer.server
        let text = [
            "; <<>> chappe dns <<>> \(request.question.name) \(request.question.type)",
            ";; Got answer:",
            answer.response.description,
            ";; SERVER: \(server.host)#\(server.port)(\(server.host)) (\(answer.overTCP ? "TCP" : "UDP"))",
        ].joined(separator: "\n")
        return DigOutput(
            standardOutput: text + "\n", standardError: "", status: answer.response.rcode == .noError ? 0 : 1)
    }

    private static func serverAddresses(
        _ host: String, port: Int, system: DNSResolverConfiguration
    ) async -> Result<[ListenAddress], DigUsageError> {
        if let address = IPAddress(host) { return .success([ListenAddress(address: address, port: UInt16(port))]) }
        guard let name = try? DNSName(parsing: host) else { return .failure(DigUsageError("@\(host) is not a host name")) }
        switch await DNSResolver(configuration: system).addresses(name) {
        case .addresses(let addresses):
            return .success(addresses.map { ListenAddress(address: $0, port: UInt16(port)) })
        case .noSuchDomain, .noAddresses:
            return .failure(DigUsageError("@\(host): no such host"))
        case .temporaryFailure(let reason):
            return .failure(DigUsageError("@\(host): cannot look it up: \(reason)"))
        }
    }
}
