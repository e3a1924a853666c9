// RData: the typed data of a resource record, with its wire decoder and encoder.
//
// Invariants: decoding reads exactly RDLENGTH octets or fails (the caller checks); RDATA of
// a type we do not know is kept as raw octets (RFC 3597 §4) and so survives a round trip;
// compression follows RFC 3597 §4: names in the RDATA of the RFC 1035 types may be
// compressed, SRV targets never (RFC 2782), unknown RDATA is opaque.

// MARK: - Value types

/// The RDATA of an SOA record (RFC 1035 §3.3.13).
public struct SOA: Sendable, Hashable {
    /// The primary name server.
    public var mname: DNSName
    /// The mailbox of the person responsible, as a name ("hostmaster.example.test.").
    public var rname: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    /// The TTL of negative answers (RFC 2308 §4).
    public var minimum: UInt32

    public init(
        mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32
    ) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// One EDNS option, kept raw (RFC 6891 §6.1.2).
public struct EDNSOption: Sendable, Hashable {
    public var code: UInt16
    public var data: [UInt8]

    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}

// MARK: - RData

/// The data of a resource record, typed for the types Chappe serves and uses.
public enum RData: Sendable, Hashable {
    /// RFC 1035 §3.4.1.
    case a(IPv4Address)
    /// RFC 3596 §2.2.
    case aaaa(IPv6Address)
    /// RFC 1035 §3.3.11.
    case ns(DNSName)
    /// RFC 1035 §3.3.1.
    case cname(DNSName)
    /// RFC 1035 §3.3.12.
    case ptr(DNSName)
    /// RFC 1035 §3.3.9.
    case mx(preference: UInt16, exchange: DNSName)
    /// RFC 1035 §3.3.13.
    case soa(SOA)
    /// One or more character-strings of up to 255 octets each (RFC 1035 §3.3.14).
    case txt([[UInt8]])
    /// RFC 2782.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// RFC 8659 §4.1: flags, a tag of ASCII letters and digits, and the value octets.
    case caa(flags: UInt8, tag: String, value: [UInt8])
    /// The options of an OPT pseudo-record (RFC 6891 §6.1.2); its other fields live in the
    /// record's CLASS and TTL, which `EDNS` reads.
    case opt([EDNSOption])
    /// Any other type, its RDATA kept as raw octets (RFC 3597 §4).
    case unknown(RecordType, [UInt8])

