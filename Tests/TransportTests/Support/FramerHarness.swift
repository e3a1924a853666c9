// Drives a FrameDecoder the way SessionHandler does: feeds the input in
// pieces of a given size, takes every event it yields, and switches mode
// after the lines that ask for it ("DATA" -> dot-stuffed, "LIT n" -> n
// counted bytes). It merges consecutive payload chunks, so runs fed in
// different chunk sizes can be compared, and checks the framer's memory
// bounds on the way.
import NIOCore
import Testing
@testable import Transport

/// A framer event with payload chunks merged.
enum Framed: Equatable, CustomStringConvertible {
    case line([UInt8])
    case lineTooLong
    case bareLineEnding
    case payload([UInt8])
    case end(PayloadError?)

    static func text(_ text: String) -> Framed { .line(Array(text.utf8)) }
    static func data(_ text: String) -> Framed { .payload(Array(text.utf8)) }

    var description: String {
        switch self {
        case .line(let bytes): return "line(\(visible(bytes)))"
        case .lineTooLong: return "lineTooLong"
        case .bareLineEnding: return "bareLineEnding"
        case .payload(let bytes): return "payload(\(visible(bytes)))"
        case .end(let error): return "end(\(error.map { "\($0)" } ?? "ok"))"
        }
    }
}

/// The chunk sizes every codec is fed in (STYLE.md rule 11); `Int.max` is
/// the whole input at once.
let chunkSizes = [Int.max, 1, 16, 1024, 4096]

struct FramerRun {
    var events: [Framed] = []
    /// Broken invariants (memory bounds, rule 1), in words.
    var violations: [String] = []
    /// Bytes left in the buffer at the end.
    var leftover = 0
}

struct Framing {
    var maxLineLength = 64
    var lineEndings = LineEndingPolicy.strict
    var maxChunkSize = FrameDecoder.defaultChunkSize
    var payload = DotStuffedOptions(maxBytes: 1 << 20, lineEndings: .reject)
    /// When set, the mode switch after the n-th line (counted from 0)
    /// instead of the DATA/LIT script: the fuzz test's random switches.
    var switchAfterLine: ((Int) -> FramingMode?)?

    func makeDecoder() -> FrameDecoder {
        FrameDecoder(maxLineLength: maxLineLength, lineEndings: lineEndings, maxChunkSize: maxChunkSize)
    }

    private func mode(afterLine index: Int, _ line: [UInt8]) -> FramingMode? {
        if let switchAfterLine { return switchAfterLine(index) }
        let text = String(decoding: line, as: UTF8.self)
        if text == "DATA" { return .dotStuffed(payload) }
        if text.hasPrefix("LIT "), let count = Int(text.dropFirst(4)) { return .counted(count) }
        return nil
    }

    /// Feeds `input` in pieces of `chunkSize` bytes.
    func run(_ input: [UInt8], chunkSize: Int) -> FramerRun {
        var pieces: [Range<Int>] = []
        var start = 0
        while start < input.count {
            let end = input.count - start > chunkSize ? start + chunkSize : input.count
            pieces.append(start..<end)
            start = end
        }
        return run(input, pieces: pieces)
    }

    /// Feeds `input` cut into the given consecutive ranges.
    func run(_ input: [UInt8], pieces: [Range<Int>]) -> FramerRun {
        var decoder = makeDecoder()
        var buffer = ByteBuffer()
        var result = FramerRun()
        var lines = 0
        var rounds = 0
        for piece in pieces {
            buffer.writeBytes(input[piece])
            while let event = decoder.next(from: &buffer) {
                rounds += 1
                if rounds > 10 * input.count + 100 {
                    result.violations.append("no progress: events without end")
                    return result
                }
                check(event, into: &result)
                switch event {
                case .line(let line):
                    let bytes = Array(line.readableBytesView)
                    append(.line(bytes), to: &result.events)
                    if let mode = mode(afterLine: lines, bytes) { decoder.expect(mode) }
                    lines += 1
                case .lineTooLong: append(.lineTooLong, to: &result.events)
                case .bareLineEnding: append(.bareLineEnding, to: &result.events)
                case .payload(let chunk): append(.payload(Array(chunk.readableBytesView)), to: &result.events)
                case .payloadEnd(let error): append(.end(error), to: &result.events)
                }
            }
            checkNeedMore(decoder: &decoder, buffer: buffer, into: &result)
        }
        result.leftover = buffer.readableBytes
        return result
    }

