// The SMTP server session (RFC 5321 §4.1.4, §4.3.2) as a state machine:
// a value fed framed events and effect results, answering with actions; no
// I/O (DESIGN.md rule 1, STYLE.md rule 5).
//
// Each command goes through check → policy → proceed (STYLE.md rule 7):
// the check is the command table (phase, TLS and AUTH gates on
// submission); policy is the relay decision and the recipient lookup
// effect; proceed updates the session or the transaction and replies.
// The other parts of the machine: SMTPSession+Commands (EHLO … HELP),
// SMTPSession+Auth (STARTTLS, AUTH), SMTPSession+Data (DATA and BDAT).
import Foundation
import NIOCore
import Transport

public struct SMTPSession: SessionMachine {
    public typealias Effect = SMTPEffect
    public typealias EffectResult = SMTPEffectResult

    /// Internal rather than private only because the machine is split
    /// into files by responsibility (the extensions below use it).
    enum State: Sendable {
        /// Reading command lines.
        case commands
        /// Reading the client's SASL responses.
        case sasl(SASLExchange)
        /// An effect runs; input is paused.
        case waiting(PendingEffect)
        /// Message bytes of DATA or of one BDAT chunk.
        case receiving(MessageReception, Transfer)
        /// The chunk of a refused BDAT: read, dropped, then this reply
        /// (RFC 3030 §2).
        case discarding(SMTPReply)
        /// STARTTLS answered; the handshake is under way.
        case awaitingTLS
        case closed
    }

    let configuration: SMTPConfiguration
    let clock: SMTPClock
    var state = State.commands
    var session = SessionInfo()
    var transaction: MailTransaction?

    public init(configuration: SMTPConfiguration, clock: SMTPClock = .system) {
        self.configuration = configuration
        self.clock = clock
    }

    // MARK: - Inputs

    public mutating func connected(_ connection: ConnectionInfo) -> [Action] {
        session.connection = connection
        session.role = configuration.listenerRoles[connection.listener] ?? .mx
        // The name goes into Received (RFC 5321 §4.4); it is looked up
        // before the greeting, as Postfix does, so the session never waits
        // on DNS in the middle of a transaction.
        if configuration.peerNameLookup, !connection.isLoopback, let address = connection.remoteAddress?.ipAddress {
            state = .waiting(.peerName)
            return [.perform(.lookUpPeerName(address))]
        }
        return greeting()
    }

    /// RFC 5321 §4.5.3.2.7: wait at least 5 minutes for each command.
    private func greeting() -> [Action] {
        [send(.greeting(configuration.hostname)), .setReadTimeout(configuration.commandTimeout)]
    }

    public mutating func tlsEstablished(_ connection: ConnectionInfo) -> [Action] {
        // RFC 3207 §4.2: discard the EHLO argument and any AUTH; the
        // transaction cannot be open (STARTTLS is refused inside one).
        session.restartAfterTLS(connection)
        transaction = nil
        state = .commands
        return []
    }

    public mutating func timedOut() -> [Action] {
        closeSession(.idleTimeout)
    }

    public mutating func shuttingDown() -> [Action] {
        closeSession(.shuttingDown)
    }

    public mutating func received(_ event: FrameEvent) -> [Action] {
        switch state {
        case .commands:
            switch event {
            case .line(let line):
                return command(line)
            case .lineTooLong:
                // RFC 5321 §4.5.3.1.4 and §4.5.3.1.6: "500 Line too long".
                return refuse(.lineTooLong)
            case .bareLineEnding:
                return refuse(.bareLineEnding)
            case .payload, .payloadEnd:
                return []
            }
        case .sasl(let exchange):
            return saslResponse(event, exchange)
        case .receiving(let reception, let transfer):
            switch event {
            case .payload(let chunk):
                return receive(chunk, reception, transfer)
            case .payloadEnd(let error):
                return endOfData(reception, transfer, error)
            case .line, .lineTooLong, .bareLineEnding:
                return []
            }
        case .discarding(let reply):
            guard case .payloadEnd = event else { return [] }
            state = .commands
            return [.setReadTimeout(configuration.commandTimeout)] + refuse(reply)
        case .waiting, .awaitingTLS, .closed:
            // Input is paused while an effect runs; what arrives during the
            // TLS handshake is discarded by the handler (RFC 3207 §4.2).
            return []
        }
    }

    public mutating func completed(_ result: SMTPEffectResult) -> [Action] {
        guard case .waiting(let pending) = state else { return [] }
        switch (pending, result) {
        case (.peerName, .peerName(let name)):
            session.clientHostName = name
            state = .commands
            return greeting()
        case (.authenticate, .authenticated(let outcome)):
            return authenticated(outcome)
        case (.authPause(let close), .paused):
            return authFailureAnswered(close: close)
        case (.lookup(let recipient), .recipient(let status)):
            state = .commands
            return recipientLookedUp(recipient, status)
        case (.verify(let mailbox), .recipient(let status)):
            state = .commands
            return verified(mailbox, status)
        case (.expand(let mailbox), .expansion(let status)):
            state = .commands
            return expanded(mailbox, status)
        case (.begin(let transfer), .begun(let writer)):
            return begun(writer, transfer)
        case (.begin(let transfer), .beginFailed):
            return beginFailed(transfer)
        case (.append(let reception, let transfer, let chunkDone), .appended):
            return appended(reception, transfer, chunkDone: chunkDone, failed: false)
        case (.append(let reception, let transfer, let chunkDone), .appendFailed):
            return appended(reception, transfer, chunkDone: chunkDone, failed: true)
        case (.commit, .committed(let id)):
            return finished(.queued(id))
        case (.commit, .commitFailed):
            return finished(.spoolFailure)
        case (.abort(let actions, let closing), .aborted):
            state = closing ? .closed : .commands
            return actions
        default:
            // A result that does not answer the effect: a bug, not input.
            transaction = nil
            state = .closed
            return [send(SMTPReply(421, .mailSystem, "internal error, closing connection")), .close]
        }
    }

