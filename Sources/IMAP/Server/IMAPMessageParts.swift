// A stored message as FETCH serves it (RFC 9051 §6.4.5, §7.5.2): ENVELOPE
// and BODYSTRUCTURE from the index's parsed data, the byte range of a
// BODY[section], header field selection, BINARY decoding (RFC 3516 §4.2) and
// CRLF line endings. Pure functions over bytes and `StoredBodyPart`.
import MIME
import MailStore

enum IMAPMessageParts {
    // MARK: - ENVELOPE, BODY, BODYSTRUCTURE

    static func envelope(_ stored: StoredEnvelope) -> IMAPEnvelope {
        func addresses(_ list: [StoredAddress]) -> [IMAPAddress] {
            list.map { IMAPAddress(name: $0.name, adl: $0.route, mailbox: $0.mailbox, host: $0.host) }
        }
        return IMAPEnvelope(
            date: stored.date, subject: stored.subject, from: addresses(stored.from), sender: addresses(stored.sender),
            replyTo: addresses(stored.replyTo), to: addresses(stored.to), cc: addresses(stored.cc),
            bcc: addresses(stored.bcc), inReplyTo: stored.inReplyTo, messageID: stored.messageID)
    }

    /// BODY (`extensible` false: no extension data) or BODYSTRUCTURE.
    static func structure(_ part: StoredBodyPart, extensible: Bool) -> IMAPBodyStructure {
        let parameters = part.parameters.map { IMAPBodyParameter($0.name, $0.value) }
        let disposition = part.disposition.map { kind in
            IMAPBodyDisposition(
                type: kind, parameters: part.dispositionParameters.map { IMAPBodyParameter($0.name, $0.value) })
        }
        if part.isMultipart {
            let ext = IMAPMultipart.Extension(
                parameters: parameters, disposition: disposition, language: part.language ?? [], location: part.location)
            return .multipart(
                IMAPMultipart(
                    parts: part.parts.map { structure($0, extensible: extensible) }, subtype: part.subtype,
                    extensionData: extensible ? ext : nil))
        }
        let kind: IMAPSinglePart.Kind
        if isEncapsulatedMessage(part), let inner = part.parts.first {
            kind = .message(
                envelope(part.envelope ?? .empty), structure(inner, extensible: extensible),
                lines: UInt64(max(0, part.lines ?? 0)))
        } else if part.type == "text" {
            kind = .text(lines: UInt64(max(0, part.lines ?? 0)))
        } else {
            kind = .basic
        }
        let ext = IMAPSinglePart.Extension(
            md5: part.md5, disposition: disposition, language: part.language ?? [], location: part.location)
        return .singlepart(
            IMAPSinglePart(
                type: part.type, subtype: part.subtype, parameters: parameters, contentID: part.id,
                contentDescription: part.description, encoding: part.encoding.isEmpty ? "7BIT" : part.encoding.uppercased(),
                size: UInt32(clamping: part.size), kind: kind, extensionData: extensible ? ext : nil))
    }

    static func isEncapsulatedMessage(_ part: StoredBodyPart) -> Bool {
        part.type == "message" && (part.subtype == "rfc822" || part.subtype == "global") && !part.parts.isEmpty
    }

    // MARK: - Sections (RFC 9051 §6.4.5 "section-spec")

    /// Where a section's bytes are: a range of the file, optionally filtered
    /// to some header fields.
    struct Location {
        var range: Range<Int>
        /// HEADER.FIELDS names (lowercased) and whether they are excluded (.NOT).
        var fields: (names: Set<String>, excluded: Bool)?
    }

    /// The part a section number names: "1.2" counts the parts of a
    /// multipart; a non-multipart message has one part, itself; a number
    /// after a MESSAGE/RFC822 part goes into the message it encloses.
    static func part(at path: [UInt32], in root: StoredBodyPart) -> StoredBodyPart? {
        var current = root
        var chosen: StoredBodyPart?
        for number in path {
            let children = current.isMultipart ? current.parts : [current]
            guard number >= 1, Int(number) <= children.count else { return nil }
            let part = children[Int(number) - 1]
            chosen = part
            current = isEncapsulatedMessage(part) ? part.parts[0] : part
        }
        return chosen
    }

