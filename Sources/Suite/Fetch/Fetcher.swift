// The fetch loop: list, then for each message not fetched before: retrieve,
// store durably, remember its unique id, and (without --keep) mark it for
// deletion; QUIT commits the deletions; then the memory forgets ids no
// longer on the server. See UIDLMemory.swift for the crash analysis.
import NIOCore

public struct FetchOptions: Sendable {
    /// Leave the messages on the server (fetch only new ones next time).
    public var keep: Bool
    /// Larger messages are left on the server, with a warning.
    public var maxMessageSize: Int

    public init(keep: Bool, maxMessageSize: Int = 256 * 1024 * 1024) {
        self.keep = keep
        self.maxMessageSize = maxMessageSize
    }
}

public struct FetchReport: Sendable, Equatable {
    /// Messages on the server at the start.
    public var listed = 0
    /// Messages retrieved and stored in this run.
    public var fetched = 0
    public var bytes = 0
    /// Messages skipped because an earlier run stored them.
    public var alreadyFetched = 0
    /// Messages left on the server because of --max-size.
    public var tooLarge = 0
    /// Messages marked for deletion (removed by the server at QUIT).
    public var deleted = 0
    public var warnings: [String] = []

    public init() {}
}

/// Progress of one run (a terminal line, or nothing).
public protocol FetchProgress: Sendable {
    func update(done: Int, total: Int, bytes: Int)
    func finish()
}

public enum Fetcher {
    public static func run(
        source: any FetchSource, destination: any FetchDestination, memory: UIDLMemory?, options: FetchOptions,
        progress: (any FetchProgress)? = nil
    ) async throws -> FetchReport {
        var report = FetchReport()
        let messages: [RemoteMessage]
        do {
            messages = try await source.messages()
        } catch {
            await source.abort()
            throw error
        }
        report.listed = messages.count
        let hasIDs = messages.allSatisfy { $0.uniqueID != nil }
        if options.keep && !hasIDs && !messages.isEmpty {
            await source.abort()
            throw FetchError.runtime(
                "\(source.identity) gives no unique ids (UIDL), so --keep cannot tell new messages from old ones")
        }
        var keptIDs = Set<String>()
        var position = 0
        do {
            for message in messages {
                position += 1
                if let id = message.uniqueID, memory?.contains(source: source.identity, uniqueID: id) == true {
                    report.alreadyFetched += 1
                    if options.keep {
                        keptIDs.insert(id)
                    } else {
                        // Stored by an earlier run that did not get to QUIT.
                        try await source.delete(message)
                        report.deleted += 1
                    }
                    progress?.update(done: position, total: messages.count, bytes: report.bytes)
                    continue
                }
                if message.size > options.maxMessageSize {
                    report.tooLarge += 1
                    report.warnings.append(
                        "message \(message.number) (\(message.size) bytes) is larger than --max-size; left on the server")
                    if let id = message.uniqueID { keptIDs.insert(id) }
                    continue
                }
                let bytes: ByteBuffer
                do {
                    bytes = try await source.retrieve(message, maxBytes: options.maxMessageSize)
                } catch is MessageTooLarge {
                    report.tooLarge += 1
                    report.warnings.append("message \(message.number) is larger than --max-size; left on the server")
                    if let id = message.uniqueID { keptIDs.insert(id) }
                    continue
                }
                do {
                    try await destination.store(bytes, key: FetchedMessageKey(source: source.identity, uniqueID: message.uniqueID))
                    if let id = message.uniqueID, let memory {
                        try await onThreadPool { try memory.record(source: source.identity, uniqueID: id) }
                    }
                } catch {
                    throw LocalFailure(message: "message \(message.number): \(error)")
                }
                report.fetched += 1
                report.bytes += bytes.readableBytes
                if options.keep {
                    if let id = message.uniqueID { keptIDs.insert(id) }
                } else {
                    // Only now that the local copy is durable (DESIGN.md rule 3).
                    try await source.delete(message)
                    report.deleted += 1
                }
                progress?.update(done: position, total: messages.count, bytes: report.bytes)
            }
        } catch let failure as LocalFailure {
            // Commit the deletions of what was stored safely, then report.
            progress?.finish()
            try? await source.finish()
            throw FetchError.runtime("\(destination.description): \(failure.message)")
        } catch {
            progress?.finish()
            await source.abort()
            throw error
        }
        progress?.finish()
        try await source.finish()
        if let memory {
            let kept = keptIDs
            try await onThreadPool { try memory.retain(source: source.identity, keeping: kept) }
        }
        return report
    }

    private struct LocalFailure: Error {
        let message: String
    }
}
