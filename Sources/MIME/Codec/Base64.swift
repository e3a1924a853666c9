// Base64: the RFC 2045 §6.8 transfer encoding, streaming and one-shot, table-driven over bytes.
//
// The encoder writes the standard alphabet with "=" padding, wrapped at a configurable
// line length (76 by RFC 2045 §6.8, the same as coreutils `base64`). The decoder is lenient:
// it ignores characters outside the alphabet and stops at the padding that ends the data.

/// The base64 alphabet of RFC 2045 §6.8 Table 1.
private let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// Two output characters for every 12-bit input value, stored in memory order, so one
/// 16-bit store writes both.
private let base64PairTable: [UInt16] = (0..<4096).map { v in
    (UInt16(base64Alphabet[v >> 6]) | UInt16(base64Alphabet[v & 63]) << 8).littleEndian
}

/// Four decoding tables, one per position in a quad, each giving that character's bits
/// already shifted into place, or 0xFF00_0000 for a byte outside the alphabet.
private let base64DecodeTables: [UInt32] = {
    var tables = [UInt32](repeating: 0xFF00_0000, count: 1024)
    for (value, char) in base64Alphabet.enumerated() {
        let v = UInt32(value)
        tables[Int(char)] = v << 18
        tables[256 + Int(char)] = v << 12
        tables[512 + Int(char)] = v << 6
        tables[768 + Int(char)] = v
    }
    return tables
}()

// MARK: - Encoder

/// A streaming base64 encoder (RFC 2045 §6.8).
///
/// Feed chunks of any size to `encode(_:)` and call `finish()` once; the concatenated output
/// equals the one-shot `Base64Encoder.encode(_:)` of the whole input.
public struct Base64Encoder: Sendable {
    /// Characters per output line; 0 writes one unbroken line.
    public let lineLength: Int
    /// The line ending written after each line.
    public let lineEnding: LineEnding

    private var pending: (UInt8, UInt8) = (0, 0)
    private var pendingCount = 0
    private var column = 0

    /// An encoder writing lines of `lineLength` characters (RFC 2045 §6.8: at most 76)
    /// ended by `lineEnding`; a `lineLength` of 0 disables wrapping.
    public init(lineLength: Int = 76, lineEnding: LineEnding = .crlf) {
        self.lineLength = max(0, lineLength)
        self.lineEnding = lineEnding
    }

    /// Encodes the whole of `bytes` at once; the last line is ended too when wrapping.
    public static func encode(_ bytes: some Collection<UInt8>, lineLength: Int = 76, lineEnding: LineEnding = .crlf) -> [UInt8] {
        var encoder = Base64Encoder(lineLength: lineLength, lineEnding: lineEnding)
        var out = encoder.encode(bytes)
        out += encoder.finish()
        return out
    }

    /// Encodes the next chunk of input and returns the output it completes.
    public mutating func encode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        if let out = chunk.withContiguousStorageIfAvailable({ encode(buffer: $0) }) { return out }
        return Array(chunk).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    /// Writes the final quantum with its padding, and ends the last line when wrapping.
    public mutating func finish() -> [UInt8] {
        var out: [UInt8] = []
        if pendingCount > 0 {
            let b0 = pending.0, b1 = pendingCount == 2 ? pending.1 : 0
            var quad: [UInt8] = [
                base64Alphabet[Int(b0 >> 2)],
                base64Alphabet[Int((b0 & 3) << 4 | b1 >> 4)],
                pendingCount == 2 ? base64Alphabet[Int((b1 & 15) << 2)] : ASCII.equals,
                ASCII.equals,
            ]
            pendingCount = 0
            appendWrapped(&quad, to: &out)
        }
        if lineLength > 0 && column > 0 {
            out += lineEnding.bytes
            column = 0
        }
        return out
    }

    /// The most bytes `encode(_:into:)` writes for `count` bytes of input.
    public func maxOutputCount(forInputCount count: Int) -> Int {
        let chars = (count + 2) / 3 * 4 + 4
        return chars + (lineLength == 0 ? 0 : (chars / lineLength + 2) * 2) + 8
    }

