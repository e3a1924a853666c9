// APPEND (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502) as the framer streams it:
// start, then per message begin / bytes / end, then finish. Before a
// message's literal is accepted the mailbox and quota are checked, so a
// refused APPEND costs the client nothing (NO [TRYCREATE], [OVERQUOTA]);
// the size limit was already applied by the framer (NO [TOOBIG]). The
// tagged OK [APPENDUID] comes only after the store's fsync (DESIGN.md rule 3).
import Foundation
import MailStore
import Transport

/// An APPEND under way.
struct IMAPAppendProgress: Sendable {
    var tag: String
    /// The store's name of the target mailbox.
    var mailbox: String
    /// The message being received.
    var header: IMAPAppendMessageHeader?
    /// The messages received whole.
    var messages: [IMAPAppendMessageData] = []
}

extension IMAPSession {
    /// Bytes kept in reserve for an announced message: enough for most at
    /// once, never the whole limit for a client that announces and stalls.
    static let appendReserve = 1 << 20

    mutating func appendEvent(_ event: IMAPAppendEvent) -> [Action] {
        switch event {
        case .start(let tag, let mailbox):
            guard account != nil else {
                framer.abortCommand()
                return bad(tag, "log in first")
            }
            guard let store = storeName(mailbox) else {
                framer.abortCommand()
                return [send([badName(tag)])]
            }
            activity = .appending(IMAPAppendProgress(tag: tag, mailbox: store))
            return []
        case .beginMessage(let header):
            guard case .appending(var progress) = activity, let account else {
                framer.abortCommand()
                return []
            }
            guard IMAPFlag.storeForm(header.options.flags) != nil else {
                framer.abortCommand()
                activity = .ready
                return bad(progress.tag, "invalid flag in APPEND (\\Recent cannot be stored)")
            }
            progress.header = header
            appendBuffer = []
            appendBuffer.reserveCapacity(Int(min(header.size, UInt64(Self.appendReserve))))
            activity = .waiting(.appendCheck(progress))
            return [.perform(.checkAppend(account, mailbox: progress.mailbox, size: header.size))]
        case .messageBytes(let bytes):
            appendBuffer.append(contentsOf: bytes)
            return []
        case .endMessage:
            guard case .appending(var progress) = activity, let header = progress.header,
                let (flags, keywords) = IMAPFlag.storeForm(header.options.flags)
            else { return [] }
            let date = header.options.internalDate.map { Date(timeIntervalSince1970: TimeInterval($0.secondsSince1970)) }
            progress.messages.append(
                IMAPAppendMessageData(bytes: appendBuffer, flags: flags, keywords: keywords, internalDate: date))
            progress.header = nil
            appendBuffer = []
            activity = .appending(progress)
            return []
        case .finish:
            guard case .appending(let progress) = activity, let account else { return [] }
            var poll: IMAPPollRequest?
            if case .selected(_, let view) = state { poll = pollRequest(view) }
            activity = .waiting(.append(tag: progress.tag))
            return [.perform(.append(account, mailbox: progress.mailbox, progress.messages, poll))]
        }
    }

    /// The mailbox and quota check came back: take the literal, or refuse it.
    mutating func appendChecked(_ progress: IMAPAppendProgress, _ result: Result<Void, StoreError>) -> [Action] {
        switch result {
        case .success:
            activity = .appending(progress)
            return []
        case .failure(let error):
            framer.abortCommand()
            appendBuffer = []
            return [send([appendFailure(progress.tag, error)])]
        }
    }

    /// RFC 9051 §6.3.12: TRYCREATE when the mailbox does not exist; RFC 9051
    /// §7.1 OVERQUOTA when the account is full.
    func appendFailure(_ tag: String, _ error: StoreError) -> IMAPResponse {
        switch error {
        case .noSuchMailbox: return tagged(tag, .no, .tryCreate, error.description)
        default: return failure(tag, error)
        }
    }
}
