// Fuzz tests: bounded, seeded runs of random and mutated packets and zone files. Nothing may
// crash; whatever decodes must re-encode and decode to the same message; whatever the
// authority sends must decode and fit the limit.
import Testing

@testable import DNS

/// Octets that steer mutations to the decoder's edges: pointers, label lengths, zeros.
private let interesting: [UInt8] = [0x00, 0x01, 0x3F, 0x40, 0x80, 0xC0, 0xC0, 0x0C, 0xFF, 0x29, 0x10]

private func mutate(_ input: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0 where !bytes.isEmpty:
            bytes[position] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
        case 1 where !bytes.isEmpty:
            bytes[position] = interesting.randomElement(using: &rng) ?? 0
        case 2 where !bytes.isEmpty:
            bytes[position] = UInt8.random(in: 0...255, using: &rng)
        case 3:
            bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: position)
        case 4 where !bytes.isEmpty:
            bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...16, using: &rng)))
        case 5:
            bytes.removeSubrange(position..<bytes.count)
        default:
            // A header count (QDCOUNT..ARCOUNT) set to something small.
            let count = 4 + 2 * Int.random(in: 0...3, using: &rng)
            if bytes.count > count + 1 { bytes[count + 1] = UInt8.random(in: 0...4, using: &rng) }
        }
    }
    return bytes
}

@Suite("Fuzz")
struct FuzzTests {
    let authority: Authority

    init() throws {
        authority = try Authority(zones: [try Zone(parsing: AuthorityTests.zoneText, origin: nil)])
    }

    /// Valid packets to start from: the fixtures, a message with every RDATA type, and the
    /// authority's answers to a few queries.
    func seeds() throws -> [[UInt8]] {
        var seeds = Fixtures.all
        let answers = try everyRData().map { ResourceRecord(name: try name("example.test."), ttl: 60, rdata: $0) }
        seeds.append(try DNSMessage(id: 1, isResponse: true, questions: [DNSQuestion(name: try name("example.test."), type: .any)],
            answers: answers, edns: EDNS()).encode())
        for (text, type) in [("example.test.", RecordType.mx), ("www.example.test.", .a), ("nope.example.test.", .a),
            ("host.sub.example.test.", .a), ("_sip._tcp.example.test.", .srv)] {
            let query = try DNSMessage.query(id: 9, name: try name(text), type: type).encode()
            seeds.append(query)
            seeds.append(try #require(authority.respond(to: query, over: .tcp)))
        }
        return seeds
    }

    /// Runs one packet through the decoder, encoder and authority; returns true if it decoded.
    @discardableResult
    func exercise(_ input: [UInt8]) -> Bool {
        if let reply = authority.respond(to: input, over: .udp) {
            #expect(reply.count <= 1232)
            #expect((try? DNSMessage(decoding: reply)) != nil)
        }
        guard let message = try? DNSMessage(decoding: input) else { return false }
        _ = message.description
        do {
            let again = try DNSMessage(decoding: try message.encode())
            #expect(again == message)
        } catch {
            Issue.record("a decoded message did not re-encode: \(error)")
        }
        _ = authority.answer(message, over: .tcp)
        var cache = DNSCache()
        cache.store(message, now: ContinuousClock.now)
        var rng = SeededGenerator(seed: 3)
        _ = MXAnswer(response: message, domain: message.question?.name ?? .root, using: &rng)
        return true
    }

    @Test func packetsNeverCrashTheDecoder() throws {
        var rng = SeededGenerator(seed: 0xD15EA5E)
        let seeds = try seeds()
        var decoded = 0
        for round in 0..<20_000 {
            let input: [UInt8]
            if round % 10 == 0 {
                input = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                input = mutate(seeds[round % seeds.count], &rng)
            }
            if exercise(input) { decoded += 1 }
        }
        #expect(decoded > 2_000)  // the mutations keep reaching past the header
    }

    @Test func zoneFilesNeverCrashTheParser() {
        var rng = SeededGenerator(seed: 0x20E)
        let text = Array(AuthorityTests.zoneText.utf8)
        let tokens: [[UInt8]] = ["(", ")", "\"", "\\", "\\#", ";", "\n", " ", "@", "$ORIGIN", "$TTL", "*", ".", "\\0", "999999999999"]
            .map { Array($0.utf8) }
        var parsed = 0
        for _ in 0..<2_000 {
            var bytes = mutate(text, &rng)
            if Bool.random(using: &rng) {
                let at = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(contentsOf: tokens.randomElement(using: &rng) ?? [], at: at)
            }
            guard let zone = try? Zone(parsing: String(decoding: bytes, as: UTF8.self), origin: nil) else { continue }
            parsed += 1
            let engine = try? Authority(zones: [zone])
            for record in zone.records.prefix(5) {
                _ = engine?.answer(DNSMessage.query(id: 1, name: record.name, type: record.type), over: .udp)
            }
        }
        #expect(parsed > 100)
    }
}
