// The logic of `chappe mime tree|decode|extract|encode|headers`: bytes and options in,
// bytes or text out, so the command-line layer only reads files and writes results.

/// The `chappe mime` subcommands as pure functions.
public enum MimeTool {
    // MARK: - tree

    /// One line per part: IMAP part number, type and parameters, transfer encoding, body
    /// size in bytes, file name. Parts are indented by depth; the root of a multipart
    /// message shows "-", the body of an encapsulated multipart message "N.TEXT".
    public static func tree(_ message: [UInt8], limits: MIMELimits = .default) throws(MIMEError) -> String {
        let root = try MIMEPart(parsing: message, limits: limits)
        var lines: [String] = []
        func walk(_ part: MIMEPart, depth: Int) {
            var number = part.section.isEmpty ? "-" : part.section
            if part.isMessageRoot && !part.section.isEmpty, case .multipart = part.body { number += ".TEXT" }
            var line = number.padding(toLength: max(number.count, 10), withPad: " ", startingAt: 0) + " "
            line += String(repeating: "  ", count: depth) + part.contentType.mimeType
            let parameters = part.contentType.parameters.filter { $0.name != "name" }
            if !parameters.isEmpty {
                line += "; " + parameters.map { $0.name + "=" + Lexer.quotedIfNeeded($0.value, mode: .mime) }.joined(separator: "; ")
            }
            if case .single = part.body {
                line += "  " + part.transferEncoding + "  \(part.bodyRange.count) bytes"
                if let name = part.filename { line += "  \"" + name + "\"" }
            }
            lines.append(line)
            for child in part.children { walk(child, depth: depth + 1) }
        }
        walk(root, depth: 0)
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - decode

    /// The decoded body of part `section` (IMAP numbering); by default part 1 (the body of
    /// a single-part message, or the first part of a multipart one).
    public static func decode(_ message: [UInt8], part section: String? = nil, limits: MIMELimits = .default) throws(MIMEError) -> [UInt8] {
        let root = try MIMEPart(parsing: message, limits: limits)
        let wanted = section ?? "1"
        guard let part = root.part(wanted) else { throw .noSuchPart(wanted) }
        switch part.body {
        case .single: return part.decodedBody()
        case .message: return Array(part.rawBody)
        case .multipart: return Array(part.rawBody)
        }
    }

    // MARK: - extract

    /// A file to write: a safe name (no directories, no leading dots, unique within the
    /// message) and its decoded content.
    public struct ExtractedFile: Sendable, Hashable {
        public var name: String
        public var section: String
        public var data: [UInt8]
    }

    /// Every attachment of the message (parts with a file name or an "attachment"
    /// disposition), with names safe to create inside one directory.
    public static func extract(_ message: [UInt8], limits: MIMELimits = .default) throws(MIMEError) -> [ExtractedFile] {
        let root = try MIMEPart(parsing: message, limits: limits)
        var files: [ExtractedFile] = []
        var used: Set<String> = []
        root.visit { part in
            guard case .single = part.body, part.isAttachment else { return }
            let section = part.section.isEmpty ? "1" : part.section
            var name = safeFileName(part.filename ?? "", fallback: "part-\(section).bin")
            if used.contains(name.lowercased()) {
                let (stem, ext) = splitExtension(name)
                var n = 1
                while used.contains("\(stem)-\(n)\(ext)".lowercased()) { n += 1 }
                name = "\(stem)-\(n)\(ext)"
            }
            used.insert(name.lowercased())
            files.append(ExtractedFile(name: name, section: section, data: part.decodedBody()))
        }
        return files
    }

    /// A file name that cannot leave the target directory: the last path component only
    /// (either slash), control characters removed, no leading dots, at most 200 bytes.
    public static func safeFileName(_ suggested: String, fallback: String) -> String {
        let last = suggested.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var name = String(String.UnicodeScalarView(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && $0 != ":" }))
        name = name.trimmingCharacters(in: .whitespaces)
        while name.hasPrefix(".") { name.removeFirst() }
        while name.utf8.count > 200 { name.removeFirst() }
        return name.isEmpty ? fallback : name
    }

