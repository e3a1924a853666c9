// Helpers shared by the DNS tests: a seeded generator, names from text, hex fixtures.
import Testing

@testable import DNS

/// SplitMix64: a small seeded generator, so shuffles and fuzz runs repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A name from presentation text; the tests only use valid names, and a bad one fails the
/// test through the thrown error.
func name(_ text: String) throws -> DNSName {
    try DNSName(parsing: text)
}

/// Octets from hex text; spaces and newlines are ignored ("c0 0c").
func hex(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.compactMap { UInt8(String($0), radix: 16) }
    return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// The wire form of a name written without compression.
func wire(_ text: String) throws -> [UInt8] {
    try name(text).labels.flatMap { [UInt8($0.count)] + $0 } + [0]
}

/// The error a throwing call raised, if it was a `DNSWireError`.
func wireError(_ body: () throws -> some Any) -> DNSWireError? {
    do {
        _ = try body()
        return nil
    } catch let error as DNSWireError {
        return error
    } catch {
        return nil
    }
}

/// The error message a zone text gives, "file:line: message", or nil if it parses.
func zoneError(_ text: String, origin: String? = "example.test.") -> String? {
    do {
        _ = try Zone(parsing: text, origin: origin.flatMap { try? DNSName(parsing: $0) }, fileName: "test.zone")
        return nil
    } catch {
        return "\(error)"
    }
}

/// A zone's header: SOA and NS at the apex, for tests about other records.
let zoneHeader = """
    $ORIGIN example.test.
    $TTL 3600
    @ IN SOA ns1 hostmaster 1 7200 900 1209600 300
      IN NS ns1
    ns1 IN A 192.0.2.53

    """
