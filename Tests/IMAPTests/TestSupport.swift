// Helpers shared by the IMAP codec tests.
@testable import IMAP

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ bytes: some Sequence<UInt8>) -> String { String(decoding: Array(bytes), as: UTF8.self) }

/// Parses a command frame written as text (no final CRLF).
func parse(_ frame: String) -> Result<IMAPCommand, IMAPParseError> {
    IMAPCommandParser.parse(bytes(frame))
}

/// Encodes with the default client options: synchronising literals, no UTF-8.
func encode(_ command: IMAPCommand, _ options: IMAPCommandEncoder.Options = .init()) -> String {
    text(IMAPCommandEncoder(options: options).encode(command).bytes)
}

func encode(_ response: IMAPResponse, utf8: Bool = false) -> String {
    text(IMAPResponseEncoder(options: .init(utf8Accept: utf8)).encode(response))
}

/// A deterministic generator (SplitMix64) so fuzz runs repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Feeds `input` to a framer in chunks of `chunk` octets and collects every
/// frame, merging consecutive APPEND message bytes so that chunking does not
/// show.
func frames(
    _ input: [UInt8], chunk: Int, configuration: IMAPCommandFramer.Configuration = .init()
) -> [IMAPFrame] {
    var framer = IMAPCommandFramer(configuration: configuration)
    var result: [IMAPFrame] = []
    var offset = 0
    repeat {
        let end = min(offset + max(chunk, 1), input.count)
        framer.append(input[offset..<end])
        offset = end
        while let frame = framer.next() {
            if case .append(.messageBytes(let more)) = frame, case .append(.messageBytes(let sofar))? = result.last {
                result[result.count - 1] = .append(.messageBytes(ArraySlice(Array(sofar) + Array(more))))
            } else {
                result.append(frame)
            }
        }
    } while offset < input.count
    return result
}
