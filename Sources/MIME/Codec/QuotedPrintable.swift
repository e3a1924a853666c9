// Quoted-printable encoding: the RFC 2045 §6.7 transfer encoding, streaming and one-shot,
// over bytes. Strict: lines of at most 76 characters, "=XX" in upper-case hex, trailing
// whitespace encoded, line breaks written as CRLF (or LF), and optionally a leading "F" or
// "." encoded so "From " lines and lone dots survive mbox files and SMTP (RFC 2049 §3 (8)).
// The decoder is in QuotedPrintableDecoder.swift.

/// RFC 2045 §6.7 rule (2): 33 through 60 and 62 through 126 may be written literally.
@inline(__always) private func qpIsLiteral(_ b: UInt8) -> Bool {
    b >= 33 && b <= 126 && b != ASCII.equals
}

/// An upper-case hex digit for a value 0...15.
@inline(__always) private func qpHexDigit(_ v: UInt8) -> UInt8 {
    v < 10 ? 0x30 + v : 0x37 + v
}

// MARK: - Encoder

/// A streaming quoted-printable encoder (RFC 2045 §6.7).
public struct QuotedPrintableEncoder: Sendable {
    /// Choices for the encoder's output.
    public struct Options: Sendable, Hashable {
        /// The line ending written for hard and soft line breaks.
        public var lineEnding: LineEnding
        /// Text mode: CRLF or LF in the input is a hard line break (RFC 2045 §6.7 rule (4)).
        /// Binary mode encodes CR and LF as "=0D" and "=0A".
        public var isText: Bool
        /// Encode an "F" that starts a line, so no line starts with "From " (RFC 2049 §3 (8)).
        public var encodeLeadingF: Bool
        /// Encode a "." that starts a line, so no line is a lone dot (RFC 2049 §3 (8)).
        public var encodeLeadingDot: Bool

        public init(lineEnding: LineEnding = .crlf, isText: Bool = true, encodeLeadingF: Bool = false, encodeLeadingDot: Bool = false) {
            self.lineEnding = lineEnding
            self.isText = isText
            self.encodeLeadingF = encodeLeadingF
            self.encodeLeadingDot = encodeLeadingDot
        }
    }

    /// RFC 2045 §6.7 rule (5): encoded lines are at most 76 characters, the soft break's
    /// "=" included.
    public static let maxLineLength = 76

    public let options: Options
    private var column = 0
    private var pendingWhitespace: UInt8 = 0  // 0: none
    private var pendingCR = false

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Encodes the whole of `bytes` at once.
    public static func encode(_ bytes: some Collection<UInt8>, options: Options = Options()) -> [UInt8] {
        var encoder = QuotedPrintableEncoder(options: options)
        var out = encoder.encode(bytes)
        out += encoder.finish()
        return out
    }

    /// Encodes the next chunk and returns the output it completes.
    public mutating func encode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        if let out = chunk.withContiguousStorageIfAvailable({ encode(buffer: $0, final: false) }) { return out }
        return Array(chunk).withUnsafeBufferPointer { encode(buffer: $0, final: false) }
    }

    /// Writes what the last chunk left pending: trailing whitespace is encoded since it
    /// ends the last line (RFC 2045 §6.7 rule (3)); no line ending is added.
    public mutating func finish() -> [UInt8] {
        encode(buffer: UnsafeBufferPointer(start: nil, count: 0), final: true)
    }

    /// The most bytes `encode(_:into:)` writes for `count` bytes of input.
    public func maxOutputCount(forInputCount count: Int) -> Int { 4 * count + 64 }

    /// Encodes the next chunk into `output`, which must have room for
    /// `maxOutputCount(forInputCount:)` bytes; returns the number of bytes written.
    public mutating func encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int {
        encode(input, into: output, final: false)
    }

    private mutating func encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>, final: Bool) -> Int {
        var state = QPEncodeState(
            column: column, whitespace: pendingWhitespace, pendingCR: pendingCR, crlf: options.lineEnding == .crlf,
            isText: options.isText, leadF: options.encodeLeadingF, leadDot: options.encodeLeadingDot)
        let written = qpEncode(input, into: output, state: &state, final: final)
        column = state.column
        pendingWhitespace = state.whitespace
        pendingCR = state.pendingCR
        return written
    }

    private mutating func encode(buffer input: UnsafeBufferPointer<UInt8>, final: Bool) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: maxOutputCount(forInputCount: input.count)) { buffer, count in
            guard let base = buffer.baseAddress else { count = 0; return }
            count = encode(input, into: base, final: final)
        }
    }
}

/// The encoder's state while it runs, kept in one value so the loop works in registers.
private struct QPEncodeState {
    var column: Int
    var whitespace: UInt8
    var pendingCR: Bool
    let crlf: Bool
    let isText: Bool
    let leadF: Bool
    let leadDot: Bool
}

