// The IMAP session state machine (RFC 9051 §3): not authenticated,
// authenticated, selected, logout. Pure (DESIGN.md rule 1): Transport hands it
// the client's bytes raw (`FramingMode.raw`); it frames them itself with
// `IMAPCommandFramer` (literals, continuation requests, streamed APPEND
// messages), parses them with `IMAPCommandParser`, and answers with bytes to
// send and effects to run (`IMAPEffect`), which come back as results.
//
// Invariants:
// - One command at a time: while an effect runs the framer is not pumped, so
//   pipelined commands wait in it (bounded by Transport's read pause and the
//   framer's command limit) and are answered in order.
// - `state` is the protocol state; `activity` what the current command is
//   doing (waiting for an effect, a SASL exchange, an APPEND, IDLE).
// - Message numbers live in `IMAPMailboxView`; changes by other sessions reach
//   it only through polls, reported where RFC 9051 §7.5.1 allows.
// The command handlers are in IMAPSession+Commands, +Selected and +Append;
// effect results in +Results.
import Foundation
import MailStore
import NIOCore
import Transport

public struct IMAPSession: SessionMachine {
    public typealias Effect = IMAPEffect
    public typealias EffectResult = IMAPEffectResult

    enum State {
        case notAuthenticated
        case authenticated(IMAPAccount)
        case selected(IMAPAccount, IMAPMailboxView)
        case logout
    }

    /// What the command in progress waits for when an effect completes.
    enum Pending {
        case login(tag: String)
        case failedLogin(tag: String, closing: Bool)
        case select(tag: String, name: String, wireName: IMAPMailboxName, readOnly: Bool, condstore: Bool)
        case mailboxChange(tag: String, command: String)
        case list(tag: String, command: String)
        case status(tag: String, wireName: IMAPMailboxName, attributes: [IMAPStatusAttribute])
        case appendCheck(IMAPAppendProgress)
        case append(tag: String)
        case fetch(tag: String, byUID: Bool)
        case search(tag: String, IMAPSearchCommand, byUID: Bool)
        case store(tag: String, IMAPStoreAction, byUID: Bool)
        case copy(tag: String, move: Bool, byUID: Bool, numbers: [IMAPMessageNumber])
        case expunge(tag: String, closing: Bool)
        case poll(tag: String, command: String)
        case idleStart(tag: String)
        /// A wake-up's poll during IDLE.
        case idlePoll(tag: String, IMAPWatch?)
    }

    enum Activity {
        case ready
        case waiting(Pending)
        case authenticating(tag: String, SASLExchange)
        case appending(IMAPAppendProgress)
        case idling(tag: String, IMAPWatch?)
    }

    let configuration: IMAPConfiguration
    var state = State.notAuthenticated
    var activity = Activity.ready
    var framer: IMAPCommandFramer
    var connection: ConnectionInfo?
    /// ENABLEd (RFC 5161) or implied: IMAP4rev2, UTF8=ACCEPT, CONDSTORE.
    var enabled: Set<String> = []
    var authFailures = 0
    var badCommands = 0
    /// The APPEND message being received (RFC 9051 §6.3.12).
    var appendBuffer: [UInt8] = []

    public init(configuration: IMAPConfiguration) {
        self.configuration = configuration
        framer = IMAPCommandFramer(configuration: configuration.framing)
    }

    // MARK: - Options

    var isTLS: Bool { connection?.isTLS ?? false }

    /// RFC 9051 §6.2.3, §11.1: no password over plaintext unless the operator
    /// allowed it for loopback clients.
    var plaintextAllowed: Bool {
        isTLS || (configuration.allowPlaintextOnLoopback && connection?.isLoopback == true)
    }

    var isRev2: Bool { enabled.contains("IMAP4REV2") }

    var options: IMAPOutputOptions {
        IMAPOutputOptions(
            utf8: isRev2 || enabled.contains("UTF8=ACCEPT"), condstore: enabled.contains("CONDSTORE"),
            reportsRecent: !isRev2)
    }

    var capabilities: [String] {
        var authenticated = true
        if case .notAuthenticated = state { authenticated = false }
        return IMAPCapabilities.list(
            isTLS: isTLS, startTLSAvailable: configuration.startTLSAvailable, plaintextAllowed: plaintextAllowed,
            authenticated: authenticated, appendLimit: configuration.framing.maxMessageSize)
    }

    // MARK: - Inputs

    public mutating func connected(_ connection: ConnectionInfo) -> [Action] {
        self.connection = connection
        let greeting = IMAPResponse.untagged(
            .condition(.ok, IMAPResponseText(code: .capability(capabilities), text: "\(configuration.hostname) Chappe IMAP4rev2 server ready")))
        return [.expect(.raw), send([greeting])]
    }

    public mutating func tlsEstablished(_ connection: ConnectionInfo) -> [Action] {
        // RFC 9051 §6.2.1: nothing the client sent before the handshake counts;
        // Transport dropped its bytes, a fresh framer drops ours.
        self.connection = connection
        framer = IMAPCommandFramer(configuration: configuration.framing)
        activity = .ready
        return [.expect(.raw)]
    }

    public mutating func timedOut() -> [Action] {
        state = .logout
        // RFC 9051 §5.4: the autologout timer.
        return [send([.untagged(.condition(.bye, IMAPResponseText(text: "autologout; idle for too long")))]), .close]
    }