    /// The record type this data belongs to.
    public var type: RecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .ptr: .ptr
        case .mx: .mx
        case .soa: .soa
        case .txt: .txt
        case .srv: .srv
        case .caa: .caa
        case .opt: .opt
        case .unknown(let type, _): type
        }
    }

    /// The name this data points at, whose addresses belong in the additional section
    /// (RFC 1035 §3.3.9, §3.3.11; RFC 2782): MX exchange, NS host, SRV target.
    public var additionalTarget: DNSName? {
        switch self {
        case .mx(_, let exchange): exchange
        case .ns(let host): host
        case .srv(_, _, _, let target): target
        default: nil
        }
    }

    // MARK: - Decoding

    /// Decodes RDATA of `type` from `reader`, which is bounded to the RDATA's end.
    static func decode(type: RecordType, from reader: inout WireReader) throws(DNSWireError) -> RData {
        let start = reader.offset
        switch type {
        case .a:
            return .a(IPv4Address(uncheckedBytes: try reader.readBytes(4, "an A address")))
        case .aaaa:
            return .aaaa(IPv6Address(uncheckedBytes: try reader.readBytes(16, "an AAAA address")))
        case .ns:
            return .ns(try reader.readName())
        case .cname:
            return .cname(try reader.readName())
        case .ptr:
            return .ptr(try reader.readName())
        case .mx:
            let preference = try reader.readUInt16("an MX preference")
            return .mx(preference: preference, exchange: try reader.readName())
        case .soa:
            let mname = try reader.readName()
            let rname = try reader.readName()
            return .soa(
                SOA(
                    mname: mname, rname: rname, serial: try reader.readUInt32("an SOA serial"),
                    refresh: try reader.readUInt32("an SOA refresh"), retry: try reader.readUInt32("an SOA retry"),
                    expire: try reader.readUInt32("an SOA expire"), minimum: try reader.readUInt32("an SOA minimum")))
        case .txt:
            var strings: [[UInt8]] = []
            while reader.remaining > 0 {
                let length = Int(try reader.readUInt8("a TXT string length"))
                strings.append(try reader.readBytes(length, "a TXT string"))
            }
            return .txt(strings)
        case .srv:
            let priority = try reader.readUInt16("an SRV priority")
            let weight = try reader.readUInt16("an SRV weight")
            let port = try reader.readUInt16("an SRV port")
            // RFC 2782 forbids compressing the target; reading a pointer anyway is lenient.
            return .srv(priority: priority, weight: weight, port: port, target: try reader.readName())
        case .caa:
            let flags = try reader.readUInt8("CAA flags")
            let tagLength = Int(try reader.readUInt8("a CAA tag length"))
            let tag = try reader.readBytes(tagLength, "a CAA tag")
            // RFC 8659 §4.1: the tag is at least one US-ASCII letter or digit.
            guard !tag.isEmpty, tag.allSatisfy(isCAATagOctet) else {
                throw .invalidRData(type: .caa, offset: start, reason: "the tag must be ASCII letters and digits")
            }
            let value = try reader.readBytes(reader.remaining, "a CAA value")
            return .caa(flags: flags, tag: String(decoding: tag, as: UTF8.self), value: value)
        case .opt:
            var options: [EDNSOption] = []
            while reader.remaining > 0 {
                let code = try reader.readUInt16("an EDNS option code")
                let length = Int(try reader.readUInt16("an EDNS option length"))
                options.append(EDNSOption(code: code, data: try reader.readBytes(length, "an EDNS option")))
            }
            return .opt(options)
        default:
            return .unknown(type, try reader.readBytes(reader.remaining, "RDATA"))
        }
    }

    // MARK: - Encoding

    /// Appends the RDATA (without RDLENGTH) to `writer`.
    func encode(into writer: inout WireWriter) throws(DNSWireError) {
        switch self {
        case .a(let address):
            writer.write(bytes: address.bytes)
        case .aaaa(let address):
            writer.write(bytes: address.bytes)
        case .ns(let name), .cname(let name), .ptr(let name):
            writer.writeName(name, compress: true)  // RFC 3597 §4: RFC 1035 types may compress
        case .mx(let preference, let exchange):
            writer.write(preference)
            writer.writeName(exchange, compress: true)
        case .soa(let soa):
            writer.writeName(soa.mname, compress: true)
            writer.writeName(soa.rname, compress: true)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writer.write(value) }
        case .txt(let strings):
            for string in strings {
                guard string.count <= DNSLimits.maxCharacterStringLength else {
                    throw .characterStringTooLong(length: string.count)
                }
                writer.write(UInt8(string.count))
                writer.write(bytes: string)
            }
        case .srv(let priority, let weight, let port, let target):
            writer.write(priority)
            writer.write(weight)
            writer.write(port)
            writer.writeName(target, compress: false)  // RFC 2782: "name compression is not to be used"
        case .caa(let flags, let tag, let value):
            let tagBytes = Array(tag.utf8)
            guard !tagBytes.isEmpty, tagBytes.count <= 255, tagBytes.allSatisfy(isCAATagOctet) else {
                throw .invalidRData(type: .caa, offset: writer.count, reason: "the tag must be ASCII letters and digits")
            }
            writer.write(flags)
            writer.write(UInt8(tagBytes.count))
            writer.write(bytes: tagBytes)
            writer.write(bytes: value)
        case .opt(let options):
            for option in options {
                guard option.data.count <= 0xFFFF else { throw .rdataTooLong(type: .opt, length: option.data.count) }
                writer.write(option.code)
                writer.write(UInt16(option.data.count))
                writer.write(bytes: option.data)
            }
        case .unknown(_, let bytes):
            writer.write(bytes: bytes)  // RFC 3597 §4: opaque, never compressed
        }
    }

    /// The RDATA on its own, uncompressed: the octets of the `\#` generic form (RFC 3597 §5).
    public func wireBytes() throws(DNSWireError) -> [UInt8] {
        var writer = WireWriter()
        try encodeUncompressed(into: &writer)
        return writer.bytes
    }

    private func encodeUncompressed(into writer: inout WireWriter) throws(DNSWireError) {
        switch self {
        case .ns(let name), .cname(let name), .ptr(let name):
            writer.writeName(name, compress: false)
        case .mx(let preference, let exchange):
            writer.write(preference)
            writer.writeName(exchange, compress: false)
        case .soa(let soa):
            writer.writeName(soa.mname, compress: false)
            writer.writeName(soa.rname, compress: false)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writer.write(value) }
        default:
            try encode(into: &writer)
        }
    }

    /// Decodes standalone RDATA octets (no compression possible) as `type`: the `\#` generic
    /// form of a known type in a zone file (RFC 3597 §5).
    public static func decode(type: RecordType, rdata: [UInt8]) throws(DNSWireError) -> RData {
        var reader = WireReader(rdata)
        let data: RData
        do throws(DNSWireError) {
            data = try decode(type: type, from: &reader)
        } catch .truncated {
            throw .rdataLengthMismatch(type: type, offset: 0, declared: rdata.count)
        }
        guard reader.remaining == 0 else { throw .rdataLengthMismatch(type: type, offset: 0, declared: rdata.count) }
        return data
    }
}

/// RFC 8659 §4.1: tags are US-ASCII letters and digits.
func isCAATagOctet(_ octet: UInt8) -> Bool {
    switch octet {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "A")...UInt8(ascii: "Z"):
        true
    default: false
    }
}

extension IPv4Address {
    /// Four octets already counted by the reader.
    init(uncheckedBytes: [UInt8]) {
        bytes = uncheckedBytes
    }
}

extension IPv6Address {
    /// Sixteen octets already counted by the reader.
    init(uncheckedBytes: [UInt8]) {
        bytes = uncheckedBytes
    }
}
