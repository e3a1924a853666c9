// Maildir file names: how the store names the files it writes, and how it reads the
// names other programs write.
//
// A name is "BASE" in new/ and "BASE:2,LETTERS" in cur/ (the Maildir "info", cr.yp.to
// maildir.html). The store writes
//     SECONDS.M<micro>P<pid>Q<count>[D<hash>].HOST,W=<wire size>,S=<size>
// — the usual "time.unique.host", unique per process by pid and counter, with Dovecot's
// ",S=" (the file's size) and ",W=" (its size with CRLF line endings, see WireSize.swift;
// Dovecot's "virtual size"). Dovecot writes S= first but reads both in any order (each
// ends at ",", ":" or the end of the name); here ",S=" stays last, as in the names
// written before W= existed, for readers that look for the size at the end. D<hash> (32
// hex digits: SHA-256 of the delivery id, truncated) marks a delivery, so that a file
// renamed into new/ before a crash is recognised as that delivery when the index is
// rebuilt. The base name is stable: only the info changes.
//
// Info letters, in ASCII order as the Maildir spec wants: D \Draft, F \Flagged, P
// $Forwarded ("passed"), R \Answered, S \Seen, T \Deleted ("trashed"). Other letters
// (for instance Dovecot's lower-case keyword letters) are kept as they are when the
// store renames a file. Keywords other than $Forwarded live only in the index.

import Crypto
import Foundation
import Synchronization

struct MaildirFileName: Sendable, Hashable {
    /// The name without ":info".
    let baseName: String
    /// What follows the first ":", e.g. "2,FS"; nil when the name has no info.
    let info: String?

    init(baseName: String, info: String?) {
        self.baseName = baseName
        self.info = info
    }

    /// Splits a directory entry at its first ":".
    init(parsing name: String) {
        if let colon = name.firstIndex(of: ":") {
            baseName = String(name[..<colon])
            info = String(name[name.index(after: colon)...])
        } else {
            baseName = name
            info = nil
        }
    }

    var fileName: String { info.map { baseName + ":" + $0 } ?? baseName }

    // MARK: - Flags in the info

    private static let letters: [(Character, MessageFlags)] = [
        ("D", .draft), ("F", .flagged), ("R", .answered), ("S", .seen), ("T", .deleted),
    ]

    /// The experimental-semantics letters after "2," (empty for another or no info).
    var flagLetters: Substring {
        guard let info, info.hasPrefix("2,") else { return "" }
        return info.dropFirst(2)
    }

    /// The system flags and keywords the letters stand for.
    var flags: (MessageFlags, [String]) {
        var flags: MessageFlags = []
        var keywords: [String] = []
        for letter in flagLetters {
            if let match = Self.letters.first(where: { $0.0 == letter }) { flags.insert(match.1) }
            if letter == "P" { keywords.append(Keyword.forwarded) }
        }
        return (flags, keywords)
    }

    /// Letters the store does not map, kept across renames.
    var otherLetters: [Character] {
        flagLetters.filter { letter in letter != "P" && !Self.letters.contains { $0.0 == letter } }
    }

    /// The name with the info rewritten for `flags` and `keywords` (keeping unknown letters).
    func withFlags(_ flags: MessageFlags, keywords: [String]) -> MaildirFileName {
        var letters = Set(otherLetters)
        for (letter, flag) in Self.letters where flags.contains(flag) { letters.insert(letter) }
        if keywords.contains(where: { $0.caseInsensitiveCompare(Keyword.forwarded) == .orderedSame }) { letters.insert("P") }
        // Maildir: "Flags must be stored in ASCII order".
        return MaildirFileName(baseName: baseName, info: "2," + String(letters.sorted()))
    }

    // MARK: - Hints in the base name

    /// The delivery hash from a "D<32 hex>" in the unique part, if the store wrote one.
    var deliveryHash: String? {
        let parts = baseName.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let d = parts[1].lastIndex(of: "D") else { return nil }
        let hex = parts[1][parts[1].index(after: d)...]
        guard hex.utf8.count == 32, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        return String(hex)
    }

    /// Seconds since 1970 from the first component, for ordering new files.
    var timeHint: Int? {
        Int(baseName.prefix { $0 != "." })
    }

    /// (seconds, microseconds) from "SECONDS.M<micro>…", for ordering new files as they
    /// were delivered; microseconds are 0 when the name has no "M" part.
    var orderHint: (Int, Int)? {
        guard let seconds = timeHint else { return nil }
        let parts = baseName.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[1].first == "M" else { return (seconds, 0) }
        return (seconds, Int(parts[1].dropFirst().prefix { $0.isASCII && $0.isNumber }) ?? 0)
    }

    /// The size from a ",S=<n>" part (Dovecot and this store write it).
    var sizeHint: Int? { numberHint(",S=") }

    /// The wire size from a ",W=<n>" part (Dovecot and this store write it).
    var wireSizeHint: Int? { numberHint(",W=") }

    /// The wire size the name states, when it can be believed for a file of `size`
    /// octets: the name's S= must be that size (a file changed after it was named has
    /// stale hints), and W= must lie between the size and twice it.
    func trustedWireSize(forFileSize size: Int) -> Int? {
        guard sizeHint == size, let wire = wireSizeHint, wire >= size, wire <= 2 * size else { return nil }
        return wire
    }

    /// The decimal number after the last `marker` in the base name, when it ends the
    /// name or is followed by another "," field (as Dovecot reads them).
    private func numberHint(_ marker: String) -> Int? {
        guard let range = baseName.range(of: marker, options: .backwards) else { return nil }
        let rest = baseName[range.upperBound...]
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.endIndex == rest.endIndex || rest[digits.endIndex] == "," else { return nil }
        return Int(digits)
    }

    // MARK: - Making names

    private static let counter = Atomic<Int>(0)

    /// A new unique base name for a file written now; ",W=" is left out when the wire
    /// size is not known (a copy of a message indexed before wire sizes were kept).
    static func makeBaseName(now: Date, hostname: String, size: Int, wireSize: Int? = nil, deliveryHash: String?) -> String {
        let seconds = Int(now.timeIntervalSince1970.rounded(.down))
        let micro = Int((now.timeIntervalSince1970 - Double(seconds)) * 1_000_000)
        let count = counter.add(1, ordering: .relaxed).newValue
        let pid = ProcessInfo.processInfo.processIdentifier
        let delivery = deliveryHash.map { "D" + $0 } ?? ""
        let wire = wireSize.map { ",W=\($0)" } ?? ""
        return "\(seconds).M\(micro)P\(pid)Q\(count)\(delivery).\(sanitizedHost(hostname))\(wire),S=\(size)"
    }

    /// Maildir: "/" and ":" in the host name are written as \057 and \072; "," too (\054)
    /// so that ",S=" and ",W=" stay unambiguous.
    static func sanitizedHost(_ hostname: String) -> String {
        var out = ""
        for character in hostname {
            switch character {
            case "/": out += "\\057"
            case ":": out += "\\072"
            case ",": out += "\\054"
            default: if character.isASCII && !character.isWhitespace && character != "\0" { out.append(character) }
            }
        }
        return out.isEmpty ? "localhost" : out
    }

    /// The hash of a delivery id that goes into file names and the delivery table.
    static func deliveryHash(_ deliveryID: String) -> String {
        let digest = SHA256.hash(data: Data(deliveryID.utf8))
        return digest.prefix(16).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
