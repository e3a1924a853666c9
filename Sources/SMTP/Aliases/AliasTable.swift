// Alias expansion: what an address in a local domain delivers to.
//
// Rules (Postfix's local(8) and sendmail, in our words):
// - Lookup order: the full address, then the local part; then, with
//   plus-addressing, the same two without "+tag". "alice+news@" with no
//   alias of its own is delivered as "alice@" (the tag is dropped).
// - A bare target name ("bob") is in the domain of the address being
//   expanded; a full address in a local domain is expanded again; an
//   address in another domain is a remote target.
// - Recursion is depth-first, up to `maxDepth` levels. An alias that
//   names itself ("alice: alice, archive") delivers to its own mailbox; a
//   longer cycle ("a: b", "b: a") is a loop, reported and not delivered.
// - Every output appears once (duplicates removed, first order kept).
// - postmaster always exists (RFC 5321 §4.5.1): without an alias it maps
//   to `postmaster` (configured) if set, else it stays
//   "postmaster@domain" and the resolver hands it to the oldest account
//   (see AliasingRecipientResolver).
// - "/file" and "|command" targets are refused (reported as errors).

public enum AliasExpansionError: Sendable, Hashable, CustomStringConvertible {
    /// The chain of names that leads back to its start.
    case loop([String])
    /// Deeper than the limit at this name.
    case tooDeep(String)
    case unsupportedTarget(String)
    case missingInclude(String)
    case invalidTarget(String)

    public var description: String {
        switch self {
        case .loop(let chain): return "alias loop: " + chain.joined(separator: " -> ")
        case .tooDeep(let name): return "aliases nested too deeply at \(name)"
        case .unsupportedTarget(let target): return "unsupported alias target \(target) (only addresses are delivered)"
        case .missingInclude(let path): return "included file \(path) could not be read"
        case .invalidTarget(let target): return "invalid alias target \(target)"
        }
    }
}

public struct ExpansionResult: Sendable, Equatable {
    /// Local mailboxes to deliver to (not yet checked against accounts).
    public var mailboxes: [SMTPMailbox] = []
    /// Addresses in other domains to forward to.
    public var remote: [SMTPMailbox] = []
    public var errors: [AliasExpansionError] = []
    /// True when an alias matched (the address is not just a mailbox).
    public var isAlias = false

    public init() {}
}

public struct AliasTable: Sendable {
    /// RFC 5321 leaves nesting open; sendmail and Postfix stop near 20.
    public static let defaultMaxDepth = 20

    /// Targets by lowercased name or address.
    public let entries: [String: [AliasTarget]]
    /// Included lists by path as written in the file; nil when unreadable.
    public let includes: [String: [AliasTarget]?]
    /// Lowercased local domains: targets there are expanded again.
    public let localDomains: Set<String>
    /// Where postmaster goes when no alias names it.
    public let postmaster: SMTPMailbox?
    public let maxDepth: Int
    /// Plus-addressing: "user+tag" is "user".
    public let recipientDelimiter: Character?

    public init(
        entries: [AliasEntry], includes: [String: [AliasTarget]?] = [:], localDomains: [String],
        postmaster: SMTPMailbox? = nil, maxDepth: Int = defaultMaxDepth, recipientDelimiter: Character? = "+"
    ) {
        var table: [String: [AliasTarget]] = [:]
        for entry in entries where table[entry.name] == nil {
            table[entry.name] = entry.targets
        }
        self.entries = table
        self.includes = includes
        self.localDomains = Set(localDomains.map { $0.lowercased() })
        self.postmaster = postmaster
        self.maxDepth = maxDepth
        self.recipientDelimiter = recipientDelimiter
    }

    /// An empty table: every address is its own mailbox.
    public static func empty(localDomains: [String], postmaster: SMTPMailbox? = nil) -> AliasTable {
        AliasTable(entries: [], localDomains: localDomains, postmaster: postmaster)
    }

    // MARK: - Loading

    /// Loads an aliases file and the files it includes, reading through
    /// `read` (the I/O stays at this edge). Relative include paths are
    /// relative to the aliases file's folder. An include that cannot be
    /// read or parsed is kept as missing: expansion reports it.
    public static func load(
        path: String, localDomains: [String], postmaster: SMTPMailbox? = nil,
        read: (String) throws -> String
    ) throws -> AliasTable {
        let text = try read(path)
        let entries = try AliasFile.parse(text).get()
        let folder = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        var includes: [String: [AliasTarget]?] = [:]
        var queue = entries.flatMap(\.targets)
        // Includes may include; each file is read once.
        while let target = queue.popLast() {
            guard case .include(let name) = target, includes[name] == nil else { continue }
            let full = name.hasPrefix("/") ? name : folder + "/" + name
            if let listText = try? read(full), case .success(let list) = AliasFile.parseList(listText) {
                includes[name] = .some(list)
                queue += list
            } else {
                includes[name] = .some(nil)
            }
        }
        return AliasTable(entries: entries, includes: includes, localDomains: localDomains, postmaster: postmaster)
    }

