// Zone: the records of one zone, checked and indexed for the authority: origin, SOA, RRsets
// by owner and type, zone cuts, and the names that exist (empty non-terminals included).
//
// Invariants, checked when a zone is built (errors name the file and line):
// - exactly one SOA, at the origin (RFC 1035 §5.2), and NS records at the origin
//   (RFC 1034 §4.2.1); every record at or below the origin, in the SOA's class;
// - a CNAME is alone at its name, and only one (RFC 1034 §3.6.2, RFC 2181 §10.1);
// - an RRset has one TTL (RFC 2181 §5.2) and no duplicate records (RFC 2181 §5; duplicates
//   are dropped);
// - at a delegation (NS below the apex) only NS, DS and glue; below it only glue A/AAAA
//   (RFC 1034 §4.2.1).

import Foundation

// MARK: - ZoneError

/// A zone that cannot be loaded: "zones/example.test.zone:12: MX needs a preference and a host".
public struct ZoneError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file name as the caller gave it.
    public let file: String
    /// The line of the fault, from 1; nil for faults of the zone as a whole (no SOA).
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}

// MARK: - RRSet

/// The records of one owner, type and class, which share a TTL (RFC 2181 §5).
public struct RRSet: Sendable, Hashable {
    public let name: DNSName
    public let type: RecordType
    public let recordClass: RecordClass
    public let ttl: UInt32
    public fileprivate(set) var rdata: [RData]

    /// The records, owned by the set's name.
    public var records: [ResourceRecord] { records(owner: name) }

    /// The records with another owner: a wildcard's records synthesised for the query name
    /// (RFC 4592 §3.3.1).
    public func records(owner: DNSName) -> [ResourceRecord] {
        rdata.map { ResourceRecord(name: owner, ttl: ttl, recordClass: recordClass, rdata: $0) }
    }
}

// MARK: - Zone

/// One zone, ready to answer from.
public struct Zone: Sendable {
    /// The apex: the SOA's owner.
    public let origin: DNSName
    /// The class of every record (the SOA's).
    public let recordClass: RecordClass
    public let soa: SOA
    public let soaTTL: UInt32
    /// Every record, in file order, duplicates dropped.
    public let records: [ResourceRecord]
    /// RRsets by owner, types in the order they first appear.
    private let nodes: [DNSName: [RRSet]]
    /// Owners and every name between an owner and the origin (empty non-terminals exist,
    /// RFC 4592 §2.2.2).
    private let names: Set<DNSName>
    /// Owners of NS records below the apex (RFC 1034 §4.2.1).
    private let cuts: Set<DNSName>

    /// Parses a master file. A non-nil `origin` is the initial $ORIGIN and must be the SOA's
    /// owner; with nil, the file sets $ORIGIN or uses absolute names, and the SOA's owner
    /// is the origin. `fileName` prefixes error messages.
    public init(parsing text: String, origin: DNSName?, fileName: String = "zone") throws(ZoneError) {
        try self.init(bytes: Array(text.utf8), initialOrigin: origin, requiredOrigin: origin, fileName: fileName)
    }

