// Where `chappe fetch` takes messages from. POP3 is the first source; IMAP
// will be a second one behind the same protocol (its unique id is
// UIDVALIDITY/UID, its "delete" STORE \Deleted, its `finish` EXPUNGE and
// LOGOUT).
import NIOCore
import POP3
import Transport

/// A message on the server, as listed at the start of the session.
public struct RemoteMessage: Sendable, Equatable {
    /// The server's handle for it in this session (the POP3 message number).
    public let number: Int
    /// Octets, as the server counts them.
    public let size: Int
    /// Stable across sessions (POP3 UIDL, RFC 1939 §7); nil when the server has none.
    public let uniqueID: String?

    public init(number: Int, size: Int, uniqueID: String?) {
        self.number = number
        self.size = size
        self.uniqueID = uniqueID
    }
}

/// A logged-in session on a remote mailbox, used by one task in order.
public protocol FetchSource: Sendable {
    /// The mailbox's identity (canonical URL): the key of its unique ids in
    /// the UIDL memory and part of every delivery id.
    var identity: String { get }
    /// How the session is protected, for the report: "TLS" or "plaintext".
    var security: String { get }
    func messages() async throws -> [RemoteMessage]
    /// The message's bytes; `MessageTooLarge` past `maxBytes` (the session goes on).
    func retrieve(_ message: RemoteMessage, maxBytes: Int) async throws -> ByteBuffer
    /// Marks the message for deletion; `finish` commits.
    func delete(_ message: RemoteMessage) async throws
    /// Ends the session, committing the deletions.
    func finish() async throws
    /// Ends the session without committing anything.
    func abort() async
}

/// A message larger than the limit given to `retrieve`.
public struct MessageTooLarge: Error, Sendable {}

/// How to protect the connection.
public struct FetchSecurity: Sendable {
    /// The certificate check (verify by default; `--insecure` turns it off).
    public var tls: ClientTLSSettings
    /// Go on without TLS when a pop3:// server does not offer STLS.
    public var allowPlaintext: Bool

    public init(tls: ClientTLSSettings, allowPlaintext: Bool) {
        self.tls = tls
        self.allowPlaintext = allowPlaintext
    }
}

// MARK: - POP3

public final class POP3FetchSource: FetchSource {
    public let identity: String
    public let security: String
    private let client: POP3Client

    private init(identity: String, security: String, client: POP3Client) {
        self.identity = identity
        self.security = security
        self.client = client
    }

    /// Connects, secures the session (implicit TLS for pop3s; STLS for
    /// pop3 when offered, required unless `allowPlaintext`), and logs in.
    public static func open(
        _ url: FetchURL, password: String, security: FetchSecurity, options: POP3ClientOptions = .init()
    ) async throws -> POP3FetchSource {
        let client = try await POP3Client.connect(
            host: url.host, port: url.port, implicitTLS: url.scheme.isImplicitTLS ? security.tls : nil, options: options)
        do {
            var capabilities = try await client.capabilities()
            if !url.scheme.isImplicitTLS {
                // RFC 2595 §4: STLS when listed; a server without CAPA may still know it.
                let offered = capabilities?.contains("STLS") ?? true
                if offered, try await client.startTLS(security.tls) {
                    capabilities = try await client.capabilities()
                } else if !security.allowPlaintext {
                    throw FetchError.runtime(
                        "\(url) does not offer STLS; refusing to send the password in plaintext "
                            + "(use pop3s:// or --allow-plaintext)")
                }
            }
            let isTLS = await client.isTLS
            try await client.login(user: url.user, password: password, capabilities: capabilities)
            return POP3FetchSource(identity: url.description, security: isTLS ? "TLS" : "plaintext", client: client)
        } catch {
            await client.close()
            throw error
        }
    }

    public func messages() async throws -> [RemoteMessage] {
        let sizes = try await client.list()
        let ids = try await client.uniqueIDs()
        let idByNumber = Dictionary(ids?.map { ($0.number, $0.id) } ?? [], uniquingKeysWith: { first, _ in first })
        return sizes.map { RemoteMessage(number: $0.number, size: $0.size, uniqueID: idByNumber[$0.number]) }
    }

    public func retrieve(_ message: RemoteMessage, maxBytes: Int) async throws -> ByteBuffer {
        do {
            return try await client.retrieve(message.number, maxBytes: maxBytes)
        } catch POP3ClientError.responseTooLarge {
            throw MessageTooLarge()
        }
    }

    public func delete(_ message: RemoteMessage) async throws {
        try await client.delete(message.number)
    }

    public func finish() async throws {
        try await client.quit()
    }

    public func abort() async {
        await client.close()
    }
}
