// mime-bench: times one MIME operation in-process on a file and prints seconds and MB/s.
//
// Usage: mime-bench OPERATION FILE [REPEAT]
// OPERATION: base64-encode, base64-decode, qp-encode, qp-decode, parse (the MIME tree),
// parse-decode (the tree, then every leaf's body decoded)
// The file is read before timing; the best of REPEAT runs (default 3) is printed as
// "OPERATION SECONDS MBPS" on one line.
import Foundation
import MIME

let arguments = CommandLine.arguments
guard arguments.count >= 3, let data = FileManager.default.contents(atPath: arguments[2]) else {
    FileHandle.standardError.write(Data("usage: mime-bench base64-encode|base64-decode|qp-encode|qp-decode|parse|parse-decode FILE [REPEAT]\n".utf8))
    exit(2)
}
let input = [UInt8](data)
let repeats = arguments.count > 3 ? max(1, Int(arguments[3]) ?? 3) : 3
let chunk = 1 << 16

/// Runs `body` on the input in 64 KiB chunks the way a filter would, returning output bytes.
func streamed(_ step: (ArraySlice<UInt8>) -> Int, finish: () -> Int) -> Int {
    var total = 0, i = 0
    while i < input.count {
        let j = min(input.count, i + chunk)
        total += step(input[i..<j])
        i = j
    }
    return total + finish()
}

let operations: [String: () -> Int] = [
    "base64-encode": {
        var e = Base64Encoder(lineEnding: .lf)
        return streamed({ e.encode($0).count }, finish: { e.finish().count })
    },
    "base64-decode": {
        var d = Base64Decoder()
        return streamed({ d.decode($0).count }, finish: { d.finish().count })
    },
    "qp-encode": {
        var e = QuotedPrintableEncoder(options: .init(lineEnding: .lf))
        return streamed({ e.encode($0).count }, finish: { e.finish().count })
    },
    "qp-decode": {
        var d = QuotedPrintableDecoder()
        return streamed({ d.decode($0).count }, finish: { d.finish().count })
    },
    "parse": {
        guard let part = try? MIMEPart(parsing: input) else { return -1 }
        var count = 0
        part.visit { _ in count += 1 }
        return count
    },
    "parse-decode": {
        guard let part = try? MIMEPart(parsing: input) else { return -1 }
        var bytes = 0
        part.visit { leaf in
            if case .single = leaf.body { bytes += leaf.decodedBody().count }
        }
        return bytes
    },
]

guard let operation = operations[arguments[1]] else {
    FileHandle.standardError.write(Data("mime-bench: unknown operation \(arguments[1])\n".utf8))
    exit(2)
}
var best = Double.infinity
var result = 0
for _ in 0..<repeats {
    let start = DispatchTime.now().uptimeNanoseconds
    result = operation()
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}
print(String(format: "%@ %.6f %.1f %d", arguments[1], best, Double(input.count) / best / 1e6, result))
