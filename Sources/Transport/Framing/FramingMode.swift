// The modes of the framer and the events it yields. A protocol switches the
// mode between events: lines for commands, a dot-stuffed payload for SMTP DATA
// and NNTP articles, a counted payload for FTP data, raw bytes for a protocol
// with a framer of its own (IMAP).
import NIOCore

/// What a line may end with, chosen per protocol.
public enum LineEndingPolicy: Sendable, Equatable {
    /// Only CRLF ends a line; a bare LF, or a CR not followed by LF, makes the
    /// line an error (`FrameEvent.bareLineEnding`). SMTP commands (RFC 5321 §2.3.8).
    case strict
    /// A bare LF also ends a line (a CR before it is dropped); a bare CR stays data.
    case tolerateBareLF
}

/// What a bare CR or LF inside a dot-stuffed payload means.
public enum PayloadLineEndingPolicy: Sendable, Equatable {
    /// The payload is refused (`PayloadError.bareLineEnding`): the SMTP
    /// smuggling defence. The end is still only CRLF.CRLF.
    case reject
    /// A bare CR or LF is delivered as CRLF. It never starts a line that can
    /// end the payload: only CRLF.CRLF ends it.
    case normalize
    /// A bare CR or LF is delivered as it came.
    case passThrough
}

public struct DotStuffedOptions: Sendable, Equatable {
    /// The largest payload, counted after un-stuffing; more is discarded up to
    /// the end and reported as `PayloadError.tooLarge`.
    public var maxBytes: Int
    public var lineEndings: PayloadLineEndingPolicy

    public init(maxBytes: Int, lineEndings: PayloadLineEndingPolicy) {
        self.maxBytes = maxBytes
        self.lineEndings = lineEndings
    }
}

public enum FramingMode: Sendable, Equatable {
    case lines
    /// A payload ended by a line holding a single "." (RFC 5321 §4.5.2,
    /// RFC 3977 §3.1.1). Returns to `.lines` after `payloadEnd`.
    case dotStuffed(DotStuffedOptions)
    /// Exactly this many bytes (IMAP literal, FTP data). Returns to `.lines`
    /// after `payloadEnd`.
    case counted(Int)
    /// Every byte as it arrives, as `payload` chunks, until the machine asks
    /// for another mode: for a protocol that frames its own input (IMAP's
    /// commands with their literals). Never ends with `payloadEnd`; between
    /// two chunks the framer holds nothing, so it counts as a line boundary.
    case raw
}

public enum PayloadError: Error, Sendable, Equatable {
    case tooLarge
    case bareLineEnding
}

public enum FrameEvent: Sendable, Equatable {
    /// A complete line without its line ending.
    case line(ByteBuffer)
    /// A line longer than the limit (line ending included); its bytes were discarded.
    case lineTooLong
    /// A line with a bare LF or CR under `LineEndingPolicy.strict`; discarded.
    case bareLineEnding
    /// A chunk of payload, un-stuffed.
    case payload(ByteBuffer)
    /// The payload ended; an error when it broke the mode's rules. After an
    /// error no further chunks were delivered, but the payload was read to its
    /// end, so the connection stays in step with the client.
    case payloadEnd(PayloadError?)
}
