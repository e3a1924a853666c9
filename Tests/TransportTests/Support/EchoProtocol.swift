// A small line protocol used to test Transport without a real protocol on
// top: one command a line, one reply a line ("250 ..."), a dot-stuffed
// payload (DATA), a counted payload (LITERAL n), an effect that completes
// later (SLOW), STARTTLS and QUIT. It follows the SessionMachine contract:
// a value fed events, answering with actions, doing no I/O.
//
//   ECHO text      -> 250 text
//   DATA           -> 354 send, then a dot-stuffed payload -> 250 N bytes HASH | 552 too large | 550 bare line ending
//   LITERAL n      -> 355 send n, then n bytes -> 250 literal N bytes HASH
//   SLOW text      -> effect: "100 working" written by the performer, then 250 done text
//   FAST text      -> effect answered on the event loop (performImmediately), 250 done text
//   LIST           -> 250 list follows, then a dot-stuffed body (`EchoMachine.listBody`)
//   RAW            -> 250 raw, then every chunk of bytes -> 250 raw <bytes> ("LINES" in a chunk: back to lines)
//   WATCH          -> effect that hands its wake-up to the test -> 250 watching; each wake-up -> 250 woken
//   STARTTLS       -> 220 go ahead, then the TLS handshake
//   FAKETLS        -> 220 go ahead followed at once by 250 injected (a lying server)
//   STATUS         -> 250 tls=yes|no peer=IP loopback=yes|no
//   TIMEOUT ms     -> 250 ok, read timeout set to ms
//   QUIT           -> 221 bye, close
import NIOCore
import Synchronization
@testable import Transport

struct EchoMachine: SessionMachine {
    enum Effect: Sendable, Equatable {
        case slow(String)
        case fast(String)
        case watch
    }
    typealias EffectResult = String

    struct Settings: Sendable {
        var maxPayload = 4096
        var payloadLineEndings = PayloadLineEndingPolicy.reject
    }

    /// The multi-line body LIST sends, before stuffing: a line that starts
    /// with ".", a line that is a single ".", and plain lines.
    static let listBody = "first\r\n.hidden\r\n.\r\n..two dots\r\nlast\r\n"

    private enum State: Sendable {
        case command
        case data(bytes: Int, hash: UInt32)
        case literal(bytes: Int, hash: UInt32)
        case raw
    }

    private let settings: Settings
    private var state = State.command
    private var connection: ConnectionInfo?

    init(settings: Settings = Settings()) {
        self.settings = settings
    }

    mutating func connected(_ connection: ConnectionInfo) -> [Action] {
        self.connection = connection
        return [reply("200 ready")]
    }

    mutating func received(_ event: FrameEvent) -> [Action] {
        switch (state, event) {
        case (.command, .line(let line)):
            return command(String(decoding: line.readableBytesView, as: UTF8.self))
        case (.command, .lineTooLong):
            return [reply("500 line too long")]
        case (.command, .bareLineEnding):
            return [reply("500 bare line ending")]
        case (.data(let bytes, let hash), .payload(let chunk)):
            state = .data(bytes: bytes + chunk.readableBytes, hash: fnv1a(chunk.readableBytesView, hash))
            return []
        case (.data(let bytes, let hash), .payloadEnd(let error)):
            state = .command
            switch error {
            case nil: return [reply("250 \(bytes) bytes \(hex(hash))")]
            case .tooLarge: return [reply("552 too large")]
            case .bareLineEnding: return [reply("550 bare line ending")]
            }
        case (.literal(let bytes, let hash), .payload(let chunk)):
            state = .literal(bytes: bytes + chunk.readableBytes, hash: fnv1a(chunk.readableBytesView, hash))
            return []
        case (.literal(let bytes, let hash), .payloadEnd):
            state = .command
            return [reply("250 literal \(bytes) bytes \(hex(hash))")]
        case (.raw, .payload(let chunk)):
            let text = String(buffer: chunk)
            guard text.contains("LINES") else { return [reply("250 raw \(text)")] }
            state = .command
            return [.expect(.lines), reply("250 lines")]
        default:
            return [reply("451 unexpected \(event)"), .close]
        }
    }