    // MARK: - Check

    /// The phase of the command table (RFC 5321 §4.1.4).
    var phase: SMTPPhase {
        guard session.helo != nil else { return .initial }
        guard let transaction else { return .greeted }
        if transaction.chunkingFailed { return .chunkingFailed }
        if transaction.chunks != nil { return .chunking }
        return transaction.recipients.isEmpty ? .mailGiven : .recipientsGiven
    }

    private mutating func command(_ line: ByteBuffer) -> [Action] {
        session.commands += 1
        guard session.commands <= configuration.maxCommands else {
            return closeSession(.tooManyCommands)
        }
        switch SMTPCommand.parse(line) {
        case .failure(let error):
            return refuse(.refusal(error))
        case .success(let command):
            if let refusal = check(command) {
                // RFC 3030 §2: a refused BDAT's chunk is still read and dropped.
                if case .bdat(let size, _) = command {
                    state = .discarding(refusal)
                    return [.expect(.counted(size)), .setReadTimeout(configuration.dataBlockTimeout)]
                }
                return refuse(refusal)
            }
            return proceed(command)
        }
    }

    /// The check: a pure function of the session and the command table.
    func check(_ command: SMTPCommand) -> SMTPReply? {
        let spec = SMTPCommandTable.spec(command.verb)
        guard spec.phases.contains(phase) else {
            return SMTPCommandTable.sequenceReply(command.verb, in: phase)
        }
        if needsTLSFirst && !spec.allowedBeforeTLS {
            // RFC 4954 §6: 538 for AUTH; 530 for everything else.
            return command.verb == .auth ? .encryptionRequired : .tlsRequired
        }
        if session.role == .submission && spec.needsAuth && session.identity == nil {
            // RFC 6409 §4.3 and RFC 4954 §6: 530 5.7.0.
            return .authRequired
        }
        return nil
    }

    /// A submission listener without TLS, unless loopback plaintext is allowed.
    var needsTLSFirst: Bool {
        session.role == .submission && !session.isTLS && !(configuration.allowPlaintextOnLoopback && session.isLoopback)
    }

    /// May a password be sent now (RFC 4954 §4: not in plaintext)?
    var plaintextAllowed: Bool {
        session.isTLS || (configuration.allowPlaintextOnLoopback && session.isLoopback)
    }

    /// Is AUTH offered in EHLO now?
    var authOffered: Bool {
        (session.role == .submission || configuration.authOnMX) && plaintextAllowed && session.identity == nil
    }

    private mutating func proceed(_ command: SMTPCommand) -> [Action] {
        switch command {
        case .ehlo(let domain): return hello(domain, extended: true)
        case .helo(let domain): return hello(domain, extended: false)
        case .mail(let path, let parameters): return mail(path, parameters)
        case .rcpt(let path, let parameters): return rcpt(path, parameters)
        case .data: return data()
        case .bdat(let size, let last): return bdat(size: size, last: last)
        case .rset: return discardTransaction(then: [send(.ok)])
        case .noop: return [send(.ok)]
        case .quit: return discardTransaction(then: [send(.closing(configuration.hostname)), .close], closing: true)
        case .vrfy(let argument): return vrfy(argument)
        case .expn(let argument): return expn(argument)
        case .help(nil): return [send(SMTPCommandTable.helpReply())]
        case .help(let topic?): return [send(SMTPCommandTable.helpReply(topic: topic))]
        case .startTLS: return startTLS()
        case .auth(let mechanism, let initial): return auth(mechanism: mechanism, initialResponse: initial)
        }
    }

    // MARK: - Helpers

    /// A refused command: the reply, counted; too many end the session.
    mutating func refuse(_ reply: SMTPReply) -> [Action] {
        session.badCommands += 1
        guard session.badCommands < configuration.maxBadCommands else {
            return [send(reply)] + closeSession(.tooManyErrors)
        }
        return [send(reply)]
    }

    /// Ends the session with `reply`, discarding a message being written.
    mutating func closeSession(_ reply: SMTPReply) -> [Action] {
        var writer: (any SpoolWriter)? = transaction?.chunks?.writer
        if case .receiving(let reception, _) = state {
            writer = reception.writer
        }
        transaction = nil
        guard let writer else {
            state = .closed
            return [send(reply), .close]
        }
        state = .waiting(.abort(then: [send(reply), .close], closing: true))
        return [.perform(.abort(writer))]
    }

    /// RSET, EHLO, HELO, QUIT: the transaction ends (RFC 5321 §4.1.1.5),
    /// the session stays.
    mutating func discardTransaction(then actions: [Action], closing: Bool = false) -> [Action] {
        let writer = transaction?.chunks?.writer
        transaction = nil
        guard let writer else {
            if closing { state = .closed }
            return actions
        }
        state = .waiting(.abort(then: actions, closing: closing))
        return [.perform(.abort(writer))]
    }

    func send(_ reply: SMTPReply) -> Action {
        .send(reply.encoded())
    }

    var relayClient: RelayClient {
        RelayClient(
            address: session.connection?.remoteAddress?.ipAddress.flatMap { IPAddress($0) },
            isAuthenticated: session.identity != nil)
    }
}
