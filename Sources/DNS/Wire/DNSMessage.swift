// DNSMessage: a whole message (RFC 1035 §4.1) with its questions and records, the EDNS OPT
// pseudo-record lifted out of the additional section (RFC 6891 §6.1), and its decoder.
//
// Invariants: `rcode` holds all twelve bits (header plus the OPT record's extended RCODE);
// `additional` never holds the OPT record, `edns` does; decoding either yields a message or
// throws a `DNSWireError` naming the offset of the fault.

// MARK: - DNSQuestion

/// An entry of the question section (RFC 1035 §4.1.2).
public struct DNSQuestion: Sendable, Hashable, CustomStringConvertible {
    public var name: DNSName
    public var type: RecordType
    public var recordClass: RecordClass

    public init(name: DNSName, type: RecordType, recordClass: RecordClass = .in) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    /// dig's form: ";example.test.\t\tIN\tA".
    public var description: String { ";\(name)\t\t\(recordClass)\t\(type)" }
}

// MARK: - ResourceRecord

/// A resource record (RFC 1035 §4.1.3); its type is the type of its data.
public struct ResourceRecord: Sendable, Hashable {
    public var name: DNSName
    public var recordClass: RecordClass
    /// Seconds, as received; readers treat values above 2^31-1 as 0 (RFC 2181 §8).
    public var ttl: UInt32
    public var rdata: RData

    public init(name: DNSName, ttl: UInt32, recordClass: RecordClass = .in, rdata: RData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.rdata = rdata
    }

    public var type: RecordType { rdata.type }

    /// True when both belong to one RRset: same owner, type and class (RFC 2181 §5).
    public func isInSameRRSet(as other: ResourceRecord) -> Bool {
        name == other.name && type == other.type && recordClass == other.recordClass
    }
}

// MARK: - EDNS

/// The EDNS(0) fields of a message's OPT record (RFC 6891 §6.1.2, §6.1.3).
public struct EDNS: Sendable, Hashable {
    /// Largest UDP payload the sender can receive (the OPT record's CLASS).
    public var udpPayloadSize: UInt16
    /// EDNS version; only 0 is defined (RFC 6891 §6.1.3).
    public var version: UInt8
    /// The DO bit: the sender wants DNSSEC records (RFC 3225 §3).
    public var dnssecOK: Bool
    /// The fifteen remaining flag bits, zero when sent by us and ignored when received
    /// (RFC 6891 §6.1.4), kept so that a decoded message re-encodes unchanged.
    public var otherFlags: UInt16
    public var options: [EDNSOption]

    public init(
        udpPayloadSize: UInt16 = DNSLimits.defaultEDNSPayloadSize, version: UInt8 = 0, dnssecOK: Bool = false,
        otherFlags: UInt16 = 0, options: [EDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.otherFlags = otherFlags & 0x7FFF
        self.options = options
    }

    /// The payload size to honour: values below 512 count as 512 (RFC 6891 §6.2.5).
    public var effectivePayloadSize: Int { max(DNSLimits.classicUDPSize, Int(udpPayloadSize)) }

    /// The OPT pseudo-record carrying these fields and the high bits of `rcode`.
    func record(rcode: DNSRCode) -> ResourceRecord {
        let ttl = UInt32(rcode.extendedBits) << 24 | UInt32(version) << 16 | (dnssecOK ? 0x8000 : 0) | UInt32(otherFlags)
        return ResourceRecord(
            name: .root, ttl: ttl, recordClass: RecordClass(rawValue: udpPayloadSize), rdata: .opt(options))
    }

    /// Octets of the OPT record on the wire: root name, ten fixed octets, the options.
    var wireSize: Int { 11 + options.reduce(0) { $0 + 4 + $1.data.count } }
}

// MARK: - DNSMessage

/// A DNS message: query or response (RFC 1035 §4.1).
public struct DNSMessage: Sendable, Hashable {
    public var id: UInt16
    /// QR: a response rather than a query.
    public var isResponse: Bool
    public var opcode: DNSOpcode
    /// AA: an authoritative answer.
    public var isAuthoritative: Bool
    /// TC: the message was truncated to fit the transport (RFC 2181 §9).
    public var isTruncated: Bool
    /// RD: the client wants recursion.
    public var recursionDesired: Bool
    /// RA: the server offers recursion.
    public var recursionAvailable: Bool
    /// The Z bit, zero when we send (RFC 1035 §4.1.1), kept as received.
    public var reservedBit: Bool
    /// AD: authentic data (RFC 4035 §3.2.3).
    public var authenticData: Bool
    /// CD: checking disabled (RFC 4035 §3.2.2).
    public var checkingDisabled: Bool
    /// The full twelve-bit response code; the high eight bits need `edns` to be sent.
    public var rcode: DNSRCode
    public var questions: [DNSQuestion]
    public var answers: [ResourceRecord]
    public var authority: [ResourceRecord]
    /// The additional section without the OPT record.
    public var additional: [ResourceRecord]
    /// The OPT record's fields, nil when the message has none.
    public var edns: EDNS?