    /// Runs the input at every chunk size, expects the same events from
    /// each (a payload refused as too large may have delivered a different
    /// prefix first, so that prefix is left out of the comparison) and no
    /// broken invariant; returns the events of the whole-input run.
    func events(_ input: String, sourceLocation: SourceLocation = #_sourceLocation) -> [Framed] {
        events(Array(input.utf8), sourceLocation: sourceLocation)
    }

    func events(_ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> [Framed] {
        let whole = run(input, chunkSize: Int.max)
        #expect(whole.violations == [], sourceLocation: sourceLocation)
        for size in chunkSizes.dropFirst() {
            let chunked = run(input, chunkSize: size)
            #expect(chunked.violations == [], "chunk size \(size)", sourceLocation: sourceLocation)
            #expect(
                comparable(chunked.events) == comparable(whole.events),
                "chunk size \(size) differs from the whole input", sourceLocation: sourceLocation)
        }
        return comparable(whole.events)
    }

    // MARK: - Invariants

    private func check(_ event: FrameEvent, into result: inout FramerRun) {
        switch event {
        case .line(let line):
            // The limit counts the line ending: at least one byte of it.
            if line.readableBytes > maxLineLength - 1 {
                result.violations.append("line of \(line.readableBytes) bytes over the limit \(maxLineLength)")
            }
        case .payload(let chunk):
            if chunk.readableBytes > maxChunkSize {
                result.violations.append("payload chunk of \(chunk.readableBytes) bytes over \(maxChunkSize)")
            }
            if chunk.readableBytes == 0 {
                result.violations.append("empty payload chunk")
            }
        case .lineTooLong, .bareLineEnding, .payloadEnd:
            break
        }
    }

    /// After `nil` the framer needs more bytes: asking again changes nothing,
    /// and what it keeps is bounded (a partial line under the limit, at most
    /// a "." CR of a possible end marker, nothing of a counted payload).
    private func checkNeedMore(decoder: inout FrameDecoder, buffer: ByteBuffer, into result: inout FramerRun) {
        var again = buffer
        if let event = decoder.next(from: &again) {
            result.violations.append("nil, then \(event) from the same bytes")
        } else if again.readableBytes != buffer.readableBytes {
            result.violations.append("a second nil consumed bytes")
        }
        let bound: Int
        switch decoder.mode {
        case .lines: bound = maxLineLength - 1
        case .dotStuffed: bound = 2
        case .counted, .raw: bound = 0
        }
        if buffer.readableBytes > bound {
            result.violations.append("kept \(buffer.readableBytes) bytes in mode \(decoder.mode), bound \(bound)")
        }
    }
}

private func append(_ event: Framed, to events: inout [Framed]) {
    if case .payload(let more) = event, case .payload(let earlier)? = events.last {
        events[events.count - 1] = .payload(earlier + more)
    } else {
        events.append(event)
    }
}

/// Leaves out what a too-large payload delivered before the cap was hit
/// (how much fits depends on how the bytes were cut), and the part of a
/// payload still open when the input ends (it may yet hit the cap).
func comparable(_ events: [Framed]) -> [Framed] {
    var out: [Framed] = []
    for event in events {
        if case .end(.tooLarge) = event, case .payload? = out.last {
            out.removeLast()
        }
        out.append(event)
    }
    if case .payload? = out.last {
        out.removeLast()
    }
    return out
}

func visible(_ bytes: [UInt8]) -> String {
    var text = "\""
    for byte in bytes {
        switch byte {
        case 0x0D: text += "\\r"
        case 0x0A: text += "\\n"
        case 0x20...0x7E: text.append(Character(Unicode.Scalar(byte)))
        default: text += "\\x" + String(byte, radix: 16)
        }
    }
    return text + "\""
}

/// SplitMix64: a small seeded generator, so random tests repeat exactly.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
