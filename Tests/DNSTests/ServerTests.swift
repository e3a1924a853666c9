// The DNS service: the TCP session machine fed by hand, the rate limit's buckets with a
// fake clock, then the server on a loopback port driven with raw packets — UDP and TCP on
// one port, several queries on one TCP connection, the idle timeout, malformed packets,
// the UDP rate limit, and zone reloads that keep the old set when a file is bad.
import Foundation
import NIOCore
import NIOPosix
import Testing
import Transport

@testable import DNS

let serverZone = """
    $ORIGIN example.test.
    $TTL 3600
    @    SOA  ns1 hostmaster 1 7200 900 1209600 300
         NS   ns1
         MX   10 mail
    ns1  A    192.0.2.53
    mail A    192.0.2.25
    """

@Suite("DNS server", .timeLimit(.minutes(2)))
struct ServerTests {
    // MARK: - TCP session machine

    func connection() -> ConnectionInfo {
        ConnectionInfo(
            id: 1, service: "dns", listener: "dns", remoteAddress: nil, localAddress: nil, isTLS: false)
    }

    @Test func tcpSessionReadsLengthThenMessageThenAnswers() {
        var session = DNSTCPSession()
        #expect(expectations(session.connected(connection())) == [.counted(2)])
        #expect(session.received(.payload(ByteBuffer(bytes: [0x00]))).isEmpty)
        #expect(session.received(.payload(ByteBuffer(bytes: [0x0C]))).isEmpty)
        #expect(expectations(session.received(.payloadEnd(nil))) == [.counted(12)])
        let header: [UInt8] = [0xAB, 0xCD, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(session.received(.payload(ByteBuffer(bytes: header))).isEmpty)
        let actions = session.received(.payloadEnd(nil))
        guard case .perform(.answer(let query))? = actions.first else {
            Issue.record("no answer asked: \(actions)")
            return
        }
        #expect(query == header)
        let reply = session.completed(DNSTCPAnswer(response: [1, 2, 3]))
        guard case .send(let bytes)? = reply.first else {
            Issue.record("nothing sent: \(reply)")
            return
        }
        #expect(Array(bytes.readableBytesView) == [0, 3, 1, 2, 3])  // RFC 1035 §4.2.2
        #expect(expectations(reply) == [.counted(2)])
    }

    @Test func tcpSessionClosesOnShortLengthsUnansweredPacketsAndIdleness() {
        var short = DNSTCPSession()
        _ = short.connected(connection())
        _ = short.received(.payload(ByteBuffer(bytes: [0, 11])))
        #expect(isClose(short.received(.payloadEnd(nil))))

        var unanswered = DNSTCPSession()
        _ = unanswered.connected(connection())
        _ = unanswered.received(.payload(ByteBuffer(bytes: [0, 12])))
        _ = unanswered.received(.payloadEnd(nil))
        _ = unanswered.received(.payload(ByteBuffer(bytes: Array(repeating: 0, count: 12))))
        _ = unanswered.received(.payloadEnd(nil))
        #expect(isClose(unanswered.completed(DNSTCPAnswer(response: nil))))

        var idle = DNSTCPSession()
        _ = idle.connected(connection())
        #expect(isClose(idle.timedOut()))
        #expect(isClose(idle.shuttingDown()))
    }

    func expectations(_ actions: [DNSTCPSession.Action]) -> [FramingMode] {
        actions.compactMap { action in
            guard case .expect(let mode) = action else { return nil }
            return mode
        }
    }

    func isClose(_ actions: [DNSTCPSession.Action]) -> Bool {
        guard case .close? = actions.last else { return false }
        return true
    }

    // MARK: - Rate limit

    @Test func tokenBucketsAllowTheBurstThenTheRate() {
        var buckets = TokenBuckets<String>(limit: RateLimit(answersPerSecond: 10, burst: 3))
        let second: UInt64 = 1_000_000_000
        var taken: [Bool] = []
        for _ in 0..<4 { taken.append(buckets.take("a", now: 0)) }
        taken.append(buckets.take("b", now: 0))  // each client its own bucket
        taken.append(buckets.take("a", now: second / 10))  // one token per tenth of a second
        taken.append(buckets.take("a", now: second / 10))
        for _ in 0..<4 { taken.append(buckets.take("a", now: 100 * second)) }  // refilled up to the burst only
        #expect(taken == [true, true, true, false, true, true, false, true, true, true, false])
    }

    @Test func tokenBucketsForgetRefilledClientsWhenFull() {
        var buckets = TokenBuckets<Int>(limit: RateLimit(answersPerSecond: 1, burst: 1), maxClients: 4)
        var taken: [Bool] = []
        for client in 0..<4 { taken.append(buckets.take(client, now: 0)) }
        let before = buckets.count
        taken.append(buckets.take(99, now: 10_000_000_000))  // the others have refilled: forgotten
        #expect(taken == [true, true, true, true, true])
        #expect(before == 4 && buckets.count == 1)
    }

    // MARK: - On a loopback port

    @Test func udpAndTCPAnswerOnTheSamePort() async throws {
        let dns = try await LoopbackDNS.start(zones: [serverZone])
        defer { Task { await dns.stop() } }
        let udp = try await udpExchange(try queryBytes("mail.example.test.", .a), port: dns.port)
        let overUDP = try DNSMessage(decoding: try #require(udp.first))
        #expect(overUDP.rcode == .noError && overUDP.isAuthoritative)
        #expect(overUDP.answers.map(\.rdata) == [.a(IPv4Address(192, 0, 2, 25))])

        let tcp = try await tcpExchange(framed(try queryBytes("mail.example.test.", .a)), port: dns.port, expecting: 1)
        #expect(try DNSMessage(decoding: try #require(tcp.messages.first)).answers == overUDP.answers)
        #expect(dns.server.statistics.udpQueries == 1)
        #expect(dns.server.statistics.tcpQueries == 1)
    }

    /// RFC 7766 §6.2.1: several queries on one connection, sent at once, each answered.
    @Test func severalQueriesOnOneTCPConnection() async throws {
        let dns = try await LoopbackDNS.start(zones: [serverZone])
        defer { Task { await dns.stop() } }
        let names = ["example.test.", "mail.example.test.", "nothere.example.test."]
        let types: [RecordType] = [.mx, .a, .a]
        var stream: [UInt8] = []
        for (index, name) in names.enumerated() {
            stream += framed(try queryBytes(name, types[index], id: UInt16(100 + index)))
        }
        let result = try await tcpExchange(stream, port: dns.port, expecting: 3)
        let answers = try result.messages.map { try DNSMessage(decoding: $0) }
        #expect(answers.map(\.id) == [100, 101, 102])
        #expect(answers.map(\.rcode) == [.noError, .noError, .nameError])
    }

    /// RFC 7766 §6.2.3: the server closes a connection left idle.
    @Test func idleTCPConnectionIsClosed() async throws {
        // Long enough that a loaded machine still sends the query before it passes.
        let dns = try await LoopbackDNS.start(zones: [serverZone], idleTimeout: .seconds(3))
        defer { Task { await dns.stop() } }
        let result = try await tcpExchange(framed(try queryBytes("mail.example.test.", .a)), port: dns.port, expecting: 2)
        #expect(result.messages.count == 1)
        #expect(result.closed)
    }

    @Test func malformedPacketsAreCountedAndTheServerGoesOn() async throws {
        let dns = try await LoopbackDNS.start(zones: [serverZone])
        defer { Task { await dns.stop() } }
        // A header announcing a question that is not there: FORMERR with the ID.
        let broken: [UInt8] = [0x42, 0x42, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05]
        let formErr = try await udpExchange(broken, port: dns.port)
        let reply = try DNSMessage(decoding: try #require(formErr.first))
        #expect(reply.id == 0x4242 && reply.rcode == .formatError)
        // Shorter than a header: no answer at all.
        #expect(try await udpExchange([1, 2, 3], port: dns.port, wait: .milliseconds(300)).isEmpty)
        // A TCP message of garbage after a valid length: FORMERR too.
        let tcp = try await tcpExchange(framed(broken), port: dns.port, expecting: 1)
        #expect(try DNSMessage(decoding: try #require(tcp.messages.first)).rcode == .formatError)
        try await eventually("three malformed packets counted") { dns.server.statistics.malformed == 3 }
        let after = try await udpExchange(try queryBytes("mail.example.test.", .a), port: dns.port)
        #expect(try DNSMessage(decoding: try #require(after.first)).rcode == .noError)
    }

    /// Over the limit, a client gets TC=1 with the question only, and can go on over TCP.
    @Test func udpRateLimitAnswersTruncatedOverTheLimit() async throws {
        let dns = try await LoopbackDNS.start(zones: [serverZone], rateLimit: RateLimit(answersPerSecond: 1, burst: 2))
        defer { Task { await dns.stop() } }
        var replies: [DNSMessage] = []
        for id in 0..<100 {
            let answer = try await udpExchange(try queryBytes("mail.example.test.", .a, id: UInt16(id)), port: dns.port)
            replies.append(try DNSMessage(decoding: try #require(answer.first)))
            if replies.last?.isTruncated == true { break }
        }
        #expect(replies.prefix(2).allSatisfy { !$0.isTruncated && $0.answers.count == 1 })
        let limited = try #require(replies.last)
        #expect(limited.isTruncated && limited.answers.isEmpty && limited.authority.isEmpty)
        #expect(limited.questions == [DNSQuestion(name: try name("mail.example.test."), type: .a)])
        #expect(dns.server.statistics.rateLimited >= 1)
        let overTCP = try await tcpExchange(framed(try queryBytes("mail.example.test.", .a)), port: dns.port, expecting: 1)
        #expect(try DNSMessage(decoding: try #require(overTCP.messages.first)).answers.count == 1)
    }

    /// A reload swaps the zones whole; a file that fails names its line and changes nothing.
    @Test func reloadKeepsTheOldZonesWhenAFileFails() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dns-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("example.test.zone")
        let dns = try await LoopbackDNS.start(zones: [serverZone])
        defer { Task { await dns.stop() } }

        try (serverZone + "\nbad  A  192.0.2.300\n").write(to: file, atomically: true, encoding: .utf8)
        guard case .failure(let error) = dns.server.reload(zoneFiles: [ZoneFile(path: file.path)], rateLimit: nil) else {
            Issue.record("a bad zone was accepted")
            return
        }
        #expect(error.file == file.path && error.line == 8)
        let still = try await udpExchange(try queryBytes("mail.example.test.", .a), port: dns.port)
        #expect(try DNSMessage(decoding: try #require(still.first)).answers.count == 1)

        try (serverZone + "\nnew  A  192.0.2.77\n").write(to: file, atomically: true, encoding: .utf8)
        let reloaded = dns.server.reload(zoneFiles: [ZoneFile(path: file.path)], rateLimit: nil)
        #expect(try reloaded.get() == [try name("example.test.")])
        let fresh = try await udpExchange(try queryBytes("new.example.test.", .a), port: dns.port)
        #expect(try DNSMessage(decoding: try #require(fresh.first)).answers.map(\.rdata) == [.a(IPv4Address(192, 0, 2, 77))])
    }

    /// Queries keep being answered while the zones are swapped again and again.
    @Test func reloadsDropNoQuery() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dns-swap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("example.test.zone")
        try serverZone.write(to: file, atomically: true, encoding: .utf8)
        let dns = try await LoopbackDNS.start(zones: [serverZone])
        defer { Task { await dns.stop() } }
        let reloads = Task {
            var reloaded = 0
            repeat {
                if case .success = dns.server.reload(zoneFiles: [ZoneFile(path: file.path)], rateLimit: nil) { reloaded += 1 }
                await Task.yield()
            } while !Task.isCancelled && reloaded < 1000
            return reloaded
        }
        var rcodes: [DNSRCode] = []
        for id in 0..<50 {
            let reply = try await udpExchange(try queryBytes("mail.example.test.", .a, id: UInt16(id)), port: dns.port)
            rcodes.append(try DNSMessage(decoding: try #require(reply.first)).rcode)
        }
        reloads.cancel()
        #expect(await reloads.value > 0)
        #expect(rcodes == Array(repeating: .noError, count: 50))
    }

    /// A repeated query is answered from the answers kept, with its own ID; a reload
    /// forgets them.
    @Test func keptAnswersCarryTheNewIDAndGoAtReload() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dns-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("example.test.zone")
        let dns = try await LoopbackDNS.start(zones: [serverZone])
        defer { Task { await dns.stop() } }
        var answers: [DNSMessage] = []
        for id: UInt16 in [7, 8, 9] {
            let reply = try await udpExchange(try queryBytes("mail.example.test.", .a, id: id), port: dns.port)
            answers.append(try DNSMessage(decoding: try #require(reply.first)))
        }
        #expect(answers.map(\.id) == [7, 8, 9])
        #expect(answers.allSatisfy { $0.answers == answers[0].answers && $0.rcode == .noError })

        try serverZone.replacingOccurrences(of: "192.0.2.25", with: "192.0.2.26").write(to: file, atomically: true, encoding: .utf8)
        #expect((try? dns.server.reload(zoneFiles: [ZoneFile(path: file.path)], rateLimit: nil).get()) != nil)
        let after = try await udpExchange(try queryBytes("mail.example.test.", .a, id: 10), port: dns.port)
        #expect(try DNSMessage(decoding: try #require(after.first)).answers.map(\.rdata) == [.a(IPv4Address(192, 0, 2, 26))])
    }

    @Test func responseCacheIsBounded() {
        var cache = ResponseCache(maxEntries: 2)
        for index: UInt8 in 0..<5 {
            cache.store([index], for: QueryKey(query: [0, 0, index]))
        }
        #expect(cache.count <= 2)
        #expect(cache.answer(for: QueryKey(query: [9, 9, 4])) == [4])  // the ID is not part of the key
        #expect(cache.answer(for: QueryKey(query: [0, 0, 0])) == nil)
    }

    /// UDP is bound without SO_REUSEADDR, which on Linux would let a second server share the
    /// port without a word.
    @Test func aSecondServerOnTheSamePortIsRefused() async throws {
        let dns = try await LoopbackDNS.start(zones: [serverZone])
        defer { Task { await dns.stop() } }
        let second = DNSServer(
            configuration: DNSServerConfiguration(
                listen: [dns.address], tcpLimits: dns.server.configuration.tcpLimits, rateLimit: nil),
            authority: dns.server.responder.zones.authority, group: MultiThreadedEventLoopGroup.singleton,
            logger: quietLogger)
        do {
            try await second.bind()
            await second.close()
            Issue.record("the port was bound twice")
        } catch let error as ListenerError {
            #expect(error.reason == .addressInUse)
            #expect(error.description.contains("[dns] listen"))
        }
    }

    /// Never an open resolver: a name outside our zones is REFUSED over both transports.
    @Test func namesOutsideOurZonesAreRefused() async throws {
        let dns = try await LoopbackDNS.start(zones: [serverZone])
        defer { Task { await dns.stop() } }
        let udp = try await udpExchange(try queryBytes("www.example.com.", .a), port: dns.port)
        #expect(try DNSMessage(decoding: try #require(udp.first)).rcode == .refused)
        let tcp = try await tcpExchange(framed(try queryBytes("www.example.com.", .a)), port: dns.port, expecting: 1)
        #expect(try DNSMessage(decoding: try #require(tcp.messages.first)).rcode == .refused)
    }
}