/// Writes encoded output into a buffer sized by the caller, tracking the output column.
private struct QPWriter {
    let d: UnsafeMutablePointer<UInt8>
    var o = 0
    var col: Int
    let crlf: Bool
    let leadF: Bool
    let leadDot: Bool
    /// The characters a line may hold before a soft break's "=" (RFC 2045 §6.7 rule (5)).
    static let limit = QuotedPrintableEncoder.maxLineLength - 1

    @inline(__always) mutating func lineBreak() {
        if crlf { d[o] = ASCII.cr; o += 1 }
        d[o] = ASCII.lf
        o += 1
        col = 0
    }

    /// RFC 2045 §6.7 rule (5): a soft line break when `width` more characters would not fit.
    @inline(__always) mutating func room(_ width: Int) {
        if col + width > Self.limit {
            d[o] = ASCII.equals
            o += 1
            lineBreak()
        }
    }

    /// RFC 2045 §6.7 rule (1): "=" and two upper-case hex digits.
    @inline(__always) mutating func escaped(_ b: UInt8) {
        room(3)
        d[o] = ASCII.equals
        d[o + 1] = qpHexDigit(b >> 4)
        d[o + 2] = qpHexDigit(b & 15)
        o += 3
        col += 3
    }

    @inline(__always) mutating func literal(_ b: UInt8) {
        room(1)
        if col == 0 && ((leadF && b == 0x46) || (leadDot && b == ASCII.dot)) {
            escaped(b)  // RFC 2049 §3 (8): no line may start "From " or be a lone "."
        } else {
            d[o] = b
            o += 1
            col += 1
        }
    }
}

/// Encodes `input` into `d` (at least 4 × count + 64 bytes) and returns the bytes written.
private func qpEncode(_ input: UnsafeBufferPointer<UInt8>, into d: UnsafeMutablePointer<UInt8>, state st: inout QPEncodeState, final: Bool) -> Int {
    var w = QPWriter(d: d, col: st.column, crlf: st.crlf, leadF: st.leadF, leadDot: st.leadDot)
    var ws = st.whitespace, cr = st.pendingCR
    let isText = st.isText
    let limit = QPWriter.limit
    if let src = input.baseAddress {
        let n = input.count
        var i = 0
        while i < n {
            let b = src[i]
            if cr {
                cr = false
                if b == ASCII.lf && isText {
                    // RFC 2045 §6.7 rule (3): whitespace at the end of a line is encoded.
                    if ws != 0 { w.escaped(ws); ws = 0 }
                    w.lineBreak()
                    i += 1
                    continue
                }
                if ws != 0 { w.literal(ws); ws = 0 }
                w.escaped(ASCII.cr)
            }
            if qpIsLiteral(b) {
                if ws != 0 { w.literal(ws); ws = 0 }
                w.literal(b)
                i += 1
                // The run of literal bytes and spaces that fits on the line, eight at a time.
                let stop = min(n, i + (limit - w.col))
                let first = i
                let out = w.o
                while i &+ 8 <= stop {
                    let word = UInt64(littleEndian: UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self))
                    UnsafeMutableRawPointer(d + (out &+ (i &- first))).storeBytes(of: word.littleEndian, as: UInt64.self)
                    let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
                    let eq = word ^ 0x3D3D_3D3D_3D3D_3D3D, del = word ^ 0x7F7F_7F7F_7F7F_7F7F
                    let stopBytes = (word | (word &- 0x2020_2020_2020_2020) & ~word
                        | (eq &- ones) & ~eq | (del &- ones) & ~del) & highs
                    if stopBytes != 0 {
                        i &+= stopBytes.trailingZeroBitCount >> 3
                        break
                    }
                    i &+= 8
                }
                while i < stop {
                    let c = src[i]
                    if !(qpIsLiteral(c) || c == ASCII.space) { break }
                    d[out &+ (i &- first)] = c
                    i &+= 1
                }
                // A space that ends the run may end a line: it goes through the slow path.
                if i > first && src[i &- 1] == ASCII.space { i &-= 1 }
                w.o = out &+ (i &- first)
                w.col &+= i &- first
                continue
            }
            if b == ASCII.space || b == ASCII.tab {
                if ws != 0 { w.literal(ws) }
                ws = b  // written once we know whether the line ends here
            } else if isText && b == ASCII.cr {
                cr = true
            } else if isText && b == ASCII.lf {
                // A bare LF is a line break too (RFC 2045 §6.7 rule (4), leniently).
                if ws != 0 { w.escaped(ws); ws = 0 }
                w.lineBreak()
            } else {
                if ws != 0 { w.literal(ws); ws = 0 }
                w.escaped(b)
            }
            i += 1
        }
    }
    if final {
        if cr {
            if ws != 0 { w.literal(ws); ws = 0 }
            w.escaped(ASCII.cr)
            cr = false
        }
        if ws != 0 { w.escaped(ws); ws = 0 }
    }
    st.column = w.col
    st.whitespace = ws
    st.pendingCR = cr
    return w.o
}
