// The selected mailbox as one session sees it: message sequence numbers
// (RFC 9051 §2.3.1.2) over the UIDs the session has been told about, the
// session's \Recent messages, the saved search result "$", and the changes of
// other sessions not yet reported. Pure: changes come in as values, untagged
// responses go out as values.
//
// Invariants: `uids` ascends (new messages always have higher UIDs); a UID
// leaves `uids` only when its EXPUNGE response is sent, so the client's
// numbering and ours never disagree; expunges learnt while a FETCH, STORE or
// SEARCH runs wait in `pendingExpunges` (RFC 9051 §7.5.1).
import MailStore

struct IMAPMailboxView: Sendable {
    /// The store's name of the mailbox.
    let name: String
    let readOnly: Bool
    let uidValidity: UInt32
    private(set) var uids: [UInt32]
    var cursor: MailboxCursor
    var recent: Set<UInt32>
    /// Expunged in the store, not yet reported: still numbered here.
    private(set) var pendingExpunges: Set<UInt32> = []
    /// "$" (RFC 9051 §6.4.4.1), as UIDs.
    var saved: [UInt32] = []

    init(name: String, readOnly: Bool, selection: IMAPSelection) {
        self.name = name
        self.readOnly = readOnly
        uidValidity = selection.mailbox.uidValidity
        uids = selection.numbers.uids
        cursor = selection.cursor
        recent = Set(selection.recent)
    }

    var count: UInt32 { UInt32(uids.count) }

    func sequence(of uid: UInt32) -> UInt32? {
        let index = lowerBound(uid)
        guard index < uids.count, uids[index] == uid else { return nil }
        return UInt32(index + 1)
    }

    private func lowerBound(_ uid: UInt32) -> Int {
        var low = 0
        var high = uids.count
        while low < high {
            let middle = (low + high) / 2
            if uids[middle] < uid { low = middle + 1 } else { high = middle }
        }
        return low
    }

    // MARK: - Sets

    enum SetError: Error, Equatable {
        /// A message sequence number beyond the mailbox (RFC 9051 §9 `seq-number`).
        case invalidSequenceNumber(UInt32)
    }

    /// The messages a set names, ascending. For UIDs, "*" is the highest UID
    /// and UIDs that do not exist are skipped (RFC 9051 §6.4.9); sequence
    /// numbers must exist.
    func messages(in set: IMAPSequenceSet, byUID: Bool) -> Result<[IMAPMessageNumber], SetError> {
        if case .lastCommand = set {
            return .success(saved.compactMap { uid in sequence(of: uid).map { IMAPMessageNumber(sequence: $0, uid: uid) } })
        }
        var found: [IMAPMessageNumber] = []
        if byUID {
            for range in set.resolved(last: uids.last ?? 0) {
                var index = lowerBound(range.lowerBound)
                while index < uids.count, uids[index] <= range.upperBound {
                    found.append(IMAPMessageNumber(sequence: UInt32(index + 1), uid: uids[index]))
                    index += 1
                }
            }
            return .success(found)
        }
        for range in set.resolved(last: count) {
            guard range.upperBound <= count, range.lowerBound >= 1 else {
                return .failure(.invalidSequenceNumber(range.upperBound > count ? range.upperBound : range.lowerBound))
            }
            for sequence in range {
                found.append(IMAPMessageNumber(sequence: sequence, uid: uids[Int(sequence) - 1]))
            }
        }
        return .success(found)
    }

    // MARK: - Changes

    /// Removes a message whose EXPUNGE is being sent; returns its number then.
    mutating func remove(uid: UInt32) -> UInt32? {
        guard let sequence = sequence(of: uid) else { return nil }
        uids.remove(at: Int(sequence) - 1)
        recent.remove(uid)
        pendingExpunges.remove(uid)
        return sequence
    }

    /// Takes in what a poll found and returns the untagged responses to send
    /// now: EXPUNGE (only when `mayExpunge`; else they wait), FETCH FLAGS of
    /// messages changed elsewhere (except those in `alreadyReported`), then
    /// EXISTS (and RECENT for IMAP4rev1) for new messages.
    mutating func absorb(
        _ polled: IMAPPolled, mayExpunge: Bool, alreadyReported: Set<MessageFlagState> = [], options: IMAPOutputOptions
    ) -> [IMAPUntaggedResponse] {
        guard let changes = polled.changes else { return [] }
        var responses: [IMAPUntaggedResponse] = []
        cursor = changes.cursor
        for uid in changes.expunged where sequence(of: uid) != nil {
            pendingExpunges.insert(uid)
        }
        if mayExpunge {
            responses += reportPendingExpunges()
        }
        for state in changes.flagChanges where !alreadyReported.contains(state) {
            guard let sequence = sequence(of: state.uid), !pendingExpunges.contains(state.uid) else { continue }
            responses.append(.fetch(sequence, flagValues(state, options: options)))
        }
        let known = uids.last ?? 0
        let appended = changes.appended.map(\.uid).filter { $0 > known }
        recent.formUnion(polled.claimedRecent)
        if !appended.isEmpty {
            uids.append(contentsOf: appended)
            responses.append(.exists(count))
            // RFC 3501 §7.3.2: RECENT goes with EXISTS; RFC 9051 dropped it.
            if options.reportsRecent { responses.append(.recent(UInt32(recent.count))) }
        }
        return responses
    }

    /// EXPUNGE responses for what other sessions removed, in order.
    mutating func reportPendingExpunges() -> [IMAPUntaggedResponse] {
        pendingExpunges.sorted().compactMap { uid in remove(uid: uid).map { .expunge($0) } }
    }

    /// UID, FLAGS and (with CONDSTORE) MODSEQ of a message.
    func flagValues(_ state: MessageFlagState, options: IMAPOutputOptions) -> [IMAPFetchValue] {
        var values: [IMAPFetchValue] = [
            .uid(state.uid),
            .flags(IMAPFlag.list(state.flags, keywords: state.keywords, recent: options.reportsRecent && recent.contains(state.uid))),
        ]
        if options.condstore { values.append(.modSeq(state.modSeq)) }
        return values
    }
}

// MARK: - Flags between the protocol and the store

extension IMAPFlag {
    /// The flag list of a message (RFC 9051 §2.3.2).
    static func list(_ flags: MessageFlags, keywords: [String], recent: Bool) -> [IMAPFlag] {
        var list: [IMAPFlag] = flags.imapNames.map { IMAPFlag($0) }
        if recent { list.append(IMAPFlag.recent) }
        list += keywords.map { IMAPFlag($0) }
        return list
    }

    /// The system flags and keywords of a STORE or APPEND flag list; nil
    /// for a system flag that does not exist or cannot be set (\Recent).
    static func storeForm(_ flags: [IMAPFlag]) -> (MessageFlags, [String])? {
        var system: MessageFlags = []
        var keywords: [String] = []
        for flag in flags {
            if flag.isSystemFlag {
                guard let known = MessageFlags(imapName: flag.rawValue) else { return nil }
                system.insert(known)
            } else {
                guard Keyword.isValid(flag.rawValue) else { return nil }
                keywords.append(flag.rawValue)
            }
        }
        return (system, keywords)
    }
}
