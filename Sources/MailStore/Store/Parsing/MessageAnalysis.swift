// Message analysis: the adapter between the MIME module and the index. One pure function
// turns a message's bytes into what the index stores — envelope, body structure with byte
// ranges, the header fields SEARCH and SORT use, and the decoded text for FTS5. It never
// fails: a message MIME cannot parse (a limit crossed) is indexed as one text/plain body.

import Foundation
import MIME

struct AnalyzedMessage: Sendable {
    var headerSize: Int
    var envelope: StoredEnvelope
    var bodyStructure: StoredBodyPart
    var sentDate: Date?
    var subject: String
    var from: String
    var to: String
    var cc: String
    var bcc: String
    var messageID: String
    var inReplyTo: String
    /// Decoded "name: value" lines of the top-level header, lowercased, for TEXT searches.
    var headerText: String
    /// Decoded text of the text/* leaves, lowercased, for BODY and TEXT searches.
    var bodyText: String
}

enum MessageAnalysis {
    static func analyze(_ bytes: [UInt8], maxTextBytes: Int) -> AnalyzedMessage {
        guard let root = try? MIMEPart(parsing: bytes) else { return unparsed(bytes) }
        let header = root.header
        func decoded(_ name: String) -> String { header.decodedValue(name) ?? "" }
        var budget = maxTextBytes
        return AnalyzedMessage(
            headerSize: root.headerRange.count,
            envelope: envelope(header),
            bodyStructure: structure(root),
            sentDate: header["date"].flatMap { MIMEDate(parsing: $0.unfoldedValue)?.date },
            subject: decoded("subject"),
            from: decoded("from"), to: decoded("to"), cc: decoded("cc"), bcc: decoded("bcc"),
            messageID: header["message-id"]?.value ?? "",
            inReplyTo: header["in-reply-to"]?.value ?? "",
            headerText: headerText(header, budget: &budget).lowercased(),
            bodyText: bodyText(root, budget: &budget).lowercased())
    }

    // MARK: - Envelope

    static func envelope(_ header: Header) -> StoredEnvelope {
        func raw(_ name: String) -> String? { header[name]?.value }
        func addresses(_ name: String) -> [StoredAddress] {
            guard let field = header[name] else { return [] }
            return storedAddresses(AddressList(parsing: field.unfoldedValue))
        }
        let from = addresses("from")
        let sender = addresses("sender")
        let replyTo = addresses("reply-to")
        // RFC 9051 §7.5.2: a missing or empty Sender or Reply-To is given as From.
        return StoredEnvelope(
            date: raw("date"), subject: raw("subject"), from: from,
            sender: sender.isEmpty ? from : sender, replyTo: replyTo.isEmpty ? from : replyTo,
            to: addresses("to"), cc: addresses("cc"), bcc: addresses("bcc"),
            inReplyTo: raw("in-reply-to"), messageID: raw("message-id"))
    }

    static func storedAddresses(_ list: AddressList) -> [StoredAddress] {
        var out: [StoredAddress] = []
        for address in list.addresses {
            switch address {
            case .mailbox(let mailbox):
                out.append(stored(mailbox))
            case .group(let group):
                // RFC 9051 §7.5.2: group start (mailbox = name, host NIL), members, group end.
                out.append(StoredAddress(name: nil, mailbox: group.displayName, host: nil))
                out += group.members.map(stored)
                out.append(StoredAddress(name: nil, mailbox: nil, host: nil))
            }
        }
        return out
    }

    private static func stored(_ mailbox: MIME.Mailbox) -> StoredAddress {
        StoredAddress(
            name: mailbox.displayName.flatMap { $0.isEmpty ? nil : $0 }, mailbox: mailbox.localPart,
            host: mailbox.domain.isEmpty ? nil : mailbox.domain)
    }

    // MARK: - Body structure

