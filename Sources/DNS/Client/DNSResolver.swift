// DNSResolver: the suite's stub resolver. It asks the recursive servers of resolv.conf (or
// `[dns] resolvers`) and remembers their answers.
//
// - UDP first, with EDNS(0) announcing 1232 octets (RFC 6891 §6.2.5); a truncated answer
//   (TC) is asked again over TCP (RFC 7766 §5); a FORMERR to a query with EDNS is asked
//   again without it (RFC 6891 §7).
// - Each try waits `timeout`; servers are asked in order, for `attempts` rounds. SERVFAIL,
//   REFUSED and NOTIMP move on to the next server; the last such answer is returned if no
//   server does better; no answer at all is `DNSExchangeError.timeout`.
// - Query IDs are random (SystemRandomNumberGenerator) and every UDP query has its own
//   socket with a random port (RFC 5452 §9.2); answers are validated (DNSExchange.swift).
// - Answers go to a `DNSCache` (TTLs, negative caching per RFC 2308); the lookups of
//   `DNSLookup` read it first and follow CNAME chains through it and the network.
// - Identical queries in flight at once share one exchange: at most one per (name, type).
//
// The clock is a parameter, so tests move time forward to expire entries.
import NIOCore
import NIOPosix
import Transport

public actor DNSResolver: DNSLookup {
    public typealias Clock = @Sendable () -> ContinuousClock.Instant

    public nonisolated let configuration: DNSResolverConfiguration
    private let exchange: DNSExchange
    private let now: Clock
    private var cache: DNSCache
    private var inFlight: [DNSCache.Key: Task<DNSMessage, any Error>] = [:]
    /// Queries that joined one already in flight instead of going out (tests, metrics).
    public private(set) var coalescedQueries = 0

    public init(
        configuration: DNSResolverConfiguration, cache: DNSCache = DNSCache(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping Clock = { ContinuousClock.now }
    ) {
        self.configuration = configuration
        self.exchange = DNSExchange(group: group)
        self.cache = cache
        self.now = now
    }

    // MARK: - Queries

    /// The answer of the servers to (name, type, IN), from the network (never from the
    /// cache), stored in the cache; joins an identical query already in flight.
    public func query(name: DNSName, type: RecordType) async throws -> DNSMessage {
        let key = DNSCache.Key(name: name, type: type)
        if let running = inFlight[key] {
            coalescedQueries += 1
            return try await running.value
        }
        let question = DNSQuestion(name: name, type: type)
        let configuration = configuration
        let exchange = exchange
        let task = Task { try await Self.resolve(question, configuration: configuration, exchange: exchange).response }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        let response = try await task.value
        cache.store(response, now: now())
        return response
    }

    /// One question asked of the configured servers in turn, as the file header says; the
    /// answer, the server that gave it and whether it came over TCP.
    public static func resolve(
        _ question: DNSQuestion, configuration: DNSResolverConfiguration, exchange: DNSExchange = DNSExchange()
    ) async throws -> ServerAnswer {
        var lastFailure: (any Error)?
        var lastRefusal: ServerAnswer?
        for _ in 0..<configuration.attempts {
            for server in configuration.servers {
                do {
                    let answer = try await ask(question, of: server, configuration: configuration, exchange: exchange)
                    switch answer.response.rcode {
                    case .serverFailure, .refused, .notImplemented:
                        lastRefusal = answer
                    default:
                        return answer
                    }
                } catch {
                    lastFailure = error
                }
            }
        }
        if let lastRefusal { return lastRefusal }
        throw lastFailure ?? DNSExchangeError.unreachable(server: "no server", reason: "no resolver is configured")
    }

    /// One server: UDP (unless `alwaysTCP`), TCP on truncation, without EDNS after FORMERR.
    private static func ask(
        _ question: DNSQuestion, of server: ListenAddress, configuration: DNSResolverConfiguration,
        exchange: DNSExchange
    ) async throws -> ServerAnswer {
        var edns: EDNS? = EDNS(udpPayloadSize: configuration.udpPayloadSize)
        var overTCP = configuration.alwaysTCP
        while true {
            let query = DNSMessage.query(
                id: UInt16.random(in: 0...UInt16.max), name: question.name, type: question.type,
                recordClass: question.recordClass, edns: edns)
            let response = try await exchange.exchange(query, with: server, overTCP: overTCP, timeout: configuration.timeout)
            if response.isTruncated, !overTCP {
                overTCP = true  // RFC 7766 §5: retry the truncated query over TCP
            } else if response.rcode == .formatError, edns != nil {
                edns = nil  // RFC 6891 §7: a server without EDNS answers FORMERR; ask plainly
            } else {
                return ServerAnswer(response: response, server: server, overTCP: overTCP)
            }
        }
    }

    // MARK: - Lookups

    public func lookup(_ name: DNSName, _ type: RecordType) async -> RRsetLookup {
        var current = name
        var aliases: [ResourceRecord] = []
        for _ in 0...DNSLimits.maxCNAMEChain {
            switch cache.resolve(current, type: type, now: now()) {
            case .records(let records): return .records(aliases + records)
            case .nameError: return .nameError
            case .noData: return .noData
            case .miss: break
            }
            let response: DNSMessage
            do {
                response = try await query(name: current, type: type)
            } catch {
                return .failure("\(error)")
            }
            let (outcome, unresolved) = RRsetLookup.interpret(response, for: DNSQuestion(name: current, type: type))
            if case .records(let records) = outcome { return .records(aliases + records) }
            if let outcome { return outcome }
            guard let unresolved else { return .failure("no usable answer") }
            aliases += unresolved.aliases
            current = unresolved.target
        }
        return .failure("CNAME chain longer than \(DNSLimits.maxCNAMEChain) from \(name)")
    }

    /// Forgets every cached answer.
    public func flushCache() {
        cache = DNSCache(maxEntries: cache.maxEntries, maxTTL: cache.maxTTL, maxNegativeTTL: cache.maxNegativeTTL)
    }
}

/// A response and where it came from.
public struct ServerAnswer: Sendable, Hashable {
    public var response: DNSMessage
    public var server: ListenAddress
    public var overTCP: Bool
}
