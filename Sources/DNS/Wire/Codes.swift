// Codes: record types, classes, opcodes and response codes as open structs, so that a code
// we do not know survives decoding and re-encoding (RFC 3597 §5 gives them the text forms
// TYPEnnn and CLASSnnn).

// MARK: - RecordType

/// A TYPE or QTYPE value (RFC 1035 §3.2.2, §3.2.3).
public struct RecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static let a = RecordType(rawValue: 1)
    public static let ns = RecordType(rawValue: 2)
    public static let cname = RecordType(rawValue: 5)
    public static let soa = RecordType(rawValue: 6)
    public static let ptr = RecordType(rawValue: 12)
    public static let hinfo = RecordType(rawValue: 13)
    public static let mx = RecordType(rawValue: 15)
    public static let txt = RecordType(rawValue: 16)
    /// RFC 3596 §2.1.
    public static let aaaa = RecordType(rawValue: 28)
    /// RFC 2782.
    public static let srv = RecordType(rawValue: 33)
    /// RFC 6891 §6.1.1: the EDNS pseudo-record.
    public static let opt = RecordType(rawValue: 41)
    public static let ds = RecordType(rawValue: 43)
    public static let rrsig = RecordType(rawValue: 46)
    public static let nsec = RecordType(rawValue: 47)
    public static let dnskey = RecordType(rawValue: 48)
    /// QTYPE only (RFC 1995).
    public static let ixfr = RecordType(rawValue: 251)
    /// QTYPE only (RFC 1035 §3.2.3).
    public static let axfr = RecordType(rawValue: 252)
    public static let mailb = RecordType(rawValue: 253)
    public static let maila = RecordType(rawValue: 254)
    /// QTYPE `*`, all records (RFC 1035 §3.2.3).
    public static let any = RecordType(rawValue: 255)
    /// RFC 8659 §4.
    public static let caa = RecordType(rawValue: 257)

    private static let mnemonics: [(RecordType, String)] = [
        (.a, "A"), (.ns, "NS"), (.cname, "CNAME"), (.soa, "SOA"), (.ptr, "PTR"), (.hinfo, "HINFO"), (.mx, "MX"),
        (.txt, "TXT"), (.aaaa, "AAAA"), (.srv, "SRV"), (.opt, "OPT"), (.ds, "DS"), (.rrsig, "RRSIG"), (.nsec, "NSEC"),
        (.dnskey, "DNSKEY"), (.ixfr, "IXFR"), (.axfr, "AXFR"), (.mailb, "MAILB"), (.maila, "MAILA"), (.any, "ANY"),
        (.caa, "CAA"),
    ]

    /// Parses a mnemonic ("MX", case-insensitive) or the generic form "TYPE65280"
    /// (RFC 3597 §5). "*" is not accepted; use "ANY".
    public init?(_ text: some StringProtocol) {
        let upper = text.uppercased()
        if let known = Self.mnemonics.first(where: { $0.1 == upper }) {
            self = known.0
        } else if let code = genericCode(upper, prefix: "TYPE") {
            self.init(rawValue: code)
        } else {
            return nil
        }
    }

    /// The mnemonic, or TYPEnnn for a type without one (RFC 3597 §5).
    public var description: String {
        Self.mnemonics.first(where: { $0.0 == self })?.1 ?? "TYPE\(rawValue)"
    }

    /// True for the types that only appear in questions: AXFR, IXFR, MAILA, MAILB, ANY
    /// (RFC 1035 §3.2.3), and OPT, which is only a pseudo-record (RFC 6891 §6.1.1).
    public var isMetaType: Bool {
        self == .opt || (rawValue >= 128 && rawValue <= 255)
    }
}

// MARK: - RecordClass

