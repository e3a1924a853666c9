// Wire encoding: encode→decode round trips for every RDATA type, name compression and
// where it is forbidden, and truncation to a size limit.
import Testing

@testable import DNS

/// One record of every RDATA type.
func everyRData() throws -> [RData] {
    [
        .a(IPv4Address(192, 0, 2, 1)),
        .aaaa(try #require(IPv6Address("2001:db8::1"))),
        .ns(try name("ns1.example.test.")),
        .cname(try name("target.example.test.")),
        .ptr(try name("host.example.test.")),
        .mx(preference: 10, exchange: try name("mail.example.test.")),
        .mx(preference: 0, exchange: .root),
        .soa(
            SOA(
                mname: try name("ns1.example.test."), rname: try name("hostmaster.example.test."), serial: 2_025_010_101,
                refresh: 3600, retry: 900, expire: 604_800, minimum: 300)),
        .txt([Array("v=spf1 mx -all".utf8)]),
        .txt([[], Array(repeating: 0xFF, count: 255), Array("two \"quoted\" \\ strings".utf8)]),
        .srv(priority: 10, weight: 5, port: 5060, target: try name("sip.example.test.")),
        .caa(flags: 128, tag: "issue", value: Array("ca.example.net; account=1".utf8)),
        .unknown(RecordType(rawValue: 65280), [0xDE, 0xAD, 0xBE, 0xEF]),
        .unknown(RecordType(rawValue: 65281), []),
        .unknown(.hinfo, Array("\u{3}CPU\u{2}OS".utf8)),
    ]
}

@Suite("Wire encoding")
struct WireEncodeTests {
    @Test func everyRDataRoundTrips() throws {
        for rdata in try everyRData() {
            let record = ResourceRecord(name: try name("Example.TEST."), ttl: 3600, rdata: rdata)
            let message = DNSMessage(
                id: 7, isResponse: true, isAuthoritative: true, rcode: .noError,
                questions: [DNSQuestion(name: try name("example.test."), type: rdata.type)], answers: [record],
                edns: EDNS(udpPayloadSize: 1232, dnssecOK: true, options: [EDNSOption(code: 65001, data: [1, 2])]))
            let decoded = try DNSMessage(decoding: try message.encode())
            #expect(decoded == message, "\(rdata)")
            // Standalone RDATA too: the octets of the \# form decode to the same value.
            #expect(try RData.decode(type: rdata.type, rdata: try rdata.wireBytes()) == rdata)
        }
    }

    @Test func everyHeaderBitRoundTrips() throws {
        let message = DNSMessage(
            id: 0xFFFF, isResponse: true, opcode: .update, isAuthoritative: true, isTruncated: true,
            recursionDesired: true, recursionAvailable: true, reservedBit: true, authenticData: true,
            checkingDisabled: true, rcode: .refused)
        let bytes = try message.encode()
        #expect(bytes.prefix(4) == [0xFF, 0xFF, 0xAF, 0xF5])
        #expect(try DNSMessage(decoding: bytes) == message)
        // The twelve-bit RCODE needs the OPT record; EDNS flags survive as well.
        let extended = DNSMessage(id: 1, isResponse: true, rcode: DNSRCode(rawValue: 0xABC), edns: EDNS(version: 3, otherFlags: 0x1234))
        #expect(try DNSMessage(decoding: try extended.encode()) == extended)
    }

    @Test func compressionShortensRepeatedNames() throws {
        let owner = try name("example.test.")
        let answers = try (1...5).map { index in
            ResourceRecord(name: owner, ttl: 60, rdata: .mx(preference: UInt16(index), exchange: try name("mx\(index).EXAMPLE.test.")))
        }
        let message = DNSMessage(id: 1, isResponse: true, questions: [DNSQuestion(name: owner, type: .mx)], answers: answers)
        let bytes = try message.encode()
        // Header 12, question 14 + 4; each record: owner pointer 2, fixed 10, preference 2,
        // "mxN" 4 and a pointer 2 (the upper-case suffix reuses the question's, RFC 4343 §4.1).
        #expect(bytes.count == 12 + 18 + 5 * 20)
        let uncompressed = 12 + 18 + 5 * (14 + 10 + 2 + 18)
        #expect(bytes.count < uncompressed)
        #expect(bytes[30...31] == [0xC0, 0x0C])
        #expect(try DNSMessage(decoding: bytes) == message)
    }

    @Test func pointersOnlyReachTheFirst16KiB() throws {
        // RFC 1035 §4.1.4: a pointer has 14 bits, so a name first written past offset 0x3FFF
        // cannot be a compression target.
        let big = ResourceRecord(name: try name("a.test."), ttl: 0, rdata: .txt(Array(repeating: Array(repeating: 65, count: 255), count: 65)))
        let late = ResourceRecord(name: try name("late.example."), ttl: 0, rdata: .a(IPv4Address(192, 0, 2, 1)))
        let message = DNSMessage(id: 1, isResponse: true, answers: [big, late, late])
        let bytes = try message.encode()
        #expect(bytes.count == 12 + (8 + 10 + 65 * 256) + 2 * (14 + 10 + 4))
        #expect(try DNSMessage(decoding: bytes) == message)
        // Below the limit the same name is compressed.
        let small = DNSMessage(id: 1, isResponse: true, answers: [late, late])
        #expect(try small.encode().count == 12 + (14 + 10 + 4) + (2 + 10 + 4))
    }

    @Test func srvTargetsAreNeverCompressed() throws {
        // RFC 2782: "name compression is not to be used for this field".
        let question = DNSQuestion(name: try name("_sip._tcp.example.test."), type: .srv)
        let target = try name("sip.example.test.")
        let message = DNSMessage(
            id: 1, isResponse: true, questions: [question],
            answers: [ResourceRecord(name: question.name, ttl: 60, rdata: .srv(priority: 10, weight: 5, port: 5060, target: target))])
        let bytes = try message.encode()
        // Question name 24 octets at 12; the record at 40; RDLENGTH at 50; RDATA at 52.
        #expect(bytes[50...51] == [0, 24])
        #expect(Array(bytes[58..<76]) == (try wire("sip.example.test.")))
    }

    @Test func unknownRDataIsOpaque() throws {
        // RFC 3597 §4: RDATA of an unknown type is copied, never compressed.
        let raw = try wire("example.test.")
        let message = DNSMessage(
            id: 1, isResponse: true, questions: [DNSQuestion(name: try name("example.test."), type: RecordType(rawValue: 65280))],
            answers: [ResourceRecord(name: try name("example.test."), ttl: 60, rdata: .unknown(RecordType(rawValue: 65280), raw))])
        let bytes = try message.encode()
        #expect(Array(bytes.suffix(raw.count)) == raw)
        #expect(try DNSMessage(decoding: bytes).answers[0].rdata == .unknown(RecordType(rawValue: 65280), raw))
    }

    @Test func valuesThatCannotBeEncoded() throws {
        let tooLong = DNSMessage(
            answers: [ResourceRecord(name: .root, ttl: 0, rdata: .txt([Array(repeating: 65, count: 256)]))])
        #expect(wireError { try tooLong.encode() } == .characterStringTooLong(length: 256))
        let badTag = DNSMessage(answers: [ResourceRecord(name: .root, ttl: 0, rdata: .caa(flags: 0, tag: "is sue", value: []))])
        guard case .invalidRData(type: .caa, _, _) = wireError({ try badTag.encode() }) else {
            Issue.record("a CAA tag with a space was encoded")
            return
        }
        // 300 strings of 255 octets: over 65535 octets of message.
        let huge = DNSMessage(
            answers: (0..<300).map { _ in ResourceRecord(name: .root, ttl: 0, rdata: .txt([Array(repeating: 65, count: 255)])) })
        #expect(wireError { try huge.encode() } == .messageTooLarge)
    }

    // MARK: - Truncation (RFC 2181 §9)

    private func addresses(_ owner: String, count: Int) throws -> [ResourceRecord] {
        try (0..<count).map { ResourceRecord(name: try name(owner), ttl: 60, rdata: .a(IPv4Address(192, 0, 2, UInt8($0)))) }
    }

    @Test func dropsWholeRRSetsAndSetsTC() throws {
        let question = DNSQuestion(name: try name("many.example.test."), type: .a)
        // Header and question take 35 octets and the first set 20 × 16 = 320; the second set
        // would need 22 + 9 × 16 = 166 more, past 512.
        let first = try addresses("many.example.test.", count: 20)
        let second = try addresses("other.example.test.", count: 10)
        let message = DNSMessage(id: 9, isResponse: true, questions: [question], answers: first + second)
        let bytes = try message.encode(maxSize: 512)
        let decoded = try DNSMessage(decoding: bytes)
        #expect(bytes.count <= 512)
        #expect(decoded.isTruncated)
        #expect(decoded.answers == first)  // the second set did not fit whole, so none of it
        #expect(try message.truncated(toFit: 512) == decoded)
        // One RRset too large for the limit goes entirely.
        let single = DNSMessage(id: 9, isResponse: true, questions: [question], answers: try addresses("many.example.test.", count: 40))
        let cut = try DNSMessage(decoding: try single.encode(maxSize: 512))
        #expect(cut.isTruncated && cut.answers.isEmpty)
        // The same fits a bigger limit untouched.
        let whole = try DNSMessage(decoding: try single.encode(maxSize: 4096))
        #expect(!whole.isTruncated && whole.answers.count == 40)
    }

    @Test func additionalRecordsGoWithoutTC() throws {
        let question = DNSQuestion(name: try name("example.test."), type: .mx)
        let answers = [ResourceRecord(name: question.name, ttl: 60, rdata: .mx(preference: 10, exchange: try name("mail.example.test.")))]
        let message = DNSMessage(
            id: 3, isResponse: true, questions: [question], answers: answers,
            additional: try addresses("mail.example.test.", count: 40), edns: EDNS(udpPayloadSize: 512))
        let decoded = try DNSMessage(decoding: try message.encode(maxSize: 512))
        #expect(!decoded.isTruncated)
        #expect(decoded.answers == answers)
        #expect(decoded.additional.count < 40 && !decoded.additional.isEmpty)
        #expect(decoded.edns != nil)  // RFC 6891 §7: the OPT record stays
    }

    @Test func limitsBelow512CountAs512() throws {
        let message = DNSMessage(id: 1, isResponse: true, additional: try addresses("example.test.", count: 40))
        #expect(try message.encode(maxSize: 100).count <= 512)
        #expect(try message.encode(maxSize: 100).count > 400)
    }

    @Test func rollBackForgetsCompressionTargets() throws {
        // Names first written in a dropped record must not be pointed at afterwards.
        let question = DNSQuestion(name: try name("example.test."), type: .a)
        let dropped = try (0..<40).map { index in
            ResourceRecord(name: try name("host\(index).example.test."), ttl: 60, rdata: .a(IPv4Address(192, 0, 2, 1)))
        }
        let message = DNSMessage(
            id: 1, isResponse: true, questions: [question],
            answers: [ResourceRecord(name: question.name, ttl: 60, rdata: .a(IPv4Address(192, 0, 2, 1)))],
            additional: dropped + [ResourceRecord(name: try name("host0.example.test."), ttl: 60, rdata: .a(IPv4Address(192, 0, 2, 2)))])
        for limit in stride(from: 512, through: 1200, by: 37) {
            let bytes = try message.encode(maxSize: limit)
            #expect(bytes.count <= limit)
            #expect((try? DNSMessage(decoding: bytes)) != nil, "limit \(limit)")
        }
    }
}
