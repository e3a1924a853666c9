// Listeners: binding errors that name the configuration key, several
// listeners per service, IPv6, UDP; and the small pure parts (the limiter,
// endpoints, loopback detection).
import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import Transport

@Suite("Listeners", .serialized)
struct ListenerTests {
    @Test func portInUseNamesTheConfigurationKey() async throws {
        try await withServer { server in
            let port = server.port()
            let second = TCPServer(
                service: "smtp", listeners: [.loopback(port: port, key: "[smtp] listen")], limits: .test(), tls: nil,
                performer: EchoPerformer(), group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger,
                busyReply: echoBusyReply, makeMachine: { EchoMachine() })
            await #expect {
                try await second.bind()
            } throws: { error in
                guard let error = error as? ListenerError else { return false }
                let text = "\(error)"
                return error.reason == .addressInUse && text.contains("[smtp] listen") && text.contains("port \(port)")
            }
            // The first server still serves.
            let client = try await server.greeted()
            await client.close()
        }
    }

    @Test func implicitTLSWithoutACertificateIsRefusedAtBind() async throws {
        let server = TCPServer(
            service: "imap", listeners: [.loopback(implicitTLS: true, key: "[imap] tls_listen")], limits: .test(),
            tls: nil, performer: EchoPerformer(), group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger,
            busyReply: echoBusyReply, makeMachine: { EchoMachine() })
        await #expect {
            try await server.bind()
        } throws: { error in
            guard let error = error as? ListenerError else { return false }
            return error.reason == .tlsNotConfigured && "\(error)".contains("[imap] tls_listen")
        }
    }

    @Test func severalListenersForOneService() async throws {
        try await withServer(listeners: [.loopback(), .loopback(key: "[echo] other")]) { server in
            #expect(server.endpoints.count == 2)
            #expect(server.port(0) != server.port(1))
            let one = try await server.greeted(0)
            let two = try await server.greeted(1)
            try await two.send("ECHO second listener\r\n")
            #expect(try await two.readLine() == "250 second listener")
            await one.close()
            await two.close()
        }
    }

    @Test(.enabled(if: hasIPv6Loopback, "the machine has no ::1"))
    func ipv6LoopbackListener() async throws {
        try await withServer(listeners: [.loopback("::1")]) { server in
            #expect(server.host() == "::1")
            #expect(server.endpoints[0].description == "[::1]:\(server.port())")
            let client = try await server.greeted()
            try await client.send("STATUS\r\n")
            #expect(try await client.readLine() == "250 tls=no peer=::1 loopback=yes")
            await client.close()
        }
    }

    /// The control socket: a Unix socket, owner-only, reached with
    /// ClientConnection.connect(unixSocketPath:).
    @Test func unixSocketListenerIsOwnerOnly() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-\(UUID().uuidString).sock").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let listener = ListenerSpec(name: "control", endpoint: .unix(path: path), configKey: "[server] data_dir")
        try await withServer(listeners: [listener]) { server in
            #expect(server.endpoints == [.unix(path: path)])
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let client = try await ClientConnection.connect(unixSocketPath: path, readTimeout: .seconds(3))
            #expect(try await client.readLine() == "200 ready")
            try await client.send("STATUS\r\n")
            #expect(try await client.readLine() == "250 tls=no peer=local loopback=yes")
            await client.close()
        }
    }

    // MARK: - UDP

    @Test func udpEcho() async throws {
        let server = UDPServer(
            service: "dns", listeners: [.loopback(key: "[dns] listen")], group: MultiThreadedEventLoopGroup.singleton,
            logger: quietLogger
        ) { request, _ in
            var answer = ByteBuffer(string: "echo ")
            var request = request
            answer.writeBuffer(&request)
            return answer
        }
        let endpoints = try await server.bind()
        guard case .tcp(let host, let port)? = endpoints.first else {
            Issue.record("no endpoint")
            return
        }
        #expect(port > 0)
        let destination = try SocketAddress(ipAddress: host, port: port)
        let client = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let answers = try await within(.seconds(30), onTimeout: { try? await client.channel.close() }) {
            try await client.executeThenClose { inbound, outbound in
                var answers: [String] = []
                for question in ["one", "two"] {
                    try await outbound.write(AddressedEnvelope(remoteAddress: destination, data: ByteBuffer(string: question)))
                }
                for try await envelope in inbound {
                    answers.append(String(buffer: envelope.data))
                    if answers.count == 2 { break }
                }
                return answers.sorted()
            }
        }
        await server.close()
        #expect(answers == ["echo one", "echo two"])
    }

    @Test func udpNeedsAnIPAddress() async throws {
        let spec = ListenerSpec(name: "dns", endpoint: .unix(path: "/tmp/x.sock"), configKey: "[dns] listen")
        let server = UDPServer(
            service: "dns", listeners: [spec], group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger
        ) { _, _ in nil }
        await #expect(throws: ListenerError.self) { try await server.bind() }
    }

    // MARK: - Pure parts

    @Test func limiterCountsTotalAndPerClient() {
        let limiter = ConnectionLimiter(maxConnections: 3, maxConnectionsPerClient: 2)
        #expect(limiter.admit("192.0.2.1") == nil)
        #expect(limiter.admit("192.0.2.1") == nil)
        #expect(limiter.admit("192.0.2.1") == .tooManyConnectionsFromClient)
        #expect(limiter.admit("192.0.2.2") == nil)
        #expect(limiter.admit("192.0.2.3") == .tooManyConnections)
        #expect(limiter.activeConnections == 3)
        limiter.release("192.0.2.1")
        #expect(limiter.admit("192.0.2.3") == nil)
        limiter.release("192.0.2.1")
        limiter.release("192.0.2.2")
        limiter.release("192.0.2.3")
        #expect(limiter.activeConnections == 0)
        #expect(limiter.admit("192.0.2.1") == nil)
        #expect(limiter.admit("192.0.2.1") == nil)
    }

    @Test func endpointsPrintAsConfigured() {
        #expect(ListenEndpoint.tcp(host: "127.0.0.1", port: 2025).description == "127.0.0.1:2025")
        #expect(ListenEndpoint.tcp(host: "::1", port: 2025).description == "[::1]:2025")
        #expect(ListenEndpoint.unix(path: "/srv/chappe/control.sock").description == "/srv/chappe/control.sock")
    }

    @Test func listenerErrorsSayWhatToChange() {
        let spec = ListenerSpec(name: "smtp", endpoint: .tcp(host: "127.0.0.1", port: 25), configKey: "[smtp] listen")
        #expect("\(ListenerError(listener: spec, reason: .permissionDenied))".contains("[smtp] listen"))
        #expect("\(ListenerError(listener: spec, reason: .addressNotAvailable))".contains("127.0.0.1:25"))
        #expect("\(ListenerError(listener: spec, reason: .other("boom")))".contains("boom"))
    }

    @Test func loopbackDetection() throws {
        func info(_ address: SocketAddress?) -> ConnectionInfo {
            ConnectionInfo(
                id: 1, service: "t", listener: "t", remoteAddress: address, localAddress: nil, isTLS: false)
        }
        #expect(info(try SocketAddress(ipAddress: "127.0.0.1", port: 1)).isLoopback)
        #expect(info(try SocketAddress(ipAddress: "127.8.9.10", port: 1)).isLoopback)
        #expect(!info(try SocketAddress(ipAddress: "192.0.2.1", port: 1)).isLoopback)
        #expect(info(try SocketAddress(ipAddress: "::1", port: 1)).isLoopback)
        #expect(!info(try SocketAddress(ipAddress: "2001:db8::1", port: 1)).isLoopback)
        #expect(info(nil).isLoopback)
        #expect(info(nil).remoteIP == "local")
        #expect(info(try SocketAddress(ipAddress: "192.0.2.1", port: 1)).remoteIP == "192.0.2.1")
    }
}
