// store-bench: in-process delivery throughput of MailStore, as the SMTP server delivers
// (one process, one shared store, deliveries in parallel). Each delivery is complete when
// it returns: file fsynced, directory fsynced, index committed.
//
// Usage: store-bench DATA_DIR MESSAGES_DIR COUNT CONCURRENCY
// Delivers MESSAGES_DIR/0.eml … (COUNT-1).eml to bench@bench.test under a fresh DATA_DIR
// and prints "store deliver_inprocess_cCONCURRENCY RATE msg/s".

import Foundation
import MailStore

let arguments = CommandLine.arguments
guard arguments.count == 5, let count = Int(arguments[3]), let concurrency = Int(arguments[4]), count > 0, concurrency > 0 else {
    FileHandle.standardError.write(Data("usage: store-bench DATA_DIR MESSAGES_DIR COUNT CONCURRENCY\n".utf8))
    exit(2)
}
let dataDirectory = arguments[1]
let messages: [[UInt8]] = (0..<count).map { index in
    [UInt8](FileManager.default.contents(atPath: arguments[2] + "/\(index).eml") ?? Data())
}
do {
    let address = try MailAddress("bench@bench.test")
    let store = try await UserStore.open(dataDirectory: dataDirectory, address: address).store
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        func add() {
            let index = next
            next += 1
            group.addTask { _ = try await store.deliver(.bytes(messages[index]), deliveryID: "bench-\(index)") }
        }
        for _ in 0..<min(concurrency, count) { add() }
        while try await group.next() != nil {
            if next < count { add() }
        }
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let stored = try await store.messages(in: "INBOX").count
    guard stored == count else {
        FileHandle.standardError.write(Data("store-bench: \(stored) of \(count) messages stored\n".utf8))
        exit(1)
    }
    print("store deliver_inprocess_c\(concurrency) \(String(format: "%.1f", Double(count) / seconds)) msg/s")
} catch {
    FileHandle.standardError.write(Data("store-bench: \(error)\n".utf8))
    exit(1)
}
