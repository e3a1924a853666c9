// Effect results back into the session: the replies of each command, and the
// changes of other sessions its poll brought, reported where RFC 9051 §7.5.1
// allows (not during FETCH, STORE and SEARCH; UID forms may).
import MailStore
import NIOCore
import Transport

extension IMAPSession {
    public mutating func completed(_ result: IMAPEffectResult) -> [Action] {
        guard case .waiting(let pending) = activity else { return [] }
        activity = .ready
        var actions = finish(pending, result)
        actions += pump()
        return actions
    }

    private mutating func finish(_ pending: Pending, _ result: IMAPEffectResult) -> [Action] {
        switch (pending, result) {
        case (.login(let tag), .loggedIn(let outcome)):
            return loggedIn(tag, outcome)
        case (.failedLogin(let tag, let closing), .paused):
            let refusal = tagged(tag, .no, .authenticationFailed, "invalid credentials")
            guard closing else { return [send([refusal])] }
            state = .logout
            return [send([refusal, .untagged(.condition(.bye, IMAPResponseText(text: "too many failed logins")))]), .close]
        case (.select(let tag, let name, let wireName, let readOnly, _), .selected(let result)):
            return selected(tag, name: name, wireName: wireName, readOnly: readOnly, result)
        case (.mailboxChange(let tag, let command), .done(let result)):
            switch result {
            case .success: return [send([tagged(tag, .ok, "\(command) completed")])]
            case .failure(let error): return [send([failure(tag, error)])]
            }
        case (.list(let tag, let command), .listed(let result)):
            switch result {
            case .success(let responses):
                return [send(responses.map { IMAPResponse.untagged($0) } + [tagged(tag, .ok, "\(command) completed")])]
            case .failure(let error): return [send([failure(tag, error)])]
            }
        case (.status(let tag, let wireName, let attributes), .status(let result)):
            switch result {
            case .success(let status):
                let values = attributes.map { Self.statusValue($0, status) }
                return [send([.untagged(.status(wireName, values)), tagged(tag, .ok, "STATUS completed")])]
            case .failure(let error): return [send([failure(tag, error)])]
            }
        case (.appendCheck(let progress), .appendChecked(let result)):
            return appendChecked(progress, result)
        case (.append(let tag), .appended(let result, let polled)):
            switch result {
            case .success(let deliveries):
                var responses = report(polled, mayExpunge: true)
                let uids = deliveries.map(\.uid)
                if let validity = deliveries.first?.uidValidity, let set = IMAPSequenceSet.covering(uids) {
                    // RFC 4315 §3: APPENDUID, once the message is on disk.
                    responses.append(tagged(tag, .ok, .appendUID(uidValidity: validity, uids: set), "APPEND completed"))
                } else {
                    responses.append(tagged(tag, .ok, "APPEND completed"))
                }
                return reply(responses)
            case .failure(let error):
                return reply(report(polled, mayExpunge: true) + [appendFailure(tag, error)])
            }
        case (.fetch(let tag, let byUID), .fetched(let outcome, let polled)):
            var actions: [Action] = [.send(ByteBuffer(bytes: outcome.tail))]
            if outcome.isBroken {
                state = .logout
                return actions + [.close]
            }
            var responses = report(polled, mayExpunge: byUID, alreadyReported: Set(outcome.seen))
            if let error = outcome.failure {
                responses.append(failure(tag, error))
            } else {
                responses.append(tagged(tag, .ok, "\(byUID ? "UID FETCH" : "FETCH") completed"))
            }
            actions += reply(responses)
            return actions
        case (.search(let tag, let search, let byUID), .searched(let result, let polled)):
            switch result {
            case .success(let outcome):
                var responses = searchResponses(tag, search, byUID: byUID, outcome)
                responses += report(polled, mayExpunge: byUID)
                responses.append(tagged(tag, .ok, "\(byUID ? "UID SEARCH" : "SEARCH") completed"))
                return reply(responses)
            case .failure(let error):
                return reply(report(polled, mayExpunge: byUID) + [failure(tag, error)])
            }
        case (.store(let tag, let action, let byUID), .stored(let result, let polled)):
            switch result {
            case .success(let update):
                return reply(storeResponses(tag, action, byUID: byUID, update, polled))
            case .failure(let error):
                return reply(report(polled, mayExpunge: byUID) + [failure(tag, error)])
            }
        case (.copy(let tag, let move, let byUID, _), .copied(let result, let polled)):
            return reply(copyResponses(tag, move: move, byUID: byUID, result, polled))
        case (.expunge(let tag, let closing), .expunged(let result, let polled)):
            return reply(expungeResponses(tag, closing: closing, result, polled))
        case (.poll(let tag, let command), .polled(let polled)):
            return reply(report(polled, mayExpunge: true) + [tagged(tag, .ok, "\(command) completed")])
        case (.idleStart(let tag), .watching(let watch, let polled)):
            activity = .idling(tag: tag, watch)
            return reply(report(polled, mayExpunge: true))
        case (.idlePoll(let tag, let watch), .polled(let polled)):
            activity = .idling(tag: tag, watch)
            return reply(report(polled, mayExpunge: true))
        default:
            state = .logout
            return [send([.untagged(.condition(.bye, IMAPResponseText(code: .serverBug, text: "internal error")))]), .close]
        }
    }