/// A CLASS or QCLASS value (RFC 1035 §3.2.4, §3.2.5).
public struct RecordClass: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static let `in` = RecordClass(rawValue: 1)
    public static let chaos = RecordClass(rawValue: 3)
    public static let hesiod = RecordClass(rawValue: 4)
    /// QCLASS NONE (RFC 2136 §2.4).
    public static let none = RecordClass(rawValue: 254)
    /// QCLASS `*`, any class (RFC 1035 §3.2.5).
    public static let any = RecordClass(rawValue: 255)

    private static let mnemonics: [(RecordClass, String)] = [
        (.in, "IN"), (.chaos, "CH"), (.hesiod, "HS"), (.none, "NONE"), (.any, "ANY"),
    ]

    /// Parses "IN", "CH", "HS", "NONE", "ANY" (case-insensitive) or "CLASS32" (RFC 3597 §5).
    public init?(_ text: some StringProtocol) {
        let upper = text.uppercased()
        if let known = Self.mnemonics.first(where: { $0.1 == upper }) {
            self = known.0
        } else if let code = genericCode(upper, prefix: "CLASS") {
            self.init(rawValue: code)
        } else {
            return nil
        }
    }

    public var description: String {
        Self.mnemonics.first(where: { $0.0 == self })?.1 ?? "CLASS\(rawValue)"
    }
}

/// The number of a generic "TYPEnnn" / "CLASSnnn" mnemonic (RFC 3597 §5), 0 to 65535.
private func genericCode(_ upper: String, prefix: String) -> UInt16? {
    guard upper.hasPrefix(prefix) else { return nil }
    let digits = upper.dropFirst(prefix.count)
    guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
        return nil
    }
    return UInt16(digits)
}

// MARK: - DNSOpcode

/// The OPCODE of a header, four bits (RFC 1035 §4.1.1).
public struct DNSOpcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8

    /// Keeps the low four bits.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue & 0x0F
    }

    public static let query = DNSOpcode(rawValue: 0)
    public static let inverseQuery = DNSOpcode(rawValue: 1)
    public static let status = DNSOpcode(rawValue: 2)
    /// RFC 1996.
    public static let notify = DNSOpcode(rawValue: 4)
    /// RFC 2136.
    public static let update = DNSOpcode(rawValue: 5)

    public var description: String {
        switch self {
        case .query: "QUERY"
        case .inverseQuery: "IQUERY"
        case .status: "STATUS"
        case .notify: "NOTIFY"
        case .update: "UPDATE"
        default: "OPCODE\(rawValue)"
        }
    }
}

// MARK: - DNSRCode

/// A response code of twelve bits: the header's four plus the eight of the OPT record's
/// extended RCODE (RFC 6891 §6.1.3).
public struct DNSRCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    /// Keeps the low twelve bits.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue & 0x0FFF
    }

    public static let noError = DNSRCode(rawValue: 0)
    public static let formatError = DNSRCode(rawValue: 1)
    public static let serverFailure = DNSRCode(rawValue: 2)
    public static let nameError = DNSRCode(rawValue: 3)
    public static let notImplemented = DNSRCode(rawValue: 4)
    public static let refused = DNSRCode(rawValue: 5)
    public static let yxDomain = DNSRCode(rawValue: 6)
    public static let yxRRSet = DNSRCode(rawValue: 7)
    public static let nxRRSet = DNSRCode(rawValue: 8)
    public static let notAuth = DNSRCode(rawValue: 9)
    public static let notZone = DNSRCode(rawValue: 10)
    /// Unsupported EDNS version (RFC 6891 §9); needs an OPT record to be expressed.
    public static let badVersion = DNSRCode(rawValue: 16)

    /// The four bits that go in the header.
    var headerBits: UInt8 { UInt8(rawValue & 0x0F) }
    /// The eight bits that go in the OPT record's TTL.
    var extendedBits: UInt8 { UInt8(rawValue >> 4) }

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .yxDomain: "YXDOMAIN"
        case .yxRRSet: "YXRRSET"
        case .nxRRSet: "NXRRSET"
        case .notAuth: "NOTAUTH"
        case .notZone: "NOTZONE"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}
