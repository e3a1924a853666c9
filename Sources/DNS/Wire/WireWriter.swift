// WireWriter: appends a message's octets and compresses names against the suffixes
// already written (RFC 1035 §4.1.4).
//
// Invariants: `compression` only maps suffixes to offsets below `bytes.count` and below
// 0x4000 (a pointer has 14 bits); rolling back drops the entries past the mark, so a record
// removed to fit a size limit leaves no pointer to bytes that are gone.

struct WireWriter {
    private(set) var bytes: [UInt8] = []
    /// Name suffix → offset of its first label. `DNSName` hashes case-insensitively, so
    /// "Example.COM" reuses "example.com" (RFC 4343 §4.1 lets compression ignore case).
    private var compression: [DNSName: Int] = [:]

    var count: Int { bytes.count }

    mutating func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func write(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }

    mutating func write(bytes more: some Sequence<UInt8>) {
        bytes.append(contentsOf: more)
    }

    /// Writes a name; with `compress`, the longest suffix already in the message becomes a
    /// pointer. Every suffix written in full is remembered as a target either way.
    mutating func writeName(_ name: DNSName, compress: Bool) {
        for index in 0..<name.labels.count {
            let suffix = name.droppingFirst(index)
            if compress, let target = compression[suffix] {
                write(UInt16(0xC000) | UInt16(target))
                return
            }
            if bytes.count <= DNSLimits.maxPointerOffset, compression[suffix] == nil {
                compression[suffix] = bytes.count
            }
            let label = name.labels[index]
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
        }
        bytes.append(0)
    }

    /// Overwrites two octets written earlier (section counts, RDLENGTH).
    mutating func patch(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    /// Drops everything from `mark` on, compression targets included.
    mutating func rollBack(to mark: Int) {
        bytes.removeSubrange(mark...)
        compression = compression.filter { $0.value < mark }
    }
}
