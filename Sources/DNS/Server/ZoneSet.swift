// ZoneSet: the zones the DNS service answers from, read from their files as one set and
// replaced whole.
//
// Invariants: a reload builds a complete new `Authority` before anything changes; if any
// file fails to load (`ZoneError` names the file and line), the set in service stays as it
// was. Readers take the current authority under a lock held only for a reference copy, so
// a query is answered either from the old set or from the new one, never from a mixture,
// and none is dropped during the swap. The UDP answers kept (ResponseCache.swift) belong
// to one set: the swap forgets them, and an answer of the old set that is computed during
// the swap is not kept.
import Synchronization

/// A zone file to serve: where it is, and how to name it in messages.
public struct ZoneFile: Sendable, Hashable {
    public var path: String
    /// The name used in error messages (the path as configured).
    public var displayName: String

    public init(path: String, displayName: String? = nil) {
        self.path = path
        self.displayName = displayName ?? path
    }
}

/// The authority in service, swapped atomically on reload, with the UDP answers it gave.
public final class ZoneSet: Sendable {
    private struct State {
        var authority: Authority
        /// Counts the swaps, so that an answer computed before a swap is not kept after it.
        var generation = 0
        var answers = ResponseCache()
    }

    private let state: Mutex<State>

    public init(_ authority: Authority) {
        state = Mutex(State(authority: authority))
    }

    /// The authority answering now.
    public var authority: Authority { state.withLock { $0.authority } }

    /// Puts `authority` in service and forgets the answers of the old one; queries already
    /// being answered finish with the old one.
    public func replace(with authority: Authority) {
        state.withLock { state in
            state.authority = authority
            state.generation += 1
            state.answers.removeAll()
        }
    }

    /// The authority in service, its generation, and the answer it gave to `key` if kept.
    func lookUp(_ key: QueryKey) -> (authority: Authority, generation: Int, answer: [UInt8]?) {
        state.withLock { ($0.authority, $0.generation, $0.answers.answer(for: key)) }
    }

    /// Keeps `answer` (without its ID) for `key`, unless the zones changed since `generation`.
    func remember(_ answer: [UInt8], for key: QueryKey, generation: Int) {
        state.withLock { state in
            guard state.generation == generation else { return }
            state.answers.store(answer, for: key)
        }
    }

    /// Reads every file, then builds one authority; the origin of each zone comes from its
    /// SOA (RFC 1035 §5.2), with a file named "NAME.zone" starting at $ORIGIN NAME.
    public static func load(
        _ files: [ZoneFile], udpPayloadSize: UInt16 = DNSLimits.defaultEDNSPayloadSize
    ) throws(ZoneError) -> Authority {
        var zones: [Zone] = []
        for file in files {
            zones.append(try Zone.load(path: file.path, displayName: file.displayName))
        }
        return try Authority(zones: zones, udpPayloadSize: udpPayloadSize)
    }
}
