// DNSWireError: every way a message can fail to decode or encode. Offsets are byte
// offsets from the start of the message, so a log line can point at the culprit.

/// A message that cannot be decoded, or a value that cannot be encoded.
public enum DNSWireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message ends before `what` is complete; `offset` is where the read started.
    case truncated(offset: Int, what: String)
    /// A label length octet with the top bits 01 or 10 (RFC 1035 §4.1.4 reserves them; the
    /// EDNS extended label types of RFC 6891 §5 are not supported). Such an octet is also
    /// what a label longer than 63 octets looks like.
    case badLabelType(offset: Int, octet: UInt8)
    /// A compression pointer to its own position or beyond (RFC 1035 §4.1.4 points to a
    /// prior occurrence).
    case forwardPointer(offset: Int, target: Int)
    /// A compression pointer back into the labels already read for this name: a loop.
    case pointerLoop(offset: Int, target: Int)
    /// More compression pointers in one name than `DNSLimits.maxCompressionPointers`.
    case tooManyPointers(offset: Int)
    /// A name longer than 255 octets once decompressed (RFC 1035 §2.3.4).
    case nameTooLong(offset: Int)
    /// A record whose RDATA, read as its type says, ends before or runs past the RDLENGTH
    /// octets it declares (RFC 1035 §4.1.3); `offset` is where the RDATA starts.
    case rdataLengthMismatch(type: RecordType, offset: Int, declared: Int)
    /// RDATA that is the right length but not a valid value of its type.
    case invalidRData(type: RecordType, offset: Int, reason: String)
    /// Octets left after the last record the header counts announced.
    case trailingBytes(offset: Int, count: Int)
    /// A second OPT record, an OPT record outside the additional section or not owned by the
    /// root (RFC 6891 §6.1.1).
    case invalidOPT(offset: Int, reason: String)
    /// Encoding: a character-string longer than 255 octets (RFC 1035 §3.3).
    case characterStringTooLong(length: Int)
    /// Encoding: RDATA longer than 65535 octets.
    case rdataTooLong(type: RecordType, length: Int)
    /// Encoding: a message that does not fit in 65535 octets, or whose question section
    /// alone exceeds the size limit.
    case messageTooLarge

    public var description: String {
        switch self {
        case .truncated(let offset, let what): "message ends inside \(what) starting at byte \(offset)"
        case .badLabelType(let offset, let octet): "bad label length octet \(octet) at byte \(offset)"
        case .forwardPointer(let offset, let target):
            "compression pointer at byte \(offset) points forward to byte \(target)"
        case .pointerLoop(let offset, let target):
            "compression pointer at byte \(offset) to byte \(target) makes a loop"
        case .tooManyPointers(let offset):
            "name at byte \(offset) follows more than \(DNSLimits.maxCompressionPointers) compression pointers"
        case .nameTooLong(let offset): "name at byte \(offset) is longer than \(DNSLimits.maxNameLength) octets"
        case .rdataLengthMismatch(let type, let offset, let declared):
            "\(type) RDATA at byte \(offset) does not fill exactly its RDLENGTH of \(declared) octets"
        case .invalidRData(let type, let offset, let reason): "invalid \(type) RDATA at byte \(offset): \(reason)"
        case .trailingBytes(let offset, let count): "\(count) octets after the last record, at byte \(offset)"
        case .invalidOPT(let offset, let reason): "invalid OPT record at byte \(offset): \(reason)"
        case .characterStringTooLong(let length):
            "character-string of \(length) octets (at most \(DNSLimits.maxCharacterStringLength))"
        case .rdataTooLong(let type, let length): "\(type) RDATA of \(length) octets (at most 65535)"
        case .messageTooLarge: "message too large for its size limit (at most 65535 octets)"
        }
    }
}
