// Wire decoding: real packets written by hand from the RFC 1035 §4.1 layout, and every
// malformed packet giving its typed error.
import Testing

@testable import DNS

/// Fixture packets, shared with the encoder and fuzz tests.
enum Fixtures {
    /// dig example.com A: RD and AD set, EDNS with a 1232-octet payload and a COOKIE option.
    static let digQuery = hex(
        """
        1a2b 0120 0001 0000 0000 0001
        07 6578616d706c65 03 636f6d 00  0001 0001
        00 0029 04d0 00000000 000c  000a 0008 0102030405060708
        """)

    /// The answer to www.example.com A: a CNAME to example.com and its A record, the names
    /// compressed against the question (www at 12, example.com at 16).
    static let cnameAnswer = hex(
        """
        1a2b 8180 0001 0002 0000 0000
        03 777777 07 6578616d706c65 03 636f6d 00  0001 0001
        c00c 0005 0001 0000012c 0002 c010
        c010 0001 0001 0000003c 0004 5db8d822
        """)

    /// NXDOMAIN for nope.example.test A, with the SOA in the authority section; the SOA's
    /// owner, MNAME and RNAME point at example.test (offset 17).
    static let nameError = hex(
        """
        0007 8183 0001 0000 0001 0000
        04 6e6f7065 07 6578616d706c65 04 74657374 00  0001 0001
        c011 0006 0001 00000e10 0027
          03 6e7331 c011  0a 686f73746d6173746572 c011
          00000001 00001c20 00000384 00127500 0000012c
        """)

    /// An authoritative MX answer whose exchange is a label followed by a pointer.
    static let mxAnswer = hex(
        """
        002a 8400 0001 0001 0000 0000
        07 6578616d706c65 04 74657374 00  000f 0001
        c00c 000f 0001 00000e10 0009 000a 04 6d61696c c00c
        """)

    static let all = [digQuery, cnameAnswer, nameError, mxAnswer]

    /// A response whose first answer holds `raw` as opaque RDATA (starting at offset 23) and
    /// whose second answer is a CNAME with `rdata`: a way to place compression pointers
    /// anywhere.
    static func withRaw(_ raw: [UInt8], cname rdata: [UInt8]) -> [UInt8] {
        hex("0001 8000 0000 0002 0000 0000") + hex("00 ff00 0001 00000000") + [0, UInt8(raw.count)] + raw
            + hex("00 0005 0001 00000000") + [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
    }

    /// A query whose question name is `nameBytes`.
    static func query(nameBytes: [UInt8]) -> [UInt8] {
        hex("0001 0000 0001 0000 0000 0000") + nameBytes + hex("0001 0001")
    }

    /// A response with one answer of `type` and the given RDLENGTH and RDATA octets.
    static func answer(type: UInt16, rdlength: Int, rdata: [UInt8]) -> [UInt8] {
        hex("0001 8000 0000 0001 0000 0000 00") + [UInt8(type >> 8), UInt8(type & 0xFF)] + hex("0001 00000000")
            + [UInt8(rdlength >> 8), UInt8(rdlength & 0xFF)] + rdata
    }
}

@Suite("Wire decoding")
struct WireDecodeTests {
    @Test func digQueryWithEDNS() throws {
        let message = try DNSMessage(decoding: Fixtures.digQuery)
        #expect(message.id == 0x1A2B)
        #expect(!message.isResponse && message.recursionDesired && message.authenticData)
        #expect(message.opcode == .query && message.rcode == .noError)
        #expect(message.questions == [DNSQuestion(name: try name("example.com."), type: .a)])
        #expect(message.additional.isEmpty)
        let edns = try #require(message.edns)
        #expect(edns.udpPayloadSize == 1232 && edns.version == 0 && !edns.dnssecOK)
        #expect(edns.options == [EDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        #expect(try message.encode() == Fixtures.digQuery)
    }

    @Test func compressedCNAMEAnswer() throws {
        let message = try DNSMessage(decoding: Fixtures.cnameAnswer)
        #expect(message.isResponse && message.recursionAvailable && !message.isAuthoritative)
        #expect(message.answers.count == 2)
        #expect(message.answers[0] == ResourceRecord(name: try name("www.example.com."), ttl: 300, rdata: .cname(try name("example.com."))))
        #expect(message.answers[1] == ResourceRecord(name: try name("example.com."), ttl: 60, rdata: .a(IPv4Address(93, 184, 216, 34))))
        #expect(message.edns == nil)
        // Our compressor makes the same choices: encoding gives the fixture back.
        #expect(try message.encode() == Fixtures.cnameAnswer)
    }

