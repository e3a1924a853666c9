// Presentation: the text forms of RDATA, records and whole messages, as zone files
// (RFC 1035 §5.1, RFC 3597 §5) and dig print them, for `chappe dns` and logs.

// MARK: - Character-strings and hex

/// A character-string in double quotes (RFC 1035 §5.1): `"` and `\` escaped with a
/// backslash, octets outside printable ASCII as `\DDD`.
func quotedCharacterString(_ bytes: [UInt8]) -> String {
    var out = "\""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            out += "\\" + String(UnicodeScalar(byte))
        case 0x20...0x7E:
            out.unicodeScalars.append(UnicodeScalar(byte))
        default:
            out += DNSName.decimalEscape(byte)
        }
    }
    return out + "\""
}

/// The generic RDATA form of RFC 3597 §5: `\# length hex`, `\# 0` when empty.
func genericRDataText(_ bytes: [UInt8]) -> String {
    let hexDigits = Array("0123456789ABCDEF")
    var hex = ""
    for byte in bytes {
        hex.append(hexDigits[Int(byte >> 4)])
        hex.append(hexDigits[Int(byte & 0x0F)])
    }
    return bytes.isEmpty ? "\\# 0" : "\\# \(bytes.count) \(hex)"
}

// MARK: - RData

extension RData: CustomStringConvertible {
    /// The RDATA as a zone file and dig write it (RFC 1035 §5.1): absolute names, numbers in
    /// decimal, strings quoted, unknown types in the `\#` form (RFC 3597 §5).
    public var description: String {
        switch self {
        case .a(let address): address.description
        case .aaaa(let address): address.description
        case .ns(let name), .cname(let name), .ptr(let name): name.description
        case .mx(let preference, let exchange): "\(preference) \(exchange)"
        case .soa(let soa):
            "\(soa.mname) \(soa.rname) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .txt(let strings): strings.map(quotedCharacterString).joined(separator: " ")
        case .srv(let priority, let weight, let port, let target): "\(priority) \(weight) \(port) \(target)"
        case .caa(let flags, let tag, let value): "\(flags) \(tag) \(quotedCharacterString(value))"
        case .opt: genericRDataText((try? wireBytes()) ?? [])
        case .unknown(_, let bytes): genericRDataText(bytes)
        }
    }
}

// MARK: - Records

extension ResourceRecord: CustomStringConvertible {
    /// dig's form: "example.test.\t3600\tIN\tMX\t10 mail.example.test.".
    public var description: String { "\(name)\t\(ttl)\t\(recordClass)\t\(type)\t\(rdata)" }
}

// MARK: - Messages

extension DNSMessage: CustomStringConvertible {
    /// The message as dig prints it: the header line with opcode, status and id, the flags
    /// and section counts, the OPT pseudo-section, then each non-empty section.
    public var description: String {
        var lines = [
            ";; ->>HEADER<<- opcode: \(opcode), status: \(rcode), id: \(id)",
            ";; flags: \(flagNames.joined(separator: " ")); QUERY: \(questions.count), ANSWER: \(answers.count), "
                + "AUTHORITY: \(authority.count), ADDITIONAL: \(additional.count + (edns == nil ? 0 : 1))",
        ]
        if let edns {
            lines += ["", ";; OPT PSEUDOSECTION:"]
            let flags = edns.dnssecOK ? " do" : ""
            lines.append("; EDNS: version: \(edns.version), flags:\(flags); udp: \(edns.udpPayloadSize)")
            for option in edns.options {
                lines.append("; OPTION \(option.code): \(genericRDataText(option.data))")
            }
        }
        lines += ["", ";; QUESTION SECTION:"] + questions.map(\.description)
        for (title, records) in [("ANSWER", answers), ("AUTHORITY", authority), ("ADDITIONAL", additional)]
        where !records.isEmpty {
            lines += ["", ";; \(title) SECTION:"] + records.map(\.description)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The set header flags, lower case, in dig's order.
    var flagNames: [String] {
        [
            ("qr", isResponse), ("aa", isAuthoritative), ("tc", isTruncated), ("rd", recursionDesired),
            ("ra", recursionAvailable), ("z", reservedBit), ("ad", authenticData), ("cd", checkingDisabled),
        ].filter(\.1).map(\.0)
    }
}
