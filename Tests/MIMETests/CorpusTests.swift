// Corpus tests: every message under Corpus/ is parsed and compared with what Python's
// `email` package (policy=default) reports through reference.py, and re-serialised byte
// for byte.
import Foundation
import Testing
@testable import MIME

/// What reference.py prints for one message.
struct ReferenceMessage: Codable, Equatable {
    var file: String
    var parts: [ReferencePart]
    var roots: [ReferenceRoot]
}

struct ReferencePart: Codable, Equatable, CustomStringConvertible {
    var section: String
    var type: String
    var kind: String
    var count: Int?
    var charset: String?
    var filename: String?
    var size: Int?
    var hash: String?

    var description: String {
        "[\(section)] \(type) \(kind) count=\(count.map(String.init) ?? "-") charset=\(charset ?? "-") filename=\(filename ?? "-") size=\(size.map(String.init) ?? "-") hash=\(hash ?? "-")"
    }
}

struct ReferenceRoot: Codable, Equatable {
    var section: String
    var fields: [ReferenceField]
}

struct ReferenceField: Codable, Equatable {
    struct Group: Codable, Equatable {
        var name: String?
        var members: [Member]
    }
    struct Member: Codable, Equatable {
        var display: String
        var user: String
        var domain: String
    }
    var name: String
    var text: String?
    var groups: [Group]?
    var date: Int?
    var zone: Int?
}

/// FNV-1a, 64 bits: the body hash reference.py prints.
func fnv1a64(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// Describes a message the way reference.py does, from the Swift parser.
func describe(_ bytes: [UInt8], file: String) throws -> ReferenceMessage {
    let tree = try MIMEPart(parsing: bytes)
    var parts: [ReferencePart] = []
    var roots: [ReferenceRoot] = []
    tree.visit { part in
        if part.isMessageRoot {
            let container = part.contentType.isMultipart && part.children.count > 0 || isMultipartBody(part) ? part.partNumber : Array(part.partNumber.dropLast())
            roots.append(ReferenceRoot(section: container.map(String.init).joined(separator: "."), fields: fields(part.header)))
        }
        switch part.body {
        case .message:
            parts.append(ReferencePart(section: part.section, type: part.contentType.mimeType, kind: "message"))
        case .multipart(let children, _, _):
            parts.append(ReferencePart(section: part.section, type: part.contentType.mimeType, kind: "multipart", count: children.count))
        case .single:
            let body = part.decodedBody()
            parts.append(ReferencePart(
                section: part.section, type: part.contentType.mimeType, kind: "leaf", charset: part.contentType.charset?.asciiLowercased,
                filename: part.filename, size: body.count, hash: fnv1a64(body)))
        }
    }
    return ReferenceMessage(file: file, parts: parts, roots: roots)
}

private func isMultipartBody(_ part: MIMEPart) -> Bool {
    if case .multipart = part.body { return true }
    return false
}

private let addressFields: Set<String> = ["from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc", "resent-bcc", "resent-sender"]
private let skippedFields: Set<String> = ["content-type", "content-disposition", "content-transfer-encoding", "mime-version"]

private func fields(_ header: Header) -> [ReferenceField] {
    header.fields.compactMap { field in
        let key = field.name.asciiLowercased
        if field.isMalformed || skippedFields.contains(key) { return nil }
        var out = ReferenceField(name: field.name)
        if addressFields.contains(key) {
            out.groups = AddressList(parsing: field.unfoldedValue).addresses.map { address in
                switch address {
                case .mailbox(let m):
                    ReferenceField.Group(name: nil, members: [member(m)])
                case .group(let g):
                    ReferenceField.Group(name: g.displayName, members: g.members.map(member))
                }
            }
        } else if key == "date" || key == "resent-date" {
            if let date = MIMEDate(parsing: field.unfoldedValue) {
                out.date = Int(date.date.timeIntervalSince1970)
                out.zone = date.isZoneKnown ? date.zoneOffsetMinutes : nil
            }
        } else {
            out.text = field.decodedValue
        }
        return out
    }
}

private func member(_ m: Mailbox) -> ReferenceField.Member {
    ReferenceField.Member(display: m.displayName ?? "", user: m.localPart, domain: m.domain)
}

/// Runs reference.py over a directory of messages (the corpus by default).
func referenceOutput(directory: URL = corpusDirectory) throws -> [ReferenceMessage] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", testDirectory.appendingPathComponent("reference.py").path, directory.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw MIMEError.syntax("reference.py exited with \(process.terminationStatus)") }
    return try JSONDecoder().decode([ReferenceMessage].self, from: data)
}

func corpusFiles() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: corpusDirectory, includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "eml" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

@Suite struct CorpusTests {
    @Test func matchesPythonEmail() throws {
        let reference = try referenceOutput()
        let files = try corpusFiles()
        #expect(reference.count == files.count)
        #expect(files.count >= 20)
        for expected in reference {
            let bytes = try [UInt8](Data(contentsOf: corpusDirectory.appendingPathComponent(expected.file)))
            let actual = try describe(bytes, file: expected.file)
            #expect(actual.parts.map(\.description) == expected.parts.map(\.description), "\(expected.file): parts")
            for (a, e) in zip(actual.roots, expected.roots) {
                #expect(a.section == e.section, "\(expected.file): root section")
                for (fa, fe) in zip(a.fields, e.fields) {
                    #expect(fa == fe, "\(expected.file) [\(e.section)] \(fe.name)")
                }
                #expect(a.fields.count == e.fields.count, "\(expected.file) [\(e.section)]: field count")
            }
            #expect(actual.roots.count == expected.roots.count, "\(expected.file): roots")
        }
    }

    @Test func parseSerialiseIsByteIdentical() throws {
        for url in try corpusFiles() {
            let bytes = try [UInt8](Data(contentsOf: url))
            let message = try Message(parsing: bytes)
            #expect(message.serialized() == bytes, "\(url.lastPathComponent)")
            // Rebuilding from the parsed fields and body gives the same bytes too.
            #expect(message.header.serialized + message.separator + message.body == bytes)
            // Every part's ranges lie inside the message and nest properly.
            let tree = try MIMEPart(parsing: bytes)
            tree.visit { part in
                #expect(part.headerRange.upperBound == part.bodyRange.lowerBound)
                #expect(part.bodyRange.upperBound <= bytes.count)
                for child in part.children {
                    #expect(part.bodyRange.contains(child.range.lowerBound) || child.range.isEmpty || child.range.lowerBound == part.bodyRange.upperBound)
                    #expect(child.range.upperBound <= part.bodyRange.upperBound)
                }
            }
        }
    }
}
