// Drives an SMTPSession without a socket: bytes go through Transport's real
// FrameDecoder (so DATA dot-stuffing and BDAT counting are the real ones),
// effects run inline through the real SMTPPerformer against the twins, and
// the replies are collected as text. STARTTLS completes at once.
import DNS
import Foundation
import Logging
import MailStore
import NIOCore
import Transport

@testable import SMTP

struct SessionHarness {
    var session: SMTPSession
    var framer: FrameDecoder
    var input = ByteBuffer()
    let performer: SMTPPerformer
    var connection: ConnectionInfo
    /// Everything the server sent, not yet taken.
    var output = ""
    var closed = false
    var tlsStarts = 0
    var timeouts: [TimeAmount] = []
    var effects: [String] = []

    static let hostname = "mx.example.test"
    static let clock = SMTPClock.fixed(Date(timeIntervalSince1970: 1_700_000_000), zoneOffsetMinutes: 60)

    static func configuration(
        _ change: (inout SMTPConfiguration) -> Void = { _ in }
    ) -> SMTPConfiguration {
        var configuration = SMTPConfiguration(
            hostname: hostname,
            relayPolicy: .standard(
                localDomains: ["example.test", "lists.example.test"],
                trustedNetworks: [(try? IPNetwork("10.0.0.0/8")) ?? IPNetwork(host: .ipv4Loopback)]),
            maxMessageSize: 10_000, maxRecipients: 5, authFailureDelay: .zero, maxBadCommands: 10)
        change(&configuration)
        return configuration
    }

    static func aliases() -> AliasTable {
        let text = """
            info: alice
            team: alice, bob, carol@remote.example
            """
        let entries = (try? AliasFile.parse(text).get()) ?? []
        return AliasTable(entries: entries, localDomains: ["example.test", "lists.example.test"])
    }

    static let directory = MemoryDirectory(
        mailboxes: ["alice@example.test", "bob@example.test"], failing: ["flaky@example.test"])

    static let users = MemoryAuthenticator(users: [
        "alice@example.test": ("secret", ["alice@example.test"]),
        "bob": ("hunter2", ["bob@example.test"]),
    ])

    /// - Parameters:
    ///   - peer: the client's address: "192.0.2.7" is an outsider, "10.1.2.3"
    ///     a trusted network, "127.0.0.1" loopback.
    ///   - listener: "smtp" (MX) or "submission".
    init(
        spool: MemorySpool, peer: String = "192.0.2.7", listener: String = "smtp", tls: Bool = false,
        configuration: SMTPConfiguration = configuration(), chunkSize: Int = FrameDecoder.defaultChunkSize,
        authenticator: MemoryAuthenticator = users, dns: (any DNSLookup)? = nil
    ) {
        let address = try? SocketAddress(ipAddress: peer, port: 40_000)
        connection = ConnectionInfo(
            id: 1, service: "smtp", listener: listener, remoteAddress: address, localAddress: nil, isTLS: tls)
        session = SMTPSession(configuration: configuration, clock: Self.clock)
        framer = FrameDecoder(
            maxLineLength: SMTPCommandTable.longestCommandLine, lineEndings: .strict, maxChunkSize: chunkSize)
        performer = SMTPPerformer(
            spool: spool, authenticator: authenticator,
            resolver: AliasingRecipientResolver(aliases: Self.aliases(), directory: Self.directory), dns: dns)
    }

    mutating func connect() async {
        await apply(session.connected(connection))
    }

    /// Sends bytes as the client would, all at once.
    mutating func send(_ bytes: String) async {
        input.writeString(bytes)
        await process()
    }

    /// Sends bytes one at a time.
    mutating func drip(_ bytes: String) async {
        for byte in Array(bytes.utf8) {
            input.writeInteger(byte)
            await process()
        }
    }

    /// Sends one command line and returns the reply text.
    mutating func command(_ line: String) async -> String {
        await send(line + "\r\n")
        return take()
    }

    /// The server's output since the last call.
    mutating func take() -> String {
        defer { output = "" }
        return output
    }

    /// The reply lines since the last call.
    mutating func takeLines() -> [String] {
        take().split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
    }

    mutating func timeOut() async {
        await apply(session.timedOut())
    }

    mutating func shutDown() async {
        await apply(session.shuttingDown())
    }

    private mutating func process() async {
        while !closed, let event = framer.next(from: &input) {
            await apply(session.received(event))
        }
    }

    private mutating func apply(_ actions: [SessionAction<SMTPEffect>]) async {
        for action in actions {
            switch action {
            case .send(let bytes):
                output += String(buffer: bytes)
            case .expect(let mode):
                framer.expect(mode)
            case .startTLS:
                // RFC 3207 §4.2: what was pipelined after STARTTLS is dropped.
                tlsStarts += 1
                input.clear()
                framer.expect(.lines)
                connection.isTLS = true
                await apply(session.tlsEstablished(connection))
            case .perform(let effect):
                effects.append(effect.description)
                let context = EffectContext(
                    connection: connection, logger: Logger(label: "test"), output: SessionOutput(writer: { _ in }))
                let result = await performer.perform(effect, context: context)
                await apply(session.completed(result))
            case .setReadTimeout(let amount):
                timeouts.append(amount)
            case .close:
                closed = true
                return
            }
        }
    }
}

/// Base64 of a SASL PLAIN message.
func plain(_ user: String, _ password: String, authzid: String = "") -> String {
    Data((authzid + "\u{0}" + user + "\u{0}" + password).utf8).base64EncodedString()
}

func base64(_ text: String) -> String {
    Data(text.utf8).base64EncodedString()
}
