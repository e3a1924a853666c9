// BlockingExecutor: where the store's blocking file work runs — writes, fsyncs, renames,
// directory scans, message reads and MIME parsing. A concurrent dispatch queue behind a
// limit of `width` jobs at once, so callers on NIO event loops or Swift's cooperative
// pool only suspend (DESIGN.md rule 2) and a burst of deliveries cannot spawn a thread
// per fsync.

import Dispatch
import Synchronization

final class BlockingExecutor: Sendable {
    private let queue: DispatchQueue
    private let width: Int
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    init(label: String, width: Int) {
        queue = DispatchQueue(label: label, qos: .userInitiated, attributes: .concurrent)
        self.width = max(1, width)
    }

    /// Runs `work` on the pool and suspends the caller until it returns.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.running < width {
                    state.running += 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
