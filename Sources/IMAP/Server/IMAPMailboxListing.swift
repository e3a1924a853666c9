// LIST and LSUB answers (RFC 9051 §6.3.9, RFC 3501 §6.3.9, LIST-EXTENDED
// RFC 5258, SPECIAL-USE RFC 6154, CHILDREN RFC 3348) as a pure function of
// the account's mailboxes and subscriptions. The store's hierarchy separator
// is "."; a name whose parent does not exist has the parent listed as
// \Noselect (Maildir++ folders need no parent), \NonExistent in extended LIST.
import MailStore

struct IMAPMailboxListing {
    struct Entry: Equatable {
        var name: String
        var attributes: [IMAPMailboxAttribute]
        /// RFC 5258 §4 CHILDINFO: selection criteria matched only by children.
        var childInfo: [String]
        /// An existing mailbox (STATUS may be asked of it).
        var exists: Bool
    }

    let mailboxes: [String: MailboxInfo]
    let subscriptions: Set<String>
    /// Every existing name and every ancestor of one.
    private let names: Set<String>

    init(mailboxes: [MailboxInfo], subscriptions: [String]) {
        self.mailboxes = Dictionary(mailboxes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.subscriptions = Set(subscriptions)
        var names = Set<String>()
        for name in self.mailboxes.keys {
            names.insert(name)
            for ancestor in Self.ancestors(of: name) { names.insert(ancestor) }
        }
        self.names = names
    }

    /// The entries a LIST (or LSUB) command asks for, sorted with INBOX first.
    /// `decode` turns a client pattern into store form (modified UTF-7).
    func entries(for command: IMAPListCommand, isLSUB: Bool, decode: (String) -> String) -> [Entry] {
        let selection = Set(command.selectionOptions ?? [])
        let returns = command.returnOptions ?? []
        let extended = command.isExtended
        let patterns = command.patterns.map { decode(command.reference + $0) }
        if !isLSUB, command.patterns == [""] {
            // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and root.
            return [Entry(name: "", attributes: [.noSelect], childInfo: [], exists: false)]
        }
        let subscribedOnly = isLSUB || selection.contains(.subscribed)
        let recursive = selection.contains(.recursiveMatch)
        let showSubscribed = selection.contains(.subscribed) || returns.contains(.subscribed)
        var candidates = subscribedOnly ? subscriptions : names
        if recursive && subscribedOnly {
            // RFC 5258 §3.5: parents of matching subscribed names are listed with CHILDINFO.
            for name in subscriptions { candidates.formUnion(Self.ancestors(of: name)) }
        }
        var entries: [Entry] = []
        for name in candidates where patterns.contains(where: { Self.matches(name, pattern: $0) }) {
            let info = mailboxes[name]
            if selection.contains(.specialUse), info?.specialUse == nil { continue }
            let subscribed = subscriptions.contains(name)
            var childInfo: [String] = []
            if recursive && subscribedOnly && !subscribed {
                guard subscriptions.contains(where: { $0.hasPrefix(name + ".") }) else { continue }
                childInfo = ["SUBSCRIBED"]
            }
            var attributes: [IMAPMailboxAttribute] = []
            if info == nil {
                // RFC 5258 §3.4: \NonExistent implies \Noselect.
                attributes.append(extended ? .nonExistent : .noSelect)
            }
            if !isLSUB || info != nil {
                attributes.append(hasChildren(name) ? .hasChildren : .hasNoChildren)
            }
            if showSubscribed && subscribed { attributes.append(.subscribed) }
            if let use = info?.specialUse { attributes.append(IMAPMailboxAttribute(use.rawValue)) }
            entries.append(Entry(name: name, attributes: attributes, childInfo: childInfo, exists: info != nil))
        }
        return entries.sorted { a, b in
            if (a.name == MailboxName.inbox) != (b.name == MailboxName.inbox) { return a.name == MailboxName.inbox }
            return a.name < b.name
        }
    }

    /// The LIST attributes of one existing mailbox (SELECT's LIST, RFC 9051 §6.3.2).
    func attributes(of name: String) -> [IMAPMailboxAttribute] {
        var attributes: [IMAPMailboxAttribute] = [hasChildren(name) ? .hasChildren : .hasNoChildren]
        if let use = mailboxes[name]?.specialUse { attributes.append(IMAPMailboxAttribute(use.rawValue)) }
        return attributes
    }

    private func hasChildren(_ name: String) -> Bool {
        let prefix = name + "."
        return names.contains { $0.hasPrefix(prefix) }
    }

    static func ancestors(of name: String) -> [String] {
        var ancestors: [String] = []
        var current = Substring(name)
        while let dot = current.lastIndex(of: ".") {
            current = current[..<dot]
            if !current.isEmpty { ancestors.append(String(current)) }
        }
        return ancestors
    }

    /// RFC 9051 §6.3.9: "*" matches anything, "%" anything but the hierarchy
    /// delimiter. INBOX matches case-insensitively (RFC 9051 §5.1).
    static func matches(_ name: String, pattern: String) -> Bool {
        var pattern = Array(pattern.unicodeScalars)
        if name == MailboxName.inbox || name.hasPrefix(MailboxName.inbox + "."), pattern.count >= 5,
            String(String.UnicodeScalarView(pattern[0..<5])).uppercased() == MailboxName.inbox
        {
            pattern.replaceSubrange(0..<5, with: MailboxName.inbox.unicodeScalars)
        }
        let text = Array(name.unicodeScalars)
        // Glob matching with memo over (text index, pattern index).
        var memo = [Int: Bool]()
        func match(_ t: Int, _ p: Int) -> Bool {
            let key = t * (pattern.count + 1) + p
            if let known = memo[key] { return known }
            let result: Bool
            if p == pattern.count {
                result = t == text.count
            } else if pattern[p] == "*" {
                result = match(t, p + 1) || (t < text.count && match(t + 1, p))
            } else if pattern[p] == "%" {
                result = match(t, p + 1) || (t < text.count && text[t] != "." && match(t + 1, p))
            } else {
                result = t < text.count && text[t] == pattern[p] && match(t + 1, p + 1)
            }
            memo[key] = result
            return result
        }
        return match(0, 0)
    }
}
