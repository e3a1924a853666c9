// Quoted-printable decoding: the RFC 2045 §6.7 transfer encoding read leniently (lower-case
// hex, soft breaks after trailing whitespace, invalid "=" sequences kept literally), in
// chunks split anywhere, eight bytes at a time on the common path.

/// Bytes the decoder copies without looking further: all but "=", SP, HT, CR and LF.
@inline(__always) private func qpIsPlain(_ b: UInt8) -> Bool {
    b > 0x20 ? b != ASCII.equals : (b != ASCII.space && b != ASCII.tab && b != ASCII.lf && b != ASCII.cr)
}

/// The value of each byte as a hex digit of either case, or 0x100 (so that a pair
/// combined as `hi << 4 | lo` is at least 256 when either digit is invalid).
private let qpHexValues: [UInt16] = (0..<256).map { b in
    ASCII.hexValue(UInt8(b)).map { UInt16($0) } ?? 0x100
}

// MARK: - Decoder

/// A streaming, lenient quoted-printable decoder (RFC 2045 §6.7).
///
/// Hard line breaks are kept as they appear (CRLF or LF); trailing whitespace on a line is
/// deleted (rule (3)); "=" followed by optional whitespace and a line break is a soft break;
/// an "=" not followed by two hex digits is kept literally, as the RFC's note suggests.
public struct QuotedPrintableDecoder: Sendable {
    private var state = QPDecodeState.text
    private var hexDigit: UInt8 = 0
    /// Whitespace not yet known to be trailing (after text or after "=").
    private var whitespace: [UInt8] = []

    public init() {}

    /// Decodes the whole of `bytes` at once.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var decoder = QuotedPrintableDecoder()
        var out = decoder.decode(bytes)
        out += decoder.finish()
        return out
    }

    /// Decodes the next chunk and returns the bytes it completes.
    public mutating func decode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        if let out = chunk.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return out }
        return Array(chunk).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Ends the input: a final "=" is a soft break, and whitespace at the end is trailing.
    public mutating func finish() -> [UInt8] {
        defer { state = .text; whitespace.removeAll() }
        switch state {
        case .textCR: return [ASCII.cr]
        case .equalsHex: return [ASCII.equals, hexDigit]
        default: return []
        }
    }

    /// The most bytes `decode(_:into:)` writes for `count` bytes of input.
    public func maxOutputCount(forInputCount count: Int) -> Int { count + whitespace.count + 11 }

    /// Decodes the next chunk into `output`, which must have room for
    /// `maxOutputCount(forInputCount:)` bytes; returns the number of bytes written.
    public mutating func decode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int {
        guard input.count > 0 else { return 0 }
        var st = QPDecodeRun(state: state, hexDigit: hexDigit, carried: whitespace)
        whitespace = []
        let written = qpDecode(input, into: output, run: &st)
        state = st.state
        hexDigit = st.hexDigit
        whitespace = st.carried
        return written
    }

    private mutating func decode(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: maxOutputCount(forInputCount: input.count)) { buffer, count in
            guard let base = buffer.baseAddress else { count = 0; return }
            count = decode(input, into: base)
        }
    }
}

private enum QPDecodeState: Sendable {
    case text, textCR, equals, equalsHex, equalsWhitespace, equalsCR
}

/// The decoder's state while it runs; `carried` is whitespace left pending by earlier chunks.
private struct QPDecodeRun {
    var state: QPDecodeState
    var hexDigit: UInt8
    var carried: [UInt8]
}

