// The strict, streaming framer for text protocols (STYLE.md rule 4).
//
// `next(from:)` is a pure step over the bytes received so far: it returns an
// event, or nil when it needs more bytes. Bytes of a partial line, or of a
// partial line ending inside a payload, stay in the buffer; the only bytes it
// consumes without an event are those it discards (the rest of an over-long
// line, a refused payload). Memory stays bounded by `maxLineLength` and
// `maxChunkSize` whatever the peer sends.
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct FrameDecoder: Sendable {
    public static let defaultChunkSize = 64 * 1024

    /// The longest line accepted, its line ending included (RFC 5321 §4.5.3.1.4
    /// and §4.5.3.1.6 count the CRLF too).
    public var maxLineLength: Int
    public var lineEndings: LineEndingPolicy
    /// The largest `payload` event; bigger payloads arrive as several chunks.
    public var maxChunkSize: Int

    public private(set) var mode: FramingMode = .lines
    private var discardingLongLine = false
    private var dotPayload = DotPayloadScanner()
    private var countedRemaining = 0
    private var countedEndPending = false

    public init(maxLineLength: Int, lineEndings: LineEndingPolicy, maxChunkSize: Int = Self.defaultChunkSize) {
        precondition(maxLineLength >= 2 && maxChunkSize >= 2)
        self.maxLineLength = maxLineLength
        self.lineEndings = lineEndings
        self.maxChunkSize = maxChunkSize
    }

    /// Switches mode at an event boundary; the next bytes are read in the new mode.
    public mutating func expect(_ mode: FramingMode) {
        self.mode = mode
        switch mode {
        case .lines:
            break
        case .dotStuffed:
            dotPayload = DotPayloadScanner()
        case .counted(let count):
            countedRemaining = max(0, count)
            countedEndPending = true
        case .raw:
            break
        }
    }

    /// True when no partial line or payload is in progress: the framer sits
    /// between two lines.
    public var isAtLineBoundary: Bool {
        switch mode {
        case .lines: return !discardingLongLine
        case .raw: return true
        case .dotStuffed, .counted: return false
        }
    }

    public mutating func next(from buffer: inout ByteBuffer) -> FrameEvent? {
        switch mode {
        case .lines:
            return nextLine(from: &buffer)
        case .dotStuffed(let options):
            guard let event = dotPayload.next(from: &buffer, options: options, maxChunkSize: maxChunkSize) else {
                return nil
            }
            if case .payloadEnd = event { mode = .lines }
            return event
        case .counted:
            return nextCounted(from: &buffer)
        case .raw:
            let length = min(buffer.readableBytes, maxChunkSize)
            guard length > 0, let chunk = buffer.readSlice(length: length) else { return nil }
            return .payload(chunk)
        }
    }

    // MARK: - Lines

    private mutating func nextLine(from buffer: inout ByteBuffer) -> FrameEvent? {
        if discardingLongLine {
            guard let lf = buffer.firstIndexOfByte(.lineFeed, within: buffer.readableBytes) else {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                return nil
            }
            buffer.moveReaderIndex(forwardBy: lf + 1)
            discardingLongLine = false
            return .lineTooLong
        }
        guard let lf = buffer.firstIndexOfByte(.lineFeed, within: maxLineLength) else {
            if buffer.readableBytes >= maxLineLength {
                if let lateLF = buffer.firstIndexOfByte(.lineFeed, within: buffer.readableBytes) {
                    buffer.moveReaderIndex(forwardBy: lateLF + 1)
                    return .lineTooLong
                }
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                discardingLongLine = true
            }
            return nil
        }
        let endsInCRLF = lf > 0 && buffer.getInteger(at: buffer.readerIndex + lf - 1, as: UInt8.self) == .carriageReturn
        let contentLength = endsInCRLF ? lf - 1 : lf
        switch lineEndings {
        case .strict:
            let hasBareCR = buffer.firstIndexOfByte(.carriageReturn, within: contentLength) != nil
            guard endsInCRLF, !hasBareCR else {
                buffer.moveReaderIndex(forwardBy: lf + 1)
                return .bareLineEnding
            }
        case .tolerateBareLF:
            break
        }
        guard let line = buffer.readSlice(length: contentLength) else { return nil }
        buffer.moveReaderIndex(forwardBy: lf + 1 - contentLength)
        return .line(line)
    }

    // MARK: - Counted bytes

    private mutating func nextCounted(from buffer: inout ByteBuffer) -> FrameEvent? {
        if countedRemaining == 0 {
            guard countedEndPending else { return nil }
            countedEndPending = false
            mode = .lines
            return .payloadEnd(nil)
        }
        let length = min(countedRemaining, buffer.readableBytes, maxChunkSize)
        guard length > 0, let chunk = buffer.readSlice(length: length) else { return nil }
        countedRemaining -= length
        return .payload(chunk)
    }
}

extension UInt8 {
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let period: UInt8 = 0x2E
}

extension ByteBuffer {
    /// The offset from the reader index of the first `byte` among the first
    /// `limit` readable bytes.
    func firstIndexOfByte(_ byte: UInt8, within limit: Int) -> Int? {
        let count = Swift.min(limit, readableBytes)
        guard count > 0 else { return nil }
        return withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, let hit = memchr(base, Int32(byte), count) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
    }
}
