// The response encoder: IMAPResponse to server octets (RFC 9051 §7, §9).
// One encoder for every response; FETCH responses whose bodies are large go
// through IMAPFetchResponseWriter, which writes a literal's header and lets
// the caller append the octets without copying them here.

public struct IMAPResponseEncoder: Sendable {
    public struct Options: Sendable, Hashable {
        /// The client enabled UTF8=ACCEPT or IMAP4rev2: UTF-8 strings and
        /// text may be sent quoted (RFC 9051 §4.3.1); otherwise 8-bit strings
        /// go out as literals and 8-bit text becomes "?".
        public var utf8Accept: Bool

        public init(utf8Accept: Bool = false) {
            self.utf8Accept = utf8Accept
        }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    public func encode(_ response: IMAPResponse) -> [UInt8] {
        var bytes: [UInt8] = []
        encode(response, into: &bytes)
        return bytes
    }

    /// Appends the response, CRLF included, to `buffer`.
    public func encode(_ response: IMAPResponse, into buffer: inout [UInt8]) {
        var writer = IMAPWireWriter(utf8: options.utf8Accept, literalMode: .server)
        swap(&buffer, &writer.bytes)
        switch response {
        case .tagged(let tagged):
            // response-tagged = tag SP resp-cond-state CRLF
            writer.ascii(String(decoding: tagged.tag.utf8.filter(IMAPCharacter.isTagChar), as: UTF8.self))
            writer.space()
            writer.condition(tagged.status.rawValue, tagged.text)
        case .untagged(let untagged):
            writer.ascii("* ")
            writer.untagged(untagged)
        case .continuation(let text):
            // continue-req = "+" SP (resp-text / base64) CRLF
            writer.ascii("+ ")
            writer.ascii(writer.sanitizedText(text, utf8: options.utf8Accept))
        }
        writer.crlf()
        swap(&buffer, &writer.bytes)
    }
}

/// Writes one FETCH response piece by piece:
///
///     var fetch = IMAPFetchResponseWriter(sequenceNumber: 12, options: options, into: &buffer)
///     fetch.write(.uid(447), into: &buffer)
///     fetch.writeStreamingHeader(.bodySection(.complete, origin: nil), size: size, into: &buffer)
///     // the caller sends `buffer`, then exactly `size` octets of the body
///     fetch.finish(into: &buffer)  // ")" CRLF
public struct IMAPFetchResponseWriter: Sendable {
    private let options: IMAPResponseEncoder.Options
    private var isFirst = true

    /// Writes "* n FETCH (".
    public init(sequenceNumber: UInt32, options: IMAPResponseEncoder.Options, into buffer: inout [UInt8]) {
        self.options = options
        buffer.append(contentsOf: "* \(sequenceNumber) FETCH (".utf8)
    }

    public mutating func write(_ value: IMAPFetchValue, into buffer: inout [UInt8]) {
        withWriter(&buffer) { $0.fetchValue(value) }
    }

    /// Writes the item name and the literal header, e.g. "BODY[] {N}" CRLF;
    /// the caller then appends exactly `size` octets.
    public mutating func writeStreamingHeader(_ item: IMAPStreamingFetchItem, size: Int, into buffer: inout [UInt8]) {
        withWriter(&buffer) { writer in
            let binary = writer.streamingItemName(item)
            writer.space()
            writer.literalHeader(count: size, binary: binary)
        }
    }

    /// Writes ")" CRLF.
    public func finish(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: [IMAPCharacter.closeParen, IMAPCharacter.cr, IMAPCharacter.lf])
    }

    private mutating func withWriter(_ buffer: inout [UInt8], _ body: (inout IMAPWireWriter) -> Void) {
        var writer = IMAPWireWriter(utf8: options.utf8Accept, literalMode: .server)
        swap(&buffer, &writer.bytes)
        if !isFirst { writer.space() }
        isFirst = false
        body(&writer)
        swap(&buffer, &writer.bytes)
    }
}

// MARK: - Status and data responses

extension IMAPWireWriter {
    /// resp-cond-state / resp-cond-auth / resp-cond-bye:
    /// condition SP ["[" resp-text-code "]" SP] text. RFC 3501 requires the
    /// text (1*TEXT-CHAR), so an empty one is replaced by a word.
    mutating func condition(_ name: String, _ text: IMAPResponseText) {
        ascii(name)
        space()
        if let code = text.code {
            byte(IMAPCharacter.openBracket)
            responseCode(code)
            byte(IMAPCharacter.closeBracket)
            space()
        }
        let cleaned = sanitizedText(text.text, utf8: utf8)
        ascii(cleaned.isEmpty ? IMAPWireWriter.defaultText(name) : cleaned)
    }

    private static func defaultText(_ condition: String) -> String {
        switch condition {
        case "OK": return "completed"
        case "NO": return "failed"
        case "BAD": return "invalid"
        case "PREAUTH": return "ready"
        default: return "closing"
        }
    }