/// Decodes whole lines, `src[start..<end]` where `src[end - 1]` is LF, into `d` at `out`;
/// returns the new output and input indices. Eight bytes at a time, it copies plain text
/// and stops only at "=" and LF; trailing whitespace, copied as it came, is taken back at
/// the LF (RFC 2045 §6.7 rule (3)). Needs 8 bytes of slack after the output.
@inline(__always)
private func qpDecodeLines(
    _ src: UnsafePointer<UInt8>, from start: Int, to end: Int, into d: UnsafeMutablePointer<UInt8>, at out: Int,
    hex: UnsafePointer<UInt16>
) -> (Int, Int) {
    var o = out, i = start
    // Where literal copying began: whitespace after it may be taken back at a line end.
    var literalStart = start
    let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
    while i < end {
        // Find the next "=" or LF, copying what comes before it (no scan when already there).
        var p = i
        let first = src[i]
        if first != ASCII.equals && first != ASCII.lf {
            while p &+ 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(src + p).loadUnaligned(as: UInt64.self))
                UnsafeMutableRawPointer(d + (o &+ (p &- i))).storeBytes(of: word.littleEndian, as: UInt64.self)
                let eq = word ^ 0x3D3D_3D3D_3D3D_3D3D, lf = word ^ 0x0A0A_0A0A_0A0A_0A0A
                let hit = ((eq &- ones) & ~eq | (lf &- ones) & ~lf) & highs
                if hit != 0 {
                    p &+= hit.trailingZeroBitCount >> 3
                    break
                }
                p &+= 8
            }
            while p < end && src[p] != ASCII.equals && src[p] != ASCII.lf {
                d[o &+ (p &- i)] = src[p]
                p &+= 1
            }
        }
        o &+= p &- i
        i = p
        if src[i] == ASCII.lf {
            // A hard line break: take back trailing whitespace and the CR before the LF.
            var k = i
            let crlf = k > literalStart && src[k &- 1] == ASCII.cr
            if crlf { k &-= 1 }
            while k > literalStart && ASCII.isWSP(src[k &- 1]) { k &-= 1 }
            o &-= i &- k
            if crlf { d[o] = ASCII.cr; o &+= 1 }
            d[o] = ASCII.lf
            o &+= 1
            i &+= 1
            literalStart = i
            continue
        }
        // src[i] is "=" and a LF follows somewhere before `end`.
        let a = src[i &+ 1]
        if a == ASCII.lf {
            i &+= 2  // RFC 2045 §6.7 rule (5): a soft line break
            literalStart = i
            continue
        }
        let b = src[i &+ 2]
        if a == ASCII.cr && b == ASCII.lf {
            i &+= 3
            literalStart = i
            continue
        }
        let v = hex[Int(a)] << 4 | hex[Int(b)]
        if v < 256 {
            d[o] = UInt8(truncatingIfNeeded: v)  // rule (1), hex digits of either case
            o &+= 1
            i &+= 3
            literalStart = i
            continue
        }
        if ASCII.isWSP(a) || a == ASCII.cr {
            // "=" then blanks up to the line end is a soft break with transport padding.
            var k = i &+ 1
            while ASCII.isWSP(src[k]) { k &+= 1 }
            if src[k] == ASCII.lf || (src[k] == ASCII.cr && src[k &+ 1] == ASCII.lf) {
                i = src[k] == ASCII.lf ? k &+ 1 : k &+ 2
                literalStart = i
                continue
            }
        }
        d[o] = ASCII.equals  // not an escape: the "=" stands for itself
        o &+= 1
        i &+= 1
    }
    return (o, i)
}

