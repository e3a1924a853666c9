// IPAddress: an IPv4 or IPv6 address as its raw network-order bytes, parsed
// from and formatted to its textual form, plus the error every parser in
// Addressing/ throws.
//
// Invariants: `bytes` holds exactly 4 (IPv4) or 16 (IPv6) bytes. Only IP
// literals are accepted — no host names, no IPv6 zone ids ("fe80::1%eth0"),
// no shorthand IPv4 forms ("127.1") — because these values decide what a
// listener binds and which clients a relay policy trusts.
//
// RFC 4291 §2.2 (IPv6 text forms), §2.5.5.2 (IPv4-mapped IPv6 addresses).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - AddressParseError

/// Why a text is not a valid address, address:port or network.
///
/// `description` quotes the input and says what is wrong, in one line, so a
/// caller can prefix it with the place the text came from (a config key).
public struct AddressParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was refused.
    public let input: String
    /// What is wrong with it, as a clause that follows the quoted input.
    public let reason: String

    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    public var description: String { "\(quotedForMessage(input)) \(reason)" }
}

/// `text` in double quotes, with quotes, backslashes and control characters
/// escaped, so that a message stays one line whatever the input held.
func quotedForMessage(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}

// MARK: - IPAddress

/// An IPv4 or IPv6 address, held as its network-order bytes.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6

        /// Number of bytes of an address of this family.
        public var byteCount: Int { self == .ipv4 ? 4 : 16 }
    }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Parses an IPv4 dotted-quad ("192.0.2.1") or an IPv6 literal ("::1",
    /// "2001:db8::1", "::ffff:192.0.2.1"), without brackets. Returns nil for
    /// anything else, host names included.
    public init?(_ text: String) {
        // inet_pton stops at a NUL; refuse embedded ones rather than truncate.
        guard !text.isEmpty, !text.utf8.contains(0) else { return nil }
        if let bytes = IPAddress.presentationToNetwork(text, family: AF_INET, count: 4) {
            self.bytes = bytes
        } else if let bytes = IPAddress.presentationToNetwork(text, family: AF_INET6, count: 16) {
            self.bytes = bytes
        } else {
            return nil
        }
    }

    /// An address from its raw network-order bytes; nil unless there are 4 or 16.
    public init?(bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        guard array.count == 4 || array.count == 16 else { return nil }
        self.bytes = array
    }

    /// The IPv4 address a.b.c.d.
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.bytes = [a, b, c, d]
    }

    /// 127.0.0.1
    public static let ipv4Loopback = IPAddress(ipv4: 127, 0, 0, 1)
    /// ::1
    public static let ipv6Loopback = IPAddress(uncheckedBytes: Array(repeating: 0, count: 15) + [1])
    /// 0.0.0.0, every IPv4 interface.
    public static let ipv4Any = IPAddress(ipv4: 0, 0, 0, 0)
    /// ::, every IPv6 interface.
    public static let ipv6Any = IPAddress(uncheckedBytes: Array(repeating: 0, count: 16))

    /// Which family the address belongs to.
    public var family: Family { bytes.count == 4 ? .ipv4 : .ipv6 }

    /// True for an IPv6 address (including IPv4-mapped ones).
    public var isIPv6: Bool { family == .ipv6 }

    /// True for 0.0.0.0 and ::, the "any address" a listener binds to
    /// accept on every interface.
    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    /// True for 127.0.0.0/8, ::1, and IPv4-mapped loopback addresses.
    public var isLoopback: Bool {
        if let v4 = unmappedIPv4 { return v4.bytes[0] == 127 }
        switch family {
        case .ipv4: return bytes[0] == 127
        case .ipv6: return bytes.dropLast().allSatisfy { $0 == 0 } && bytes[15] == 1
        }
    }

    /// For an IPv4-mapped IPv6 address (::ffff:a.b.c.d), the IPv4 address it
    /// carries; nil otherwise. RFC 4291 §2.5.5.2.
    public var unmappedIPv4: IPAddress? {
        guard bytes.count == 16,
              bytes[0..<10].allSatisfy({ $0 == 0 }),
              bytes[10] == 0xFF, bytes[11] == 0xFF
        else { return nil }
        return IPAddress(bytes: bytes[12..<16])
    }

    /// This address as IPv6: an IPv4 address becomes ::ffff:a.b.c.d, an
    /// IPv6 address is returned as it is.
    public var ipv4Mapped: IPAddress {
        guard family == .ipv4 else { return self }
        return IPAddress(uncheckedBytes: Array(repeating: 0, count: 10) + [0xFF, 0xFF] + bytes)
    }

    /// The canonical text form: dotted quad, or RFC 5952 compressed IPv6.
    public var description: String {
        switch family {
        case .ipv4:
            return bytes.map(String.init).joined(separator: ".")
        case .ipv6:
            return IPAddress.networkToPresentation(bytes, family: AF_INET6) ?? hexGroups
        }
    }

    // MARK: Private

    private init(uncheckedBytes: [UInt8]) {
        self.bytes = uncheckedBytes
    }

    /// Uncompressed "0:0:…" form, used only if inet_ntop were to fail.
    private var hexGroups: String {
        stride(from: 0, to: 16, by: 2)
            .map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    private static func presentationToNetwork(_ text: String, family: Int32, count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let result = buffer.withUnsafeMutableBytes { raw in
            inet_pton(family, text, raw.baseAddress)
        }
        return result == 1 ? Array(buffer.prefix(count)) : nil
    }

    private static func networkToPresentation(_ bytes: [UInt8], family: Int32) -> String? {
        var output = [CChar](repeating: 0, count: 64)
        let written = bytes.withUnsafeBytes { raw in
            output.withUnsafeMutableBufferPointer { out in
                inet_ntop(family, raw.baseAddress, out.baseAddress, socklen_t(out.count))
            }
        }
        guard written != nil else { return nil }
        let utf8 = output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: utf8, as: UTF8.self)
    }
}
