// Header parsing: splits a header section into fields and finds where the body starts,
// keeping every byte (RFC 5322 §2.1, §2.2; lenient like real-world readers).

/// What parsing a header section found.
struct ParsedHeader {
    var header: Header
    /// The empty line that ends the section, or an empty range where it is missing.
    var separator: Range<Int>
    /// Where the body starts (after the separator).
    var bodyStart: Int
    var defects: [MIMEDefect]
}

enum HeaderParser {
    /// RFC 5322 §3.6.8: a field name is printable US-ASCII other than ":".
    @inline(__always) static func isFieldNameByte(_ b: UInt8) -> Bool {
        b >= 33 && b <= 126 && b != ASCII.colon
    }

    /// Parses the header section that starts at `start` and ends no later than `end`.
    ///
    /// A line starting with SP or HT continues the field before it (RFC 5322 §2.2.3); an
    /// empty line ends the section (§2.1). A line that is neither a field nor a continuation
    /// also ends the section and starts the body (as Python's `email` and most readers do);
    /// `allowsEnvelopeLine` keeps a first mbox "From " line as a malformed field instead.
    static func parse(
        _ buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
        limits: MIMELimits, allowsEnvelopeLine: Bool
    ) throws(MIMEError) -> ParsedHeader {
        var fields: [HeaderField] = []
        var defects: [MIMEDefect] = []
        var lineStart = start
        // The field being collected: where it starts, where its name ends, where its
        // value starts; a malformed line has no name.
        var fieldStart = -1, nameEnd = 0, valueStart = 0, malformed = false

        func finishField(at fieldEnd: Int) throws(MIMEError) {
            guard fieldStart >= 0 else { return }
            if fieldEnd - fieldStart > limits.maxHeaderFieldBytes {
                throw .headerFieldTooLong(offset: fieldStart, limit: limits.maxHeaderFieldBytes)
            }
            if fields.count >= limits.maxHeaderFields {
                throw .tooManyHeaderFields(limit: limits.maxHeaderFields)
            }
            let raw = Array(buffer[fieldStart..<fieldEnd])
            let valueEnd = contentEnd(in: buffer, start: fieldStart, end: fieldEnd) - fieldStart
            let name = malformed ? "" : String(decoding: buffer[fieldStart..<nameEnd], as: UTF8.self)
            fields.append(HeaderField(
                raw: raw, name: name, valueStart: min(valueStart - fieldStart, valueEnd),
                valueEnd: valueEnd, isMalformed: malformed))
            fieldStart = -1
        }

        while lineStart < end {
            let next = lineEnd(in: buffer, from: lineStart, to: end)
            let content = contentEnd(in: buffer, start: lineStart, end: next)
            if content == lineStart && next > lineStart {
                // RFC 5322 §2.1: an empty line separates the header from the body.
                try finishField(at: lineStart)
                return ParsedHeader(header: Header(fields), separator: lineStart..<next, bodyStart: next, defects: defects)
            }
            let first = buffer[lineStart]
            if ASCII.isWSP(first) {
                // RFC 5322 §2.2.3: a folded continuation line.
                if fieldStart < 0 {
                    defects.append(.malformedHeaderLine(offset: lineStart))
                    fieldStart = lineStart
                    malformed = true
                    valueStart = lineStart
                }
                if next - fieldStart > limits.maxHeaderFieldBytes {
                    throw .headerFieldTooLong(offset: fieldStart, limit: limits.maxHeaderFieldBytes)
                }
                lineStart = next
                continue
            }
            try finishField(at: lineStart)
            // RFC 5322 §3.6.8 field name, then optional blanks (obs-optional, §4.5.... §4.1), then ":".
            var i = lineStart
            while i < content && isFieldNameByte(buffer[i]) { i += 1 }
            let nameStop = i
            while i < content && ASCII.isWSP(buffer[i]) { i += 1 }
            if i < content && buffer[i] == ASCII.colon && nameStop > lineStart {
                fieldStart = lineStart
                nameEnd = nameStop
                valueStart = i + 1
                malformed = false
            } else if (i < content && buffer[i] == ASCII.colon && nameStop == lineStart)
                || (allowsEnvelopeLine && fields.isEmpty && isEnvelopeLine(buffer, lineStart, content)) {
                // A field without a name, or the mbox envelope line: kept, but not a field.
                defects.append(.malformedHeaderLine(offset: lineStart))
                fieldStart = lineStart
                malformed = true
                valueStart = lineStart
            } else {
                // Not a header line: the body starts here, without a separator.
                if lineStart > start || !fields.isEmpty {
                    defects.append(.missingHeaderBodySeparator(offset: lineStart))
                }
                return ParsedHeader(header: Header(fields), separator: lineStart..<lineStart, bodyStart: lineStart, defects: defects)
            }
            lineStart = next
        }
        try finishField(at: end)
        return ParsedHeader(header: Header(fields), separator: end..<end, bodyStart: end, defects: defects)
    }

    private static func isEnvelopeLine(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let from: [UInt8] = [0x46, 0x72, 0x6F, 0x6D, 0x20]  // "From "
        guard end - start >= from.count else { return false }
        return (0..<from.count).allSatisfy { buffer[start + $0] == from[$0] }
    }
}
