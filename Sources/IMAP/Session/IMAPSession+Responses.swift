// The replies of SEARCH, STORE, COPY/MOVE and EXPUNGE, built from the
// store's results and the session's message numbers.
import MailStore

extension IMAPSession {
    // MARK: - SEARCH (RFC 9051 §6.4.4, §7.3.4; RFC 4731; RFC 5182; RFC 7162 §3.1.5)

    mutating func searchResponses(
        _ tag: String, _ search: IMAPSearchCommand, byUID: Bool, _ outcome: IMAPSearchOutcome
    ) -> [IMAPResponse] {
        let numbers = byUID ? outcome.uids : (withView { view in outcome.uids.compactMap(view.sequence(of:)) } ?? [])
        // IMAP4rev2 answers SEARCH with ESEARCH, as if RETURN () were given.
        guard let returnOptions = search.returnOptions ?? (isRev2 ? [] : nil) else {
            return [.untagged(.search(numbers, modSeq: outcome.highestModSeq))]
        }
        // RFC 9051 §6.4.4: RETURN () means RETURN (ALL).
        let requested = returnOptions.isEmpty ? [.all] : returnOptions
        let reported = requested.filter { $0 != .save }
        if requested.contains(.save) {
            // RFC 5182 §2.4: SAVE with only MIN and/or MAX keeps just those.
            var saved = outcome.uids
            if !reported.isEmpty, !reported.contains(.all), !reported.contains(.count) {
                saved = []
                if reported.contains(.min), let first = outcome.uids.first { saved.append(first) }
                if reported.contains(.max), let last = outcome.uids.last, !saved.contains(last) { saved.append(last) }
            }
            _ = withView { $0.saved = saved }
        }
        guard !reported.isEmpty else { return [] }
        var response = IMAPESearchResponse(tag: tag, uid: byUID)
        if reported.contains(.min) { response.min = numbers.first }
        if reported.contains(.max) { response.max = numbers.last }
        if reported.contains(.all) { response.all = IMAPSequenceSet.covering(numbers) }
        if reported.contains(.count) { response.count = UInt32(numbers.count) }
        if !numbers.isEmpty { response.modSeq = outcome.highestModSeq }
        return [.untagged(.esearch(response))]
    }

    // MARK: - STORE (RFC 9051 §6.4.6, RFC 7162 §3.1.3)

    mutating func storeResponses(
        _ tag: String, _ action: IMAPStoreAction, byUID: Bool, _ update: FlagUpdateResult, _ polled: IMAPPolled
    ) -> [IMAPResponse] {
        var responses: [IMAPUntaggedResponse] = []
        let options = self.options
        let states = (update.updated + update.unchanged).sorted { $0.uid < $1.uid }
        if !action.silent || options.condstore {
            _ = withView { view in
                for state in states {
                    guard let sequence = view.sequence(of: state.uid) else { continue }
                    // RFC 7162 §3.1.3: with .SILENT, MODSEQ still goes out for changed messages.
                    if action.silent {
                        guard update.updated.contains(state) else { continue }
                        responses.append(.fetch(sequence, [.uid(state.uid), .modSeq(state.modSeq)]))
                    } else {
                        responses.append(.fetch(sequence, view.flagValues(state, options: options)))
                    }
                }
            }
        }
        var untagged = responses.map { IMAPResponse.untagged($0) }
        untagged += report(polled, mayExpunge: byUID, alreadyReported: Set(update.updated))
        var code: IMAPResponseCode?
        if !update.modified.isEmpty {
            let numbers = byUID ? update.modified : (withView { view in update.modified.compactMap(view.sequence(of:)) } ?? [])
            code = IMAPSequenceSet.covering(numbers.sorted()).map(IMAPResponseCode.modified)
        }
        untagged.append(tagged(tag, .ok, code, "\(byUID ? "UID STORE" : "STORE") completed"))
        return untagged
    }

    // MARK: - COPY, MOVE (RFC 9051 §6.4.7, §6.4.8; RFC 4315 §3 COPYUID)

    mutating func copyResponses(
        _ tag: String, move: Bool, byUID: Bool, _ result: Result<CopyResult, StoreError>, _ polled: IMAPPolled
    ) -> [IMAPResponse] {
        let name = (byUID ? "UID " : "") + (move ? "MOVE" : "COPY")
        let copied: CopyResult
        switch result {
        case .success(let value): copied = value
        case .failure(let error):
            let refusal: IMAPResponse
            if case .noSuchMailbox = error {
                // RFC 9051 §6.4.7: TRYCREATE when the target does not exist.
                refusal = tagged(tag, .no, .tryCreate, error.description)
            } else {
                refusal = failure(tag, error)
            }
            return report(polled, mayExpunge: byUID) + [refusal]
        }
        let code = IMAPSequenceSet.covering(copied.mapping.map(\.source)).flatMap { source in
            IMAPSequenceSet.covering(copied.mapping.map(\.target).sorted()).map { target in
                IMAPResponseCode.copyUID(uidValidity: copied.uidValidity, source: source, destination: target)
            }
        }
        guard move else {
            return report(polled, mayExpunge: byUID) + [tagged(tag, .ok, code, "\(name) completed")]
        }
        // RFC 6851 §4.3: COPYUID in an untagged OK, then the EXPUNGEs.
        var responses: [IMAPResponse] = []
        if let code { responses.append(.untagged(.condition(.ok, IMAPResponseText(code: code, text: "moved")))) }
        let moved = copied.mapping.map(\.source)
        let numbers = withView { view in moved.compactMap { view.remove(uid: $0) } } ?? []
        responses += numbers.map { .untagged(.expunge($0)) }
        responses += report(polled, mayExpunge: true)
        responses.append(tagged(tag, .ok, "\(name) completed"))
        return responses
    }

    // MARK: - EXPUNGE, UID EXPUNGE, CLOSE (RFC 9051 §6.4.3, §6.4.1; RFC 4315 §2.1)

    mutating func expungeResponses(
        _ tag: String, closing: Bool, _ result: Result<ExpungeResult, StoreError>, _ polled: IMAPPolled
    ) -> [IMAPResponse] {
        let expunged: ExpungeResult
        switch result {
        case .success(let value): expunged = value
        case .failure(let error): return [failure(tag, error)]
        }
        if closing, let account {
            // RFC 9051 §6.4.1: no untagged EXPUNGE for CLOSE.
            state = .authenticated(account)
            return [tagged(tag, .ok, "CLOSE completed")]
        }
        let numbers = withView { view in expunged.uids.sorted().compactMap { view.remove(uid: $0) } } ?? []
        var responses: [IMAPResponse] = numbers.map { .untagged(.expunge($0)) }
        responses += report(polled, mayExpunge: true)
        responses.append(tagged(tag, .ok, "EXPUNGE completed"))
        return responses
    }
}

extension IMAPSequenceSet {
    /// The ascending numbers as a set of runs ("1:3,7"); nil when empty.
    static func covering(_ numbers: [UInt32]) -> IMAPSequenceSet? {
        guard var start = numbers.first else { return nil }
        var ranges: [IMAPSequenceRange] = []
        var end = start
        for number in numbers.dropFirst() {
            if number == end &+ 1 {
                end = number
            } else {
                ranges.append(IMAPSequenceRange(start...end))
                start = number
                end = number
            }
        }
        ranges.append(IMAPSequenceRange(start...end))
        return .ranges(ranges)
    }
}
