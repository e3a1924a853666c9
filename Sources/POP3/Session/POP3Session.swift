// The POP3 session state machine (RFC 1939 §3-§6): AUTHORIZATION,
// TRANSACTION, UPDATE. Pure: fed framed lines and effect results, it returns
// the replies to send and the effects to run.
import Foundation
import NIOCore
import Transport

public struct POP3Session: SessionMachine {
    public typealias Effect = POP3Effect
    public typealias EffectResult = POP3EffectResult

    private struct Transaction {
        let maildrop: any POP3Maildrop
        var deleted: Set<Int> = []
    }

    private enum Pending {
        case login
        case pause(POP3Reply, close: Bool)
        case send(Transaction)
        case update
    }

    private enum State {
        case authorization(user: String?)
        case sasl(SASLExchange)
        case waiting(Pending)
        case transaction(Transaction)
        case closed
    }

    private let configuration: POP3Configuration
    private var state = State.authorization(user: nil)
    private var apopTimestamp = ""
    private var connection: ConnectionInfo?
    private var authFailures = 0
    private var badCommands = 0

    public init(configuration: POP3Configuration) {
        self.configuration = configuration
    }

    private var isTLS: Bool { connection?.isTLS ?? false }

    /// RFC 5034 §4 and RFC 2595 §2: no password goes over plaintext unless
    /// the operator allowed it for loopback clients.
    private var plaintextAllowed: Bool {
        isTLS || (configuration.allowPlaintextOnLoopback && connection?.isLoopback == true)
    }

    // MARK: - Inputs

    public mutating func connected(_ connection: ConnectionInfo) -> [Action] {
        self.connection = connection
        // RFC 1939 §7: a timestamp unique to this connection, for APOP.
        apopTimestamp = "<\(configuration.instanceTag).\(connection.id)@\(configuration.hostname)>"
        return [reply(.ok("\(configuration.hostname) Chappe POP3 server ready \(apopTimestamp)"))]
    }

    public mutating func tlsEstablished(_ connection: ConnectionInfo) -> [Action] {
        // RFC 2595 §4: forget what the client said before the handshake.
        self.connection = connection
        state = .authorization(user: nil)
        return []
    }

    public mutating func timedOut() -> [Action] {
        state = .closed
        return [reply(.err(nil, "autologout: idle for too long")), .close]
    }

    public mutating func shuttingDown() -> [Action] {
        state = .closed
        return [reply(.err(.sysTemp, "server shutting down, try again later")), .close]
    }

    public mutating func received(_ event: FrameEvent) -> [Action] {
        switch event {
        case .line(let line):
            let text = String(decoding: line.readableBytesView, as: UTF8.self)
            if case .sasl(let exchange) = state {
                return continueSASL(exchange, response: text)
            }
            switch POP3Command.parse(text) {
            case .success(let command):
                return execute(command)
            case .failure(let error):
                return badCommand(error.description)
            }
        case .lineTooLong:
            if case .sasl = state { state = .authorization(user: nil) }
            return badCommand("line too long")
        case .bareLineEnding:
            return badCommand("line not ended by CRLF")
        case .payload, .payloadEnd:
            return badCommand("unexpected data")
        }
    }

    public mutating func completed(_ result: POP3EffectResult) -> [Action] {
        guard case .waiting(let pending) = state else { return [] }
        switch (pending, result) {
        case (.login, .login(let outcome)):
            return loggedIn(outcome)
        case (.pause(let answer, let close), .paused):
            state = close ? .closed : .authorization(user: nil)
            return close ? [reply(answer), .close] : [reply(answer)]
        case (.send(let transaction), .sent(let tail)):
            state = .transaction(transaction)
            return [.send(tail)]
        case (.send(let transaction), .sendFailed(let reason)):
            state = .transaction(transaction)
            return [reply(.err(.sysTemp, reason))]
        case (.send, .sendBroken):
            state = .closed
            return [.close]
        case (.update, .updated):
            state = .closed
            return [reply(.ok("\(configuration.hostname) POP3 server signing off")), .close]
        case (.update, .updateFailed(let reason)):
            state = .closed
            return [reply(.err(.sysTemp, "some deleted messages not removed: \(reason)")), .close]
        default:
            state = .closed
            return [reply(.err(.sysTemp, "internal error")), .close]
        }
    }

    // MARK: - Commands

