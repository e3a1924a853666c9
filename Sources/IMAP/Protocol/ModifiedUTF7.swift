// Modified UTF-7, the mailbox name encoding of IMAP4rev1 (RFC 3501 §5.1.3):
// printable US-ASCII stands for itself except "&", written "&-"; anything
// else is UTF-16BE in modified base64 ("," for "/", no padding) between "&"
// and "-". IMAP4rev2 clients that ENABLE UTF8=ACCEPT send UTF-8 instead.

public enum ModifiedUTF7 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    private static let ampersand: UInt8 = 0x26

    private static func isPrintable(_ byte: UInt8) -> Bool { byte >= 0x20 && byte <= 0x7E }

    /// "☺!" → "&Jjo-!", "Entwürfe" → "Entw&APw-rfe".
    public static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        var pending: [UInt16] = []
        for scalar in text.unicodeScalars {
            if scalar.isASCII, isPrintable(UInt8(scalar.value)) {
                flush(&pending, into: &output)
                output.append(UInt8(scalar.value))
                if scalar.value == UInt32(ampersand) { output.append(IMAPCharacter.minus) }
            } else {
                pending.append(contentsOf: scalar.utf16)
            }
        }
        flush(&pending, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// The UTF-16 units as "&" base64 "-".
    private static func flush(_ units: inout [UInt16], into output: inout [UInt8]) {
        guard !units.isEmpty else { return }
        output.append(ampersand)
        var bits: UInt32 = 0
        var count = 0
        for unit in units {
            bits = bits << 16 | UInt32(unit)
            count += 16
            while count >= 6 {
                count -= 6
                output.append(alphabet[Int(bits >> UInt32(count) & 0x3F)])
            }
            bits &= (1 << UInt32(count)) - 1
        }
        if count > 0 { output.append(alphabet[Int(bits << UInt32(6 - count) & 0x3F)]) }
        output.append(IMAPCharacter.minus)
        units.removeAll()
    }

    /// The name an IMAP4rev1 client meant; nil if `text` is not valid
    /// modified UTF-7: raw non-printable or 8-bit octets, an unterminated
    /// "&", printable ASCII written in base64, non-zero padding bits, or a
    /// broken surrogate pair.
    public static func decode(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard isPrintable(byte) else { return nil }
            guard byte == ampersand else {
                result.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            guard let end = bytes[(index + 1)...].firstIndex(of: IMAPCharacter.minus) else { return nil }
            if end == index + 1 {
                result.append("&")
            } else {
                guard let scalars = decodeBase64(bytes[(index + 1)..<end]) else { return nil }
                result.append(contentsOf: scalars)
            }
            index = end + 1
        }
        return String(result)
    }

    private static func decodeBase64(_ encoded: ArraySlice<UInt8>) -> [Unicode.Scalar]? {
        var units: [UInt16] = []
        var bits: UInt32 = 0
        var count = 0
        for byte in encoded {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 16 {
                count -= 16
                units.append(UInt16(truncatingIfNeeded: bits >> UInt32(count)))
                bits &= (1 << UInt32(count)) - 1
            }
        }
        // Leftover bits are padding: fewer than 6 of them, all zero.
        guard count < 6, bits == 0, !units.isEmpty else { return nil }
        var scalars: [Unicode.Scalar] = []
        var iterator = units.makeIterator()
        var decoder = UTF16()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                // RFC 3501 §5.1.3: printable US-ASCII must represent itself.
                if scalar.isASCII, isPrintable(UInt8(scalar.value)) { return nil }
                scalars.append(scalar)
            case .emptyInput:
                break decoding
            case .error:
                return nil
            }
        }
        return scalars
    }
}
