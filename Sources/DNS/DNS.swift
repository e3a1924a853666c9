// DNS module overview: Chappe's DNS — a pure core (wire format, presentation format, zone
// files, the authoritative answer engine, the resolver-side cache) and, on top of it, the
// socket parts: the authoritative service and the stub resolver.
//
// Role: the pure core is everything the DNS service, the suite's own resolver (MX lookups
// for outgoing mail) and `chappe dns` need that does not touch a socket. The socket layer
// sits on top, on the shared transport: Server/ hands datagrams and TCP frames to
// `Authority.respond(to:over:)`; Client/ builds queries with `DNSMessage.query(...)`,
// checks replies with `validate(response:for:)` and remembers them in a `DNSCache`; other
// modules ask through the `DNSLookup` protocol (`DNSResolver`, or `StaticDNS` in tests).
//
// Invariants:
// - The core is pure: no I/O besides `Zone.load(path:)` reading one file, no NIO, no global
//   mutable state; every type is a Sendable value. Clocks and random generators are
//   parameters. Only Server/ and Client/ import NIO.
// - Bad input is a typed error, never a crash: the decoder checks every length, every
//   compression pointer (backwards only, a bounded number of jumps) and that each typed
//   RDATA parser consumed exactly RDLENGTH bytes (`DNSWireError`). Zone files fail with
//   `ZoneError`, which names the file and line.
// - Unknown types and classes survive: `RecordType`/`RecordClass` are open structs, and
//   RDATA of unknown types is kept as raw bytes and never compressed (RFC 3597).
// - Names compare case-insensitively (RFC 4343) and keep their case for output.
// - Never an open resolver: the authority answers only for its zones; anything else is
//   REFUSED.
//
// RFCs: 1034 and 1035 (concepts, wire and master file formats), 2181 (clarifications:
// RRsets, TTLs, TC), 2308 (negative caching), 2782 (SRV), 3596 (AAAA), 3597 (unknown
// types), 4343 (case), 4592 (wildcards), 5952 (IPv6 text), 6891 (EDNS0), 7505 (null MX),
// 8659 (CAA).
//
// Layout: Wire/ (names, codes, RDATA, messages, reader and writer with compression),
// Presentation/ (dig-style text), Zone/ (master file lexer and parser, the Zone value),
// Authority/ (the answer engine), Resolver/ (cache, MX answers, response validation);
// Server/ (the DNS service: UDP and TCP listeners, rate limit, answer cache, zone reload),
// Client/ (resolv.conf, one exchange over UDP or TCP, the stub resolver, the lookups API
// and its in-memory twin, `chappe dns`).

/// The protocol's fixed bounds, each named after the RFC text that sets it.
public enum DNSLimits {
    /// Longest name on the wire, length octets and the root label included (RFC 1035 §2.3.4).
    public static let maxNameLength = 255
    /// Longest label (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63
    /// Longest character-string, the length octet excluded (RFC 1035 §3.3).
    public static let maxCharacterStringLength = 255
    /// Most compression pointers followed while reading one name. A name has at most 127
    /// labels, so an honest packet never needs more jumps than that (RFC 1035 §4.1.4).
    public static let maxCompressionPointers = 127
    /// Largest offset a compression pointer can hold: 14 bits (RFC 1035 §4.1.4).
    public static let maxPointerOffset = 0x3FFF
    /// Largest UDP message without EDNS (RFC 1035 §2.3.4, §4.2.1).
    public static let classicUDPSize = 512
    /// The EDNS UDP payload size we advertise by default: fits an IPv6 minimum MTU without
    /// fragmentation (RFC 6891 §6.2.5; DNS Flag Day 2020).
    public static let defaultEDNSPayloadSize: UInt16 = 1232
    /// Largest message over TCP: the two-byte length prefix (RFC 1035 §4.2.2).
    public static let maxMessageSize = 65535
    /// Longest CNAME chain the authority follows inside its zones, and the cache through its
    /// entries, before giving up (RFC 1034 §3.6.2 asks to guard against loops).
    public static let maxCNAMEChain = 16
    /// Largest TTL; values with the top bit set are read as 0 (RFC 2181 §8).
    public static let maxTTL: UInt32 = 0x7FFF_FFFF
}
