// The loop guard's counter: counts "Received:" fields at the start of
// header lines while a message streams by in chunks (RFC 5321 §6.3: a
// server should detect loops by counting Received fields; Postfix's
// hopcount_limit). Incremental: a field name split across two chunks, or a
// CRLF split from the next line, is still recognised; only the header
// section is scanned, so the cost ends at the first empty line.

public struct ReceivedFieldCounter: Sendable, Equatable {
    public private(set) var count = 0
    /// False once the empty line that ends the header section has passed.
    public private(set) var inHeader = true

    private enum Position: Equatable {
        /// At the start of a line.
        case lineStart
        /// After a CR at the start of a line (an empty line if LF follows).
        case crAtLineStart
        /// Matched this many characters of "received" at the start of a line.
        case name(Int)
        /// "received" matched, then optional WSP: ":" makes it a field.
        case afterName
        /// Elsewhere in a line.
        case rest
    }

    private var position = Position.lineStart
    private static let fieldName: [UInt8] = Array("received".utf8)

    public init() {}

    /// Scans one chunk of the message.
    public mutating func scan(_ bytes: some Sequence<UInt8>) {
        guard inHeader else { return }
        for byte in bytes {
            step(byte)
            if !inHeader { return }
        }
    }

    private mutating func step(_ byte: UInt8) {
        if byte == 0x0A {
            // LF ends a line (CRLF or, in BDAT, a bare LF); an empty line
            // ends the header section (RFC 5322 §2.1).
            if position == .lineStart || position == .crAtLineStart {
                inHeader = false
            }
            position = .lineStart
            return
        }
        switch position {
        case .lineStart:
            if byte == 0x0D {
                position = .crAtLineStart
            } else {
                position = Self.lowercased(byte) == Self.fieldName[0] ? .name(1) : .rest
            }
        case .crAtLineStart:
            position = .rest
        case .name(let matched):
            if Self.lowercased(byte) == Self.fieldName[matched] {
                position = matched + 1 == Self.fieldName.count ? .afterName : .name(matched + 1)
            } else {
                position = .rest
            }
        case .afterName:
            if byte == UInt8(ascii: ":") {
                count += 1
                position = .rest
            } else if byte != 0x20 && byte != 0x09 {
                // "Received-SPF:" and the like are other fields.
                position = .rest
            }
        case .rest:
            break
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}
