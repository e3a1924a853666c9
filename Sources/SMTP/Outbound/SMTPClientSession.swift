// The SMTP client session (RFC 5321 §3, §4.1) as a state machine without
// I/O (STYLE.md rule 5): the driver feeds it the server's replies and
// does what each `Action` says. One session carries one message to the
// recipients of one domain over one connection:
//
//   greeting → EHLO (HELO after a 5xx, RFC 5321 §4.1.4) → STARTTLS when
//   offered (RFC 3207) → EHLO again → MAIL, RCPT…, DATA (one pipelined
//   group when the peer offers PIPELINING, RFC 2920 §3.1) → message → QUIT.
//
// Before MAIL it checks what the peer can take: SIZE (RFC 1870 §6), 8-bit
// bodies (RFC 6152 §3: downgraded to 7-bit, never sent raw), UTF-8
// addresses and headers (RFC 6531 §3.4: refused with 5.6.7 when the peer
// lacks SMTPUTF8), and DSN parameters only to peers that offer DSN
// (RFC 3461 §4). Results are per recipient: 2xx delivered, 4xx temporary,
// 5xx permanent (RFC 5321 §4.2.1). A failure before MAIL (greeting, EHLO,
// the TLS policy) means "this host did not take the message": the caller
// tries the next one (RFC 5321 §5.1).
import MIME

public struct SMTPClientPolicy: Sendable, Hashable {
    /// The name sent with EHLO/HELO (RFC 5321 §4.1.1.1).
    public var heloName: String
    /// Whether this client can start TLS; STARTTLS is used when the peer
    /// offers it (opportunistic TLS, RFC 7435).
    public var usesSTARTTLS: Bool
    /// The destination requires TLS (with a verified certificate, checked by
    /// the driver's TLS settings): a peer without STARTTLS is refused.
    public var requiresTLS: Bool

    public init(heloName: String, usesSTARTTLS: Bool = true, requiresTLS: Bool = false) {
        self.heloName = heloName
        self.usesSTARTTLS = usesSTARTTLS
        self.requiresTLS = requiresTLS
    }
}

public struct SMTPClientSession: Sendable {
    public enum Action: Sendable, Equatable {
        /// Send these commands, in one write (a pipelined group when more than one).
        case send([SMTPCommand])
        /// Read the next reply: more replies of a pipelined group are due.
        case readReply
        /// The peer accepted STARTTLS: do the handshake, then call
        /// `tlsEstablished()` or `tlsFailed(_:)`.
        case startTLS
        /// The peer accepted DATA: send these bytes dot-stuffed with the
        /// final "." (RFC 5321 §4.5.2), then read the reply.
        case sendMessage([UInt8])
        /// The session is over: send QUIT (RFC 5321 §4.1.1.10) if the
        /// connection still works, and close.
        case finish(Outcome)
    }

    public enum Outcome: Sendable, Equatable {
        /// This host did not take part (no greeting, EHLO refused, TLS
        /// policy): the next host may be tried. The status comes first.
        case hostFailed(String)
        /// One result per recipient of the message.
        case completed([RemoteRecipientResult])
    }

    /// Which reply the session is waiting for.
    private enum Expected: Sendable, Equatable {
        case mail
        case rcpt(Int)
        case data
    }

    private struct Transaction: Sendable {
        var body: [UInt8]
        var pipelined: Bool
        /// Replies still to come, in order.
        var expected: [Expected] = []
        /// Commands not sent yet (without pipelining: one per reply).
        var unsent: [(SMTPCommand, Expected)] = []
        var mailRefused = false
        var accepted: [Int] = []
    }

    private enum State: Sendable {
        case greeting
        case ehlo(afterTLS: Bool)
        case helo
        case startTLS(PeerCapabilities)
        case envelope(Transaction)
        case finalReply(Transaction)
        case done
    }

    public let message: OutboundMessage
    /// The peer's name, for reasons ("mx.example.net said: …").
    public let host: String
    public let policy: SMTPClientPolicy
    public private(set) var capabilities = PeerCapabilities()
    public private(set) var isTLSActive = false
    private var state: State = .greeting
    /// Set when the host failed before the transaction.
    private var failure: Outcome?
    private var results: [RemoteRecipientResult?]

    public init(message: OutboundMessage, host: String, policy: SMTPClientPolicy) {
        self.message = message
        self.host = host
        self.policy = policy
        self.results = Array(repeating: nil, count: message.recipients.count)
    }

    // MARK: - Inputs