    private static func splitExtension(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[dot...]))
    }

    // MARK: - headers

    /// The header fields of the message, one per line, unfolded and decoded: RFC 2047 words
    /// in text and display names decoded, addresses listed as `Name <address>`.
    public static func headers(_ message: [UInt8], limits: MIMELimits = .default) throws(MIMEError) -> String {
        let parsed = try Message(parsing: message, limits: limits)
        var out = ""
        for field in parsed.header where !field.isMalformed {
            out += field.name + ": " + displayValue(field) + "\n"
        }
        return out
    }

    /// A field's value for people to read.
    public static func displayValue(_ field: HeaderField) -> String {
        switch field.name.asciiLowercased {
        case "from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc", "resent-bcc", "resent-sender":
            let list = AddressList(parsing: field.unfoldedValue)
            guard !list.addresses.isEmpty else { return field.decodedValue }
            return list.addresses.map { address in
                switch address {
                case .mailbox(let m): displayMailbox(m)
                case .group(let g): g.displayName + ": " + g.members.map(displayMailbox).joined(separator: ", ") + ";"
                }
            }.joined(separator: ", ")
        default:
            return field.decodedValue
        }
    }

    private static func displayMailbox(_ mailbox: Mailbox) -> String {
        guard let name = mailbox.displayName, !name.isEmpty else { return mailbox.address }
        return Lexer.quotedIfNeeded(name) + " <" + mailbox.address + ">"
    }

    // MARK: - encode

    /// A streaming filter for `chappe mime encode`: base64 or quoted-printable, either way,
    /// with Unix line endings like coreutils `base64`.
    public struct Filter: Sendable {
        public enum Mode: Sendable, Hashable {
            case base64Encode(wrap: Int)
            case base64Decode
            case quotedPrintableEncode
            case quotedPrintableDecode
        }

        private enum Codec: Sendable {
            case base64Encoder(Base64Encoder)
            case base64Decoder(Base64Decoder)
            case qpEncoder(QuotedPrintableEncoder)
            case qpDecoder(QuotedPrintableDecoder)
        }

        private var codec: Codec

        public init(_ mode: Mode) {
            switch mode {
            case .base64Encode(let wrap): codec = .base64Encoder(Base64Encoder(lineLength: wrap, lineEnding: .lf))
            case .base64Decode: codec = .base64Decoder(Base64Decoder())
            case .quotedPrintableEncode: codec = .qpEncoder(QuotedPrintableEncoder(options: .init(lineEnding: .lf)))
            case .quotedPrintableDecode: codec = .qpDecoder(QuotedPrintableDecoder())
            }
        }

        /// Converts the next chunk of input.
        public mutating func process(_ chunk: some Collection<UInt8>) -> [UInt8] {
            switch codec {
            case .base64Encoder(var c): defer { codec = .base64Encoder(c) }; return c.encode(chunk)
            case .base64Decoder(var c): defer { codec = .base64Decoder(c) }; return c.decode(chunk)
            case .qpEncoder(var c): defer { codec = .qpEncoder(c) }; return c.encode(chunk)
            case .qpDecoder(var c): defer { codec = .qpDecoder(c) }; return c.decode(chunk)
            }
        }

        /// The most bytes `process(_:into:)` writes for `count` bytes of input.
        public func maxOutputCount(forInputCount count: Int) -> Int {
            switch codec {
            case .base64Encoder(let c): c.maxOutputCount(forInputCount: count)
            case .base64Decoder(let c): c.maxOutputCount(forInputCount: count)
            case .qpEncoder(let c): c.maxOutputCount(forInputCount: count)
            case .qpDecoder(let c): c.maxOutputCount(forInputCount: count)
            }
        }

        /// Converts the next chunk into `output` (room for `maxOutputCount(forInputCount:)`
        /// bytes) and returns the bytes written: one buffer serves a whole stream.
        public mutating func process(_ chunk: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int {
            switch codec {
            case .base64Encoder(var c): defer { codec = .base64Encoder(c) }; return c.encode(chunk, into: output)
            case .base64Decoder(var c): defer { codec = .base64Decoder(c) }; return c.decode(chunk, into: output)
            case .qpEncoder(var c): defer { codec = .qpEncoder(c) }; return c.encode(chunk, into: output)
            case .qpDecoder(var c): defer { codec = .qpDecoder(c) }; return c.decode(chunk, into: output)
            }
        }

        /// Ends the input and returns what was pending.
        public mutating func finish() -> [UInt8] {
            switch codec {
            case .base64Encoder(var c): defer { codec = .base64Encoder(c) }; return c.finish()
            case .base64Decoder(var c): defer { codec = .base64Decoder(c) }; return c.finish()
            case .qpEncoder(var c): defer { codec = .qpEncoder(c) }; return c.finish()
            case .qpDecoder(var c): defer { codec = .qpDecoder(c) }; return c.finish()
            }
        }

        /// Runs the whole of `input` through a filter.
        public static func run(_ mode: Mode, on input: [UInt8]) -> [UInt8] {
            var filter = Filter(mode)
            return filter.process(input) + filter.finish()
        }
    }
}

import Foundation
