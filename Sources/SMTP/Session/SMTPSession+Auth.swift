// The SMTP session's security commands: STARTTLS (RFC 3207) and AUTH
// PLAIN/LOGIN with SASL-IR and "*" cancel (RFC 4954), on Transport's
// SASLExchange. Credentials never appear in a reply or a log line.
import Foundation
import NIOCore
import Transport

extension SMTPSession {
    // MARK: - STARTTLS

    mutating func startTLS() -> [Action] {
        guard !session.isTLS else { return [send(.tlsAlreadyActive)] }
        guard configuration.startTLSAvailable else { return [send(.tlsNotAvailable)] }
        // RFC 3207 §4.2: nothing the client pipelined after STARTTLS counts;
        // the handler discards it, and this state ignores it.
        state = .awaitingTLS
        return [send(.readyForTLS), .startTLS]
    }

    // MARK: - AUTH

    mutating func auth(mechanism name: String, initialResponse: String?) -> [Action] {
        // RFC 4954 §4: after a successful AUTH, another gets 503.
        guard session.identity == nil else { return [send(.authAlreadyDone)] }
        guard session.role == .submission || configuration.authOnMX else { return [send(.authNotOffered)] }
        // RFC 4954 §4 and §6: no plaintext password without TLS (538 5.7.11).
        guard plaintextAllowed else { return [send(.encryptionRequired)] }
        guard let mechanism = SASLMechanism(name: name) else { return [send(.authMechanism)] }
        var exchange = SASLExchange(mechanism: mechanism)
        var initial: [UInt8]?
        if let initialResponse {
            // RFC 4954 §4: "=" is an empty initial response.
            switch SASLExchange.decodeResponse(initialResponse) {
            case .success(let bytes): initial = bytes
            case .failure(.cancelled): return [send(.authCancelled)]
            case .failure: return [send(.authBadBase64)]
            }
        }
        return advance(&exchange, exchange.start(initialResponse: initial))
    }

    /// A line while the SASL exchange runs: a response, not a command.
    mutating func saslResponse(_ event: FrameEvent, _ exchange: SASLExchange) -> [Action] {
        switch event {
        case .line(let line):
            var exchange = exchange
            switch SASLExchange.decodeResponse(String(decoding: line.readableBytesView, as: UTF8.self)) {
            case .success(let bytes):
                return advance(&exchange, exchange.respond(bytes))
            case .failure(.cancelled):
                // RFC 4954 §4: "*" cancels with 501.
                state = .commands
                return [send(.authCancelled)]
            case .failure:
                // RFC 4954 §4: an undecodable response is 501 5.5.2.
                state = .commands
                return [send(.authBadBase64)]
            }
        case .lineTooLong:
            // RFC 4954 §4: 500 5.5.6 for a response over the buffer.
            state = .commands
            return [send(.authLineTooLong)]
        case .bareLineEnding:
            state = .commands
            return [send(.authBadBase64)]
        case .payload, .payloadEnd:
            return []
        }
    }

    private mutating func advance(
        _ exchange: inout SASLExchange, _ step: Result<SASLExchange.Step, SASLError>
    ) -> [Action] {
        switch step {
        case .success(.challenge(let bytes)):
            state = .sasl(exchange)
            // RFC 4954 §4: "334 " and the base64 challenge, nothing else.
            return [send(.challenge(SASLExchange.encodeChallenge(bytes)))]
        case .success(.done(let credentials)):
            state = .waiting(.authenticate)
            return [.perform(.authenticate(username: credentials.username, password: credentials.password))]
        case .failure(.cancelled):
            state = .commands
            return [send(.authCancelled)]
        case .failure(.invalidBase64):
            state = .commands
            return [send(.authBadBase64)]
        case .failure(.malformed):
            // A PLAIN message that names nobody, or another user: a failed login.
            return authenticationFailed()
        }
    }

    mutating func authenticated(_ outcome: SMTPAuthOutcome) -> [Action] {
        switch outcome {
        case .authenticated(let identity):
            session.identity = identity
            state = .commands
            return [send(.authSucceeded)]
        case .invalidCredentials:
            return authenticationFailed()
        case .temporaryFailure:
            state = .commands
            return [send(.authTemporary)]
        }
    }

    /// 535 5.7.8 after a pause (RFC 4954 §6), and 421 after too many.
    private mutating func authenticationFailed() -> [Action] {
        session.authFailures += 1
        state = .waiting(.authPause(close: session.authFailures >= configuration.maxAuthFailures))
        return [.perform(.pause(configuration.authFailureDelay))]
    }

    mutating func authFailureAnswered(close: Bool) -> [Action] {
        state = .commands
        guard close else { return [send(.authInvalid)] }
        return [send(.authInvalid)] + closeSession(.tooManyAuthFailures)
    }
}
