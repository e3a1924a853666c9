// StaticDNS: the in-memory twin of `DNSResolver` (STYLE.md rule 10) for tests of the
// modules that look names up (SMTP delivery): a world made of a few zones, answered by the
// same `Authority` the DNS service uses and read by the same code as the real resolver's
// answers, so a test sees exactly what the network would give.
//
// Names outside every zone do not exist (NXDOMAIN): the zones are the whole world. Names
// listed in `failing` give a temporary failure, as a SERVFAIL or a timeout would.
import Synchronization

public final class StaticDNS: DNSLookup {
    private let authority: Authority
    private let failing: Set<DNSName>
    private let asked = Mutex<[DNSQuestion]>([])

    /// A world of `zones`; lookups of names in `failing` fail temporarily.
    public init(zones: [Zone], failing: Set<DNSName> = []) throws(ZoneError) {
        authority = try Authority(zones: zones)
        self.failing = failing
    }

    /// A world of one zone written as a master file (RFC 1035 §5); its $ORIGIN or SOA
    /// owner names it.
    public convenience init(zoneText: String, failing: Set<DNSName> = []) throws(ZoneError) {
        try self.init(zones: [Zone(parsing: zoneText, origin: nil, fileName: "StaticDNS")], failing: failing)
    }

    /// Every question asked so far, in order.
    public var questions: [DNSQuestion] { asked.withLock { $0 } }

    public func lookup(_ name: DNSName, _ type: RecordType) async -> RRsetLookup {
        var current = name
        var aliases: [ResourceRecord] = []
        for _ in 0...DNSLimits.maxCNAMEChain {
            let question = DNSQuestion(name: current, type: type)
            asked.withLock { $0.append(question) }
            if failing.contains(current) { return .failure("\(current) fails in this test") }
            let response = authority.answer(DNSMessage.query(id: 0, name: current, type: type), over: .tcp)
            if response.rcode == .refused { return .nameError }  // outside the world
            let (outcome, unresolved) = RRsetLookup.interpret(response, for: question)
            if case .records(let records) = outcome { return .records(aliases + records) }
            if let outcome { return outcome }
            guard let unresolved else { return .failure("no usable answer") }
            aliases += unresolved.aliases
            current = unresolved.target
        }
        return .failure("CNAME chain longer than \(DNSLimits.maxCNAMEChain) from \(name)")
    }
}