    private mutating func execute(_ command: POP3Command) -> [Action] {
        switch (state, command) {
        case (_, .capa):
            return [reply(.multiline("Capability list follows", capabilities))]
        case (_, .noop) where isInTransaction:
            return [reply(.ok(""))]
        case (.authorization, .quit):
            state = .closed
            return [reply(.ok("\(configuration.hostname) POP3 server signing off")), .close]
        case (.authorization, .stls):
            guard configuration.startTLSAvailable, !isTLS else {
                return [reply(.err(nil, isTLS ? "TLS is already active" : "STLS is not available"))]
            }
            return [reply(.ok("Begin TLS negotiation")), .startTLS]
        case (.authorization, .user(let name)):
            guard plaintextAllowed else { return [reply(Self.needsTLS)] }
            state = .authorization(user: name)
            return [reply(.ok("send your password"))]
        case (.authorization(let user), .pass(let password)):
            guard plaintextAllowed else { return [reply(Self.needsTLS)] }
            guard let user else {
                return [reply(.err(nil, "send USER first"))]
            }
            state = .waiting(.login)
            return [.perform(.login(username: user, password: password))]
        case (.authorization, .apop(let name, let digest)):
            // RFC 1939 §7: the digest proves the shared secret without
            // sending it, so APOP needs no TLS. Accounts have a secret only
            // once `chappe user apop` set one (it cannot come from a hash).
            state = .waiting(.login)
            return [.perform(.apopLogin(username: name, timestamp: apopTimestamp, digest: digest))]
        case (.authorization, .auth(nil, _)):
            // Pre-RFC 5034 clients send a bare AUTH to list mechanisms.
            return [reply(.multiline("SASL mechanisms follow", plaintextAllowed ? ["PLAIN", "LOGIN"] : []))]
        case (.authorization, .auth(let mechanism?, let initial)):
            return startSASL(mechanism: mechanism, initialResponse: initial)
        case (.transaction(let transaction), _):
            return transact(command, transaction)
        case (.authorization, _):
            return [reply(.err(nil, "\(command.verb) is not allowed before login"))]
        case (.sasl, _), (.waiting, _), (.closed, _):
            return []
        }
    }

    private var isInTransaction: Bool {
        if case .transaction = state { return true }
        return false
    }

    private mutating func transact(_ command: POP3Command, _ transaction: Transaction) -> [Action] {
        var transaction = transaction
        let messages = transaction.maildrop.messages
        func live(_ number: Int) -> Int? {
            let index = number - 1
            guard messages.indices.contains(index), !transaction.deleted.contains(index) else { return nil }
            return index
        }
        func missing(_ number: Int) -> Action {
            let index = number - 1
            let deleted = messages.indices.contains(index) && transaction.deleted.contains(index)
            return reply(.err(nil, deleted ? "message \(number) already deleted" : "no such message"))
        }
        switch command {
        case .stat:
            let kept = messages.indices.filter { !transaction.deleted.contains($0) }
            let octets = kept.reduce(0) { $0 + messages[$1].size }
            return [reply(.ok("\(kept.count) \(octets)"))]
        case .list(nil), .uidl(nil):
            let isUIDL = command == .uidl(nil)
            let lines = messages.indices.filter { !transaction.deleted.contains($0) }.map { index in
                "\(index + 1) " + (isUIDL ? messages[index].uniqueID : "\(messages[index].size)")
            }
            return [reply(.multiline(isUIDL ? "unique-id listing follows" : "\(lines.count) messages", lines))]
        case .list(let number?):
            guard let index = live(number) else { return [missing(number)] }
            return [reply(.ok("\(number) \(messages[index].size)"))]
        case .uidl(let number?):
            guard let index = live(number) else { return [missing(number)] }
            return [reply(.ok("\(number) \(messages[index].uniqueID)"))]
        case .retr(let number):
            guard let index = live(number) else { return [missing(number)] }
            state = .waiting(.send(transaction))
            return [.perform(.send(transaction.maildrop, index: index, bodyLines: nil))]
        case .top(let number, let lines):
            guard let index = live(number) else { return [missing(number)] }
            state = .waiting(.send(transaction))
            return [.perform(.send(transaction.maildrop, index: index, bodyLines: lines))]
        case .dele(let number):
            guard let index = live(number) else { return [missing(number)] }
            transaction.deleted.insert(index)
            state = .transaction(transaction)
            return [reply(.ok("message \(number) deleted"))]
        case .rset:
            transaction.deleted.removeAll()
            state = .transaction(transaction)
            return [reply(.ok("maildrop has \(messages.count) messages"))]
        case .noop:
            return [reply(.ok(""))]
        case .quit:
            // RFC 1939 §6: the UPDATE state.
            guard !transaction.deleted.isEmpty else {
                state = .closed
                return [reply(.ok("\(configuration.hostname) POP3 server signing off")), .close]
            }
            state = .waiting(.update)
            return [.perform(.update(transaction.maildrop, deleting: transaction.deleted.sorted()))]
        case .user, .pass, .apop, .auth, .stls:
            return [reply(.err(nil, "already logged in"))]
        case .capa:
            return [reply(.multiline("Capability list follows", capabilities))]
        }
    }