    /// The bytes of `section` in a message of `size` bytes; nil when the
    /// section does not exist (answered NIL).
    static func locate(_ section: IMAPSection, root: StoredBodyPart, size: Int) -> Location? {
        let header: Range<Int>
        let body: Range<Int>
        if section.part.isEmpty {
            header = 0..<min(root.bodyOffset, size)
            body = min(root.bodyOffset, size)..<size
        } else {
            guard let part = part(at: section.part, in: root) else { return nil }
            switch section.text {
            case nil:
                return Location(range: clamp(part.bodyOffset..<part.bodyEnd, size))
            case .mime:
                return Location(range: clamp(part.headerOffset..<part.bodyOffset, size))
            default:
                // HEADER, TEXT, HEADER.FIELDS after a number: of the enclosed message.
                guard isEncapsulatedMessage(part) else { return nil }
                let inner = part.parts[0]
                header = clamp(inner.headerOffset..<inner.bodyOffset, size)
                body = clamp(inner.bodyOffset..<inner.bodyEnd, size)
            }
        }
        switch section.text {
        case nil: return Location(range: 0..<size)
        case .header: return Location(range: header)
        case .text: return Location(range: body)
        case .headerFields(let names): return Location(range: header, fields: (Set(names.map { $0.lowercased() }), false))
        case .headerFieldsNot(let names): return Location(range: header, fields: (Set(names.map { $0.lowercased() }), true))
        case .mime: return nil
        }
    }

    private static func clamp(_ range: Range<Int>, _ size: Int) -> Range<Int> {
        let lower = min(max(0, range.lowerBound), size)
        return lower..<min(max(lower, range.upperBound), size)
    }

    /// The fields of a header section that are (or, excluded, are not) in
    /// `names`, each with its continuation lines, then the empty line
    /// (RFC 9051 §6.4.5 HEADER.FIELDS).
    static func headerFields(_ header: [UInt8], names: Set<String>, excluded: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var keep = false
        var start = header.startIndex
        while start < header.endIndex {
            let end = header[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? header.endIndex
            let line = header[start..<end]
            start = end
            if line.first == 0x0D || line.first == 0x0A { break }  // the empty line ending the header
            if line.first != 0x20 && line.first != 0x09 {
                let name = line.prefix { $0 != 0x3A }
                let text = String(decoding: name, as: UTF8.self).trimmingTrailingSpaces().lowercased()
                keep = names.contains(text) != excluded
            }
            if keep { out.append(contentsOf: line) }
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    // MARK: - BINARY (RFC 3516 §4.2, RFC 9051 §6.4.5)

    enum DecodingError: Error {
        /// RFC 3516 §4.3: UNKNOWN-CTE.
        case unknownEncoding(String)
    }

    /// Whether the encoding leaves the bytes as they are (7bit, 8bit, binary).
    static func isIdentity(_ encoding: String) -> Bool {
        ["", "7bit", "8bit", "binary"].contains(encoding.lowercased())
    }

    /// The part's body with its content transfer encoding undone.
    static func decode(_ body: [UInt8], encoding: String) throws(DecodingError) -> [UInt8] {
        switch encoding.lowercased() {
        case "", "7bit", "8bit", "binary": return body
        case "base64": return Base64Decoder.decode(body)
        case "quoted-printable": return QuotedPrintableDecoder.decode(body)
        default: throw .unknownEncoding(encoding)
        }
    }
}

// MARK: - Line endings

/// Bytes as sent: every bare LF and bare CR becomes CRLF, as the store counts
/// the wire size (`MessageSummary.wireSize`). Fed in pieces, it carries a
/// final CR over to the next piece.
struct CRLFNormalizer {
    private var pendingCR = false

    mutating func normalize(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let out = bytes.withContiguousStorageIfAvailable({ normalize(buffer: $0) }) { return out }
        return Array(bytes).withUnsafeBufferPointer { normalize(buffer: $0) }
    }

    /// Copies runs of ordinary bytes whole; only line ends are looked at one by one.
    private mutating func normalize(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(buffer.count + buffer.count / 32 + 2)
        var runStart = 0
        var index = 0
        if pendingCR, !buffer.isEmpty {
            out.append(0x0D)
            out.append(0x0A)
            pendingCR = false
            if buffer[0] == 0x0A {
                index = 1
                runStart = 1
            }
        }
        while index < buffer.count {
            let byte = buffer[index]
            if byte == 0x0A {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<index]))
                out.append(0x0D)
                out.append(0x0A)
                runStart = index + 1
            } else if byte == 0x0D {
                if index + 1 < buffer.count {
                    if buffer[index + 1] == 0x0A {
                        index += 2  // CRLF stays in the run
                        continue
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<index]))
                    out.append(0x0D)
                    out.append(0x0A)
                    runStart = index + 1
                } else {
                    // A CR at the end of the piece: the next piece says what it is.
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<index]))
                    pendingCR = true
                    runStart = buffer.count
                }
            }
            index += 1
        }
        if runStart < buffer.count {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<buffer.count]))
        }
        return out
    }

    /// The end of the input: a final CR becomes CRLF.
    mutating func finish() -> [UInt8] {
        defer { pendingCR = false }
        return pendingCR ? [0x0D, 0x0A] : []
    }

    static func normalized(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var normalizer = CRLFNormalizer()
        return normalizer.normalize(bytes) + normalizer.finish()
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
