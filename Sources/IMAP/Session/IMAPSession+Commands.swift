// Commands of the any, not-authenticated and authenticated states
// (RFC 9051 §6.1 - §6.3): check against the command table, then run.
import Foundation
import MailStore
import Transport

extension IMAPSession {
    var connectionState: IMAPConnectionState {
        switch state {
        case .notAuthenticated: return .notAuthenticated
        case .authenticated: return .authenticated
        case .selected: return .selected
        case .logout: return .logout
        }
    }

    var account: IMAPAccount? {
        switch state {
        case .authenticated(let account), .selected(let account, _): return account
        case .notAuthenticated, .logout: return nil
        }
    }

    mutating func execute(_ command: IMAPCommand) -> [Action] {
        let tag = command.tag
        // STYLE.md rule 6: the table says where a command is valid.
        if let descriptor = command.kind.descriptor, !descriptor.states.contains(connectionState) {
            let text = connectionState == .notAuthenticated ? "log in first" : "\(descriptor.name) is not valid in this state"
            return bad(tag, text)
        }
        switch command.kind {
        case .capability:
            return [send([.untagged(.capability(capabilities)), tagged(tag, .ok, "CAPABILITY completed")])]
        case .noop, .check:
            return poll(tag, command: command.kind.name)
        case .logout:
            state = .logout
            return [
                send([.untagged(.condition(.bye, IMAPResponseText(text: "\(configuration.hostname) logging out"))), tagged(tag, .ok, "LOGOUT completed")]),
                .close,
            ]
        case .id:
            // RFC 2971 §3.3.
            let identity = [IMAPIDParameter("name", "Chappe"), IMAPIDParameter("vendor", "Chappe")]
            return [send([.untagged(.id(identity)), tagged(tag, .ok, "ID completed")])]
        case .startTLS:
            guard configuration.startTLSAvailable, !isTLS else {
                return [send([tagged(tag, .no, isTLS ? "TLS is already active" : "STARTTLS is not available")])]
            }
            // RFC 9051 §6.2.1: what was pipelined after STARTTLS is discarded.
            framer = IMAPCommandFramer(configuration: configuration.framing)
            return [send([tagged(tag, .ok, "begin TLS negotiation now")]), .startTLS]
        case .login(let username, let password):
            guard plaintextAllowed else { return [send([Self.privacyRequired(tag)])] }
            activity = .waiting(.login(tag: tag))
            return [.perform(.login(username: username, password: password))]
        case .authenticate(let mechanism, let initialResponse):
            return startAuthentication(tag: tag, mechanism: mechanism, initialResponse: initialResponse)
        case .enable(let names):
            return enable(tag, names)
        case .idle:
            return startIdle(tag)
        case .append:
            // The framer streams every APPEND as events; a parsed one never comes here.
            return bad(tag, "APPEND needs a message literal")
        default:
            if case .selected = state, let actions = executeSelected(command) { return actions }
            return executeAuthenticated(command)
        }
    }

    static func privacyRequired(_ tag: String) -> IMAPResponse {
        .tagged(IMAPTaggedResponse(tag: tag, status: .no, code: .privacyRequired, "passwords need TLS; use STARTTLS first"))
    }

    // MARK: - Authentication

    private mutating func startAuthentication(
        tag: String, mechanism name: String, initialResponse: IMAPInitialResponse?
    ) -> [Action] {
        guard plaintextAllowed else { return [send([Self.privacyRequired(tag)])] }
        guard let mechanism = SASLMechanism(name: name) else {
            return [send([tagged(tag, .no, "unsupported mechanism; use PLAIN or LOGIN")])]
        }
        var exchange = SASLExchange(mechanism: mechanism)
        var initial: [UInt8]?
        switch initialResponse {
        case .none: initial = nil
        case .empty: initial = []  // RFC 4959 §3: "=" is an empty initial response
        case .data(let text):
            guard case .success(let bytes) = SASLExchange.decodeResponse(text) else {
                return bad(tag, "invalid base64 in the initial response")
            }
            initial = bytes
        }
        return advance(tag: tag, &exchange, exchange.start(initialResponse: initial))
    }

    mutating func authenticationResponse(_ line: [UInt8], tag: String, exchange: SASLExchange) -> [Action] {
        var exchange = exchange
        activity = .ready
        switch IMAPCommandParser.parseAuthenticationResponse(line) {
        case .success(.cancel):
            // RFC 9051 §6.2.2: "*" cancels, answered BAD.
            return [send([tagged(tag, .bad, "authentication cancelled")])]
        case .success(.data(let text)):
            guard case .success(let bytes) = SASLExchange.decodeResponse(text) else {
                return bad(tag, "invalid base64 in the authentication exchange")
            }
            return advance(tag: tag, &exchange, exchange.respond(bytes))
        case .failure:
            return bad(tag, "invalid base64 in the authentication exchange")
        }
    }

    private mutating func advance(
        tag: String, _ exchange: inout SASLExchange, _ step: Result<SASLExchange.Step, SASLError>
    ) -> [Action] {
        switch step {
        case .success(.challenge(let bytes)):
            activity = .authenticating(tag: tag, exchange)
            return [send([.continuation(SASLExchange.encodeChallenge(bytes))])]
        case .success(.done(let credentials)):
            activity = .waiting(.login(tag: tag))
            return [.perform(.login(username: credentials.username, password: credentials.password))]
        case .failure(let error):
            activity = .ready
            return [send([tagged(tag, .no, .authenticationFailed, error.description)])]
        }
    }

    // MARK: - ENABLE (RFC 5161, RFC 9051 §6.3.1)