    // MARK: - Authentication

    private static let needsTLS = POP3Reply.err(.auth, "plaintext authentication is disabled without TLS; use STLS first")

    private mutating func startSASL(mechanism name: String, initialResponse: String?) -> [Action] {
        guard plaintextAllowed else { return [reply(Self.needsTLS)] }
        guard let mechanism = SASLMechanism(name: name) else {
            return [reply(.err(nil, "unsupported mechanism \(name.prefix(20)); use PLAIN or LOGIN"))]
        }
        var exchange = SASLExchange(mechanism: mechanism)
        var initial: [UInt8]?
        if let initialResponse {
            switch SASLExchange.decodeResponse(initialResponse) {
            case .success(let bytes): initial = bytes
            case .failure(let error): return [reply(.err(nil, error.description))]
            }
        }
        return advance(&exchange, exchange.start(initialResponse: initial))
    }

    private mutating func continueSASL(_ exchange: SASLExchange, response: String) -> [Action] {
        var exchange = exchange
        switch SASLExchange.decodeResponse(response) {
        case .success(let bytes):
            return advance(&exchange, exchange.respond(bytes))
        case .failure(let error):
            state = .authorization(user: nil)
            return [reply(.err(nil, error.description))]
        }
    }

    private mutating func advance(_ exchange: inout SASLExchange, _ step: Result<SASLExchange.Step, SASLError>) -> [Action] {
        switch step {
        case .success(.challenge(let bytes)):
            state = .sasl(exchange)
            return [reply(.challenge(SASLExchange.encodeChallenge(bytes)))]
        case .success(.done(let credentials)):
            state = .waiting(.login)
            return [.perform(.login(username: credentials.username, password: credentials.password))]
        case .failure(let error):
            state = .authorization(user: nil)
            return [reply(.err(nil, error.description))]
        }
    }

    private mutating func loggedIn(_ outcome: POP3LoginResult) -> [Action] {
        switch outcome {
        case .success(let maildrop):
            state = .transaction(Transaction(maildrop: maildrop))
            let octets = maildrop.messages.reduce(0) { $0 + $1.size }
            return [reply(.ok("maildrop has \(maildrop.messages.count) messages (\(octets) octets)"))]
        case .invalidCredentials:
            authFailures += 1
            let close = authFailures >= configuration.maxAuthFailures
            let answer = POP3Reply.err(.auth, close ? "invalid credentials; too many failures, goodbye" : "invalid credentials")
            state = .waiting(.pause(answer, close: close))
            return [.perform(.pause(configuration.authFailureDelay))]
        case .inUse:
            state = .authorization(user: nil)
            return [reply(.err(.inUse, "maildrop is locked by another session"))]
        case .temporaryFailure(let reason):
            state = .authorization(user: nil)
            return [reply(.err(.sysTemp, reason))]
        }
    }

    // MARK: - Helpers

    /// RFC 2449 §5; USER and SASL only where a password may be sent.
    private var capabilities: [String] {
        var list = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER"]
        if case .authorization = state {
            if configuration.startTLSAvailable && !isTLS { list.append("STLS") }
            if plaintextAllowed {
                list.append("USER")
                list.append("SASL PLAIN LOGIN")
            }
        }
        list.append("IMPLEMENTATION Chappe")
        return list
    }

    private mutating func badCommand(_ message: String) -> [Action] {
        badCommands += 1
        guard badCommands < configuration.maxBadCommands else {
            state = .closed
            return [reply(.err(nil, "\(message); too many errors, goodbye")), .close]
        }
        return [reply(.err(nil, message))]
    }

    private func reply(_ reply: POP3Reply) -> Action {
        .send(reply.encoded())
    }
}
