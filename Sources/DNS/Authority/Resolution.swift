// Resolution: the lookup inside our zones (RFC 1034 §4.3.2 steps 3 to 6): exact match,
// CNAME chains followed through our zones, wildcards (RFC 4592), referrals at delegations,
// NXDOMAIN and NODATA with the SOA (RFC 2308 §2, §3), and address records for the
// additional section.

extension Authority {
    /// Fills `reply` with the answer to `question`, starting in `zone`.
    func resolve(_ question: DNSQuestion, in start: Zone, into reply: inout DNSMessage) {
        reply.isAuthoritative = true
        var zone = start
        var name = question.name
        var visited: Set<DNSName> = []
        while true {
            // Step 3b: a delegation on the way down means a referral.
            if let cut = zone.delegation(covering: name), let servers = zone.rrset(at: cut, type: .ns) {
                reply.authority = servers.records
                reply.isAuthoritative = !reply.answers.isEmpty  // only the CNAMEs before it are ours
                break
            }
            var rrsets = zone.rrsets(at: name)
            if !zone.exists(name) {
                // RFC 4592 §3.3.1: the source of synthesis is `*` below the closest encloser.
                let encloser = zone.closestEncloser(of: name)
                let wildcard = try? encloser.prepending([UInt8(ascii: "*")])
                rrsets = wildcard.map { zone.rrsets(at: $0) } ?? []
                if rrsets.isEmpty {
                    reply.rcode = .nameError  // RFC 1034 §4.3.2 step 3c; RFC 6604 §3 after a CNAME too
                    reply.authority = [negativeSOA(zone)]
                    break
                }
            }
            if question.type == .any {
                // RFC 8482 §4.1 allows a subset; we answer with every RRset we hold.
                reply.answers += rrsets.flatMap { $0.records(owner: name) }
                break
            }
            if let match = rrsets.first(where: { $0.type == question.type }) {
                reply.answers += match.records(owner: name)
                break
            }
            guard let alias = rrsets.first(where: { $0.type == .cname }), case .cname(let target) = alias.rdata.first else {
                reply.authority = [negativeSOA(zone)]  // NODATA: NOERROR, no answer, the SOA (RFC 2308 §2.2)
                break
            }
            // Step 3a: follow the alias while it stays in our zones, without looping.
            reply.answers += alias.records(owner: name)
            visited.insert(name)
            guard !visited.contains(target), visited.count < DNSLimits.maxCNAMEChain,
                let next = self.zone(for: target, recordClass: zone.recordClass)
            else { break }
            name = target
            zone = next
        }
        addAdditionalRecords(to: &reply)
    }

    /// The zone's SOA with the negative-answer TTL (RFC 2308 §3).
    private func negativeSOA(_ zone: Zone) -> ResourceRecord {
        var record = zone.soaRecord
        record.ttl = zone.negativeTTL
        return record
    }

    /// RFC 1035 §3.3.9, §3.3.11, RFC 2782: the A and AAAA records of the MX, NS and SRV
    /// targets in the answer and authority sections that lie in our zones. For a referral
    /// these are the glue below the cut; otherwise only authoritative addresses are given.
    private func addAdditionalRecords(to reply: inout DNSMessage) {
        let isReferral = !reply.authority.isEmpty && reply.authority.allSatisfy { $0.type == .ns }
        var seen: Set<DNSName> = []
        for record in reply.answers + reply.authority {
            guard let target = record.rdata.additionalTarget, !target.isRoot, seen.insert(target).inserted,
                let zone = zone(for: target, recordClass: record.recordClass)
            else { continue }
            guard isReferral || zone.delegation(covering: target) == nil else { continue }
            for type in [RecordType.a, .aaaa] {
                guard let set = zone.rrset(at: target, type: type) else { continue }
                let already = reply.answers.contains { $0.name == target && $0.type == type }
                if !already { reply.additional += set.records }
            }
        }
    }
}
