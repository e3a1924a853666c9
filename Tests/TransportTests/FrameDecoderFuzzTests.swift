// A bounded fuzz target for FrameDecoder (STYLE.md rule 11): random bytes,
// random limits and random mode switches, from a fixed seed. The framer must
// not crash, must keep its memory bounded (no line over the limit, no chunk
// over maxChunkSize, nothing kept beyond a partial line or end marker), and
// must yield the same events whatever the chunk size.
import NIOCore
import Testing
@testable import Transport

@Suite("FrameDecoder fuzz")
struct FrameDecoderFuzzTests {
    static let rounds = 2500

    @Test func randomInputsAtEveryChunkSizeAgree() {
        var random = SeededRandom(seed: 0xC4A9_9E)
        var failures: [String] = []
        for round in 0..<Self.rounds {
            let framing = randomFraming(&random)
            let input = randomInput(&random)
            let whole = framing.run(input, chunkSize: Int.max)
            var others = chunkSizes.dropFirst().map { (String($0), framing.run(input, chunkSize: $0)) }
            others.append(("random cuts", framing.run(input, pieces: randomPieces(input.count, &random))))
            let context = "round \(round), input \(visible(input)), \(describe(framing))"
            if !whole.violations.isEmpty {
                failures.append("\(context) whole: \(whole.violations)")
            }
            for (name, run) in others {
                if !run.violations.isEmpty {
                    failures.append("\(context) chunks \(name): \(run.violations)")
                } else if comparable(run.events) != comparable(whole.events) {
                    failures.append(
                        "\(context) chunks \(name): \(comparable(run.events)) != whole \(comparable(whole.events))")
                }
            }
            if failures.count >= 20 { break }
        }
        let summary = failures.prefix(3).joined(separator: "\n")
        #expect(failures.count == 0, "\(failures.count) failures (stopped at 20), first:\n\(summary)")
    }

    @Test func payloadsNeverExceedTheirCap() {
        var random = SeededRandom(seed: 0xCA9)
        for round in 0..<500 {
            let maxBytes = Int.random(in: 0...30, using: &random)
            let options = DotStuffedOptions(maxBytes: maxBytes, lineEndings: .normalize)
            var decoder = FrameDecoder(maxLineLength: 16, lineEndings: .strict, maxChunkSize: 7)
            decoder.expect(.dotStuffed(options))
            var buffer = ByteBuffer(bytes: randomInput(&random) + Array("\r\n.\r\n".utf8))
            var delivered = 0
            var ended = false
            while !ended, let event = decoder.next(from: &buffer) {
                switch event {
                case .payload(let chunk): delivered += chunk.readableBytes
                case .payloadEnd: ended = true
                default: Issue.record("round \(round): \(event) inside a payload")
                }
            }
            #expect(ended, "round \(round)")
            #expect(delivered <= maxBytes, "round \(round)")
        }
    }

    // MARK: - Generators

    private func randomFraming(_ random: inout SeededRandom) -> Framing {
        let lineEndings: [LineEndingPolicy] = [.strict, .tolerateBareLF]
        let payloadEndings: [PayloadLineEndingPolicy] = [.reject, .normalize, .passThrough]
        var framing = Framing(
            maxLineLength: Int.random(in: 2...24, using: &random),
            lineEndings: lineEndings.randomElement(using: &random)!,
            maxChunkSize: Int.random(in: 2...12, using: &random),
            payload: DotStuffedOptions(
                maxBytes: Int.random(in: 0...40, using: &random),
                lineEndings: payloadEndings.randomElement(using: &random)!))
        let options = framing.payload
        let switches: [FramingMode?] = (0..<64).map { _ in
            switch Int.random(in: 0..<6, using: &random) {
            case 0, 1: return .dotStuffed(options)
            case 2: return .counted(Int.random(in: 0...20, using: &random))
            default: return nil
            }
        }
        framing.switchAfterLine = { index in index < switches.count ? switches[index] : nil }
        return framing
    }

    /// Up to ~200 bytes built from tokens that matter to the framer, so
    /// line ends, dots and end markers are frequent.
    private func randomInput(_ random: inout SeededRandom) -> [UInt8] {
        let tokens: [[UInt8]] = [
            Array("\r\n".utf8), Array("\n".utf8), Array("\r".utf8), Array(".".utf8), Array("..".utf8),
            Array("\r\n.\r\n".utf8), Array("\n.\n".utf8), Array("\r.\r".utf8), Array("a".utf8),
            Array("hello world".utf8), Array("0123456789abcdef0123456789".utf8),
        ]
        var input: [UInt8] = []
        for _ in 0..<Int.random(in: 0...40, using: &random) {
            if Int.random(in: 0..<8, using: &random) == 0 {
                input.append(UInt8.random(in: 0...255, using: &random))
            } else {
                input += tokens.randomElement(using: &random)!
            }
        }
        return input
    }

    private func randomPieces(_ count: Int, _ random: inout SeededRandom) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = 0
        while start < count {
            let end = min(count, start + Int.random(in: 1...9, using: &random))
            pieces.append(start..<end)
            start = end
        }
        return pieces
    }

    private func describe(_ framing: Framing) -> String {
        "maxLineLength \(framing.maxLineLength) \(framing.lineEndings) maxChunkSize \(framing.maxChunkSize) "
            + "payload \(framing.payload.maxBytes) \(framing.payload.lineEndings)"
    }
}
