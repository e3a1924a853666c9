// The one encoder of dot-stuffed payloads (RFC 5321 §4.5.2, RFC 3977 §3.1.1):
// SMTP DATA from the client side, POP3/NNTP multi-line responses from the
// server side. The decoder is `DotPayloadScanner`.
import NIOCore

public struct DotStuffer: Sendable {
    /// When true, a bare LF (or bare CR) in the input is sent as CRLF, so that
    /// files with Unix line endings go on the wire correctly.
    public var normalizesLineEndings: Bool
    private var atLineStart = true
    private var pendingCR = false

    public init(normalizesLineEndings: Bool = false) {
        self.normalizesLineEndings = normalizesLineEndings
    }

    /// Appends the stuffed form of `chunk` to `output`.
    public mutating func encode(_ chunk: ByteBuffer, into output: inout ByteBuffer) {
        // Each input byte makes at most two (LF → CRLF, "." → ".." at a line
        // start), and a CR left pending by the last chunk one more.
        let worstCase = chunk.readableBytes * 2 + 2
        chunk.withUnsafeReadableBytes { source in
            _ = output.writeWithUnsafeMutableBytes(minimumWritableBytes: worstCase) { target in
                stuff(source, into: target)
            }
        }
    }

    /// The byte loop: runs of ordinary bytes are copied whole, line ends
    /// and line-initial dots one at a time. Returns the bytes written.
    private mutating func stuff(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer) -> Int {
        var atLineStart = self.atLineStart
        var pendingCR = self.pendingCR
        let normalizes = normalizesLineEndings
        var written = 0
        var index = 0
        while index < source.count {
            let byte = source[index]
            let afterCR = pendingCR
            if pendingCR {
                pendingCR = false
                if byte != .lineFeed && normalizes {
                    target[written] = .lineFeed
                    written += 1
                    atLineStart = true
                }
            }
            if atLineStart {
                atLineStart = false
                if byte == .period {
                    target[written] = .period
                    written += 1
                }
            }
            switch byte {
            case .carriageReturn:
                target[written] = byte
                written += 1
                pendingCR = true
                index += 1
            case .lineFeed:
                if normalizes && !afterCR {
                    target[written] = .carriageReturn
                    written += 1
                }
                target[written] = byte
                written += 1
                atLineStart = true
                index += 1
            default:
                var end = index + 1
                while end < source.count && source[end] != .lineFeed && source[end] != .carriageReturn {
                    end += 1
                }
                let run = UnsafeRawBufferPointer(rebasing: source[index..<end])
                UnsafeMutableRawBufferPointer(rebasing: target[written..<(written + run.count)]).copyMemory(from: run)
                written += run.count
                index = end
            }
        }
        self.atLineStart = atLineStart
        self.pendingCR = pendingCR
        return written
    }

    /// Appends the end of the payload: a CRLF if the data did not end with
    /// one, then "." CRLF.
    public mutating func finish(into output: inout ByteBuffer) {
        if pendingCR && normalizesLineEndings {
            output.writeInteger(UInt8.lineFeed)
            atLineStart = true
        }
        if !atLineStart {
            output.writeBytes(crlfBytes)
        }
        output.writeBytes(endMarker)
        self = DotStuffer(normalizesLineEndings: normalizesLineEndings)
    }
}

private let crlfBytes: [UInt8] = [.carriageReturn, .lineFeed]
private let endMarker: [UInt8] = [.period, .carriageReturn, .lineFeed]