    /// The responses, unless a poll found the selected mailbox gone: then BYE.
    private mutating func reply(_ responses: [IMAPResponse]) -> [Action] {
        guard case .logout = state else { return responses.isEmpty ? [] : [send(responses)] }
        return [send(responses), .close]
    }

    // MARK: - Login

    private mutating func loggedIn(_ tag: String, _ outcome: IMAPLoginResult) -> [Action] {
        switch outcome {
        case .success(let access):
            state = .authenticated(IMAPAccount(access: access))
            // RFC 9051 §6.2.3: the capabilities may change at login; say them.
            return [send([tagged(tag, .ok, .capability(capabilities), "logged in")])]
        case .invalidCredentials:
            authFailures += 1
            let closing = authFailures >= configuration.maxAuthFailures
            activity = .waiting(.failedLogin(tag: tag, closing: closing))
            return [.perform(.pause(configuration.authFailureDelay))]
        case .temporaryFailure(let reason):
            return [send([tagged(tag, .no, .unavailable, reason)])]
        }
    }

    // MARK: - SELECT, EXAMINE (RFC 9051 §6.3.2, §6.3.3)

    private mutating func selected(
        _ tag: String, name: String, wireName: IMAPMailboxName, readOnly: Bool, _ result: Result<IMAPSelection, StoreError>
    ) -> [Action] {
        guard let account else { return [] }
        var responses: [IMAPResponse] = []
        if case .selected = state {
            // RFC 9051 §7.1: CLOSED marks the end of the previous selection.
            responses.append(.untagged(.condition(.ok, IMAPResponseText(code: .closed, text: "previous mailbox closed"))))
        }
        state = .authenticated(account)
        let selection: IMAPSelection
        switch result {
        case .success(let value): selection = value
        case .failure(let error): return [send(responses + [failure(tag, error)])]
        }
        let view = IMAPMailboxView(name: name, readOnly: readOnly, selection: selection)
        let keywords = selection.keywords.map { IMAPFlag($0) }
        let system: [IMAPFlag] = [.answered, .flagged, .deleted, .seen, .draft]
        let info = selection.mailbox
        responses.append(.untagged(.flags(system + keywords)))
        responses.append(.untagged(.exists(view.count)))
        if options.reportsRecent {
            responses.append(.untagged(.recent(UInt32(view.recent.count))))
            // RFC 3501 §6.3.1: the first unseen message.
            if let uid = selection.numbers.firstUnseen, let number = view.sequence(of: uid) {
                responses.append(ok(.unseen(number), "first unseen"))
            }
        }
        responses.append(ok(.uidValidity(info.uidValidity), "UIDs valid"))
        responses.append(ok(.uidNext(selection.cursor.uidNext), "predicted next UID"))
        responses.append(ok(.permanentFlags(readOnly ? [] : system + keywords + [.wildcard]), "flags permitted"))
        // RFC 7162 §3.1.2.1.
        responses.append(ok(.highestModSeq(selection.cursor.highestModSeq), "highest"))
        if isRev2 {
            responses.append(.untagged(.list(IMAPListResponse(attributes: selection.attributes, delimiter: ".", name: wireName))))
        }
        responses.append(tagged(tag, .ok, readOnly ? .readOnly : .readWrite, "\(readOnly ? "EXAMINE" : "SELECT") completed"))
        state = .selected(account, view)
        return [send(responses)]
    }

    private func ok(_ code: IMAPResponseCode, _ text: String) -> IMAPResponse {
        .untagged(.condition(.ok, IMAPResponseText(code: code, text: text)))
    }

    static func statusValue(_ attribute: IMAPStatusAttribute, _ status: MailboxStatus) -> IMAPStatusValue {
        switch attribute {
        case .messages: return .messages(UInt32(clamping: status.messages))
        case .uidNext: return .uidNext(status.uidNext)
        case .uidValidity: return .uidValidity(status.uidValidity)
        case .unseen: return .unseen(UInt32(clamping: status.unseen))
        case .deleted: return .deleted(UInt32(clamping: status.deleted))
        case .size: return .size(UInt64(clamping: status.size))
        case .recent: return .recent(UInt32(clamping: status.recent))
        case .highestModSeq: return .highestModSeq(status.highestModSeq)
        }
    }

    // MARK: - Reporting changes

    /// Applies a poll to the view and returns what to tell the client; when
    /// the mailbox is gone (deleted, renamed away, new UIDVALIDITY) the
    /// session ends with BYE (RFC 9051 §7.1.5).
    mutating func report(
        _ polled: IMAPPolled?, mayExpunge: Bool, alreadyReported: Set<MessageFlagState> = []
    ) -> [IMAPResponse] {
        guard let polled, case .selected(let account, var view) = state else { return [] }
        if polled.changes?.isInvalidated == true {
            state = .logout
            return [.untagged(.condition(.bye, IMAPResponseText(text: "the selected mailbox was deleted or renamed")))]
        }
        // Drop the state's copy first, so the view's arrays change in place.
        state = .authenticated(account)
        let options = self.options
        let responses = view.absorb(polled, mayExpunge: mayExpunge, alreadyReported: alreadyReported, options: options)
        state = .selected(account, view)
        return responses.map { IMAPResponse.untagged($0) }
    }

    /// Runs `body` on the selected view, changing it in place.
    mutating func withView<T>(_ body: (inout IMAPMailboxView) -> T) -> T? {
        guard case .selected(let account, var view) = state else { return nil }
        state = .authenticated(account)
        let result = body(&view)
        state = .selected(account, view)
        return result
    }
}
