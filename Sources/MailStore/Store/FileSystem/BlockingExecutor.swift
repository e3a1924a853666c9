// BlockingExecutor: where the store's blocking file work runs — writes, fsyncs, renames,
// directory scans, message reads and MIME parsing. One thread pool for all stores, with
// real threads: fsync blocks its thread, and libdispatch's pool, which this used before,
// kept only a few of them, so concurrent deliveries waited for each other's fsyncs. Each
// store admits `width` jobs at once, so callers on NIO event loops or Swift's cooperative
// pool only suspend (DESIGN.md rule 2) and one busy store cannot take every thread.

import NIOPosix
import Synchronization

final class BlockingExecutor: Sendable {
    /// Shared by every store of the process; started once, never stopped.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 32)
        pool.start()
        return pool
    }()

    private let width: Int
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    init(width: Int) {
        self.width = max(1, width)
    }

    /// Runs `work` on the pool and suspends the caller until it returns.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await Self.pool.runIfActive(work)
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