    @Test func nameErrorWithSOA() throws {
        let message = try DNSMessage(decoding: Fixtures.nameError)
        #expect(message.rcode == .nameError)
        #expect(message.answers.isEmpty && message.authority.count == 1)
        let soa = SOA(
            mname: try name("ns1.example.test."), rname: try name("hostmaster.example.test."), serial: 1, refresh: 7200,
            retry: 900, expire: 1_209_600, minimum: 300)
        #expect(message.authority[0] == ResourceRecord(name: try name("example.test."), ttl: 3600, rdata: .soa(soa)))
        #expect(try message.encode() == Fixtures.nameError)
    }

    @Test func mxWithLabelThenPointer() throws {
        let message = try DNSMessage(decoding: Fixtures.mxAnswer)
        #expect(message.isAuthoritative)
        #expect(message.answers.map(\.rdata) == [.mx(preference: 10, exchange: try name("mail.example.test."))])
        #expect(try message.encode() == Fixtures.mxAnswer)
    }

    @Test func extendedRCodeFromOPT() throws {
        // RFC 6891 §6.1.3: BADVERS is 16, one in the OPT TTL's top octet and zero in the header.
        let bytes = hex("0001 8000 0000 0000 0000 0001  00 0029 1000 01000000 0000")
        let message = try DNSMessage(decoding: bytes)
        #expect(message.rcode == .badVersion)
        #expect(message.edns?.udpPayloadSize == 4096)
        #expect(try message.encode() == bytes)
    }

    // MARK: - Errors

    @Test func everyTruncationIsReported() {
        for fixture in Fixtures.all {
            for length in 0..<fixture.count {
                let error = wireError { try DNSMessage(decoding: Array(fixture.prefix(length))) }
                guard case .truncated = error else {
                    Issue.record("prefix \(length) of \(fixture.count): \(String(describing: error))")
                    continue
                }
            }
        }
    }

    @Test func forwardAndSelfPointers() {
        #expect(wireError { try DNSMessage(decoding: Fixtures.query(nameBytes: hex("c020"))) } == .forwardPointer(offset: 12, target: 32))
        #expect(wireError { try DNSMessage(decoding: Fixtures.query(nameBytes: hex("c00c"))) } == .forwardPointer(offset: 12, target: 12))
    }

    @Test func pointerLoops() {
        // "a" then a pointer back to "a": the jump lands inside the name being read.
        #expect(wireError { try DNSMessage(decoding: Fixtures.query(nameBytes: hex("0161 c00c"))) } == .pointerLoop(offset: 14, target: 12))
        // Through another record: the CNAME jumps to "a" at 23, whose pointer at 25 jumps back to 23.
        let packet = Fixtures.withRaw(hex("0161 c017"), cname: hex("c017"))
        #expect(wireError { try DNSMessage(decoding: packet) } == .pointerLoop(offset: 25, target: 23))
    }

    @Test func pointerChainLimit() throws {
        // A root label at 23, then pointers each to the one before: n pointers plus the
        // CNAME's own make n + 1 jumps, allowed up to DNSLimits.maxCompressionPointers.
        func chain(_ count: Int) -> [UInt8] {
            var raw: [UInt8] = [0]
            for index in 0..<count {
                let target = index == 0 ? 23 : 23 + 1 + 2 * (index - 1)
                raw += [0xC0 | UInt8(target >> 8), UInt8(target & 0xFF)]
            }
            let last = 23 + 1 + 2 * (count - 1)
            return Fixtures.withRaw(raw, cname: [0xC0 | UInt8(last >> 8), UInt8(last & 0xFF)])
        }
        let allowed = try DNSMessage(decoding: chain(DNSLimits.maxCompressionPointers - 1))
        #expect(allowed.answers[1].rdata == .cname(.root))
        let tooMany = chain(DNSLimits.maxCompressionPointers)
        #expect(wireError { try DNSMessage(decoding: tooMany) } == .tooManyPointers(offset: tooMany.count - 2))
    }

