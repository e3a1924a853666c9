// Tree parsing: finds the parts of multipart bodies by their delimiter lines (RFC 2046
// §5.1.1) and the messages inside message/rfc822 parts (§5.2.1), top down, within limits.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct TreeParser {
    let buffer: UnsafeBufferPointer<UInt8>
    let source: [UInt8]
    let limits: MIMELimits
    var partCount = 0

    static func parse(_ bytes: [UInt8], limits: MIMELimits) throws(MIMEError) -> MIMEPart {
        try bytes.withUnsafeBufferPointer { (buffer) throws(MIMEError) -> MIMEPart in
            var parser = TreeParser(buffer: buffer, source: bytes, limits: limits)
            return try parser.part(
                in: 0..<buffer.count, container: [], isMessageRoot: true, defaultType: .default,
                endsAtDelimiter: false, depth: 0, isTopLevel: true)
        }
    }

    /// A delimiter line found in a multipart body.
    struct Delimiter {
        /// Where the line break before the delimiter starts (it belongs to the delimiter).
        var breakStart: Int
        /// Where the delimiter line starts ("--").
        var lineStart: Int
        /// After the delimiter line's own line break.
        var after: Int
        /// Whether this is the close delimiter ("--boundary--").
        var isClose: Bool
    }

    /// Parses the part in `range`. `container` is the number of the enclosing part for a
    /// message root; `endsAtDelimiter` says whether `range` ends before a parent's delimiter
    /// (else it ends where the input ends, and a last part loses one trailing line break).
    mutating func part(
        in range: Range<Int>, container: [Int], isMessageRoot: Bool, defaultType: ContentType,
        endsAtDelimiter: Bool, depth: Int, isTopLevel: Bool = false
    ) throws(MIMEError) -> MIMEPart {
        partCount += 1
        let parsed = try HeaderParser.parse(
            buffer, from: range.lowerBound, to: range.upperBound, limits: limits, allowsEnvelopeLine: isTopLevel)
        var defects = parsed.defects
        let header = parsed.header
        var contentType = defaultType
        if let field = header["content-type"] {
            // RFC 2045 §5.2: an unreadable Content-Type means text/plain.
            contentType = ContentType(parsing: field.unfoldedValue) ?? .default
        }
        let bodyRange = parsed.bodyStart..<range.upperBound
        let headerRange = range.lowerBound..<parsed.bodyStart
        // RFC 3501 §6.4.5: a message root that is not multipart has its body as part 1.
        func number(multipart: Bool) -> [Int] { isMessageRoot && !multipart ? container + [1] : container }

        var body = MIMEPart.Body.single
        var isMultipart = false
        if contentType.isMultipart || contentType.isEncapsulatedMessage {
            if depth >= limits.maxNestingDepth {
                defects.append(.nestingTooDeep(offset: range.lowerBound))
            } else if contentType.isMultipart {
                let boundary = (contentType.boundary ?? "").trimmingTrailingBlanks
                if boundary.isEmpty {
                    defects.append(.noBoundaryInMultipart(offset: range.lowerBound))  // RFC 2046 §5.1.1
                } else if let result = try multipart(
                    bodyRange, boundary: Array(boundary.utf8), number: number(multipart: true), subtype: contentType.subtype,
                    endsAtDelimiter: endsAtDelimiter, depth: depth, defects: &defects) {
                    body = result
                    isMultipart = true
                }
            } else {
                let inner = try part(
                    in: bodyRange, container: number(multipart: false), isMessageRoot: true, defaultType: .default,
                    endsAtDelimiter: endsAtDelimiter, depth: depth + 1)
                body = .message(inner)
            }
        }
        return MIMEPart(
            source: source, partNumber: number(multipart: isMultipart), isMessageRoot: isMessageRoot, header: header,
            headerRange: headerRange, bodyRange: bodyRange, contentType: contentType, body: body, defects: defects)
    }

    /// Splits a multipart body at its delimiters; nil when the first delimiter is missing.
    mutating func multipart(
        _ range: Range<Int>, boundary: [UInt8], number: [Int], subtype: String, endsAtDelimiter: Bool,
        depth: Int, defects: inout [MIMEDefect]
    ) throws(MIMEError) -> MIMEPart.Body? {
        let dashBoundary = [ASCII.minus, ASCII.minus] + boundary
        guard let first = findDelimiter(dashBoundary, in: range, from: range.lowerBound) else {
            defects.append(.startBoundaryNotFound(offset: range.lowerBound))
            return nil
        }
        // RFC 2046 §5.1.5: parts of multipart/digest default to message/rfc822.
        let childDefault = subtype == "digest" ? ContentType.digestDefault : ContentType.default
        let preamble = range.lowerBound..<max(range.lowerBound, first.breakStart)
        var parts: [MIMEPart] = []
        var current = first
        var epilogue = range.upperBound..<range.upperBound
        while !current.isClose {
            let start = current.after
            guard partCount < limits.maxParts else {
                defects.append(.tooManyParts(offset: start))
                break
            }
            let childNumber = number + [parts.count + 1]
            if let next = findDelimiter(dashBoundary, in: range, from: start) {
                if next.breakStart < start {
                    // Two delimiter lines in a row share one line break: the grammar of
                    // RFC 2046 §5.1.1 leaves no body part between them (Python agrees).
                    current = next
                    continue
                }
                let end = next.breakStart
                parts.append(try part(
                    in: start..<end, container: childNumber, isMessageRoot: false, defaultType: childDefault,
                    endsAtDelimiter: true, depth: depth + 1))
                current = next
            } else {
                // RFC 2046 §5.1.1 wants a close delimiter; without one the last part runs to
                // the end, less the line break that would have preceded the delimiter.
                defects.append(.closeBoundaryNotFound(offset: range.upperBound))
                var end = range.upperBound
                if !endsAtDelimiter && end > start && buffer[end - 1] == ASCII.lf {
                    end -= 1
                    if end > start && buffer[end - 1] == ASCII.cr { end -= 1 }
                }
                parts.append(try part(
                    in: start..<end, container: childNumber, isMessageRoot: false, defaultType: childDefault,
                    endsAtDelimiter: true, depth: depth + 1))
                return .multipart(parts: parts, preamble: preamble, epilogue: epilogue)
            }
        }
        if current.isClose { epilogue = current.after..<range.upperBound }
        return .multipart(parts: parts, preamble: preamble, epilogue: epilogue)
    }

    /// The first delimiter line at or after `from` (RFC 2046 §5.1.1): at the start of a line,
    /// "--" and the boundary, optionally "--", then only blanks up to the line break.
    func findDelimiter(_ dashBoundary: [UInt8], in range: Range<Int>, from: Int) -> Delimiter? {
        guard let base = buffer.baseAddress else { return nil }
        var candidate: Int
        if from == range.lowerBound {
            candidate = from  // a delimiter may open the body, with no line break before it
        } else {
            guard let next = search(dashBoundary, from: from - 1, to: range.upperBound, base: base) else { return nil }
            candidate = next
        }
        while true {
            if candidate + dashBoundary.count <= range.upperBound,
               memcmp(base + candidate, dashBoundary, dashBoundary.count) == 0,
               let delimiter = delimiterLine(at: candidate, length: dashBoundary.count, range: range) {
                return delimiter
            }
            guard let next = search(dashBoundary, from: max(candidate, range.lowerBound), to: range.upperBound, base: base) else { return nil }
            candidate = next
        }
    }

    /// The start of the next "LF dash-boundary" at or after `from`, as the index after the LF.
    /// Scans for "-" with `memchr`, which skips base64 bodies (no "-" in the alphabet) at
    /// memory speed.
    private func search(_ dashBoundary: [UInt8], from: Int, to end: Int, base: UnsafePointer<UInt8>) -> Int? {
        var i = from + 1
        let length = dashBoundary.count
        while i + length <= end {
            guard let hit = memchr(base + i, Int32(ASCII.minus), end - i) else { return nil }
            let q = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
            if q + length > end { return nil }
            if base[q - 1] == ASCII.lf && base[q + 1] == ASCII.minus,
               memcmp(base + q, dashBoundary, length) == 0 {
                return q
            }
            i = q + 1
        }
        return nil
    }

    /// Checks the rest of a line starting with dash-boundary at `start`.
    private func delimiterLine(at start: Int, length: Int, range: Range<Int>) -> Delimiter? {
        var i = start + length
        let end = range.upperBound
        var isClose = false
        if i + 1 < end + 1, i + 2 <= end, buffer[i] == ASCII.minus, buffer[i + 1] == ASCII.minus {
            isClose = true
            i += 2
        }
        while i < end && ASCII.isWSP(buffer[i]) { i += 1 }  // transport padding
        if i < end && buffer[i] == ASCII.cr && i + 1 < end && buffer[i + 1] == ASCII.lf {
            i += 2
        } else if i < end && buffer[i] == ASCII.lf {
            i += 1
        } else if i < end {
            return nil
        }
        var breakStart = start
        if start > range.lowerBound && buffer[start - 1] == ASCII.lf {
            breakStart = start - 1
            if breakStart > range.lowerBound && buffer[breakStart - 1] == ASCII.cr { breakStart -= 1 }
        }
        return Delimiter(breakStart: breakStart, lineStart: start, after: i, isClose: isClose)
    }
}

extension String {
    var trimmingTrailingBlanks: String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
