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
        output.reserveCapacity(minimumWritableBytes: chunk.readableBytes + chunk.readableBytes / 64 + 4)
        chunk.withUnsafeReadableBytes { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                let afterCR = pendingCR
                if pendingCR {
                    pendingCR = false
                    if byte != .lineFeed && normalizesLineEndings {
                        output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                        output.writeInteger(UInt8.lineFeed)
                        runStart = index
                        atLineStart = true
                    }
                }
                if atLineStart && byte == .period {
                    output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                    output.writeInteger(UInt8.period)
                    runStart = index
                }
                atLineStart = false
                switch byte {
                case .carriageReturn:
                    pendingCR = true
                case .lineFeed:
                    if normalizesLineEndings && !afterCR {
                        output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                        output.writeInteger(UInt8.carriageReturn)
                        runStart = index
                    }
                    atLineStart = true
                default:
                    break
                }
            }
            output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
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