    public init(
        id: UInt16 = 0, isResponse: Bool = false, opcode: DNSOpcode = .query, isAuthoritative: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false,
        reservedBit: Bool = false, authenticData: Bool = false, checkingDisabled: Bool = false,
        rcode: DNSRCode = .noError, questions: [DNSQuestion] = [], answers: [ResourceRecord] = [],
        authority: [ResourceRecord] = [], additional: [ResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.reservedBit = reservedBit
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.rcode = rcode
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
    }

    /// A standard query for one question, as a stub resolver sends it: RD set, EDNS with our
    /// payload size unless `edns` is nil.
    public static func query(
        id: UInt16, name: DNSName, type: RecordType, recordClass: RecordClass = .in, recursionDesired: Bool = true,
        edns: EDNS? = EDNS()
    ) -> DNSMessage {
        DNSMessage(
            id: id, recursionDesired: recursionDesired,
            questions: [DNSQuestion(name: name, type: type, recordClass: recordClass)], edns: edns)
    }

    /// The first question, if any.
    public var question: DNSQuestion? { questions.first }

    // MARK: - Header bits (RFC 1035 §4.1.1)

    var flags: UInt16 {
        var flags = UInt16(opcode.rawValue) << 11 | UInt16(rcode.headerBits)
        for (bit, set) in [
            (0x8000, isResponse), (0x0400, isAuthoritative), (0x0200, isTruncated), (0x0100, recursionDesired),
            (0x0080, recursionAvailable), (0x0040, reservedBit), (0x0020, authenticData), (0x0010, checkingDisabled),
        ] where set {
            flags |= UInt16(bit)
        }
        return flags
    }

    /// The ID, QR bit and opcode of a message whose header is complete, even if the rest
    /// does not decode: enough to answer FORMERR (RFC 1035 §4.1.1). Nil under 12 octets.
    public static func peekHeader(_ bytes: [UInt8]) -> (id: UInt16, isResponse: Bool, opcode: DNSOpcode)? {
        guard bytes.count >= 12 else { return nil }
        return (UInt16(bytes[0]) << 8 | UInt16(bytes[1]), bytes[2] & 0x80 != 0, DNSOpcode(rawValue: bytes[2] >> 3))
    }

    // MARK: - Decoding

    /// Decodes a whole message; every octet must belong to it.
    public init(decoding bytes: [UInt8]) throws(DNSWireError) {
        var reader = WireReader(bytes)
        id = try reader.readUInt16("the header")
        let flags = try reader.readUInt16("the header")
        let counts = [
            try reader.readUInt16("the header"), try reader.readUInt16("the header"),
            try reader.readUInt16("the header"), try reader.readUInt16("the header"),
        ].map(Int.init)
        isResponse = flags & 0x8000 != 0
        opcode = DNSOpcode(rawValue: UInt8(flags >> 11))
        isAuthoritative = flags & 0x0400 != 0
        isTruncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        reservedBit = flags & 0x0040 != 0
        authenticData = flags & 0x0020 != 0
        checkingDisabled = flags & 0x0010 != 0
        questions = []
        for _ in 0..<counts[0] {
            let name = try reader.readName()
            let type = RecordType(rawValue: try reader.readUInt16("a question"))
            let recordClass = RecordClass(rawValue: try reader.readUInt16("a question"))
            questions.append(DNSQuestion(name: name, type: type, recordClass: recordClass))
        }
        answers = try Self.readSection(count: counts[1], from: &reader, allowOPT: false).map(\.0)
        authority = try Self.readSection(count: counts[2], from: &reader, allowOPT: false).map(\.0)
        let all = try Self.readSection(count: counts[3], from: &reader, allowOPT: true)
        var extended: UInt8 = 0
        edns = nil
        additional = []
        for (record, offset) in all {
            guard case .opt(let options) = record.rdata else {
                additional.append(record)
                continue
            }
            // RFC 6891 §6.1.1: one OPT record at most, owned by the root.
            guard edns == nil else { throw .invalidOPT(offset: offset, reason: "a second OPT record") }
            guard record.name.isRoot else { throw .invalidOPT(offset: offset, reason: "the owner is not the root") }
            extended = UInt8(record.ttl >> 24)
            edns = EDNS(
                udpPayloadSize: record.recordClass.rawValue, version: UInt8((record.ttl >> 16) & 0xFF),
                dnssecOK: record.ttl & 0x8000 != 0, otherFlags: UInt16(record.ttl & 0x7FFF), options: options)
        }
        rcode = DNSRCode(rawValue: UInt16(extended) << 4 | flags & 0x000F)  // RFC 6891 §6.1.3
        guard reader.remaining == 0 else { throw .trailingBytes(offset: reader.offset, count: reader.remaining) }
    }

    private static func readSection(
        count: Int, from reader: inout WireReader, allowOPT: Bool
    ) throws(DNSWireError) -> [(ResourceRecord, Int)] {
        var records: [(ResourceRecord, Int)] = []
        for _ in 0..<count {
            let start = reader.offset
            let record = try readRecord(from: &reader)
            if !allowOPT, record.type == .opt {
                throw .invalidOPT(offset: start, reason: "outside the additional section")
            }
            records.append((record, start))
        }
        return records
    }

    /// One resource record (RFC 1035 §4.1.3). The typed RDATA parser is bounded to RDLENGTH
    /// and must consume all of it.
    static func readRecord(from reader: inout WireReader) throws(DNSWireError) -> ResourceRecord {
        let name = try reader.readName()
        let type = RecordType(rawValue: try reader.readUInt16("a record header"))
        let recordClass = RecordClass(rawValue: try reader.readUInt16("a record header"))
        let ttl = try reader.readUInt32("a record header")
        let length = Int(try reader.readUInt16("a record header"))
        let start = reader.offset
        guard length <= reader.remaining else { throw .truncated(offset: start, what: "\(type) RDATA") }
        let outerEnd = reader.end
        reader.end = start + length
        let rdata: RData
        do throws(DNSWireError) {
            rdata = try RData.decode(type: type, from: &reader)
        } catch .truncated {
            throw .rdataLengthMismatch(type: type, offset: start, declared: length)
        }
        guard reader.offset == reader.end else { throw .rdataLengthMismatch(type: type, offset: start, declared: length) }
        reader.end = outerEnd
        return ResourceRecord(name: name, ttl: ttl, recordClass: recordClass, rdata: rdata)
    }
}
