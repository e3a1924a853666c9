// Commands of the selected state (RFC 9051 §6.4) and their UID forms
// (§6.4.9): the session turns sets into messages of its view, the performer
// does the work and polls.
import MailStore
import Transport

extension IMAPSession {
    /// Runs a selected-state command; nil for a command of the authenticated
    /// state (SELECT, LIST, ... are valid in both).
    mutating func executeSelected(_ command: IMAPCommand) -> [Action]? {
        guard case .selected(let account, let view) = state else { return nil }
        let tag = command.tag
        if let descriptor = command.kind.descriptor, descriptor.flags.contains(.needsWritableMailbox), view.readOnly {
            // RFC 9051 §6.3.3: EXAMINE selects read-only.
            return [send([tagged(tag, .no, .readOnly, "the mailbox is read-only (EXAMINE)")])]
        }
        let poll = pollRequest(view)
        switch command.kind {
        case .close:
            // RFC 9051 §6.4.1: expunge silently unless read-only, then deselect.
            guard !view.readOnly else {
                state = .authenticated(account)
                return [send([tagged(tag, .ok, "CLOSE completed")])]
            }
            activity = .waiting(.expunge(tag: tag, closing: true))
            return [.perform(.expunge(account, uids: nil, poll))]
        case .unselect:
            state = .authenticated(account)
            return [send([tagged(tag, .ok, "UNSELECT completed")])]
        case .expunge:
            activity = .waiting(.expunge(tag: tag, closing: false))
            return [.perform(.expunge(account, uids: nil, poll))]
        case .uidExpunge(let set):
            guard let numbers = resolve(set, byUID: true, tag: tag, view: view) else { return invalidSet(tag) }
            activity = .waiting(.expunge(tag: tag, closing: false))
            return [.perform(.expunge(account, uids: numbers.map(\.uid), poll))]
        case .search(let search), .uidSearch(let search):
            return startSearch(tag, search, byUID: command.kind.name == "UID SEARCH", account: account, view: view)
        case .fetch(let set, let attributes, let modifiers), .uidFetch(let set, let attributes, let modifiers):
            let byUID = command.kind.name == "UID FETCH"
            guard let numbers = resolve(set, byUID: byUID, tag: tag, view: view) else { return invalidSet(tag) }
            return startFetch(tag, numbers, attributes, modifiers, byUID: byUID, account: account, view: view)
        case .store(let set, let modifiers, let action), .uidStore(let set, let modifiers, let action):
            let byUID = command.kind.name == "UID STORE"
            guard let numbers = resolve(set, byUID: byUID, tag: tag, view: view) else { return invalidSet(tag) }
            guard let (flags, keywords) = IMAPFlag.storeForm(action.flags) else {
                return bad(tag, "invalid flag in STORE (\\Recent cannot be stored)")
            }
            let operation: FlagOperation
            switch action.operation {
            case .replace: operation = .replace(flags, keywords: keywords)
            case .add: operation = .add(flags, keywords: keywords)
            case .remove: operation = .remove(flags, keywords: keywords)
            }
            if modifiers.unchangedSince != nil { enabled.insert("CONDSTORE") }
            activity = .waiting(.store(tag: tag, action, byUID: byUID))
            return [
                .perform(.store(account, uids: numbers.map(\.uid), operation, unchangedSince: modifiers.unchangedSince, poll))
            ]
        case .copy(let set, let target), .move(let set, let target), .uidCopy(let set, let target),
            .uidMove(let set, let target):
            let name = command.kind.name
            let byUID = name.hasPrefix("UID")
            guard let numbers = resolve(set, byUID: byUID, tag: tag, view: view) else { return invalidSet(tag) }
            guard let store = storeName(target) else { return [send([badName(tag)])] }
            let move = name.hasSuffix("MOVE")
            activity = .waiting(.copy(tag: tag, move: move, byUID: byUID, numbers: numbers))
            return [.perform(.copy(account, uids: numbers.map(\.uid), to: store, move: move, poll))]
        default:
            return nil
        }
    }

    /// The messages of a set; nil (BAD) for a sequence number beyond the mailbox.
    private func resolve(_ set: IMAPSequenceSet, byUID: Bool, tag: String, view: IMAPMailboxView) -> [IMAPMessageNumber]? {
        switch view.messages(in: set, byUID: byUID) {
        case .success(let numbers): return numbers
        case .failure: return nil
        }
    }

    private mutating func invalidSet(_ tag: String) -> [Action] {
        bad(tag, "invalid message sequence number")
    }

    // MARK: - FETCH (RFC 9051 §6.4.5, RFC 7162 §3.1.4)

    private mutating func startFetch(
        _ tag: String, _ numbers: [IMAPMessageNumber], _ attributes: [IMAPFetchAttribute], _ modifiers: IMAPFetchModifiers,
        byUID: Bool, account: IMAPAccount, view: IMAPMailboxView
    ) -> [Action] {
        var attributes = attributes
        // RFC 9051 §6.4.9: UID FETCH responses carry the UID.
        if byUID && !attributes.contains(.uid) { attributes.insert(.uid, at: 0) }
        if modifiers.changedSince != nil || attributes.contains(.modSeq) {
            // RFC 7162 §3.1: using MODSEQ enables CONDSTORE; CHANGEDSINCE implies MODSEQ.
            enabled.insert("CONDSTORE")
            if !attributes.contains(.modSeq) { attributes.append(.modSeq) }
        }
        let request = IMAPFetchRequest(
            mailbox: view.name, messages: numbers, attributes: attributes, changedSince: modifiers.changedSince,
            setsSeen: !view.readOnly, recent: view.recent, options: options)
        activity = .waiting(.fetch(tag: tag, byUID: byUID))
        return [.perform(.fetch(account, request, pollRequest(view)))]
    }

    // MARK: - SEARCH (RFC 9051 §6.4.4, RFC 4731, RFC 5182, RFC 7162 §3.1.5)

    private mutating func startSearch(
        _ tag: String, _ search: IMAPSearchCommand, byUID: Bool, account: IMAPAccount, view: IMAPMailboxView
    ) -> [Action] {
        if let charset = search.charset, !["UTF-8", "US-ASCII"].contains(charset.uppercased()) {
            return [send([tagged(tag, .no, .badCharset(["UTF-8", "US-ASCII"]), "unsupported charset")])]
        }
        if search.keys.contains(where: \.usesModSeq) { enabled.insert("CONDSTORE") }
        let request = IMAPSearchRequest(
            mailbox: view.name, keys: search.keys, view: view.uids, recent: view.recent, saved: view.saved,
            expunged: view.pendingExpunges)
        activity = .waiting(.search(tag: tag, search, byUID: byUID))
        return [.perform(.search(account, request, pollRequest(view)))]
    }
}

extension IMAPSearchKey {
    /// Whether the key (or one inside it) is MODSEQ.
    var usesModSeq: Bool {
        switch self {
        case .modSeq: return true
        case .not(let key): return key.usesModSeq
        case .or(let a, let b): return a.usesModSeq || b.usesModSeq
        case .and(let keys): return keys.contains(where: \.usesModSeq)
        default: return false
        }
    }
}
