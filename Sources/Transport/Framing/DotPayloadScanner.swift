// Decoding of a dot-stuffed payload (RFC 5321 §4.5.2, RFC 3977 §3.1.1):
// un-stuffs a leading ".", ends only on CRLF "." CRLF, streams chunks, and
// applies the payload's size cap and bare-CR/LF policy.
//
// The end marker is recognised only after a real CRLF: a bare LF or CR, even
// when normalised, never starts a line that can end the payload. That is the
// whole SMTP smuggling defence: "\n.\n" or "\r.\r" inside DATA is data (or an
// error), never the end of one message and the start of another.
import NIOCore

struct DotPayloadScanner: Sendable {
    private enum State: Sendable {
        /// Right after CRLF (or at the start of the payload).
        case lineStart
        /// A "." at line start: stuffing, or the first byte of the end marker.
        case dot
        /// "." CR at line start: the end marker if LF follows.
        case dotCR
        case text
        /// A CR inside a line: CRLF if LF follows, else a bare CR.
        case carriageReturn
        /// The end marker was consumed; `payloadEnd` is due.
        case ended
    }

    private var state = State.lineStart
    private var delivered = 0
    private var failure: PayloadError?

    mutating func next(from buffer: inout ByteBuffer, options: DotStuffedOptions, maxChunkSize: Int) -> FrameEvent? {
        if case .ended = state {
            return .payloadEnd(failure)
        }
        var output = ByteBuffer()
        let consumed = buffer.withUnsafeReadableBytes { bytes in
            scan(bytes, into: &output, options: options, maxChunkSize: maxChunkSize)
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        if output.readableBytes > 0 {
            return .payload(output)
        }
        if case .ended = state {
            return .payloadEnd(failure)
        }
        return nil
    }

    /// Scans `bytes`, appending decoded payload to `output`, and returns how
    /// many bytes were decided. Bytes of an undecided line ending or dot are
    /// left for the next call, with the state rewound to before them.
    private mutating func scan(
        _ bytes: UnsafeRawBufferPointer,
        into output: inout ByteBuffer,
        options: DotStuffedOptions,
        maxChunkSize: Int
    ) -> Int {
        let count = bytes.count
        var index = 0
        var pendingStart = 0
        // Room for the longest single write (a CRLF) keeps chunks within maxChunkSize.
        while index < count && maxChunkSize - output.readableBytes >= 2 {
            switch state {
            case .lineStart:
                if bytes[index] == .period {
                    pendingStart = index
                    state = .dot
                    index += 1
                } else {
                    state = .text
                }
            case .dot:
                if bytes[index] == .carriageReturn {
                    state = .dotCR
                    index += 1
                } else {
                    // RFC 5321 §4.5.2: a line starting with "." and holding more: drop the dot.
                    state = .text
                }
            case .dotCR:
                if bytes[index] == .lineFeed {
                    state = .ended
                    return index + 1
                }
                // "." CR x: stuffing dot dropped, then a bare CR.
                bareLineEnding(.carriageReturn, into: &output, options: options)
                state = .text
            case .text:
                let runEnd = Self.firstLineEndingByte(in: bytes, from: index, limit: maxChunkSize - output.readableBytes)
                emit(bytes, index..<runEnd, into: &output, options: options)
                index = runEnd
                guard index < count, maxChunkSize - output.readableBytes >= 2 else { break }
                if bytes[index] == .carriageReturn {
                    pendingStart = index
                    state = .carriageReturn
                } else if bytes[index] == .lineFeed {
                    bareLineEnding(.lineFeed, into: &output, options: options)
                }
                index += 1
            case .carriageReturn:
                if bytes[index] == .lineFeed {
                    emit(crlf, into: &output, options: options)
                    state = .lineStart
                    index += 1
                } else {
                    bareLineEnding(.carriageReturn, into: &output, options: options)
                    state = .text
                }
            case .ended:
                return index
            }
        }
        switch state {
        case .dot, .dotCR:
            state = .lineStart
            return pendingStart
        case .carriageReturn:
            state = .text
            return pendingStart
        case .lineStart, .text, .ended:
            return index
        }
    }

    private static func firstLineEndingByte(in bytes: UnsafeRawBufferPointer, from start: Int, limit: Int) -> Int {
        let end = min(bytes.count, start + max(limit, 0))
        var index = start
        while index < end {
            let byte = bytes[index]
            if byte == .carriageReturn || byte == .lineFeed { return index }
            index += 1
        }
        return end
    }

    private mutating func bareLineEnding(_ byte: UInt8, into output: inout ByteBuffer, options: DotStuffedOptions) {
        switch options.lineEndings {
        case .reject:
            fail(.bareLineEnding)
        case .normalize:
            emit(crlf, into: &output, options: options)
        case .passThrough:
            emit(byte == .lineFeed ? lf : cr, into: &output, options: options)
        }
    }

    private mutating func emit(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, into output: inout ByteBuffer, options: DotStuffedOptions
    ) {
        guard !range.isEmpty, admit(range.count, options: options) else { return }
        output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    private mutating func emit(_ literal: [UInt8], into output: inout ByteBuffer, options: DotStuffedOptions) {
        guard admit(literal.count, options: options) else { return }
        output.writeBytes(literal)
    }

    /// Counts `count` more payload bytes against the cap; false once the
    /// payload has failed, so nothing more is delivered.
    private mutating func admit(_ count: Int, options: DotStuffedOptions) -> Bool {
        guard failure == nil else { return false }
        guard delivered + count <= options.maxBytes else {
            fail(.tooLarge)
            return false
        }
        delivered += count
        return true
    }

    private mutating func fail(_ error: PayloadError) {
        if failure == nil { failure = error }
    }
}

private let crlf: [UInt8] = [.carriageReturn, .lineFeed]
private let cr: [UInt8] = [.carriageReturn]
private let lf: [UInt8] = [.lineFeed]