    /// Encodes the next chunk into `output`, which must have room for
    /// `maxOutputCount(forInputCount:)` bytes; returns the number of bytes written. Lets a
    /// filter reuse one buffer instead of allocating per chunk.
    public mutating func encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int {
        guard input.count > 0 else { return 0 }
        var written = 0
        var rest = input
        // Complete a triple left over from the previous chunk.
        if pendingCount > 0 {
            let need = 3 - pendingCount
            if input.count < need {
                pending.1 = input[0]
                pendingCount += 1
                return 0
            }
            let triple: [UInt8] = pendingCount == 1 ? [pending.0, input[0], input[1]] : [pending.0, pending.1, input[0]]
            pendingCount = 0
            written = triple.withUnsafeBufferPointer { encodeTriples($0, into: output) }
            rest = UnsafeBufferPointer(rebasing: input[need...])
        }
        let whole = rest.count / 3 * 3
        if whole > 0 { written += encodeTriples(UnsafeBufferPointer(rebasing: rest[..<whole]), into: output + written) }
        let left = rest.count - whole
        if left >= 1 { pending.0 = rest[whole] }
        if left == 2 { pending.1 = rest[whole + 1] }
        pendingCount = left
        return written
    }

    private mutating func encode(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: maxOutputCount(forInputCount: input.count)) { buffer, count in
            guard let base = buffer.baseAddress else { count = 0; return }
            count = encode(input, into: base)
        }
    }

    /// Encodes a whole number of triples into `dst`, wrapping lines as configured.
    private mutating func encodeTriples(_ input: UnsafeBufferPointer<UInt8>, into dstBase: UnsafeMutablePointer<UInt8>) -> Int {
        guard lineLength == 0 || lineLength % 4 == 0 else {
            // Uncommon widths: encode unwrapped, then wrap character by character.
            var unwrapped = Base64Encoder(lineLength: 0)
            let flat = [UInt8](unsafeUninitializedCapacity: input.count / 3 * 4 + 8) { buffer, count in
                guard let base = buffer.baseAddress else { count = 0; return }
                count = unwrapped.encodeTriples(input, into: base)
            }
            var out: [UInt8] = []
            var chars = flat
            appendWrapped(&chars, to: &out)
            for (k, c) in out.enumerated() { dstBase[k] = c }
            return out.count
        }
        let crlf = lineEnding == .crlf
        let width = lineLength
        var col = column
        var o = 0
        if let src = input.baseAddress {
            base64PairTable.withUnsafeBufferPointer { table in
                guard let t = table.baseAddress else { return }
                var i = 0
                let n = input.count
                while i < n {
                    // Bytes that fit on the current line (all of them when not wrapping).
                    var take = n - i
                    if width > 0 { take = min(take, (width - col) / 4 * 3) }
                    let stop = i + take
                    // Six bytes to eight characters with one load and one store.
                    while i &+ 6 <= stop && i &+ 8 <= n {
                        let w = UInt64(bigEndian: UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self))
                        let g1 = Int(truncatingIfNeeded: w >> 40)
                        let g2 = Int(truncatingIfNeeded: w >> 16) & 0xFF_FFFF
                        let chars = UInt64(UInt16(littleEndian: t[g1 >> 12])) | UInt64(UInt16(littleEndian: t[g1 & 0xFFF])) << 16
                            | UInt64(UInt16(littleEndian: t[g2 >> 12])) << 32 | UInt64(UInt16(littleEndian: t[g2 & 0xFFF])) << 48
                        UnsafeMutableRawPointer(dstBase + o).storeBytes(of: chars.littleEndian, as: UInt64.self)
                        i &+= 6
                        o &+= 8
                    }
                    while i < stop {
                        let v = Int(src[i]) << 16 | Int(src[i + 1]) << 8 | Int(src[i + 2])
                        let raw = UnsafeMutableRawPointer(dstBase + o)
                        raw.storeBytes(of: t[v >> 12], as: UInt16.self)
                        raw.storeBytes(of: t[v & 0xFFF], toByteOffset: 2, as: UInt16.self)
                        i += 3
                        o += 4
                    }
                    if width > 0 {
                        col += take / 3 * 4
                        if col == width {
                            if crlf { dstBase[o] = ASCII.cr; o += 1 }
                            dstBase[o] = ASCII.lf
                            o += 1
                            col = 0
                        }
                    }
                }
            }
        }
        column = col
        return o
    }

    /// Appends encoded characters, inserting line endings at the configured width.
    private mutating func appendWrapped(_ chars: inout [UInt8], to out: inout [UInt8]) {
        for c in chars {
            out.append(c)
            if lineLength > 0 {
                column += 1
                if column == lineLength {
                    out += lineEnding.bytes
                    column = 0
                }
            }
        }
    }
}

// MARK: - Decoder

