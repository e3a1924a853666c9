// `chappe fetch imap://USER@HOST[:PORT]/MAILBOX` and imaps://: the IMAP
// source of the fetcher. A message's unique id is "UIDVALIDITY.UID"
// (RFC 9051 §2.3.1.1: the pair names a message for good, and a new
// UIDVALIDITY means every message is new); "delete" collects UIDs that
// `finish` flags \Deleted and expunges before LOGOUT, so an aborted session
// deletes nothing. Bodies are fetched with BODY.PEEK[], which leaves \Seen
// as it was.
import IMAP
import NIOCore
import Synchronization
import Transport

public final class IMAPFetchSource: FetchSource {
    public let identity: String
    public let security: String
    private let client: IMAPClient
    private let uidValidity: UInt32
    private let uids = Mutex<[Int: UInt32]>([:])
    private let deleted = Mutex<[UInt32]>([])

    private init(identity: String, security: String, client: IMAPClient, uidValidity: UInt32) {
        self.identity = identity
        self.security = security
        self.client = client
        self.uidValidity = uidValidity
    }

    /// Connects, secures the session (implicit TLS for imaps; STARTTLS for
    /// imap, required unless `allowPlaintext`), logs in and selects the mailbox.
    public static func open(
        _ url: FetchURL, password: String, security: FetchSecurity, options: IMAPClientOptions = .init()
    ) async throws -> IMAPFetchSource {
        let client = try await IMAPClient.connect(
            host: url.host, port: url.port, implicitTLS: url.scheme.isImplicitTLS ? security.tls : nil, options: options)
        do {
            var capabilities = try await client.capabilities()
            if !url.scheme.isImplicitTLS {
                if capabilities.contains("STARTTLS"), try await client.startTLS(security.tls) {
                    // RFC 9051 §6.2.1: capabilities may differ after TLS.
                    capabilities = try await client.capabilities()
                } else if !security.allowPlaintext {
                    throw FetchError.runtime(
                        "\(url) does not offer STARTTLS; refusing to send the password in plaintext "
                            + "(use imaps:// or --allow-plaintext)")
                }
            }
            let isTLS = await client.isTLS
            try await client.login(user: url.user, password: password, capabilities: capabilities)
            let (uidValidity, _) = try await client.select(url.mailbox ?? "INBOX")
            return IMAPFetchSource(
                identity: url.description, security: isTLS ? "TLS" : "plaintext", client: client, uidValidity: uidValidity)
        } catch {
            await client.close()
            throw error
        }
    }

    public func messages() async throws -> [RemoteMessage] {
        let listed = try await client.messageSizes()
        uids.withLock { uids in
            for (index, entry) in listed.enumerated() { uids[index + 1] = entry.uid }
        }
        return listed.enumerated().map { index, entry in
            RemoteMessage(number: index + 1, size: entry.size, uniqueID: "\(uidValidity).\(entry.uid)")
        }
    }

    public func retrieve(_ message: RemoteMessage, maxBytes: Int) async throws -> ByteBuffer {
        guard message.size <= maxBytes else { throw MessageTooLarge() }
        let body = try await client.body(uid: try uid(of: message))
        guard body.count <= maxBytes else { throw MessageTooLarge() }
        return ByteBuffer(bytes: body)
    }

    public func delete(_ message: RemoteMessage) async throws {
        let uid = try uid(of: message)
        deleted.withLock { $0.append(uid) }
    }

    public func finish() async throws {
        let uids = deleted.withLock { $0 }
        if !uids.isEmpty {
            try await client.markDeleted(uids: uids)
            try await client.expunge()
        }
        await client.logout()
    }

    public func abort() async {
        await client.close()
    }

    private func uid(of message: RemoteMessage) throws -> UInt32 {
        guard let uid = uids.withLock({ $0[message.number] }) else {
            throw IMAPClientError.malformedResponse(command: "UID FETCH", detail: "message \(message.number) was not listed")
        }
        return uid
    }
}
