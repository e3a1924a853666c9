// Fuzz tests: bounded, seeded runs of random and mutated inputs through every parser.
// Nothing may crash, parsing must keep every byte, and ranges must stay inside the input.
import Foundation
import Testing
@testable import MIME

/// Splices of text that steer mutations towards the parsers' interesting paths.
private let tokens: [[UInt8]] = [
    "\r\n", "\n", "\r", "\r\n\r\n", "--", "--b", "--b--", "boundary=b", "Content-Type: multipart/mixed; boundary=b\r\n",
    "Content-Type: message/rfc822\r\n", "Content-Transfer-Encoding: base64\r\n", "Content-Transfer-Encoding: quoted-printable\r\n",
    "=?", "?=", "=?utf-8?q?", "=?utf-8?b?", "=", "=\r\n", ";", ":", "\"", "\\", "(", ")", "<", ">", "@", ",", "*0*=", "'", "%",
    " ", "\t", "\0", "\u{FF}", "é", "filename*=utf-8''%E2%82%AC", "From ",
].map { Array($0.utf8) }

private func mutate(_ input: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...8, using: &rng) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0 where position < bytes.count:
            bytes[position] = UInt8.random(in: 0...255, using: &rng)
        case 1:
            bytes.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &rng)], at: position)
        case 2 where position < bytes.count:
            bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...40, using: &rng)))
        case 3:
            bytes.removeSubrange(position..<bytes.count)  // truncation
        case 4 where position < bytes.count:
            let end = min(bytes.count, position + Int.random(in: 1...200, using: &rng))
            let slice = Array(bytes[position..<end])
            bytes.insert(contentsOf: slice, at: Int.random(in: 0...bytes.count, using: &rng))
        default:
            bytes.insert(contentsOf: rng.bytes(Int.random(in: 1...16, using: &rng)), at: position)
        }
    }
    return bytes
}

/// Runs one input through everything; returns nothing, fails the test on broken invariants.
private func exercise(_ input: [UInt8]) {
    let limits = MIMELimits(maxNestingDepth: 20, maxParts: 500, maxHeaderFields: 500, maxHeaderFieldBytes: 64 * 1024)
    guard let message = try? Message(parsing: input, limits: limits) else { return }
    #expect(message.serialized() == input)
    for field in message.header {
        _ = field.decodedValue
        _ = MimeTool.displayValue(field)
        _ = AddressList(parsing: field.unfoldedValue).description
        _ = MIMEDate(parsing: field.unfoldedValue)?.description
        _ = ContentType(parsing: field.unfoldedValue)?.description
        _ = ContentDisposition(parsing: field.unfoldedValue)?.filename
    }
    guard let tree = try? MIMEPart(parsing: input, limits: limits) else { return }
    tree.visit { part in
        #expect(part.headerRange.lowerBound <= part.headerRange.upperBound)
        #expect(part.bodyRange.upperBound <= input.count)
        #expect(part.headerRange.upperBound == part.bodyRange.lowerBound)
        _ = part.decodedBody()
        _ = part.filename
        _ = part.decodedText()
    }
    if let down = try? SevenBitDowngrade.downgrade(input, limits: limits) {
        #expect(!down.contains { $0 >= 0x80 })
        if let i = down.firstIndex(where: { $0 >= 0x80 }), ProcessInfo.processInfo.environment["FUZZDEBUG"] != nil {
            print("FUZZDEBUG", String(decoding: down[max(0, i - 150)..<min(down.count, i + 40)], as: UTF8.self).debugDescription)
        }
        #expect((try? MIMEPart(parsing: down, limits: limits)) != nil)
    }
    _ = try? MimeTool.tree(input, limits: limits)
    _ = try? MimeTool.extract(input, limits: limits)
}

@Suite struct FuzzTests {
    @Test func mutatedCorpus() throws {
        var rng = SeededGenerator(seed: 0xC0FFEE)
        let seeds = try corpusFiles().map { try [UInt8](Data(contentsOf: $0)) }
        for round in 0..<1500 {
            let seed = seeds[round % seeds.count]
            exercise(mutate(seed.count > 6000 ? Array(seed.prefix(6000)) : seed, &rng))
        }
    }

    @Test func randomBytes() {
        var rng = SeededGenerator(seed: 1234)
        for _ in 0..<1000 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                input += Bool.random(using: &rng) ? tokens[Int.random(in: 0..<tokens.count, using: &rng)] : rng.bytes(Int.random(in: 0...12, using: &rng))
            }
            exercise(input)
        }
    }

    @Test func codecsOnGarbage() {
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<500 {
            let input = rng.bytes(Int.random(in: 0...600, using: &rng))
            for size in [1, 7, 64] {
                var b64 = Base64Decoder()
                #expect(chunked(input, size: size, { b64.decode($0) }, finish: { b64.finish() }) == Base64Decoder.decode(input))
                var qp = QuotedPrintableDecoder()
                #expect(chunked(input, size: size, { qp.decode($0) }, finish: { qp.finish() }) == QuotedPrintableDecoder.decode(input))
            }
            _ = EncodedWord.decodeUnstructured(input)
            _ = Parameters.parse(input[...])
        }
    }
}