/// A streaming, lenient base64 decoder (RFC 2045 §6.8).
///
/// Characters outside the alphabet (line breaks, spaces, garbage) are ignored, missing
/// padding is tolerated, and the first "=" that completes a quantum ends the data.
public struct Base64Decoder: Sendable {
    private var quad: UInt32 = 0
    private var quadCount = 0
    /// Whether padding has ended the data; later input is ignored.
    public private(set) var isFinished = false
    /// Whether input held characters that are neither in the alphabet nor whitespace.
    public private(set) var sawInvalidCharacters = false

    public init() {}

    /// Decodes the whole of `bytes` at once.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var decoder = Base64Decoder()
        var out = decoder.decode(bytes)
        out += decoder.finish()
        return out
    }

    /// Decodes the next chunk of input and returns the bytes it completes.
    public mutating func decode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        if let out = chunk.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return out }
        return Array(chunk).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Returns the bytes of an unpadded final quantum; a lone trailing character carries
    /// fewer than 8 bits and is dropped (RFC 2045 §6.8).
    public mutating func finish() -> [UInt8] {
        defer { quad = 0; quadCount = 0 }
        switch quadCount {
        case 2: return [UInt8(truncatingIfNeeded: quad >> 4)]
        case 3: return [UInt8(truncatingIfNeeded: quad >> 10), UInt8(truncatingIfNeeded: quad >> 2)]
        default: return []
        }
    }

    /// The most bytes `decode(_:into:)` writes for `count` bytes of input.
    public func maxOutputCount(forInputCount count: Int) -> Int { (count + 3) / 4 * 3 + 3 }

    private mutating func decode(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: maxOutputCount(forInputCount: input.count)) { buffer, count in
            guard let base = buffer.baseAddress else { count = 0; return }
            count = decode(input, into: base)
        }
    }

    /// Decodes the next chunk into `output`, which must have room for
    /// `maxOutputCount(forInputCount:)` bytes; returns the number of bytes written.
    public mutating func decode(_ input: UnsafeBufferPointer<UInt8>, into d: UnsafeMutablePointer<UInt8>) -> Int {
        guard !isFinished, let src = input.baseAddress, input.count > 0 else { return 0 }
        let n = input.count
        var q = quad, qc = quadCount, finished = false, invalid = false
        var written = 0
        do {
            base64DecodeTables.withUnsafeBufferPointer { tables in
                guard let t = tables.baseAddress else { return }
                var i = 0, o = 0
                while i < n {
                    if qc == 0 {
                        // Fast path: four alphabet characters make three bytes.
                        while i + 4 <= n {
                            let x = t[Int(src[i])] | t[256 + Int(src[i + 1])] | t[512 + Int(src[i + 2])] | t[768 + Int(src[i + 3])]
                            if x >= 0x0100_0000 { break }
                            d[o] = UInt8(truncatingIfNeeded: x >> 16)
                            d[o + 1] = UInt8(truncatingIfNeeded: x >> 8)
                            d[o + 2] = UInt8(truncatingIfNeeded: x)
                            o += 3
                            i += 4
                        }
                        if i >= n { break }
                    }
                    // Slow path: one character at a time through the quantum state.
                    let c = src[i]
                    i += 1
                    let v = t[768 + Int(c)]
                    if v < 64 {
                        q = q << 6 | v
                        qc += 1
                        if qc == 4 {
                            d[o] = UInt8(truncatingIfNeeded: q >> 16)
                            d[o + 1] = UInt8(truncatingIfNeeded: q >> 8)
                            d[o + 2] = UInt8(truncatingIfNeeded: q)
                            o += 3
                            q = 0
                            qc = 0
                        }
                    } else if c == ASCII.equals {
                        // RFC 2045 §6.8: "=" is padding at the end of the data.
                        if qc >= 2 {
                            if qc == 2 {
                                d[o] = UInt8(truncatingIfNeeded: q >> 4)
                                o += 1
                            } else {
                                d[o] = UInt8(truncatingIfNeeded: q >> 10)
                                d[o + 1] = UInt8(truncatingIfNeeded: q >> 2)
                                o += 2
                            }
                            q = 0
                            qc = 0
                            finished = true
                            break
                        }
                    } else if !(ASCII.isWSP(c) || c == ASCII.cr || c == ASCII.lf) {
                        // RFC 2045 §6.8: characters outside the alphabet are ignored.
                        invalid = true
                    }
                }
                written = o
            }
        }
        quad = q
        quadCount = qc
        isFinished = finished
        if invalid { sawInvalidCharacters = true }
        return written
    }
}