    @Test func labelLengthOctetsAbove63() {
        // A length octet of 64 or 128 has the reserved top bits 01 or 10 (RFC 1035 §4.1.4).
        #expect(wireError { try DNSMessage(decoding: Fixtures.query(nameBytes: [0x40] + Array(repeating: 97, count: 64) + [0])) }
            == .badLabelType(offset: 12, octet: 0x40))
        #expect(wireError { try DNSMessage(decoding: Fixtures.query(nameBytes: hex("8000"))) } == .badLabelType(offset: 12, octet: 0x80))
    }

    @Test func namesAbove255Octets() throws {
        let label = [UInt8(63)] + Array(repeating: UInt8(97), count: 63)
        // Four labels of 63 and one of 1: 258 octets.
        let long: [UInt8] = Array(Array(repeating: label, count: 4).joined()) + [1, 98, 0]
        #expect(wireError { try DNSMessage(decoding: Fixtures.query(nameBytes: long)) } == .nameTooLong(offset: 12))
        let fits: [UInt8] = Array(Array(repeating: label, count: 3).joined()) + [61] + Array(repeating: 98, count: 61) + [0]
        #expect(try DNSMessage(decoding: Fixtures.query(nameBytes: fits)).question?.name.wireLength == 255)
        // Too long only once decompressed: 3 × 64 + 1 at 23, and two more labels before the pointer.
        let suffix: [UInt8] = Array(Array(repeating: label, count: 3).joined()) + [0]
        let packet = Fixtures.withRaw(suffix, cname: label + [1, 98, 0xC0, 23])
        guard case .nameTooLong = wireError({ try DNSMessage(decoding: packet) }) else {
            Issue.record("a compressed name over 255 octets decoded")
            return
        }
    }

    @Test func rdataLengthMustMatch() {
        let cases: [(UInt16, Int, [UInt8])] = [
            (1, 5, hex("7f000001 00")),  // A with an extra octet
            (1, 3, hex("7f0000")),  // A cut short
            (15, 2, hex("000a")),  // MX without its exchange
            (16, 3, hex("05 6162")),  // TXT string longer than the RDATA
            (5, 4, hex("01 61 00 00")),  // CNAME followed by an extra octet
            (28, 15, Array(repeating: 0, count: 15)),  // AAAA cut short
            (6, 10, hex("00 00 00000001 00000002")),  // SOA without its timers
        ]
        for (type, length, rdata) in cases {
            let error = wireError { try DNSMessage(decoding: Fixtures.answer(type: type, rdlength: length, rdata: rdata)) }
            #expect(error == .rdataLengthMismatch(type: RecordType(rawValue: type), offset: 23, declared: length), "type \(type)")
        }
        // An RDLENGTH past the end of the packet is a truncation.
        #expect(wireError { try DNSMessage(decoding: Fixtures.answer(type: 1, rdlength: 8, rdata: hex("7f000001"))) }
            == .truncated(offset: 23, what: "A RDATA"))
    }

    @Test func trailingBytesAndOPTRules() {
        #expect(wireError { try DNSMessage(decoding: Fixtures.mxAnswer + [0]) } == .trailingBytes(offset: 51, count: 1))
        let opt = hex("00 0029 1000 00000000 0000")
        let twoOPT = hex("0001 0000 0000 0000 0000 0002") + opt + opt
        #expect(wireError { try DNSMessage(decoding: twoOPT) } == .invalidOPT(offset: 23, reason: "a second OPT record"))
        let inAnswer = hex("0001 8000 0000 0001 0000 0000") + opt
        #expect(wireError { try DNSMessage(decoding: inAnswer) } == .invalidOPT(offset: 12, reason: "outside the additional section"))
        let notRoot = hex("0001 0000 0000 0000 0000 0001 0161 00 0029 1000 00000000 0000")
        #expect(wireError { try DNSMessage(decoding: notRoot) } == .invalidOPT(offset: 12, reason: "the owner is not the root"))
    }

    @Test func caaTagMustBeAlphanumeric() {
        let error = wireError { try DNSMessage(decoding: Fixtures.answer(type: 257, rdlength: 5, rdata: hex("00 02 2d2d 78"))) }
        #expect(error == .invalidRData(type: .caa, offset: 23, reason: "the tag must be ASCII letters and digits"))
    }

    @Test func headerPeek() {
        let header = DNSMessage.peekHeader(Fixtures.digQuery)
        #expect(header?.id == 0x1A2B && header?.isResponse == false && header?.opcode == .query)
        #expect(DNSMessage.peekHeader(Array(Fixtures.digQuery.prefix(11))) == nil)
    }
}
