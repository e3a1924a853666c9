// MessageEncoder: writes a DNSMessage with name compression, and fits it into a size limit
// by dropping whole RRsets and setting TC (RFC 1035 §4.1.1, RFC 2181 §9).
//
// Invariants: the OPT record is always kept — its room is reserved first (RFC 6891 §7);
// a record is never cut in the middle; an RRset of the answer or authority section goes
// whole or not at all, and TC is set when one is dropped; records dropped from the
// additional section do not set TC (RFC 2181 §9: TC is not for missing extra data).

/// How many records of each section made it into an encoded message.
struct EncodedMessage {
    var bytes: [UInt8]
    var answerCount: Int
    var authorityCount: Int
    var additionalCount: Int
    /// True when records of the answer or authority section were dropped.
    var droppedAnswers: Bool
}

extension DNSMessage {
    /// The message on the wire, with name compression; throws when it exceeds 65535 octets
    /// or holds a value that cannot be encoded.
    public func encode() throws(DNSWireError) -> [UInt8] {
        let encoded = try encode(fitting: DNSLimits.maxMessageSize)
        guard !encoded.droppedAnswers, encoded.additionalCount == additional.count else {
            throw .messageTooLarge
        }
        return encoded.bytes
    }

    /// The message on the wire within `maxSize` octets (never less than 512, RFC 1035
    /// §2.3.4): records that do not fit are dropped and TC is set as `truncated(toFit:)`
    /// describes.
    public func encode(maxSize: Int) throws(DNSWireError) -> [UInt8] {
        try encode(fitting: maxSize).bytes
    }

    /// The message as `encode(maxSize:)` sends it: the records that fit, TC set when
    /// answer or authority records had to go.
    public func truncated(toFit maxSize: Int) throws(DNSWireError) -> DNSMessage {
        let encoded = try encode(fitting: maxSize)
        return applying(encoded)
    }

    /// This message cut down to what `encoded` holds.
    func applying(_ encoded: EncodedMessage) -> DNSMessage {
        var message = self
        message.answers = Array(answers.prefix(encoded.answerCount))
        message.authority = Array(authority.prefix(encoded.authorityCount))
        message.additional = Array(additional.prefix(encoded.additionalCount))
        message.isTruncated = isTruncated || encoded.droppedAnswers
        return message
    }

    func encode(fitting maxSize: Int) throws(DNSWireError) -> EncodedMessage {
        let limit = min(max(DNSLimits.classicUDPSize, maxSize), DNSLimits.maxMessageSize)
        var writer = WireWriter()
        writer.write(id)
        writer.write(flags)
        for _ in 0..<4 { writer.write(UInt16(0)) }
        for question in questions {
            writer.writeName(question.name, compress: true)
            writer.write(question.type.rawValue)
            writer.write(question.recordClass.rawValue)
        }
        let budget = limit - (edns?.wireSize ?? 0)
        guard writer.count <= budget else { throw .messageTooLarge }

        var result = EncodedMessage(bytes: [], answerCount: 0, authorityCount: 0, additionalCount: 0, droppedAnswers: false)
        result.answerCount = try Self.write(answers, into: &writer, budget: budget, wholeRRSets: true)
        if result.answerCount == answers.count {
            result.authorityCount = try Self.write(authority, into: &writer, budget: budget, wholeRRSets: true)
            if result.authorityCount == authority.count {
                result.additionalCount = try Self.write(additional, into: &writer, budget: budget, wholeRRSets: false)
            }
        }
        result.droppedAnswers = result.answerCount < answers.count || result.authorityCount < authority.count
        var additionalCount = result.additionalCount
        if let edns {
            try Self.write(edns.record(rcode: rcode), into: &writer)
            additionalCount += 1
        }
        writer.patch(UInt16(questions.count), at: 4)
        writer.patch(UInt16(result.answerCount), at: 6)
        writer.patch(UInt16(result.authorityCount), at: 8)
        writer.patch(UInt16(additionalCount), at: 10)
        if result.droppedAnswers { writer.patch(flags | 0x0200, at: 2) }
        result.bytes = writer.bytes
        return result
    }

    /// Writes as many of `records` as fit in `budget`; returns how many. With
    /// `wholeRRSets`, a record that does not fit takes the rest of its RRset with it.
    private static func write(
        _ records: [ResourceRecord], into writer: inout WireWriter, budget: Int, wholeRRSets: Bool
    ) throws(DNSWireError) -> Int {
        var marks: [Int] = []
        for (index, record) in records.enumerated() {
            marks.append(writer.count)
            try write(record, into: &writer)
            guard writer.count > budget else { continue }
            var first = index
            while wholeRRSets, first > 0, records[first - 1].isInSameRRSet(as: record) { first -= 1 }
            writer.rollBack(to: marks[first])
            return first
        }
        return records.count
    }

    /// One resource record (RFC 1035 §4.1.3), RDLENGTH patched once the RDATA is written.
    private static func write(_ record: ResourceRecord, into writer: inout WireWriter) throws(DNSWireError) {
        writer.writeName(record.name, compress: true)
        writer.write(record.type.rawValue)
        writer.write(record.recordClass.rawValue)
        writer.write(record.ttl)
        let lengthAt = writer.count
        writer.write(UInt16(0))
        try record.rdata.encode(into: &writer)
        let length = writer.count - lengthAt - 2
        guard length <= 0xFFFF else { throw .rdataTooLong(type: record.type, length: length) }
        writer.patch(UInt16(length), at: lengthAt)
    }
}