    private mutating func enable(_ tag: String, _ names: [String]) -> [Action] {
        let known: Set<String> = ["IMAP4REV2", "UTF8=ACCEPT", "CONDSTORE"]
        var newly: [String] = []
        for name in names {
            let upper = name.uppercased()
            guard known.contains(upper), !enabled.contains(upper) else { continue }
            enabled.insert(upper)
            newly.append(upper == "IMAP4REV2" ? "IMAP4rev2" : upper)
        }
        return [send([.untagged(.enabled(newly)), tagged(tag, .ok, "ENABLE completed")])]
    }

    // MARK: - Authenticated state

    private mutating func executeAuthenticated(_ command: IMAPCommand) -> [Action] {
        guard let account else { return bad(command.tag, "log in first") }
        let tag = command.tag
        switch command.kind {
        case .select(let name, let parameters), .examine(let name, let parameters):
            guard let store = storeName(name) else { return [send([badName(tag)])] }
            if parameters.condstore { enabled.insert("CONDSTORE") }
            var isExamine = false
            if case .examine = command.kind { isExamine = true }
            activity = .waiting(
                .select(tag: tag, name: store, wireName: name, readOnly: isExamine, condstore: parameters.condstore))
            return [.perform(.select(account, mailbox: store, readOnly: isExamine))]
        case .create(let name, let uses):
            guard let store = storeName(name) else { return [send([badName(tag)])] }
            guard uses.count <= 1, let use = uses.first.map({ SpecialUse(rawValue: Self.specialUseSpelling($0)) }) ?? .some(nil)
            else {
                // RFC 6154 §3: an attribute the server cannot set is USEATTR.
                return [send([tagged(tag, .no, .useAttr, "unsupported special use")])]
            }
            // RFC 9051 §6.3.4: a trailing hierarchy separator is dropped.
            let trimmed = store.hasSuffix(".") ? String(store.dropLast()) : store
            activity = .waiting(.mailboxChange(tag: tag, command: "CREATE"))
            return [.perform(.create(account, mailbox: trimmed, specialUse: use))]
        case .delete(let name):
            guard let store = storeName(name) else { return [send([badName(tag)])] }
            activity = .waiting(.mailboxChange(tag: tag, command: "DELETE"))
            return [.perform(.delete(account, mailbox: store))]
        case .rename(let from, let to):
            guard let source = storeName(from), let target = storeName(to) else { return [send([badName(tag)])] }
            activity = .waiting(.mailboxChange(tag: tag, command: "RENAME"))
            return [.perform(.rename(account, from: source, to: target))]
        case .subscribe(let name), .unsubscribe(let name):
            guard let store = storeName(name) else { return [send([badName(tag)])] }
            var subscribing = true
            if case .unsubscribe = command.kind { subscribing = false }
            activity = .waiting(.mailboxChange(tag: tag, command: command.kind.name))
            return [.perform(.subscribe(account, mailbox: store, subscribed: subscribing))]
        case .list(let list):
            activity = .waiting(.list(tag: tag, command: "LIST"))
            return [.perform(.list(account, IMAPListQuery(command: list, isLSUB: false, options: options)))]
        case .lsub(let reference, let pattern):
            activity = .waiting(.list(tag: tag, command: "LSUB"))
            let list = IMAPListCommand(reference: reference, patterns: [pattern])
            return [.perform(.list(account, IMAPListQuery(command: list, isLSUB: true, options: options)))]
        case .namespace:
            // RFC 2342 §5: one personal namespace, "." separated; no others.
            let namespace = IMAPNamespaceResponse(personal: [IMAPNamespaceDescription(prefix: "", delimiter: ".")])
            return [send([.untagged(.namespace(namespace)), tagged(tag, .ok, "NAMESPACE completed")])]
        case .status(let name, let attributes):
            guard let store = storeName(name) else { return [send([badName(tag)])] }
            if attributes.contains(.highestModSeq) { enabled.insert("CONDSTORE") }
            activity = .waiting(.status(tag: tag, wireName: name, attributes: attributes))
            return [.perform(.status(account, mailbox: store))]
        default:
            return bad(tag, "\(command.kind.name) is not valid in this state")
        }
    }

    func badName(_ tag: String) -> IMAPResponse {
        tagged(tag, .no, .cannot, "the mailbox name is not valid modified UTF-7")
    }

    /// "\sent" as the store spells it, "\Sent".
    private static func specialUseSpelling(_ attribute: IMAPMailboxAttribute) -> String {
        SpecialUse.allCases.first { IMAPMailboxAttribute($0.rawValue) == attribute }?.rawValue ?? attribute.rawValue
    }

    // MARK: - NOOP, CHECK, IDLE

    private mutating func poll(_ tag: String, command: String) -> [Action] {
        guard case .selected(let account, let view) = state else {
            return [send([tagged(tag, .ok, "\(command) completed")])]
        }
        activity = .waiting(.poll(tag: tag, command: command))
        return [.perform(.poll(account, pollRequest(view)))]
    }

    /// RFC 9051 §6.3.13, RFC 2177: "+ idling", then changes as they happen
    /// until DONE.
    private mutating func startIdle(_ tag: String) -> [Action] {
        let continuation = send([.continuation("idling")])
        guard case .selected(let account, let view) = state else {
            activity = .idling(tag: tag, nil)
            return [continuation]
        }
        activity = .waiting(.idleStart(tag: tag))
        return [continuation, .perform(.watch(account, pollRequest(view)))]
    }

    /// DONE ends IDLE; releasing the watch stops it (`IMAPWatch` cancels
    /// its task when the last reference goes).
    mutating func idleLine(_ line: [UInt8], tag: String) -> [Action] {
        activity = .ready
        do throws(IMAPParseError) {
            try IMAPCommandParser.parseIdleDone(line)
        } catch {
            return bad(tag, "expected DONE")
        }
        return [send([tagged(tag, .ok, "IDLE terminated")])]
    }
}
