// WireReader: a cursor over one whole message that checks every read against a bound and
// decompresses names (RFC 1035 §4.1.4).
//
// Invariants: a read never goes past `end` (the message end, or the end of the RDATA being
// read); a failed read throws `DNSWireError` and never traps.

struct WireReader {
    /// The whole message: compression pointers are offsets into it.
    let message: [UInt8]
    /// Where the next read starts.
    private(set) var offset: Int
    /// Where sequential reads must stop.
    var end: Int

    init(_ message: [UInt8]) {
        self.message = message
        self.offset = 0
        self.end = message.count
    }

    var remaining: Int { end - offset }

    private mutating func take(_ count: Int, _ what: String) throws(DNSWireError) -> Range<Int> {
        guard count <= end - offset else { throw .truncated(offset: offset, what: what) }
        defer { offset += count }
        return offset..<offset + count
    }

    mutating func readUInt8(_ what: String) throws(DNSWireError) -> UInt8 {
        message[try take(1, what).lowerBound]
    }

    mutating func readUInt16(_ what: String) throws(DNSWireError) -> UInt16 {
        let at = try take(2, what).lowerBound
        return UInt16(message[at]) << 8 | UInt16(message[at + 1])
    }

    mutating func readUInt32(_ what: String) throws(DNSWireError) -> UInt32 {
        let at = try take(4, what).lowerBound
        return message[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func readBytes(_ count: Int, _ what: String) throws(DNSWireError) -> [UInt8] {
        Array(message[try take(count, what)])
    }

    /// Reads a name, following compression pointers (RFC 1035 §4.1.4). A pointer must go
    /// strictly backwards, before every label already read for this name, so each jump
    /// lands on fresh bytes and a loop is impossible; the number of jumps is capped as well.
    mutating func readName() throws(DNSWireError) -> DNSName {
        let start = offset
        var labels: [[UInt8]] = []
        var length = 1
        var position = offset
        var bound = end
        var lowest = offset
        var jumps = 0
        var jumped = false
        while true {
            guard position < bound else { throw .truncated(offset: start, what: "a name") }
            let octet = message[position]
            switch octet & 0xC0 {
            case 0x00 where octet == 0:
                if !jumped { offset = position + 1 }
                return DNSName(uncheckedLabels: labels)
            case 0x00:
                let count = Int(octet)
                guard count < bound - position else { throw .truncated(offset: start, what: "a name") }
                length += 1 + count
                guard length <= DNSLimits.maxNameLength else { throw .nameTooLong(offset: start) }
                labels.append(Array(message[position + 1...position + count]))
                position += 1 + count
            case 0xC0:
                guard position + 1 < bound else { throw .truncated(offset: start, what: "a name") }
                let target = Int(octet & 0x3F) << 8 | Int(message[position + 1])
                guard target < position else { throw .forwardPointer(offset: position, target: target) }
                guard target < lowest else { throw .pointerLoop(offset: position, target: target) }
                jumps += 1
                guard jumps <= DNSLimits.maxCompressionPointers else { throw .tooManyPointers(offset: start) }
                if !jumped { offset = position + 2 }
                jumped = true
                lowest = target
                position = target
                bound = message.count
            default:
                throw .badLabelType(offset: position, octet: octet)
            }
        }
    }
}
