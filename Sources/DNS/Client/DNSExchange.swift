// DNSExchange: one query to one server and its answer, over UDP or TCP, on NIO.
//
// UDP (RFC 1035 §4.2.1): a fresh socket per query, connected to the server, so the kernel
// picks a random source port and drops datagrams from other addresses (RFC 5452 §9.2, §4.5);
// a datagram that does not decode, or is not the answer to our query (ID, opcode, question:
// `validate(response:for:)`), is ignored and the wait goes on until the timeout (RFC 5452
// §9.1). TCP (RFC 7766): a fresh connection, the query and the answer each preceded by
// their length in two octets (RFC 1035 §4.2.2).
import NIOCore
import NIOPosix
import Transport

/// Why an exchange with one server gave no answer.
public enum DNSExchangeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No valid answer within the timeout.
    case timeout(server: String)
    /// The server could not be reached (connection refused, ICMP port unreachable, ...).
    case unreachable(server: String, reason: String)
    /// The query could not be encoded.
    case badQuery(String)

    public var description: String {
        switch self {
        case .timeout(let server): "no answer from \(server) in time"
        case .unreachable(let server, let reason): "\(server) unreachable: \(reason)"
        case .badQuery(let reason): "the query cannot be sent: \(reason)"
        }
    }
}

/// Sends queries and waits for their answers.
public struct DNSExchange: Sendable {
    let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// The answer to `query` from `server`, over TCP when `overTCP`, else UDP.
    public func exchange(
        _ query: DNSMessage, with server: ListenAddress, overTCP: Bool, timeout: Duration
    ) async throws(DNSExchangeError) -> DNSMessage {
        let bytes: [UInt8]
        do {
            bytes = try query.encode()
        } catch {
            throw .badQuery("\(error)")
        }
        let name = server.description
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: server.host, port: server.port)
        } catch {
            throw .unreachable(server: name, reason: "\(error)")
        }
        let promise = group.next().makePromise(of: DNSMessage.self)
        let channel: any Channel
        do {
            channel = try await (overTCP
                ? connectTCP(to: address, query: query, promise: promise, timeout: timeout)
                : openUDP(to: address, query: query, promise: promise))
        } catch {
            promise.fail(DNSExchangeError.unreachable(server: name, reason: "\(error)"))
            throw .unreachable(server: name, reason: "\(error)")
        }
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(DNSExchangeError.timeout(server: name))
        }
        var payload = channel.allocator.buffer(capacity: bytes.count + 2)
        if overTCP { payload.writeInteger(UInt16(bytes.count)) }  // RFC 1035 §4.2.2
        payload.writeBytes(bytes)
        channel.writeAndFlush(payload).whenFailure { error in
            promise.fail(DNSExchangeError.unreachable(server: name, reason: "\(error)"))
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as DNSExchangeError {
            throw error
        } catch {
            throw .unreachable(server: name, reason: "\(error)")
        }
    }

    private func openUDP(
        to address: SocketAddress, query: DNSMessage, promise: EventLoopPromise<DNSMessage>
    ) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramPayloadReader())
                    try channel.pipeline.syncOperations.addHandler(
                        AnswerHandler(query: query, promise: promise, server: "\(address)"))
                }
            }
            .connect(to: address)
            .get()
    }

    private func connectTCP(
        to address: SocketAddress, query: DNSMessage, promise: EventLoopPromise<DNSMessage>, timeout: Duration
    ) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LengthPrefixedAnswerReader())
                    try channel.pipeline.syncOperations.addHandler(
                        AnswerHandler(query: query, promise: promise, server: "\(address)"))
                }
            }
            .connect(to: address)
            .get()
    }
}

// MARK: - Handlers

/// Completes the promise with the first message that answers the query; anything else is
/// ignored (RFC 5452 §9.1). A socket error (ICMP unreachable on a connected UDP socket, a
/// reset TCP connection) fails it at once, so the resolver moves to the next server.
private final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let query: DNSMessage
    private let promise: EventLoopPromise<DNSMessage>
    private let server: String

    init(query: DNSMessage, promise: EventLoopPromise<DNSMessage>, server: String) {
        self.query = query
        self.promise = promise
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let response = try? DNSMessage(decoding: Array(buffer.readableBytesView)),
            (try? validate(response: response, for: query)) != nil
        else { return }
        promise.succeed(response)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(DNSExchangeError.unreachable(server: server, reason: "connection closed before an answer"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(DNSExchangeError.unreachable(server: server, reason: "\(error)"))
    }
}

/// The payload of each datagram; the connected socket only delivers the server's.
private final class DatagramPayloadReader: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(unwrapInboundIn(data).data))
    }
}

/// Cuts a TCP stream into DNS messages by their two-octet length (RFC 1035 §4.2.2).
private final class LengthPrefixedAnswerReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var pending = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        pending.writeBuffer(&chunk)
        while let length = pending.getInteger(at: pending.readerIndex, as: UInt16.self),
            pending.readableBytes >= 2 + Int(length)
        {
            pending.moveReaderIndex(forwardBy: 2)
            if let message = pending.readSlice(length: Int(length)) {
                context.fireChannelRead(wrapInboundOut(message))
            }
        }
        pending.discardReadBytes()
    }
}
