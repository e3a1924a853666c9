// Bytes: ASCII constants and small byte-level helpers shared by every parser in the module.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// ASCII byte values used by the parsers.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let percent: UInt8 = 0x25
    static let apostrophe: UInt8 = 0x27
    static let openParen: UInt8 = 0x28
    static let closeParen: UInt8 = 0x29
    static let asterisk: UInt8 = 0x2A
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let lessThan: UInt8 = 0x3C
    static let equals: UInt8 = 0x3D
    static let greaterThan: UInt8 = 0x3E
    static let question: UInt8 = 0x3F
    static let at: UInt8 = 0x40
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F

    @inline(__always) static func isWSP(_ b: UInt8) -> Bool { b == space || b == tab }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// The value of a hexadecimal digit (either case), or nil.
    @inline(__always) static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    static let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}

/// Line endings the writers can produce.
public enum LineEnding: Sendable, Hashable {
    /// CR LF, the Internet canonical form (RFC 5322 §2.1, RFC 2045 §2.10).
    case crlf
    /// A bare LF, the Unix form (what coreutils `base64` writes).
    case lf

    var bytes: [UInt8] { self == .crlf ? [ASCII.cr, ASCII.lf] : [ASCII.lf] }
}

// MARK: - Searching

/// The index of the first `byte` in `buffer[from..<to]`, or nil; uses the C library's
/// vectorised `memchr`.
@inline(__always)
func findByte(_ byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
    guard from < to, let base = buffer.baseAddress else { return nil }
    guard let hit = memchr(base + from, Int32(byte), to - from) else { return nil }
    return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
}

/// The end of the line that starts at `start` (the index after its LF, or `end`).
@inline(__always)
func lineEnd(in buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
    if let lf = findByte(ASCII.lf, in: buffer, from: start, to: end) { return lf + 1 }
    return end
}

/// The end of a line's content: `end` less a trailing LF or CR LF.
@inline(__always)
func contentEnd(in buffer: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Int {
    var e = end
    if e > start && buffer[e - 1] == ASCII.lf {
        e -= 1
        if e > start && buffer[e - 1] == ASCII.cr { e -= 1 }
    }
    return e
}

// MARK: - Comparing and converting

extension Collection where Element == UInt8 {
    /// Whether the bytes equal `other` ignoring ASCII case.
    func equalsCaseInsensitive(_ other: some Collection<UInt8>) -> Bool {
        guard count == other.count else { return false }
        return zip(self, other).allSatisfy { ASCII.lower($0) == ASCII.lower($1) }
    }

    /// Whether the bytes start with `prefix` ignoring ASCII case.
    func hasPrefixCaseInsensitive(_ prefix: some Collection<UInt8>) -> Bool {
        guard count >= prefix.count else { return false }
        return zip(self, prefix).allSatisfy { ASCII.lower($0) == ASCII.lower($1) }
    }
}

extension String {
    /// Bytes as text: UTF-8 where valid (RFC 6532), otherwise Latin-1, so no byte is lost.
    init(mailBytes bytes: some Collection<UInt8>) {
        if let s = String(validating: bytes, as: UTF8.self) {
            self = s
        } else {
            self = String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        }
    }

    /// The string lower-cased in ASCII only (header names, MIME types and parameter names).
    var asciiLowercased: String {
        String(decoding: utf8.map { ASCII.lower($0) }, as: UTF8.self)
    }
}

/// Bytes with leading and trailing SP, HT, CR and LF removed.
func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var s = bytes.startIndex
    var e = bytes.endIndex
    while s < e, ASCII.isWSP(bytes[s]) || bytes[s] == ASCII.cr || bytes[s] == ASCII.lf { s += 1 }
    while e > s, ASCII.isWSP(bytes[e - 1]) || bytes[e - 1] == ASCII.cr || bytes[e - 1] == ASCII.lf { e -= 1 }
    return bytes[s..<e]
}
