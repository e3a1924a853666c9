// SessionHandler around the echo protocol in an EmbeddedChannel: bytes go in
// (one at a time when drip-fed), the test reads back exactly what the
// handler wrote. Time is the embedded loop's, so timeouts are tested
// without waiting.
import Logging
import NIOCore
import NIOEmbedded
import NIOSSL
import Synchronization
@testable import Transport

func testPeer() throws -> SocketAddress {
    try SocketAddress(ipAddress: "192.0.2.1", port: 40_000)
}

func testConnection(isTLS: Bool = false) throws -> ConnectionInfo {
    ConnectionInfo(
        id: 1, service: "echo", listener: "echo", remoteAddress: try testPeer(),
        localAddress: try SocketAddress(ipAddress: "192.0.2.25", port: 25), isTLS: isTLS)
}

func makeSessionHandler(
    settings: EchoMachine.Settings = .init(), performer: EchoPerformer = .init(), maxLineLength: Int = 128,
    lineEndings: LineEndingPolicy = .strict, idleTimeout: TimeAmount = .seconds(60), tls: NIOSSLContext? = nil
) throws -> SessionHandler<EchoPerformer> {
    SessionHandler(
        machine: EchoMachine(settings: settings), performer: performer, connection: try testConnection(),
        framer: FrameDecoder(maxLineLength: maxLineLength, lineEndings: lineEndings), readTimeout: idleTimeout,
        startTLSContext: tls, metrics: ServiceMetrics(service: "echo-test"), logger: quietLogger)
}

/// Counts the reads that pass the session handler towards the socket.
final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer

    private let count = Mutex(0)

    var reads: Int { count.withLock { $0 } }

    func read(context: ChannelHandlerContext) {
        count.withLock { $0 += 1 }
        context.read()
    }
}

final class EchoPipeline {
    let channel = EmbeddedChannel()
    let readCounter = ReadCounter()

    init(
        settings: EchoMachine.Settings = .init(), performer: EchoPerformer = .init(), maxLineLength: Int = 128,
        lineEndings: LineEndingPolicy = .strict, idleTimeout: TimeAmount = .seconds(60), tls: NIOSSLContext? = nil
    ) throws {
        try channel.pipeline.syncOperations.addHandler(readCounter)
        try channel.pipeline.syncOperations.addHandler(
            try makeSessionHandler(
                settings: settings, performer: performer, maxLineLength: maxLineLength, lineEndings: lineEndings,
                idleTimeout: idleTimeout, tls: tls))
        channel.connect(to: try testPeer(), promise: nil)
    }

    /// Writes `text` one byte a read.
    func drip(_ text: String) throws {
        for byte in text.utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
    }

    /// Writes `text` in one read.
    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything the handler wrote since the last call.
    func written() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    var isOpen: Bool { channel.isActive }

    func drain() {
        channel.pipeline.fireUserInboundEventTriggered(DrainRequest())
    }
}