    static func structure(_ part: MIMEPart) -> StoredBodyPart {
        let header = part.header
        let type = part.contentType
        let disposition = part.contentDisposition
        var node = StoredBodyPart(
            type: type.type, subtype: type.subtype,
            parameters: type.parameters.map { StoredParameter(name: $0.name, value: $0.value) },
            id: header["content-id"]?.value, description: header["content-description"]?.value,
            encoding: part.transferEncoding, size: part.bodyRange.count, lines: nil,
            md5: header["content-md5"]?.value, disposition: disposition?.kind,
            dispositionParameters: disposition?.parameters.map { StoredParameter(name: $0.name, value: $0.value) } ?? [],
            language: header["content-language"].map { field in
                field.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            },
            location: header["content-location"]?.value,
            section: part.section, headerOffset: part.headerRange.lowerBound,
            bodyOffset: part.bodyRange.lowerBound, bodyEnd: part.bodyRange.upperBound,
            parts: [], envelope: nil)
        switch part.body {
        case .multipart(let parts, _, _):
            node.parts = parts.map(structure)
        case .message(let inner):
            node.parts = [structure(inner)]
            node.envelope = envelope(inner.header)
            node.lines = lineCount(part.rawBody)
        case .single:
            if type.type == "text" || type.isEncapsulatedMessage { node.lines = lineCount(part.rawBody) }
        }
        return node
    }

    private static func lineCount(_ bytes: ArraySlice<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte == 0x0A { count += 1 }
        if let last = bytes.last, last != 0x0A { count += 1 }
        return count
    }

    // MARK: - Text for the full-text index

    private static func headerText(_ header: Header, budget: inout Int) -> String {
        var out = ""
        for field in header.fields where !field.isMalformed {
            let line = field.name + ": " + field.decodedValue + "\n"
            guard line.utf8.count <= budget else { break }
            budget -= line.utf8.count
            out += line
        }
        return out
    }

    private static func bodyText(_ root: MIMEPart, budget: inout Int) -> String {
        var out = ""
        var remaining = budget
        root.visit { part in
            guard remaining > 0, case .single = part.body, part.contentType.type == "text" else { return }
            var text = part.decodedText()
            if part.contentType.subtype == "html" { text = strippingTags(text) }
            let bytes = text.utf8.count
            if bytes > remaining { text = String(decoding: Array(text.utf8.prefix(remaining)), as: UTF8.self) }
            remaining -= min(bytes, remaining) + 1
            out += text + "\n"
        }
        budget = max(0, remaining)
        return out
    }

    /// HTML to searchable text, crudely: tags and the content of script/style dropped,
    /// a few entities decoded.
    static func strippingTags(_ html: String) -> String {
        var out = ""
        out.reserveCapacity(html.utf8.count)
        var inTag = false
        var tag = ""
        var skipping: String? = nil
        for character in html {
            if inTag {
                if character == ">" {
                    inTag = false
                    let name = tag.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.map(String.init) ?? ""
                    if skipping == nil, name == "script" || name == "style" { skipping = "/" + name }
                    else if let end = skipping, name == end { skipping = nil }
                    out.append(" ")
                } else {
                    tag.append(character)
                }
            } else if character == "<" {
                inTag = true
                tag = ""
            } else if skipping == nil {
                out.append(character)
            }
        }
        return out.replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    // MARK: - Fallback

    /// What is indexed when MIME refuses the message: the header up to the first empty
    /// line, and the rest as one text/plain body.
    private static func unparsed(_ bytes: [UInt8]) -> AnalyzedMessage {
        var headerEnd = bytes.count
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x0A && bytes[i + 1] == 0x0A { headerEnd = i + 2; break }
            if bytes[i] == 0x0A && bytes[i + 1] == 0x0D && i + 2 < bytes.count && bytes[i + 2] == 0x0A { headerEnd = i + 3; break }
            i += 1
        }
        let body = StoredBodyPart(
            type: "text", subtype: "plain", parameters: [StoredParameter(name: "charset", value: "us-ascii")],
            id: nil, description: nil, encoding: "7bit", size: bytes.count - headerEnd,
            lines: lineCount(bytes[headerEnd...]), md5: nil, disposition: nil, dispositionParameters: [],
            language: nil, location: nil, section: "1", headerOffset: 0, bodyOffset: headerEnd, bodyEnd: bytes.count,
            parts: [], envelope: nil)
        return AnalyzedMessage(
            headerSize: headerEnd, envelope: .empty, bodyStructure: body, sentDate: nil, subject: "", from: "", to: "",
            cc: "", bcc: "", messageID: "", inReplyTo: "", headerText: "", bodyText: "")
    }
}
