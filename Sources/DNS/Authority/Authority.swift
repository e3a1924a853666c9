// Authority: the authoritative answer engine, a pure function from a query to a response
// (RFC 1034 §4.3.2's algorithm without recursion).
//
// Invariants: never an open resolver — a name in none of our zones gets REFUSED; RA is
// never set; a response is never answered (no loops between servers); the response fits
// the client's limit (512 octets without EDNS, else the lesser of its size and ours),
// whole RRsets dropped and TC set when it does not (RFC 2181 §9).

/// How a query arrived, which decides the response's size limit.
public enum DNSTransportKind: Sendable, Hashable {
    /// UDP: 512 octets without EDNS (RFC 1035 §4.2.1), else the negotiated size.
    case udp
    /// TCP: 65535 octets (RFC 1035 §4.2.2, RFC 7766).
    case tcp
}

/// Answers queries from a set of zones.
public struct Authority: Sendable {
    /// Zones by origin.
    private let zones: [DNSName: Zone]
    /// The EDNS UDP payload size we advertise and the most we send over UDP.
    public let udpPayloadSize: UInt16

    /// The origins of the zones served, sorted, for logs and status lines.
    public var origins: [DNSName] { zones.keys.sorted { $0.description < $1.description } }

    /// Fails when two zones have the same origin.
    public init(zones: [Zone], udpPayloadSize: UInt16 = DNSLimits.defaultEDNSPayloadSize) throws(ZoneError) {
        var byOrigin: [DNSName: Zone] = [:]
        for zone in zones {
            guard byOrigin[zone.origin] == nil else {
                throw ZoneError(file: "zones", line: nil, message: "two zones for \(zone.origin)")
            }
            byOrigin[zone.origin] = zone
        }
        self.zones = byOrigin
        self.udpPayloadSize = udpPayloadSize
    }

    // MARK: - Entry points

    /// The response octets for a query's octets, or nil when nothing should be sent: a
    /// packet shorter than a header, or a response (QR set). A query that does not decode
    /// gets FORMERR with its ID and opcode (RFC 1035 §4.1.1), and an OPT record when the
    /// fault was in its OPT record (RFC 6891 §7).
    public func respond(to packet: [UInt8], over transport: DNSTransportKind) -> [UInt8]? {
        guard let header = DNSMessage.peekHeader(packet), !header.isResponse else { return nil }
        let query: DNSMessage
        do throws(DNSWireError) {
            query = try DNSMessage(decoding: packet)
        } catch {
            var reply = DNSMessage(id: header.id, isResponse: true, opcode: header.opcode, rcode: .formatError)
            if case .invalidOPT = error { reply.edns = EDNS(udpPayloadSize: udpPayloadSize) }
            return try? reply.encode()
        }
        let limit = sizeLimit(for: query, over: transport)
        if let bytes = try? fullAnswer(query).encode(maxSize: limit) { return bytes }
        return try? failure(query).encode(maxSize: limit)
    }

    /// The response to `query` as it goes on the wire over `transport`: the records that fit
    /// the size limit, TC set when answer or authority RRsets had to be dropped.
    public func answer(_ query: DNSMessage, over transport: DNSTransportKind) -> DNSMessage {
        let full = fullAnswer(query)
        let limit = sizeLimit(for: query, over: transport)
        return (try? full.truncated(toFit: limit)) ?? failure(query)
    }

    /// The largest response for `query`: 65535 over TCP; over UDP 512 without EDNS, else the
    /// client's payload size capped by ours (RFC 6891 §6.2.3, §6.2.5).
    public func sizeLimit(for query: DNSMessage, over transport: DNSTransportKind) -> Int {
        switch transport {
        case .tcp:
            return DNSLimits.maxMessageSize
        case .udp:
            guard let edns = query.edns else { return DNSLimits.classicUDPSize }
            return max(DNSLimits.classicUDPSize, min(edns.effectivePayloadSize, Int(udpPayloadSize)))
        }
    }

    /// SERVFAIL, for data that cannot be encoded.
    private func failure(_ query: DNSMessage) -> DNSMessage {
        var reply = skeleton(for: query)
        reply.rcode = .serverFailure
        return reply
    }

    /// A response with the query's ID, opcode, RD and CD (RFC 1035 §4.1.1, RFC 4035 §3.2.2),
    /// its question, and an OPT record when the query had one (RFC 6891 §6.1.1, the DO bit
    /// copied as RFC 3225 §3 asks).
    private func skeleton(for query: DNSMessage) -> DNSMessage {
        DNSMessage(
            id: query.id, isResponse: true, opcode: query.opcode, recursionDesired: query.recursionDesired,
            checkingDisabled: query.checkingDisabled, questions: query.questions,
            edns: query.edns.map { EDNS(udpPayloadSize: udpPayloadSize, dnssecOK: $0.dnssecOK) })
    }

    // MARK: - The answer

    /// The complete response, before any size limit.
    func fullAnswer(_ query: DNSMessage) -> DNSMessage {
        var reply = skeleton(for: query)
        // RFC 6891 §6.1.3: a version we do not implement gets BADVERS and our version, 0.
        if let edns = query.edns, edns.version > 0 {
            reply.rcode = .badVersion
            return reply
        }
        guard query.opcode == .query else {
            reply.rcode = .notImplemented  // RFC 1035 §4.1.1: NOTIFY, UPDATE, IQUERY are not served
            return reply
        }
        // One question (RFC 9619), no answer or authority records in a query.
        guard !query.isResponse, query.questions.count == 1, let question = query.question, query.answers.isEmpty,
            query.authority.isEmpty, question.type != .opt
        else {
            reply.rcode = .formatError
            reply.questions = []
            return reply
        }
        switch question.type {
        case .axfr, .ixfr:
            reply.rcode = .refused  // zone transfers are not offered
            return reply
        case .maila, .mailb:
            reply.rcode = .notImplemented
            return reply
        default:
            break
        }
        guard let zone = zone(for: question.name, recordClass: question.recordClass) else {
            reply.rcode = .refused  // not ours: never an open resolver
            return reply
        }
        resolve(question, in: zone, into: &reply)
        return reply
    }

    /// The zone with the longest origin that holds `name`, if its class matches (QCLASS ANY
    /// matches every class, RFC 1035 §3.2.5).
    func zone(for name: DNSName, recordClass: RecordClass) -> Zone? {
        var candidate: DNSName? = name
        while let current = candidate {
            if let zone = zones[current] {
                return zone.recordClass == recordClass || recordClass == .any ? zone : nil
            }
            candidate = current.parent
        }
        return nil
    }
}
