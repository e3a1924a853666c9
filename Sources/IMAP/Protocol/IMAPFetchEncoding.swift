// FETCH response items: msg-att (RFC 9051 §7.5.2, §9), ENVELOPE and
// BODY / BODYSTRUCTURE with their extension data, RFC822.* (RFC 3501 §7.4.2)
// and MODSEQ (RFC 7162 §3.1.4.1).

extension IMAPWireWriter {
    mutating func fetchValue(_ value: IMAPFetchValue) {
        switch value {
        case .flags(let flags):
            ascii("FLAGS ")
            flagList(flags)
        case .internalDate(let date):
            ascii("INTERNALDATE ")
            dateTime(date)
        case .rfc822Size(let size): ascii("RFC822.SIZE \(size)")
        case .uid(let uid): ascii("UID \(uid)")
        // fetch-mod-resp = "MODSEQ" SP "(" permsg-modsequence ")"
        case .modSeq(let modSeq): ascii("MODSEQ (\(modSeq))")
        case .envelope(let envelope):
            ascii("ENVELOPE ")
            self.envelope(envelope)
        case .body(let body):
            ascii("BODY ")
            bodyStructure(body, extensible: false)
        case .bodyStructure(let body):
            ascii("BODYSTRUCTURE ")
            bodyStructure(body, extensible: true)
        case .bodySection(let section, let origin, let data):
            _ = streamingItemName(.bodySection(section, origin: origin))
            space()
            bodyData(data, binary: false)
        case .binary(let part, let origin, let data):
            // RFC 9051 §7.5.2: literal8 only when the data holds NUL.
            let binary = data?.contains(0) ?? false
            _ = streamingItemName(.binary(part: part, origin: origin, literal8: binary))
            space()
            bodyData(data, binary: binary)
        case .binarySize(let part, let size):
            ascii("BINARY.SIZE[")
            sectionPart(part)
            ascii("] \(size)")
        case .rfc822(let data):
            ascii("RFC822 ")
            bodyData(data, binary: false)
        case .rfc822Header(let data):
            ascii("RFC822.HEADER ")
            bodyData(data, binary: false)
        case .rfc822Text(let data):
            ascii("RFC822.TEXT ")
            bodyData(data, binary: false)
        }
    }

    /// Writes the name of a body item, e.g. "BODY[1.2]<0>"; returns whether
    /// its literal is a literal8.
    mutating func streamingItemName(_ item: IMAPStreamingFetchItem) -> Bool {
        switch item {
        case .bodySection(let section, let origin):
            // "BODY" section ["<" number ">"]
            ascii("BODY")
            self.section(section)
            if let origin { ascii("<\(origin)>") }
            return false
        case .binary(let part, let origin, let literal8):
            // "BINARY" section-binary ["<" number ">"]
            ascii("BINARY[")
            sectionPart(part)
            byte(IMAPCharacter.closeBracket)
            if let origin { ascii("<\(origin)>") }
            return literal8
        case .rfc822:
            ascii("RFC822")
            return false
        case .rfc822Header:
            ascii("RFC822.HEADER")
            return false
        case .rfc822Text:
            ascii("RFC822.TEXT")
            return false
        }
    }

    /// Body data always goes out as a literal (it may hold CR LF), or NIL.
    private mutating func bodyData(_ data: [UInt8]?, binary: Bool) {
        guard let data else {
            ascii("NIL")
            return
        }
        literal(data, binary: binary)
    }

    // MARK: - ENVELOPE

    mutating func envelope(_ envelope: IMAPEnvelope) {
        byte(IMAPCharacter.openParen)
        nstring(envelope.date)
        space()
        nstring(envelope.subject)
        for list in [envelope.from, envelope.sender, envelope.replyTo, envelope.to, envelope.cc, envelope.bcc] {
            space()
            addressList(list)
        }
        space()
        nstring(envelope.inReplyTo)
        space()
        nstring(envelope.messageID)
        byte(IMAPCharacter.closeParen)
    }

    /// env-from = "(" 1*address ")" / nil; addresses follow each other with
    /// no separator.
    private mutating func addressList(_ addresses: [IMAPAddress]) {
        guard !addresses.isEmpty else {
            ascii("NIL")
            return
        }
        byte(IMAPCharacter.openParen)
        for address in addresses {
            byte(IMAPCharacter.openParen)
            nstring(address.name)
            space()
            nstring(address.adl)
            space()
            nstring(address.mailbox)
            space()
            nstring(address.host)
            byte(IMAPCharacter.closeParen)
        }
        byte(IMAPCharacter.closeParen)
    }

    // MARK: - BODY and BODYSTRUCTURE

    /// body = "(" (body-type-1part / body-type-mpart) ")"; `extensible` is
    /// false for BODY, which "MUST NOT" carry extension data.
    mutating func bodyStructure(_ body: IMAPBodyStructure, extensible: Bool) {
        byte(IMAPCharacter.openParen)
        switch body {
        case .singlepart(let part): singlepart(part, extensible: extensible)
        case .multipart(let multipart):
            // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
            for child in multipart.parts { bodyStructure(child, extensible: extensible) }
            space()
            string(multipart.subtype)
            if extensible, let ext = multipart.extensionData {
                // body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
                space()
                bodyParameters(ext.parameters)
                extensionTail(ext.disposition, ext.language, ext.location)
            }
        }
        byte(IMAPCharacter.closeParen)
    }

    private mutating func singlepart(_ part: IMAPSinglePart, extensible: Bool) {
        // body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets
        string(part.type)
        space()
        string(part.subtype)
        space()
        bodyParameters(part.parameters)
        space()
        nstring(part.contentID)
        space()
        nstring(part.contentDescription)
        space()
        string(part.encoding)
        ascii(" \(part.size)")
        switch part.kind {
        case .basic:
            break
        case .text(let lines):
            // body-type-text = media-text SP body-fields SP body-fld-lines
            ascii(" \(lines)")
        case .message(let envelope, let body, let lines):
            // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
            space()
            self.envelope(envelope)
            space()
            bodyStructure(body, extensible: extensible)
            ascii(" \(lines)")
        }
        if extensible, let ext = part.extensionData {
            // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
            space()
            nstring(ext.md5)
            extensionTail(ext.disposition, ext.language, ext.location)
        }
    }

    /// SP body-fld-dsp SP body-fld-lang SP body-fld-loc
    private mutating func extensionTail(_ disposition: IMAPBodyDisposition?, _ language: [String], _ location: String?) {
        space()
        // body-fld-dsp = "(" string SP body-fld-param ")" / nil
        if let disposition {
            byte(IMAPCharacter.openParen)
            string(disposition.type)
            space()
            bodyParameters(disposition.parameters)
            byte(IMAPCharacter.closeParen)
        } else {
            ascii("NIL")
        }
        space()
        // body-fld-lang = nstring / "(" string *(SP string) ")"
        if language.count == 1 {
            string(language[0])
        } else if language.isEmpty {
            ascii("NIL")
        } else {
            parenthesized(language) { $0.string($1) }
        }
        space()
        nstring(location)
    }

    /// body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
    private mutating func bodyParameters(_ parameters: [IMAPBodyParameter]) {
        guard !parameters.isEmpty else {
            ascii("NIL")
            return
        }
        parenthesized(parameters) { writer, parameter in
            writer.string(parameter.attribute)
            writer.space()
            writer.string(parameter.value)
        }
    }
}
