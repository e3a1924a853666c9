// Wire size ("virtual size", as Dovecot calls it): the octets of a message as POP3 and
// IMAP send it, with every line ending a CRLF. Messages are stored as given, and one
// written by a Unix program (`chappe deliver` from a pipe, mutt) often ends its lines
// with a bare LF; the sizes the protocols announce must count what goes on the wire:
// RFC 1939 §5 (LIST, STAT: "exact size in octets") and §11, RFC 9051 §7.5.2
// (RFC822.SIZE). The POP3 server sends messages through
// `DotStuffer(normalizesLineEndings: true)`, which turns
//   - an LF not preceded by CR into CRLF (one octet more), and
//   - a CR not followed by LF (in the middle or at the very end) into CRLF (one more),
// and leaves CRLF as it is. The wire size counts exactly that. It does not count what
// the protocols add around the message: POP3's dot-stuffing, its ".CRLF" terminator,
// nor the CRLF a POP3 server appends to a last line without a line ending before that
// terminator (Dovecot counts the same way; IMAP sends no such CRLF in a literal).

/// Counts the wire size of a message fed in chunks of any size (a CRLF split across
/// two chunks counts once).
struct WireSizeCounter: Sendable {
    /// Octets of the normalised form of everything fed so far, a trailing CR counted
    /// as the CR alone (its LF comes in `total`, unless the next chunk starts with one).
    private var counted = 0
    /// The last byte fed was a CR whose LF (or absence of one) is still unknown.
    private var pendingCR = false

    init() {}

    mutating func add(_ chunk: some Collection<UInt8>) {
        let fast: Void? = chunk.withContiguousStorageIfAvailable { buffer in add(buffer) }
        if fast == nil { add(Array(chunk)) }
    }

    private mutating func add(_ buffer: UnsafeBufferPointer<UInt8>) {
        var extra = 0
        var afterCR = pendingCR
        for byte in buffer {
            if afterCR && byte != 0x0A { extra += 1 }  // a bare CR: its LF is added
            if byte == 0x0A && !afterCR { extra += 1 }  // a bare LF: its CR is added
            afterCR = byte == 0x0D
        }
        pendingCR = afterCR
        counted += buffer.count + extra
    }

    /// The wire size of everything fed: a CR at the very end is sent as CRLF too.
    var total: Int { counted + (pendingCR ? 1 : 0) }
}

enum WireSize {
    /// The wire size of a whole message.
    static func of(_ bytes: some Collection<UInt8>) -> Int {
        var counter = WireSizeCounter()
        counter.add(bytes)
        return counter.total
    }

    /// Chunk size for counting a file that is not in memory.
    static let readChunk = 1 << 20

    /// The wire size of a file, read in chunks (for rows indexed before wire sizes were
    /// kept; new messages are counted where their bytes are read anyway).
    static func ofFile(_ file: any ReadableFile) throws -> Int {
        var counter = WireSizeCounter()
        var offset = 0
        while offset < file.size {
            let chunk = try file.read(offset: offset, count: min(readChunk, file.size - offset))
            if chunk.isEmpty { break }
            counter.add(chunk)
            offset += chunk.count
        }
        return counter.total
    }
}