    /// The next complete reply from the server.
    public mutating func receive(_ reply: SMTPReply) -> Action {
        switch state {
        case .greeting:
            // RFC 5321 §4.2: 220 greets; 554 (or anything else) refuses the session.
            guard reply.code == 220 else { return hostFailed("\(status(of: reply)) \(host) greeted with: \(reply)") }
            state = .ehlo(afterTLS: false)
            return .send([.ehlo(policy.heloName)])
        case .ehlo(let afterTLS):
            if reply.code == 250 { return ready(PeerCapabilities(ehloReply: reply)) }
            // RFC 5321 §4.1.4 / §3.2: a server that does not know EHLO gets HELO.
            if reply.isPermanentFailure && !afterTLS {
                state = .helo
                return .send([.helo(policy.heloName)])
            }
            return hostFailed("\(status(of: reply)) \(host) refused EHLO: \(reply)")
        case .helo:
            guard reply.code == 250 else { return hostFailed("\(status(of: reply)) \(host) refused HELO: \(reply)") }
            return ready(PeerCapabilities())
        case .startTLS(let offered):
            if reply.code == 220 { return .startTLS }
            // RFC 3207 §4: a refused STARTTLS leaves a plaintext session.
            if policy.requiresTLS { return hostFailed("4.7.0 \(host) refused STARTTLS: \(reply)") }
            return proceed(offered)
        case .envelope(var transaction):
            guard !transaction.expected.isEmpty else { return finish() }
            let expected = transaction.expected.removeFirst()
            return envelopeReply(reply, to: expected, in: transaction)
        case .finalReply(let transaction):
            // RFC 5321 §4.2.5: the reply to the end of data speaks for every accepted recipient.
            for index in transaction.accepted { results[index] = result(of: reply) }
            return finish()
        case .done:
            return .finish(outcome)
        }
    }

    /// The TLS handshake after STARTTLS succeeded: the session starts over
    /// with EHLO and forgets what the peer said in plaintext (RFC 3207 §4.2).
    public mutating func tlsEstablished() -> Action {
        isTLSActive = true
        capabilities = PeerCapabilities()
        state = .ehlo(afterTLS: true)
        return .send([.ehlo(policy.heloName)])
    }

    /// The TLS handshake failed; the connection is unusable.
    public mutating func tlsFailed(_ reason: String) -> Action {
        hostFailed("4.7.0 TLS with \(host) failed: \(reason)")
    }

    /// The connection broke or timed out: before the transaction the host
    /// failed; during it, every recipient without a result is deferred.
    public mutating func connectionLost(_ reason: String) -> Action {
        switch state {
        case .greeting, .ehlo, .helo, .startTLS:
            return hostFailed("4.4.2 lost the connection with \(host): \(reason)")
        case .envelope, .finalReply, .done:
            for index in results.indices where results[index] == nil {
                results[index] = .temporary("4.4.2 lost the connection with \(host): \(reason)")
            }
            state = .done
            return .finish(outcome)
        }
    }

    // MARK: - Before MAIL

    /// EHLO or HELO succeeded with `offered`.
    private mutating func ready(_ offered: PeerCapabilities) -> Action {
        capabilities = offered
        if !isTLSActive && offered.startTLS && (policy.usesSTARTTLS || policy.requiresTLS) {
            state = .startTLS(offered)
            return .send([.startTLS])
        }
        return proceed(offered)
    }

    /// Checks what the peer can take, then starts the transaction.
    private mutating func proceed(_ offered: PeerCapabilities) -> Action {
        if policy.requiresTLS && !isTLSActive {
            return hostFailed("4.7.0 TLS is required for \(message.domain) and \(host) does not offer it")
        }
        var body = message.bytes
        let isEightBit = !SevenBitDowngrade.isSevenBit(body)
        // RFC 6531 §3.4: a message that needs SMTPUTF8 is not sent to a peer without it.
        let messageNeedsUTF8 = (message.reversePath.mailbox?.isInternationalized ?? false)
            || (message.smtpUTF8 && Self.headerHasNonASCII(body))
        let anyUTF8 = messageNeedsUTF8 || message.recipients.contains { $0.address.isInternationalized }
        if !offered.smtpUTF8 {
            let refusal = RemoteRecipientResult.permanent(
                "5.6.7 \(host) does not support SMTPUTF8, which this message needs (RFC 6531)")
            for (index, recipient) in message.recipients.enumerated()
            where messageNeedsUTF8 || recipient.address.isInternationalized {
                results[index] = refusal
            }
        }
        // RFC 6152 §3: without 8BITMIME, 8-bit content is converted, never sent raw.
        if isEightBit && !offered.eightBitMIME {
            do {
                body = try SevenBitDowngrade.downgrade(body)
            } catch {
                return failRemaining("5.6.3 the message cannot be converted to 7-bit for \(host): \(error)")
            }
        }
        // RFC 1870 §6: a message larger than the peer's limit is not sent.
        if let limit = offered.sizeLimit, body.count > limit {
            return failRemaining("5.3.4 the message (\(body.count) octets) is larger than \(host) accepts (\(limit))")
        }
        let recipients = message.recipients.indices.filter { results[$0] == nil }
        guard !recipients.isEmpty else { return finish() }
        var mail = MailParameters()
        // RFC 1870 §5: SIZE= declares the size to a peer that offers SIZE.
        if offered.size { mail.size = body.count }
        // RFC 6152 §2: an 8-bit body is declared as such.
        if offered.eightBitMIME && !SevenBitDowngrade.isSevenBit(body) { mail.body = .eightBitMIME }
        mail.smtpUTF8 = offered.smtpUTF8 && anyUTF8
        if offered.dsn {
            // RFC 3461 §4: DSN parameters go on only to a peer that offers DSN.
            mail.ret = message.ret
            mail.envelopeID = message.envelopeID
        }
        var commands: [(SMTPCommand, Expected)] = [(.mail(message.reversePath, mail), .mail)]
        for index in recipients {
            let recipient = message.recipients[index]
            let parameters = offered.dsn
                ? RcptParameters(notify: recipient.notify, originalRecipient: recipient.originalRecipient)
                : RcptParameters()
            commands.append((.rcpt(.mailbox(recipient.address), parameters), .rcpt(index)))
        }
        commands.append((.data, .data))
        var transaction = Transaction(body: body, pipelined: offered.pipelining)
        if offered.pipelining {
            // RFC 2920 §3.1: MAIL, the RCPTs and DATA in one group; DATA ends it.
            transaction.expected = commands.map(\.1)
            state = .envelope(transaction)
            return .send(commands.map(\.0))
        }
        let first = commands.removeFirst()
        transaction.expected = [first.1]
        transaction.unsent = commands
        state = .envelope(transaction)
        return .send([first.0])
    }