    mutating func untagged(_ response: IMAPUntaggedResponse) {
        switch response {
        case .condition(let condition, let text):
            self.condition(condition.rawValue, text)
        case .capability(let capabilities):
            // capability-data = "CAPABILITY" *(SP capability)
            ascii("CAPABILITY")
            for capability in capabilities { ascii(" " + sanitizedAtom(capability)) }
        case .enabled(let capabilities):
            // enable-data = "ENABLED" *(SP capability) (RFC 5161 §4)
            ascii("ENABLED")
            for capability in capabilities { ascii(" " + sanitizedAtom(capability)) }
        case .list(let list):
            ascii("LIST ")
            mailboxList(list)
        case .lsub(let list):
            ascii("LSUB ")
            mailboxList(list)
        case .status(let mailbox, let values):
            // "STATUS" SP mailbox SP "(" [status-att-list] ")"
            ascii("STATUS ")
            astring(mailbox.name)
            space()
            parenthesized(values) { $0.statusValue($1) }
        case .exists(let count): ascii("\(count) EXISTS")
        case .recent(let count): ascii("\(count) RECENT")
        case .expunge(let number): ascii("\(number) EXPUNGE")
        case .flags(let flags):
            ascii("FLAGS ")
            flagList(flags)
        case .search(let numbers, let modSeq):
            // "SEARCH" [1*(SP nz-number) SP search-sort-mod-seq] (RFC 7162 §7)
            ascii("SEARCH")
            for number in numbers { ascii(" \(number)") }
            if let modSeq, !numbers.isEmpty { ascii(" (MODSEQ \(modSeq))") }
        case .esearch(let esearch): self.esearch(esearch)
        case .namespace(let namespace):
            // namespace-response = "NAMESPACE" SP namespace SP namespace SP namespace
            ascii("NAMESPACE ")
            self.namespace(namespace.personal)
            space()
            self.namespace(namespace.otherUsers)
            space()
            self.namespace(namespace.shared)
        case .id(let parameters):
            ascii("ID ")
            idParameters(parameters)
        case .fetch(let number, let values):
            ascii("\(number) FETCH ")
            parenthesized(values) { $0.fetchValue($1) }
        }
    }

    /// mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
    ///                SP mailbox [SP mbox-list-extended]
    private mutating func mailboxList(_ list: IMAPListResponse) {
        parenthesized(list.attributes) { $0.ascii($0.sanitizedAtomOrFlag($1.rawValue)) }
        space()
        quotedCharacter(list.delimiter)
        space()
        astring(list.name.name)
        guard !list.extended.isEmpty else { return }
        space()
        parenthesized(list.extended) { writer, item in
            switch item {
            // RFC 5258 §4: CHILDINFO values are always quoted.
            case .childInfo(let options):
                writer.ascii("\"CHILDINFO\" ")
                writer.parenthesized(options) { $0.quoted($0.sanitizedAtom($1)) }
            // RFC 9051 §6.3.9.7
            case .oldName(let name):
                writer.ascii("\"OLDNAME\" (")
                writer.string(name)
                writer.byte(IMAPCharacter.closeParen)
            }
        }
    }

    /// DQUOTE QUOTED-CHAR DQUOTE / nil
    private mutating func quotedCharacter(_ character: Character?) {
        guard let character else {
            ascii("NIL")
            return
        }
        quoted(String(character))
    }

    /// A flag or attribute: "\" atom, or atom; "\*" kept for PERMANENTFLAGS.
    func sanitizedAtomOrFlag(_ value: String) -> String {
        if value.utf8.first == IMAPCharacter.backslash {
            let rest = value.dropFirst()
            return rest == "*" ? "\\*" : "\\" + sanitizedAtom(String(rest))
        }
        return sanitizedAtom(value)
    }

    private mutating func statusValue(_ value: IMAPStatusValue) {
        switch value {
        case .messages(let count): ascii("MESSAGES \(count)")
        case .uidNext(let uid): ascii("UIDNEXT \(uid)")
        case .uidValidity(let validity): ascii("UIDVALIDITY \(validity)")
        case .unseen(let count): ascii("UNSEEN \(count)")
        case .deleted(let count): ascii("DELETED \(count)")
        case .size(let size): ascii("SIZE \(size)")
        case .recent(let count): ascii("RECENT \(count)")
        case .highestModSeq(let modSeq): ascii("HIGHESTMODSEQ \(modSeq)")
        }
    }

    /// esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
    private mutating func esearch(_ response: IMAPESearchResponse) {
        ascii("ESEARCH")
        if let tag = response.tag {
            // search-correlator = SP "(" "TAG" SP tag-string ")"
            ascii(" (TAG ")
            string(tag)
            byte(IMAPCharacter.closeParen)
        }
        if response.uid { ascii(" UID") }
        if let min = response.min { ascii(" MIN \(min)") }
        if let max = response.max { ascii(" MAX \(max)") }
        if let all = response.all {
            ascii(" ALL ")
            sequenceSet(all)
        }
        if let count = response.count { ascii(" COUNT \(count)") }
        // RFC 4731 §4 with CONDSTORE: "MODSEQ" SP mod-sequence-value
        if let modSeq = response.modSeq { ascii(" MODSEQ \(modSeq)") }
    }

    /// namespace = nil / "(" 1*namespace-descr ")"
    private mutating func namespace(_ descriptions: [IMAPNamespaceDescription]) {
        guard !descriptions.isEmpty else {
            ascii("NIL")
            return
        }
        byte(IMAPCharacter.openParen)
        for description in descriptions {
            byte(IMAPCharacter.openParen)
            string(description.prefix)
            space()
            quotedCharacter(description.delimiter)
            byte(IMAPCharacter.closeParen)
        }
        byte(IMAPCharacter.closeParen)
    }
}
