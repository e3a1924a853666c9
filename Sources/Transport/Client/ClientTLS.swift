// TLS settings of an outgoing connection: SMTP client, fetch, NNTP feeder,
// FTP client.
import NIOSSL

public struct ClientTLSSettings: Sendable {
    /// When false the peer's certificate is not checked: opportunistic TLS
    /// between MTAs (RFC 7435), where encryption beats plaintext even
    /// without authentication.
    public var verifyCertificate: Bool
    /// The name checked against the certificate and sent as SNI; nil uses
    /// the host connected to (SNI is not sent for IP literals).
    public var serverName: String?
    /// Extra trust anchors in PEM (tests, private CAs); the system roots are
    /// used when empty.
    public var trustRootsPEM: [String]

    public init(verifyCertificate: Bool, serverName: String? = nil, trustRootsPEM: [String] = []) {
        self.verifyCertificate = verifyCertificate
        self.serverName = serverName
        self.trustRootsPEM = trustRootsPEM
    }

    func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = verifyCertificate ? .fullVerification : .none
        if !trustRootsPEM.isEmpty {
            let certificates = try trustRootsPEM.flatMap {
                try NIOSSLCertificate.fromPEMBytes(Array($0.utf8))
            }
            configuration.trustRoots = .certificates(certificates)
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// SNI must be a host name, never an IP literal (RFC 6066 §3).
    func sniName(for host: String) -> String? {
        let name = serverName ?? host
        let isLiteral = name.contains(":") || name.allSatisfy { $0.isNumber || $0 == "." }
        return isLiteral ? nil : name
    }
}

public enum ClientError: Error, CustomStringConvertible, Sendable, Equatable {
    case connectionClosed
    case timedOut
    case lineTooLong
    case bareLineEnding
    /// The server sent bytes after its STARTTLS reply and before the
    /// handshake: a sign of response injection (CVE-2011-0411 in reverse).
    case dataBeforeTLS
    case unexpectedEvent(String)

    public var description: String {
        switch self {
        case .connectionClosed: return "the server closed the connection"
        case .timedOut: return "the server did not answer in time"
        case .lineTooLong: return "the server sent a line longer than the limit"
        case .bareLineEnding: return "the server sent a line not ended by CRLF"
        case .dataBeforeTLS: return "the server sent data between its STARTTLS reply and the TLS handshake; refusing it"
        case .unexpectedEvent(let event): return "unexpected data from the server: \(event)"
        }
    }
}
