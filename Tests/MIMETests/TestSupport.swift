// Test support: a seeded random generator, byte helpers and paths to the corpus.
import Foundation
@testable import MIME

/// SplitMix64: a small, fast generator whose sequence is fixed by its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

func b(_ s: String) -> [UInt8] { Array(s.utf8) }
func s(_ bytes: some Collection<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

/// Splits `bytes` into chunks of `size` and feeds them through `step`, then `finish`.
func chunked(_ bytes: [UInt8], size: Int, _ step: (ArraySlice<UInt8>) -> [UInt8], finish: () -> [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
        let j = min(bytes.count, i + size)
        out += step(bytes[i..<j])
        i = j
    }
    return out + finish()
}

/// The directory holding this test target's files.
let testDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let corpusDirectory = testDirectory.appendingPathComponent("Corpus")

let chunkSizes = [1, 16, 1024, 4096]