    private mutating func command(_ line: String) -> [Action] {
        let verb = line.prefix { $0 != " " }.uppercased()
        let argument = line.drop { $0 != " " }.dropFirst()
        switch verb {
        case "ECHO":
            return [reply("250 \(argument)")]
        case "DATA":
            state = .data(bytes: 0, hash: fnvOffset)
            let options = DotStuffedOptions(maxBytes: settings.maxPayload, lineEndings: settings.payloadLineEndings)
            return [.expect(.dotStuffed(options)), reply("354 send")]
        case "LITERAL":
            guard let count = Int(argument), count >= 0 else { return [reply("501 bad count")] }
            state = .literal(bytes: 0, hash: fnvOffset)
            return [.expect(.counted(count)), reply("355 send \(count)")]
        case "SLOW":
            return [.perform(.slow(String(argument)))]
        case "FAST":
            return [.perform(.fast(String(argument)))]
        case "RAW":
            state = .raw
            return [.expect(.raw), reply("250 raw")]
        case "WATCH":
            return [.perform(.watch)]
        case "LIST":
            var body = ByteBuffer(string: "250 list follows\r\n")
            var stuffer = DotStuffer()
            stuffer.encode(ByteBuffer(string: Self.listBody), into: &body)
            stuffer.finish(into: &body)
            return [.send(body)]
        case "STARTTLS":
            return [reply("220 go ahead"), .startTLS]
        case "FAKETLS":
            return [.send(ByteBuffer(string: "220 go ahead\r\n250 injected\r\n"))]
        case "STATUS":
            let tls = connection?.isTLS == true ? "yes" : "no"
            let peer = connection?.remoteIP ?? "none"
            let loopback = connection?.isLoopback == true ? "yes" : "no"
            return [reply("250 tls=\(tls) peer=\(peer) loopback=\(loopback)")]
        case "TIMEOUT":
            guard let milliseconds = Int64(argument) else { return [reply("501 bad timeout")] }
            return [.setReadTimeout(.milliseconds(milliseconds)), reply("250 ok")]
        case "QUIT":
            return [reply("221 bye"), .close]
        default:
            return [reply("500 unknown command")]
        }
    }

    mutating func completed(_ result: String) -> [Action] {
        [reply("250 \(result)")]
    }

    mutating func awakened() -> [Action] {
        [reply("250 woken")]
    }

    mutating func tlsEstablished(_ connection: ConnectionInfo) -> [Action] {
        // RFC 3207 §4.2: forget what was known before the handshake.
        self.connection = connection
        state = .command
        return []
    }

    mutating func timedOut() -> [Action] {
        [reply("421 idle timeout"), .close]
    }

    mutating func shuttingDown() -> [Action] {
        [reply("421 shutting down"), .close]
    }

    private func reply(_ text: String) -> Action {
        .send(ByteBuffer(string: text + "\r\n"))
    }
}

/// The reply to DATA for this payload, as the test protocol computes it.
func dataReply(for payload: String) -> String {
    "250 \(payload.utf8.count) bytes \(hex(fnv1a(payload.utf8, fnvOffset)))"
}

func literalReply(for payload: String) -> String {
    "250 literal \(payload.utf8.count) bytes \(hex(fnv1a(payload.utf8, fnvOffset)))"
}

let fnvOffset: UInt32 = 2_166_136_261

/// FNV-1a, so that replies name the exact bytes received.
func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes, _ seed: UInt32) -> UInt32 {
    var hash = seed
    for byte in bytes {
        hash = (hash ^ UInt32(byte)) &* 16_777_619
    }
    return hash
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}

/// Runs FAST on the event loop. Runs SLOW: writes a progress line straight to the peer, then waits for
/// the gate (when there is one) or a few milliseconds.
struct EchoPerformer: EffectPerformer {
    typealias Machine = EchoMachine

    var gate: Gate?
    /// Where WATCH leaves its wake-up for the test.
    var wakeUps: WakeUpBox?

    init(gate: Gate? = nil, wakeUps: WakeUpBox? = nil) {
        self.gate = gate
        self.wakeUps = wakeUps
    }

    func perform(_ effect: EchoMachine.Effect, context: EffectContext) async -> String {
        switch effect {
        case .slow(let text):
            try? await context.output.write(ByteBuffer(string: "100 working\r\n"))
            if let gate {
                await gate.wait()
            } else {
                try? await Task.sleep(for: .milliseconds(10))
            }
            return "done \(text)"
        case .fast(let text):
            return "done late \(text)"
        case .watch:
            wakeUps?.keep(context.wakeUp)
            return "watching"
        }
    }

    func performImmediately(_ effect: EchoMachine.Effect, context: EffectContext) -> String? {
        guard case .fast(let text) = effect else { return nil }
        return "done \(text)"
    }
}

/// A latch a test opens to let effects finish.
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var waiting: Int {
        state.withLock { $0.waiters.count }
    }
}

/// The busy replies of the test protocol.
@Sendable func echoBusyReply(_ reason: BusyReason) -> ByteBuffer {
    switch reason {
    case .tooManyConnections:
        return ByteBuffer(string: "421 too many connections\r\n")
    case .tooManyConnectionsFromClient:
        return ByteBuffer(string: "421 too many connections from your address\r\n")
    }
}

/// The wake-up a WATCH effect was given, for the test to call.
final class WakeUpBox: Sendable {
    private let wakeUp = Mutex<SessionWakeup?>(nil)

    func keep(_ value: SessionWakeup) {
        wakeUp.withLock { $0 = value }
    }

    /// Calls the wake-up; false when the session has ended (or none was kept).
    @discardableResult
    func wake() -> Bool {
        wakeUp.withLock { $0 }?() ?? false
    }
}
