// Charsets: decoding bytes labelled with a MIME charset name (RFC 2045 §5.1, RFC 2046
// §4.1.2, RFC 2047 §2) into text. Single-byte charsets use built-in tables; UTF-8,
// UTF-16/32 and the common CJK charsets use Foundation.

import Foundation

/// Decoding of text in the charsets found in mail.
public enum Charset {
    /// The canonical lower-case name of a charset label ("Latin1", "cp1252",
    /// "ISO_8859-15:1998" → "iso-8859-1", "windows-1252", "iso-8859-15").
    public static func canonicalName(_ label: String) -> String {
        var name = label.trimmingCharacters(in: .whitespaces).asciiLowercased
        // RFC 2231 §5: a language may follow the charset after "*".
        if let star = name.firstIndex(of: "*") { name = String(name[..<star]) }
        if let colon = name.firstIndex(of: ":") { name = String(name[..<colon]) }
        switch name {
        case "utf8", "utf-8", "unicode-1-1-utf-8": return "utf-8"
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "cp367", "iso-ir-6", "646": return "us-ascii"
        case "latin1", "latin-1", "l1", "iso8859-1", "iso_8859-1", "iso-8859-1", "cp819", "ibm819", "iso-ir-100": return "iso-8859-1"
        case "latin2", "l2": return "iso-8859-2"
        case "latin3", "l3": return "iso-8859-3"
        case "latin4", "l4": return "iso-8859-4"
        case "latin5", "l5": return "iso-8859-9"
        case "latin6", "l6": return "iso-8859-10"
        case "latin7": return "iso-8859-13"
        case "latin8": return "iso-8859-14"
        case "latin9", "latin-9", "l9": return "iso-8859-15"
        case "latin10": return "iso-8859-16"
        case "koi8r": return "koi8-r"
        case "koi8u": return "koi8-u"
        case "sjis", "shift-jis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932": return "shift_jis"
        case "gb2312", "euc-cn", "x-euc-cn", "gbk", "cp936", "gb18030": return "gb18030"
        case "big5", "big-5", "cn-big5", "x-x-big5", "big5-hkscs": return "big5"
        case "euc-kr", "ks_c_5601-1987", "ks_c_5601", "cp949", "ksc5601", "korean": return "euc-kr"
        default: break
        }
        for prefix in ["iso-8859-", "iso8859-", "iso_8859-", "iso8859_", "iso_8859_"] where name.hasPrefix(prefix) {
            return "iso-8859-" + name.dropFirst(prefix.count)
        }
        for prefix in ["windows-", "cp", "x-cp", "win-", "cp-"] where name.hasPrefix(prefix) {
            let number = name.dropFirst(prefix.count)
            if number.count == 4, number.hasPrefix("125") { return "windows-" + number }
        }
        return name
    }

    /// Whether `decode(_:charset:)` knows the charset.
    public static func isSupported(_ label: String) -> Bool {
        let name = canonicalName(label)
        return name == "utf-8" || name == "us-ascii" || name == "iso-8859-1" || name == "windows-1252"
            || CharsetTables.upperHalves[name] != nil || foundationEncoding(name) != nil
    }

    /// Decodes `bytes` labelled with `charset`; nil when the charset is unknown or the
    /// bytes are not valid in a multi-byte charset. Bad UTF-8 becomes U+FFFD.
    public static func decode(_ bytes: some Collection<UInt8>, charset: String) -> String? {
        let name = canonicalName(charset)
        switch name {
        case "utf-8":
            return String(decoding: bytes, as: UTF8.self)
        case "us-ascii":
            // 8-bit bytes labelled US-ASCII are common; read them as UTF-8 or Latin-1.
            return String(mailBytes: bytes)
        case "iso-8859-1":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            break
        }
        if let table = CharsetTables.upperHalves[name] {
            var scalars = String.UnicodeScalarView()
            for b in bytes {
                let point = b < 0x80 ? UInt32(b) : UInt32(table[Int(b) - 0x80])
                scalars.append(Unicode.Scalar(point) ?? "\u{FFFD}")
            }
            return String(scalars)
        }
        if let encoding = foundationEncoding(name) {
            return String(bytes: Array(bytes), encoding: encoding)
        }
        return nil
    }

    /// Decodes `bytes` in `charset` when known, else as UTF-8 or Latin-1 so nothing is lost.
    public static func decodeLeniently(_ bytes: some Collection<UInt8>, charset: String?) -> String {
        if let charset, let text = decode(bytes, charset: charset) { return text }
        return String(mailBytes: bytes)
    }

    private static func foundationEncoding(_ name: String) -> String.Encoding? {
        switch name {
        case "utf-16": .utf16
        case "utf-16be": .utf16BigEndian
        case "utf-16le": .utf16LittleEndian
        case "utf-32": .utf32
        case "utf-32be": .utf32BigEndian
        case "utf-32le": .utf32LittleEndian
        case "shift_jis": .shiftJIS
        case "iso-2022-jp": .iso2022JP
        // Core Foundation encoding numbers, as NSStringEncoding values.
        case "gb18030": String.Encoding(rawValue: 0x8000_0632)
        case "big5": String.Encoding(rawValue: 0x8000_0A03)
        case "euc-kr": String.Encoding(rawValue: 0x8000_0940)
        case "euc-jp": String.Encoding(rawValue: 0x8000_0920)
        default: nil
        }
    }
}