/// Decodes `input` into `d` (at least count + carried + 11 bytes); returns the bytes written.
private func qpDecode(_ input: UnsafeBufferPointer<UInt8>, into d: UnsafeMutablePointer<UInt8>, run: inout QPDecodeRun) -> Int {
    guard let src = input.baseAddress else { return 0 }
    let n = input.count
    var o = 0, i = 0
    var state = run.state, h = run.hexDigit
    // Pending whitespace: what earlier chunks carried, then input[wsStart..<wsEnd].
    var carried = run.carried
    var wsStart = 0, wsEnd = 0
    while i < n {
        if state == .text && wsStart == wsEnd && carried.isEmpty {
            // Fast path: everything up to the last line break of this chunk.
            var end = n
            while end > i && src[end - 1] != ASCII.lf { end -= 1 }
            if end > i {
                qpHexValues.withUnsafeBufferPointer { table in
                    guard let hex = table.baseAddress else { return }
                    (o, i) = qpDecodeLines(src, from: i, to: end, into: d, at: o, hex: hex)
                }
            }
            if i >= n { break }
        }
        // Slow path: one byte through the state machine.
        let c = src[i]
        switch state {
        case .text:
            if qpIsPlain(c) || c == ASCII.equals {
                for w in carried { d[o] = w; o += 1 }
                carried.removeAll()
                while wsStart < wsEnd { d[o] = src[wsStart]; o += 1; wsStart += 1 }
                if c == ASCII.equals { state = .equals } else { d[o] = c; o += 1 }
            } else if c == ASCII.space || c == ASCII.tab {
                if wsStart == wsEnd { wsStart = i }
                wsEnd = i + 1
            } else if c == ASCII.cr {
                state = .textCR
            } else {
                carried.removeAll()  // LF: RFC 2045 §6.7 rule (3), trailing whitespace is deleted
                wsStart = wsEnd
                d[o] = ASCII.lf
                o += 1
            }
            i += 1
        case .textCR:
            state = .text
            if c == ASCII.lf {
                carried.removeAll()
                wsStart = wsEnd
                d[o] = ASCII.cr
                d[o + 1] = ASCII.lf
                o += 2
                i += 1
            } else {
                for w in carried { d[o] = w; o += 1 }
                carried.removeAll()
                while wsStart < wsEnd { d[o] = src[wsStart]; o += 1; wsStart += 1 }
                d[o] = ASCII.cr
                o += 1
            }
        case .equals:
            i += 1
            if ASCII.hexValue(c) != nil {
                h = c
                state = .equalsHex
            } else if ASCII.isWSP(c) {
                wsStart = i - 1
                wsEnd = i
                state = .equalsWhitespace
            } else if c == ASCII.cr {
                state = .equalsCR
            } else if c == ASCII.lf {
                state = .text  // soft line break (rule (5))
            } else {
                d[o] = ASCII.equals  // invalid: keep the "=" and go on
                o += 1
                state = .text
                i -= 1
            }
        case .equalsHex:
            if let hi = ASCII.hexValue(h), let lo = ASCII.hexValue(c) {
                d[o] = hi << 4 | lo
                o += 1
                i += 1
            } else {
                d[o] = ASCII.equals
                d[o + 1] = h
                o += 2
            }
            state = .text
        case .equalsWhitespace:
            if ASCII.isWSP(c) {
                if wsStart == wsEnd { wsStart = i }
                wsEnd = i + 1
                i += 1
            } else if c == ASCII.cr {
                state = .equalsCR
                i += 1
            } else if c == ASCII.lf {
                carried.removeAll()  // a soft break after padding blanks
                wsStart = wsEnd
                state = .text
                i += 1
            } else {
                d[o] = ASCII.equals  // not a soft break: "=" and the blanks stand
                o += 1
                state = .text
            }
        case .equalsCR:
            if c == ASCII.lf {
                carried.removeAll()
                wsStart = wsEnd
                state = .text
                i += 1
            } else {
                d[o] = ASCII.equals
                o += 1
                for w in carried { d[o] = w; o += 1 }
                carried.removeAll()
                while wsStart < wsEnd { d[o] = src[wsStart]; o += 1; wsStart += 1 }
                d[o] = ASCII.cr
                o += 1
                state = .text
            }
        }
    }
    // Whitespace still pending is carried to the next chunk.
    if wsStart < wsEnd { carried.append(contentsOf: UnsafeBufferPointer(start: src + wsStart, count: wsEnd - wsStart)) }
    run.state = state
    run.hexDigit = h
    run.carried = carried
    return o
}