    public mutating func shuttingDown() -> [Action] {
        state = .logout
        return [send([.untagged(.condition(.bye, IMAPResponseText(code: .unavailable, text: "server shutting down")))]), .close]
    }

    public mutating func received(_ event: FrameEvent) -> [Action] {
        guard case .payload(let bytes) = event else { return [] }
        guard !isLoggedOut else { return [] }
        framer.append(bytes.readableBytesView)
        return pump()
    }

    public mutating func awakened() -> [Action] {
        guard case .idling(let tag, let watch) = activity, case .selected(let account, let view) = state else { return [] }
        activity = .waiting(.idlePoll(tag: tag, watch))
        return [.perform(.poll(account, pollRequest(view)))]
    }

    var isLoggedOut: Bool {
        if case .logout = state { return true }
        return false
    }

    /// Frames and runs commands until one waits for an effect or the input runs out.
    mutating func pump() -> [Action] {
        var actions: [Action] = []
        while !isLoggedOut {
            if case .waiting = activity { break }
            guard let frame = framer.next() else { break }
            actions += handle(frame)
        }
        return actions
    }

    private mutating func handle(_ frame: IMAPFrame) -> [Action] {
        switch frame {
        case .continuationRequest:
            // RFC 9051 §7.6: ready for the literal.
            return [send([.continuation("ready for literal data")])]
        case .rejected(let error):
            return framingRejected(error)
        case .append(let event):
            return appendEvent(event)
        case .command(let bytes):
            switch activity {
            case .authenticating(let tag, let exchange):
                return authenticationResponse(bytes, tag: tag, exchange: exchange)
            case .idling(let tag, _):
                return idleLine(bytes, tag: tag)
            default:
                switch IMAPCommandParser.parse(bytes) {
                case .success(let command): return execute(command)
                case .failure(let error): return bad(error.response)
                }
            }
        }
    }

    private mutating func framingRejected(_ error: IMAPFramingError) -> [Action] {
        if case .appending = activity {
            appendBuffer = []
            activity = .ready
        }
        if case .invalidLiteralLength = error.kind {
            // The client's next octets cannot be framed: say why and go.
            state = .logout
            return [send([error.response, .untagged(.condition(.bye, IMAPResponseText(text: "cannot resynchronise")))]), .close]
        }
        return error.status == .bad ? bad(error.response) : [send([error.response])]
    }

    // MARK: - Replies

    func send(_ responses: [IMAPResponse]) -> Action {
        var bytes: [UInt8] = []
        let encoder = IMAPResponseEncoder(options: options.encoder)
        for response in responses { encoder.encode(response, into: &bytes) }
        return .send(ByteBuffer(bytes: bytes))
    }

    func tagged(_ tag: String, _ status: IMAPStatus, _ text: String) -> IMAPResponse {
        .tagged(IMAPTaggedResponse(tag: tag, status: status, text))
    }

    func tagged(_ tag: String, _ status: IMAPStatus, _ code: IMAPResponseCode?, _ text: String) -> IMAPResponse {
        .tagged(IMAPTaggedResponse(tag: tag, status: status, code: code, text))
    }

    /// A BAD answer; too many end the session (STYLE.md rule 3).
    mutating func bad(_ response: IMAPResponse) -> [Action] {
        badCommands += 1
        guard badCommands < configuration.maxBadCommands else {
            state = .logout
            return [send([response, .untagged(.condition(.bye, IMAPResponseText(text: "too many invalid commands")))]), .close]
        }
        return [send([response])]
    }

    mutating func bad(_ tag: String, _ text: String) -> [Action] {
        bad(tagged(tag, .bad, text))
    }

    /// The reply to a store failure (STYLE.md rule 8): NO with the code that
    /// says why.
    func failure(_ tag: String, _ error: StoreError) -> IMAPResponse {
        let code: IMAPResponseCode?
        switch error {
        case .noSuchMailbox: code = .nonExistent
        case .mailboxExists: code = .alreadyExists
        case .invalidMailboxName: code = .cannot
        case .mailboxNotChangeable: code = .cannot
        case .noSuchMessage, .messageVanished: code = .expungeIssued
        case .invalidKeyword: code = .cannot
        case .quotaExceeded: code = .overQuota
        case .fileSystem, .database, .indexReplaced, .simulatedCrash: code = .serverBug
        }
        return tagged(tag, .no, code, error.description)
    }

    // MARK: - Names

    /// The store's name for a name the client sent: modified UTF-7 decoded
    /// for an IMAP4rev1 client (RFC 3501 §5.1.3); nil if it does not decode.
    func storeName(_ name: IMAPMailboxName) -> String? {
        options.utf8 ? name.name : name.decodingModifiedUTF7()?.name
    }

    func wireName(_ name: String) -> IMAPMailboxName {
        let mailbox = IMAPMailboxName(name)
        return options.utf8 ? mailbox : mailbox.encodingModifiedUTF7()
    }

    func pollRequest(_ view: IMAPMailboxView) -> IMAPPollRequest {
        IMAPPollRequest(mailbox: view.name, cursor: view.cursor, claimRecent: !view.readOnly)
    }
}