    // MARK: - The transaction

    private mutating func envelopeReply(_ reply: SMTPReply, to expected: Expected, in transaction: Transaction) -> Action {
        var transaction = transaction
        switch expected {
        case .mail:
            if !reply.isPositive {
                // RFC 5321 §4.1.1.2: a refused MAIL speaks for every recipient.
                transaction.mailRefused = true
                for index in results.indices where results[index] == nil { results[index] = result(of: reply) }
            }
        case .rcpt(let index):
            if transaction.mailRefused { break }
            if reply.isPositive {
                transaction.accepted.append(index)
            } else {
                results[index] = result(of: reply)
            }
        case .data:
            if reply.code == 354 {
                state = .finalReply(transaction)
                // RFC 2920 §3.1: DATA accepted after every RCPT failed still needs
                // its end; an empty body ends it at once.
                return .sendMessage(transaction.accepted.isEmpty || transaction.mailRefused ? [] : transaction.body)
            }
            if !transaction.mailRefused {
                for index in transaction.accepted { results[index] = result(of: reply) }
            }
            return finish()
        }
        if !transaction.pipelined {
            if transaction.mailRefused || (transaction.unsent.count == 1 && transaction.accepted.isEmpty) {
                // Nothing to send DATA for.
                return finish()
            }
            if !transaction.unsent.isEmpty {
                let next = transaction.unsent.removeFirst()
                transaction.expected = [next.1]
                state = .envelope(transaction)
                return .send([next.0])
            }
        }
        state = .envelope(transaction)
        if transaction.expected.isEmpty { return finish() }
        return .readReply
    }

    // MARK: - Results

    public var outcome: Outcome {
        if case .hostFailed(let reason) = failure { return .hostFailed(reason) }
        return .completed(results.map { $0 ?? .temporary("4.4.2 no reply from \(host)") })
    }

    private mutating func hostFailed(_ reason: String) -> Action {
        failure = .hostFailed(reason)
        state = .done
        return .finish(.hostFailed(reason))
    }

    private mutating func failRemaining(_ reason: String) -> Action {
        for index in results.indices where results[index] == nil { results[index] = .permanent(reason) }
        return finish()
    }

    private mutating func finish() -> Action {
        state = .done
        return .finish(outcome)
    }

    private func result(of reply: SMTPReply) -> RemoteRecipientResult {
        let kind: RemoteRecipientResult.Kind =
            reply.isPositive ? .delivered : reply.isTransientFailure ? .temporary : .permanent
        return RemoteRecipientResult(kind, "\(status(of: reply)) \(host) said: \(reply)", reply: reply.description)
    }

    /// The reply's enhanced code, else its class's undefined status (RFC 3463 §3.1).
    private func status(of reply: SMTPReply) -> String {
        reply.enhancedCode ?? "\(min(max(reply.code / 100, 2), 5)).0.0"
    }

    /// Whether the header (up to the first empty line) has octets above 127.
    static func headerHasNonASCII(_ bytes: [UInt8]) -> Bool {
        var previous: UInt8 = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x80 { return true }
            if byte == 0x0A && (previous == 0x0A || (previous == 0x0D && index >= 2 && bytes[index - 2] == 0x0A)) {
                return false
            }
            previous = byte
            index += 1
        }
        return false
    }
}
