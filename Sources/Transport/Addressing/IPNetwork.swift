// IPNetwork: an address block in CIDR notation ("127.0.0.0/8", "::1/128",
// or a single host "10.1.2.3"), and the membership test the SMTP relay
// policy uses for `trusted_networks`.
//
// Invariants: the stored address has every bit past the prefix cleared, so
// two spellings of one block are equal. Text with host bits set
// ("10.1.2.3/8") is refused rather than silently widened: it is almost always
// a typo, and the error suggests the block that was probably meant.
// Membership works on raw bytes; an IPv4-mapped IPv6 peer (::ffff:a.b.c.d,
// as a dual-stack socket reports IPv4 clients) matches the IPv4 block, and
// an IPv4 peer matches an IPv6 block written as ::ffff:a.b.c.d/ (96 + n).
// RFC 4632 §3.1 (prefix notation), RFC 4291 §2.3 and §2.5.5.2.

// MARK: - IPNetwork

/// A block of IP addresses: a network address and a prefix length.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The network address, all bits past `prefixLength` zero.
    public let address: IPAddress
    /// Number of leading bits that are fixed: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// The address family of the block.
    public var family: IPAddress.Family { address.family }

    /// "127.0.0.0/8", "::1/128".
    public var description: String { "\(address)/\(prefixLength)" }

    /// The block of `prefixLength` bits around `address`; bits past the
    /// prefix are cleared. Nil if the prefix is out of range for the family.
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.family.byteCount * 8).contains(prefixLength) else { return nil }
        self.prefixLength = prefixLength
        self.address = IPNetwork.masked(address, prefixLength: prefixLength)
    }

    /// The block holding only `host`: /32 for IPv4, /128 for IPv6.
    public init(host: IPAddress) {
        self.address = host
        self.prefixLength = host.family.byteCount * 8
    }

    /// Parses "ADDRESS/PREFIX" or a single "ADDRESS" (a host route: /32 or /128).
    public init(_ text: String) throws(AddressParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = String(parts[0])
        guard let address = IPAddress(addressText) else {
            let reason = addressText.isEmpty
                ? "has no address; use e.g. \"127.0.0.0/8\" or \"::1/128\""
                : "is not a network: \(quotedForMessage(addressText)) is not an IPv4 or IPv6 address; use e.g. \"127.0.0.0/8\" or \"::1/128\""
            throw AddressParseError(input: text, reason: reason)
        }
        let maximum = address.family.byteCount * 8
        var prefix = maximum
        if parts.count == 2 {
            let prefixText = parts[1]
            guard !prefixText.isEmpty, prefixText.count <= 3,
                  prefixText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(prefixText), value <= maximum
            else {
                throw AddressParseError(input: text, reason: "has a prefix length that is not a number from 0 to \(maximum)")
            }
            prefix = value
        }
        let network = IPNetwork.masked(address, prefixLength: prefix)
        guard network == address else {
            throw AddressParseError(
                input: text,
                reason: "has bits set past the /\(prefix) prefix; did you mean \"\(network)/\(prefix)\"?"
            )
        }
        self.address = network
        self.prefixLength = prefix
    }

    // MARK: Membership

    /// True when `candidate` lies in this block. An IPv4-mapped IPv6
    /// candidate is tested as its IPv4 address against an IPv4 block, and an
    /// IPv4 candidate as ::ffff:a.b.c.d against an IPv6 block.
    public func contains(_ candidate: IPAddress) -> Bool {
        let comparable: IPAddress
        switch (family, candidate.family) {
        case (.ipv4, .ipv6):
            guard let unmapped = candidate.unmappedIPv4 else { return false }
            comparable = unmapped
        case (.ipv6, .ipv4):
            comparable = candidate.ipv4Mapped
        default:
            comparable = candidate
        }
        return IPNetwork.masked(comparable, prefixLength: prefixLength) == address
    }

    /// True when the textual address lies in this block; false when the text
    /// is not an IP address.
    public func contains(_ text: String) -> Bool {
        guard let candidate = IPAddress(text) else { return false }
        return contains(candidate)
    }

    /// True when the raw network-order bytes (4 or 16, as in a sockaddr) are
    /// an address in this block.
    public func contains(bytes: some Sequence<UInt8>) -> Bool {
        guard let candidate = IPAddress(bytes: bytes) else { return false }
        return contains(candidate)
    }

    // MARK: Private

    private static func masked(_ address: IPAddress, prefixLength: Int) -> IPAddress {
        var bytes = address.bytes
        for index in bytes.indices {
            let bitsKept = min(8, max(0, prefixLength - index * 8))
            let mask: UInt8 = bitsKept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsKept))
            bytes[index] &= mask
        }
        return IPAddress(bytes: bytes) ?? address
    }
}

extension Sequence where Element == IPNetwork {
    /// True when any block of the sequence contains `address`.
    public func containsAddress(_ address: IPAddress) -> Bool {
        contains { $0.contains(address) }
    }
}
