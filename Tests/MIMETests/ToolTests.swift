// Tool tests: the logic behind `chappe mime`, and byte identity with coreutils `base64`.
import Foundation
import Testing
@testable import MIME

/// Runs a program with `input` on standard input and returns its standard output.
func runProgram(_ arguments: [String], input: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    try process.run()
    // Write from another thread so a full output pipe cannot block us.
    let writer = Thread {
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](output)
}

@Suite struct ToolTests {
    func corpus(_ name: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: corpusDirectory.appendingPathComponent(name)))
    }

    @Test func tree() throws {
        let text = try MimeTool.tree(corpus("05-nested-rfc822.eml"))
        let lines = text.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "" }
        #expect(lines == ["-", "1", "2", "2.TEXT", "2.1", "2.2", "3", "3.1"])
        #expect(text.contains("text/plain; charset=iso-8859-1  quoted-printable  23 bytes"))
        let single = try MimeTool.tree(corpus("01-simple.eml"))
        #expect(single.hasPrefix("1 "))
    }

    @Test func decode() throws {
        let bytes = try corpus("05-nested-rfc822.eml")
        #expect(try MimeTool.decode(bytes, part: "2.1") == Array("Grüße aus München".data(using: .isoLatin1) ?? Data()))
        #expect(s(try MimeTool.decode(bytes)) == "See the message below. Voilà.")
        #expect(throws: MIMEError.noSuchPart("7")) { try MimeTool.decode(bytes, part: "7") }
        #expect(throws: MIMEError.noSuchPart("x")) { try MimeTool.decode(bytes, part: "x") }
    }

    @Test func extractUsesSafeNames() throws {
        let names = ["../../etc/passwd", "/abs/path.txt", "..\\..\\win.ini", ".hidden", "", "a:b", "same.txt", "same.txt", "dir/", "\u{7}bell"]
        var builder = MessageBuilder()
        builder.body = .mixed(names.map { .attachment(b("x"), type: ContentType(type: "application", subtype: "octet-stream"), filename: $0) })
        let files = try MimeTool.extract(builder.build())
        #expect(files.map(\.name) == ["passwd", "path.txt", "win.ini", "hidden", "part-5.bin", "ab", "same.txt", "same-1.txt", "dir", "bell"])
        for file in files {
            #expect(!file.name.contains("/") && !file.name.hasPrefix(".") && !file.name.isEmpty)
        }
        let rfc2231 = try MimeTool.extract(corpus("06-rfc2231.eml"))
        #expect(rfc2231.map(\.name) == ["€ rates for München and other places.pdf", "café.txt", "été.png"])
    }

    @Test func headers() throws {
        let text = try MimeTool.headers(corpus("07-encoded-words.eml"))
        #expect(text.contains("From: Jürgen Müller <juergen@example.test>\n"))
        #expect(text.contains("Subject: If you can read this you understand the example.\n"))
        let groups = try MimeTool.headers(corpus("12-groups.eml"))
        #expect(groups.contains("Bcc: undisclosed-recipients: ;\n"))
        #expect(groups.contains("Reply-To: \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>\n"))
    }

    @Test(arguments: [0, 1, 2, 3, 57, 58, 1000, 100_000])
    func base64MatchesCoreutils(length: Int) throws {
        var rng = SeededGenerator(seed: UInt64(length) &+ 77)
        let data = rng.bytes(length)
        let coreutils = try runProgram(["base64"], input: data)
        #expect(MimeTool.Filter.run(.base64Encode(wrap: 76), on: data) == coreutils)
        #expect(MimeTool.Filter.run(.base64Decode, on: coreutils) == data)
        let unwrapped = try runProgram(["base64", "-w", "0"], input: data)
        #expect(MimeTool.Filter.run(.base64Encode(wrap: 0), on: data) == unwrapped)
        let narrow = try runProgram(["base64", "-w", "10"], input: data)
        #expect(MimeTool.Filter.run(.base64Encode(wrap: 10), on: data) == narrow)
        // Chunked the way the command reads its input.
        for size in chunkSizes {
            var filter = MimeTool.Filter(.base64Encode(wrap: 76))
            #expect(chunked(data, size: size, { filter.process($0) }, finish: { filter.finish() }) == coreutils)
        }
    }

    @Test func quotedPrintableFilterRoundTrip() {
        let text = b("Grüße =\nline with trailing space \nFrom here\n")
        let encoded = MimeTool.Filter.run(.quotedPrintableEncode, on: text)
        #expect(s(encoded) == "Gr=C3=BC=C3=9Fe =3D\nline with trailing space=20\nFrom here\n")
        #expect(MimeTool.Filter.run(.quotedPrintableDecode, on: encoded) == text)
    }
}