    // MARK: - Expansion

    public func expand(_ address: SMTPMailbox) -> ExpansionResult {
        var expansion = Expansion(table: self)
        expansion.visit(address, chain: [], depth: 0)
        return expansion.result
    }

    /// The entry for a mailbox: its key and targets, after the lookup order.
    func entry(for mailbox: SMTPMailbox) -> (key: String, targets: [AliasTarget])? {
        for candidate in lookupKeys(mailbox) {
            if let targets = entries[candidate] { return (candidate, targets) }
        }
        return nil
    }

    private func lookupKeys(_ mailbox: SMTPMailbox) -> [String] {
        let local = mailbox.localPart.lowercased()
        let domain = mailbox.domain.lowercased()
        var keys = [local + "@" + domain, local]
        let base = baseLocalPart(local)
        if base != local {
            keys += [base + "@" + domain, base]
        }
        return keys
    }

    /// The local part without "+tag" (unchanged when that would leave nothing).
    func baseLocalPart(_ local: String) -> String {
        guard let delimiter = recipientDelimiter, !local.hasPrefix("\""), let index = local.firstIndex(of: delimiter) else {
            return local
        }
        let base = String(local[..<index])
        return base.isEmpty ? local : base
    }

    /// The mailbox without its "+tag".
    func withoutTag(_ mailbox: SMTPMailbox) -> SMTPMailbox {
        let base = baseLocalPart(mailbox.localPart)
        guard base != mailbox.localPart, let stripped = try? SMTPMailbox(base + "@" + mailbox.domain)
        else { return mailbox }
        return stripped
    }
}

/// One expansion in progress.
private struct Expansion {
    let table: AliasTable
    var result = ExpansionResult()
    private var seenMailboxes: Set<String> = []
    private var seenRemote: Set<String> = []

    init(table: AliasTable) {
        self.table = table
    }

    mutating func visit(_ mailbox: SMTPMailbox, chain: [String], depth: Int) {
        guard let (key, targets) = table.entry(for: mailbox) else {
            deliverLocally(table.withoutTag(mailbox), chain: chain, depth: depth)
            return
        }
        if chain.isEmpty { result.isAlias = true }
        if let earlier = chain.lastIndex(of: key) {
            // Only includes between: the alias names itself → its mailbox.
            if chain[(earlier + 1)...].allSatisfy({ $0.hasPrefix(":include:") }) {
                add(mailbox: table.withoutTag(mailbox))
            } else {
                result.errors.append(.loop(Array(chain[earlier...]) + [key]))
            }
            return
        }
        guard depth < table.maxDepth else {
            result.errors.append(.tooDeep(key))
            return
        }
        for target in targets {
            resolve(target, domain: mailbox.domain, chain: chain + [key], depth: depth + 1)
        }
    }

    private mutating func resolve(_ target: AliasTarget, domain: String, chain: [String], depth: Int) {
        switch target {
        case .address(let text):
            let full = text.contains("@") ? text : text + "@" + domain
            guard let mailbox = try? SMTPMailbox(full) else {
                result.errors.append(.invalidTarget(text))
                return
            }
            if table.localDomains.contains(mailbox.domain.lowercased()) {
                visit(mailbox, chain: chain, depth: depth)
            } else if seenRemote.insert(mailbox.description.lowercased()).inserted {
                result.remote.append(mailbox)
            }
        case .include(let path):
            let key = ":include:" + path
            guard !chain.contains(key) else {
                result.errors.append(.loop(chain + [key]))
                return
            }
            guard depth < table.maxDepth else {
                result.errors.append(.tooDeep(key))
                return
            }
            guard let list = table.includes[path] ?? nil else {
                result.errors.append(.missingInclude(path))
                return
            }
            for item in list {
                resolve(item, domain: domain, chain: chain + [key], depth: depth + 1)
            }
        case .file, .command:
            result.errors.append(.unsupportedTarget(target.description))
        }
    }

    /// A mailbox without an alias; postmaster goes to the configured one.
    private mutating func deliverLocally(_ mailbox: SMTPMailbox, chain: [String], depth: Int) {
        if mailbox.localPart.lowercased() == "postmaster", let postmaster = table.postmaster,
            postmaster.description.lowercased() != mailbox.description.lowercased(), !chain.contains(":postmaster")
        {
            visit(postmaster, chain: chain + [":postmaster"], depth: depth + 1)
            return
        }
        add(mailbox: mailbox)
    }

    private mutating func add(mailbox: SMTPMailbox) {
        if seenMailboxes.insert(mailbox.description.lowercased()).inserted {
            result.mailboxes.append(mailbox)
        }
    }
}
