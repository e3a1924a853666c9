// What the framer reports when a command crosses a limit or its literal
// cannot be read: enough for the server's tagged reply (RFC 9051 §7.1,
// RFC 7888 §4 - §5), after which the framer has already resynchronised.

public struct IMAPFramingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A line of the command is longer than `maxLineLength`.
        case lineTooLong(limit: Int)
        /// A literal other than an APPEND message is larger than `maxLiteralSize`.
        case literalTooLarge(size: UInt64, limit: Int)
        /// A non-synchronizing literal beyond 4096 octets under LITERAL- or
        /// IMAP4rev2 (RFC 7888 §5, RFC 9051 §4.3).
        case nonSynchronizingLiteralTooLarge(size: UInt64, limit: Int)
        /// Lines and literals together exceed `maxCommandSize`.
        case commandTooLarge(limit: Int)
        /// An APPEND message larger than `maxMessageSize`.
        case messageTooLarge(size: UInt64, limit: UInt64)
        /// "{N}" with N beyond number64: the client's next octets cannot be
        /// framed; the server should close the connection after replying.
        case invalidLiteralLength
        /// The line after an APPEND message is neither the end of the command
        /// nor another message (RFC 3502 MULTIAPPEND).
        case appendSyntax(IMAPParseError)
    }

    /// The command's tag if it could be read; nil means answer `* BAD`.
    public var tag: String?
    public var kind: Kind
    /// The tagged status to answer with: NO for an APPEND message refused
    /// before its octets were sent, BAD otherwise.
    public var status: IMAPStatus
    /// [TOOBIG] for APPEND size refusals (RFC 7888 §5, RFC 4469 §5).
    public var code: IMAPResponseCode?

    public init(tag: String?, kind: Kind, status: IMAPStatus = .bad, code: IMAPResponseCode? = nil) {
        self.tag = tag
        self.kind = kind
        self.status = status
        self.code = code
    }

    public var description: String {
        switch kind {
        case .lineTooLong(let limit): return "command line longer than \(limit) octets"
        case .literalTooLarge(let size, let limit): return "literal of \(size) octets exceeds \(limit)"
        case .nonSynchronizingLiteralTooLarge(let size, let limit):
            return "non-synchronizing literal of \(size) octets exceeds \(limit); use a synchronizing literal"
        case .commandTooLarge(let limit): return "command longer than \(limit) octets"
        case .messageTooLarge(let size, let limit): return "message of \(size) octets exceeds the limit of \(limit)"
        case .invalidLiteralLength: return "invalid literal length"
        case .appendSyntax(let error): return error.description
        }
    }

    /// `TAG BAD/NO [CODE] text`, or `* BAD text` without a tag.
    public var response: IMAPResponse {
        let text = IMAPResponseText(code: code, text: description)
        if let tag {
            return .tagged(IMAPTaggedResponse(tag: tag, status: status, text: text))
        }
        return .untagged(.condition(.bad, text))
    }
}

/// "{N}", "{N+}", "~{N}" or "~{N+}" at the end of a line (RFC 9051 §4.3,
/// RFC 7888 §3: the receiver "MUST check the end of every received line").
struct IMAPLiteralMarker: Hashable {
    var length: UInt64
    var synchronizing: Bool
    var binary: Bool
    /// Octets of the marker itself, from "~" or "{" to "}".
    var markerLength: Int

    enum Scan: Hashable {
        case none
        case marker(IMAPLiteralMarker)
        /// Digits beyond number64.
        case invalidLength
    }

    /// The longest marker: "~{" 19 digits "+}".
    static let maximumLength = 23

    static func scan(atEndOf line: ArraySlice<UInt8>) -> Scan {
        var index = line.endIndex
        guard index > line.startIndex, line[index - 1] == IMAPCharacter.closeBrace else { return .none }
        index -= 1
        var synchronizing = true
        if index > line.startIndex, line[index - 1] == IMAPCharacter.plus {
            synchronizing = false
            index -= 1
        }
        let digitsEnd = index
        while index > line.startIndex, IMAPCharacter.isDigit(line[index - 1]) { index -= 1 }
        let digitsStart = index
        guard digitsStart < digitsEnd, index > line.startIndex, line[index - 1] == IMAPCharacter.openBrace else {
            return .none
        }
        index -= 1
        let binary = index > line.startIndex && line[index - 1] == IMAPCharacter.tilde
        if binary { index -= 1 }
        var length: UInt64 = 0
        for digit in line[digitsStart..<digitsEnd] {
            let (times, overflow1) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - 0x30))
            guard !overflow1, !overflow2, sum <= UInt64(Int64.max) else { return .invalidLength }
            length = sum
        }
        return .marker(
            IMAPLiteralMarker(
                length: length, synchronizing: synchronizing, binary: binary, markerLength: line.endIndex - index))
    }
}