    /// Reads and parses a zone file. Without `origin`, a file named "example.test.zone"
    /// starts with $ORIGIN example.test. (the SOA's owner still decides the origin).
    /// `displayName` (default: `path`) prefixes error messages.
    public static func load(path: String, origin: DNSName? = nil, displayName: String? = nil) throws(ZoneError) -> Zone {
        let file = displayName ?? path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZoneError(file: file, line: nil, message: "cannot read the file")
        }
        var initial = origin
        let base = URL(fileURLWithPath: path).lastPathComponent
        if initial == nil, base.hasSuffix(".zone") {
            initial = try? DNSName(parsing: base.dropLast(".zone".count) + ".")
        }
        return try Zone(bytes: [UInt8](data), initialOrigin: initial, requiredOrigin: origin, fileName: file)
    }

    private init(bytes: [UInt8], initialOrigin: DNSName?, requiredOrigin: DNSName?, fileName: String) throws(ZoneError) {
        var parser = ZoneParser(origin: initialOrigin)
        do throws(ZoneSyntaxError) {
            try parser.parse(bytes)
        } catch {
            throw ZoneError(file: fileName, line: error.line, message: error.message)
        }
        try self.init(numbered: parser.records, requiredOrigin: requiredOrigin, fileName: fileName)
    }

    /// A zone from records built in code; `origin`, when given, must own the SOA.
    public init(records: [ResourceRecord], origin: DNSName? = nil, name: String = "zone") throws(ZoneError) {
        try self.init(numbered: records.map { ($0, 0) }, requiredOrigin: origin, fileName: name)
    }

    private init(
        numbered: [(record: ResourceRecord, line: Int)], requiredOrigin: DNSName?, fileName: String
    ) throws(ZoneError) {
        func fail(_ line: Int?, _ message: String) -> ZoneError {
            ZoneError(file: fileName, line: line == 0 ? nil : line, message: message)
        }
        // RFC 1035 §5.2: exactly one SOA, at the top of the zone.
        let soas = numbered.filter { $0.record.type == .soa }
        guard let first = soas.first, case .soa(let soa) = first.record.rdata else {
            throw fail(nil, "no SOA record")
        }
        let origin = requiredOrigin ?? first.record.name
        for entry in soas where entry.record.name != origin {
            throw fail(entry.line, "SOA record at \(entry.record.name), but the origin is \(origin)")
        }
        if soas.count > 1 {
            throw fail(soas[1].line, "a second SOA record (a zone has exactly one)")
        }
        self.origin = origin
        self.soa = soa
        self.soaTTL = first.record.ttl
        self.recordClass = first.record.recordClass

        var nodes: [DNSName: [RRSet]] = [:]
        var records: [ResourceRecord] = []
        for (record, line) in numbered {
            guard record.recordClass == recordClass else {
                throw fail(line, "class \(record.recordClass) differs from the zone's class \(recordClass)")
            }
            guard record.name.isSubdomain(of: origin) else {
                throw fail(line, "\(record.name) is outside the zone \(origin)")
            }
            var node = nodes[record.name] ?? []
            let hasCNAME = node.contains { $0.type == .cname }
            if record.type == .cname ? node.contains(where: { $0.type != .cname }) : hasCNAME {
                throw fail(line, "\(record.name) has a CNAME and other data (RFC 1034 §3.6.2)")
            }
            if let index = node.firstIndex(where: { $0.type == record.type }) {
                guard !node[index].rdata.contains(record.rdata) else { continue }  // RFC 2181 §5: a set has no duplicates
                guard record.type != .cname else { throw fail(line, "\(record.name) has a second CNAME (RFC 2181 §10.1)") }
                guard node[index].ttl == record.ttl else {
                    throw fail(
                        line, "TTL \(record.ttl) differs from \(node[index].ttl) of the other \(record.type) records "
                            + "at \(record.name) (RFC 2181 §5.2)")
                }
                node[index].rdata.append(record.rdata)
            } else {
                node.append(
                    RRSet(
                        name: record.name, type: record.type, recordClass: record.recordClass, ttl: record.ttl,
                        rdata: [record.rdata]))
            }
            nodes[record.name] = node
            records.append(record)
        }
        // RFC 1034 §4.2.1: the apex names the zone's servers; NS below it cuts a delegation.
        guard nodes[origin]?.contains(where: { $0.type == .ns }) == true else {
            throw fail(nil, "no NS records at the apex \(origin)")
        }
        let cuts = Set(nodes.filter { $0.key != origin && $0.value.contains { $0.type == .ns } }.keys)
        for (record, line) in numbered {
            if cuts.contains(record.name), ![.ns, .ds, .a, .aaaa].contains(record.type) {
                throw fail(line, "\(record.name) is a delegation: only NS, DS and glue A/AAAA records belong there")
            }
            var above = record.name.parent
            while let name = above, name != origin, name.isSubdomain(of: origin) {
                if cuts.contains(name), record.type != .a, record.type != .aaaa {
                    throw fail(
                        line, "\(record.name) is below the delegation at \(name): only glue A/AAAA records belong there")
                }
                above = name.parent
            }
        }
        var names: Set<DNSName> = []
        for owner in nodes.keys {
            var name: DNSName? = owner
            while let current = name, current.isSubdomain(of: origin), names.insert(current).inserted {
                name = current.parent
            }
        }
        self.nodes = nodes
        self.names = names
        self.cuts = cuts
        self.records = records
    }

    // MARK: - Lookups

    /// The SOA record, for the authority section of negative answers.
    public var soaRecord: ResourceRecord {
        ResourceRecord(name: origin, ttl: soaTTL, recordClass: recordClass, rdata: .soa(soa))
    }

    /// The TTL of negative answers: the lesser of the SOA's TTL and its MINIMUM (RFC 2308 §3).
    public var negativeTTL: UInt32 { min(soaTTL, soa.minimum) }

    /// The RRsets owned by `name`, in file order.
    public func rrsets(at name: DNSName) -> [RRSet] { nodes[name] ?? [] }

    /// The RRset of `type` owned by `name`.
    public func rrset(at name: DNSName, type: RecordType) -> RRSet? {
        nodes[name]?.first { $0.type == type }
    }

    /// True when `name` owns records or has descendants that do (RFC 4592 §2.2.2).
    public func exists(_ name: DNSName) -> Bool { names.contains(name) }

    /// The delegation that `name` is at or below, if any: the highest zone cut on the way
    /// down from the apex (RFC 1034 §4.3.2 step 3b).
    public func delegation(covering name: DNSName) -> DNSName? {
        let depth = name.labels.count - origin.labels.count
        guard depth > 0, name.isSubdomain(of: origin), !cuts.isEmpty else { return nil }
        for drop in stride(from: depth - 1, through: 0, by: -1) where cuts.contains(name.droppingFirst(drop)) {
            return name.droppingFirst(drop)
        }
        return nil
    }

    /// The closest encloser of a name that does not exist: its longest existing ancestor
    /// (RFC 4592 §3.3.1).
    public func closestEncloser(of name: DNSName) -> DNSName {
        var current = name
        while !names.contains(current), current != origin, let parent = current.parent { current = parent }
        return current
    }
}
