// DNSTCPSession: DNS over TCP as a session machine on the shared transport (RFC 1035
// §4.2.2, RFC 7766): each message is preceded by its length in two octets, network order;
// a client may send several queries on one connection, and each gets its answer in turn.
//
// The machine reads with the framer's counted mode: two octets for the length, then that
// many for the message; the answer is an effect, performed at once on the event loop (the
// zones are in memory). An idle connection is closed at the read timeout (RFC 7766 §6.2.3);
// a length too short to hold a header, or a packet that gets no answer (a response, not a
// query), closes the connection.
import NIOCore
import Transport

/// The answer to compute for one query.
public enum DNSTCPEffect: Sendable, Hashable {
    case answer([UInt8])
}

/// The octets to send back, nil when the query gets no answer.
public struct DNSTCPAnswer: Sendable, Hashable {
    public var response: [UInt8]?

    public init(response: [UInt8]?) {
        self.response = response
    }
}

public struct DNSTCPSession: SessionMachine {
    public typealias Effect = DNSTCPEffect
    public typealias EffectResult = DNSTCPAnswer

    /// The octets of the length prefix (RFC 1035 §4.2.2).
    static let lengthPrefixSize = 2
    /// A DNS header: the least a message can be (RFC 1035 §4.1.1).
    static let headerSize = 12

    private enum State {
        case readingLength([UInt8])
        case readingMessage([UInt8])
        case answering
        case closed
    }

    private var state: State = .readingLength([])

    public init() {}

    public mutating func connected(_ connection: ConnectionInfo) -> [Action] {
        [.expect(.counted(Self.lengthPrefixSize))]
    }

    public mutating func received(_ event: FrameEvent) -> [Action] {
        switch (state, event) {
        case (.readingLength(var prefix), .payload(let chunk)):
            prefix += chunk.readableBytesView
            state = .readingLength(prefix)
            return []
        case (.readingLength(let prefix), .payloadEnd(nil)) where prefix.count == Self.lengthPrefixSize:
            let length = Int(prefix[0]) << 8 | Int(prefix[1])
            guard length >= Self.headerSize else { return close() }
            state = .readingMessage([])
            return [.expect(.counted(length))]
        case (.readingMessage(var message), .payload(let chunk)):
            message += chunk.readableBytesView
            state = .readingMessage(message)
            return []
        case (.readingMessage(let message), .payloadEnd(nil)):
            state = .answering
            return [.perform(.answer(message))]
        default:
            return close()
        }
    }

    public mutating func completed(_ result: DNSTCPAnswer) -> [Action] {
        guard case .answering = state, let response = result.response else { return close() }
        state = .readingLength([])
        var framed = ByteBuffer()
        framed.reserveCapacity(Self.lengthPrefixSize + response.count)
        framed.writeInteger(UInt16(response.count))  // RFC 1035 §4.2.2: the length, network order
        framed.writeBytes(response)
        return [.send(framed), .expect(.counted(Self.lengthPrefixSize))]
    }

    public mutating func tlsEstablished(_ connection: ConnectionInfo) -> [Action] { [] }

    /// RFC 7766 §6.2.3: the server may close an idle connection; DNS has no goodbye.
    public mutating func timedOut() -> [Action] { close() }

    public mutating func shuttingDown() -> [Action] { close() }

    private mutating func close() -> [Action] {
        state = .closed
        return [.close]
    }
}

/// Answers a TCP session's queries from the responder, on the event loop.
public struct DNSTCPPerformer: EffectPerformer {
    public typealias Machine = DNSTCPSession

    let responder: DNSResponder

    public init(responder: DNSResponder) {
        self.responder = responder
    }

    public func perform(_ effect: DNSTCPEffect, context: EffectContext) async -> DNSTCPAnswer {
        answer(effect)
    }

    public func performImmediately(_ effect: DNSTCPEffect, context: EffectContext) -> DNSTCPAnswer? {
        answer(effect)
    }

    private func answer(_ effect: DNSTCPEffect) -> DNSTCPAnswer {
        switch effect {
        case .answer(let query):
            DNSTCPAnswer(response: responder.respond(to: query, over: .tcp, from: nil))
        }
    }
}
