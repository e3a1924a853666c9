// Runs an IMAP session's effects against the backend, off the event loop
// (DESIGN.md rule 2), and builds what needs the store's data: LIST and
// STATUS answers, FETCH responses (IMAPPerformer+Fetch), SEARCH
// (IMAPSearchEvaluator). Every selected-mailbox effect ends with a poll of
// the changes since the session's cursor.
import Foundation
import Logging
import MailStore
import NIOCore
import NIOSSL
import Transport

public struct IMAPPerformer: EffectPerformer {
    public typealias Machine = IMAPSession

    let backend: any IMAPBackend

    public init(backend: any IMAPBackend) {
        self.backend = backend
    }

    public func perform(_ effect: IMAPEffect, context: EffectContext) async -> IMAPEffectResult {
        switch effect {
        case .login(let username, let password):
            let outcome = await backend.login(username: username, password: password)
            switch outcome {
            case .success: context.logger.info("login \(username.prefix(64))")
            case .invalidCredentials: context.logger.notice("failed login for \(username.prefix(64))")
            case .temporaryFailure(let reason): context.logger.error("login for \(username.prefix(64)) failed: \(reason)")
            }
            return .loggedIn(outcome)
        case .pause(let duration):
            try? await Task.sleep(for: duration)
            return .paused
        case .select(let account, let mailbox, let readOnly):
            return .selected(await select(account.access, mailbox, readOnly: readOnly))
        case .create(let account, let mailbox, let specialUse):
            return .done(await attempt { () async throws(StoreError) in
                try await account.access.createMailbox(mailbox, specialUse: specialUse)
            })
        case .delete(let account, let mailbox):
            return .done(await attempt { () async throws(StoreError) in try await account.access.deleteMailbox(mailbox) })
        case .rename(let account, let from, let to):
            return .done(await attempt { () async throws(StoreError) in try await account.access.renameMailbox(from, to: to) })
        case .subscribe(let account, let mailbox, let subscribed):
            return .done(await attempt { () async throws(StoreError) in
                try await account.access.setSubscribed(mailbox, subscribed)
            })
        case .list(let account, let query):
            return .listed(await attempt { () async throws(StoreError) in try await list(account.access, query) })
        case .status(let account, let mailbox):
            return .status(await attempt { () async throws(StoreError) in try await account.access.status(mailbox) })
        case .checkAppend(let account, let mailbox, let size):
            return .appendChecked(await attempt { () async throws(StoreError) in
                try await account.access.checkAppend(to: mailbox, size: Int(clamping: size))
            })
        case .append(let account, let mailbox, let messages, let poll):
            let result = await attempt { () async throws(StoreError) -> [DeliveryResult] in
                var results: [DeliveryResult] = []
                for message in messages {
                    results.append(
                        try await account.access.append(
                            message.bytes, to: mailbox, flags: message.flags, keywords: message.keywords,
                            internalDate: message.internalDate))
                }
                return results
            }
            if case .failure(let error) = result { context.logger.error("APPEND to \(mailbox) failed: \(error)") }
            return .appended(result, await poll.asyncMap { await self.poll(account.access, $0) })
        case .fetch(let account, let request, let poll):
            let outcome = await fetch(account.access, request, context: context)
            return .fetched(outcome, await self.poll(account.access, poll))
        case .search(let account, let request, let poll):
            let result = await attempt { () async throws(StoreError) in
                try await IMAPSearchEvaluator(access: account.access, request: request).run()
            }
            return .searched(result, await self.poll(account.access, poll))
        case .store(let account, let uids, let operation, let unchangedSince, let poll):
            let result = await attempt { () async throws(StoreError) in
                try await account.access.store(operation, uids: uids, in: poll.mailbox, unchangedSince: unchangedSince)
            }
            return .stored(result, await self.poll(account.access, poll))
        case .copy(let account, let uids, let target, let move, let poll):
            let result = await attempt { () async throws(StoreError) in
                move
                    ? try await account.access.move(uids: uids, from: poll.mailbox, to: target)
                    : try await account.access.copy(uids: uids, from: poll.mailbox, to: target)
            }
            return .copied(result, await self.poll(account.access, poll))
        case .expunge(let account, let uids, let poll):
            let result = await attempt { () async throws(StoreError) in
                try await account.access.expunge(in: poll.mailbox, uids: uids)
            }
            return .expunged(result, await self.poll(account.access, poll))
        case .poll(let account, let poll):
            return .polled(await self.poll(account.access, poll))
        case .watch(let account, let poll):
            let polled = await self.poll(account.access, poll)
            let cursor = polled.changes?.cursor ?? poll.cursor
            return .watching(await watch(account.access, poll.mailbox, from: cursor, context: context), polled)
        }
    }

    /// Runs a store operation, turning its error into a result.
    private func attempt<T: Sendable>(_ body: () async throws(StoreError) -> T) async -> Result<T, StoreError> {
        do throws(StoreError) {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Changes

    /// What changed since the cursor, and the new messages claimed as \Recent.
    func poll(_ access: any IMAPMailAccess, _ request: IMAPPollRequest) async -> IMAPPolled {
        do throws(StoreError) {
            let changes = try await access.changes(in: request.mailbox, since: request.cursor)
            var claimed: [UInt32] = []
            if request.claimRecent && !changes.appended.isEmpty && !changes.isInvalidated {
                claimed = try await access.claimRecent(in: request.mailbox)
            }
            return IMAPPolled(changes: changes, claimedRecent: claimed)
        } catch {
            return IMAPPolled(changes: nil)
        }
    }

    /// IDLE: a task that wakes the session whenever the mailbox changes,
    /// until the session lets go of the watch or ends.
    private func watch(
        _ access: any IMAPMailAccess, _ mailbox: String, from cursor: MailboxCursor, context: EffectContext
    ) async -> IMAPWatch? {
        let stream: AsyncStream<MailboxChanges>
        do throws(StoreError) {
            stream = try await access.subscribe(to: mailbox, from: cursor)
        } catch {
            context.logger.error("IDLE cannot watch \(mailbox): \(error)")
            return nil
        }
        let wakeUp = context.wakeUp
        return IMAPWatch(
            task: Task {
                for await _ in stream {
                    guard wakeUp() else { return }
                }
            })
    }

    // MARK: - SELECT

    private func select(_ access: any IMAPMailAccess, _ mailbox: String, readOnly: Bool) async -> Result<IMAPSelection, StoreError> {
        await attempt { () async throws(StoreError) -> IMAPSelection in
            let mailboxes = try await access.mailboxes()
            guard let info = mailboxes.first(where: { $0.name == MailboxName.canonicalized(mailbox) }) else {
                throw .noSuchMailbox(mailbox)
            }
            // The cursor first: changes after it are reported by the next poll.
            let cursor = try await access.cursor(of: info.name)
            let numbers = try await access.messageNumbers(in: info.name)
            // RFC 3501 §2.3.2: a read-write SELECT claims the \Recent messages.
            let recent = readOnly || !numbers.hasRecent ? [] : try await access.claimRecent(in: info.name)
            let keywords = try await access.keywords(in: info.name)
            let listing = IMAPMailboxListing(mailboxes: mailboxes, subscriptions: [])
            return IMAPSelection(
                mailbox: info, cursor: cursor, numbers: numbers, keywords: keywords, recent: recent,
                attributes: listing.attributes(of: info.name))
        }
    }

    // MARK: - LIST, LSUB (RFC 9051 §6.3.9, RFC 5258, RFC 5819)

    private func list(_ access: any IMAPMailAccess, _ query: IMAPListQuery) async throws(StoreError) -> [IMAPUntaggedResponse] {
        let listing = IMAPMailboxListing(mailboxes: try await access.mailboxes(), subscriptions: try await access.subscriptions())
        let utf8 = query.options.utf8
        let entries = listing.entries(for: query.command, isLSUB: query.isLSUB) { pattern in
            utf8 ? pattern : (ModifiedUTF7.decode(pattern) ?? pattern)
        }
        var statusAttributes: [IMAPStatusAttribute]?
        for option in query.command.returnOptions ?? [] {
            if case .status(let attributes) = option { statusAttributes = attributes }
        }
        var responses: [IMAPUntaggedResponse] = []
        for entry in entries {
            let name = utf8 ? IMAPMailboxName(entry.name) : IMAPMailboxName(entry.name).encodingModifiedUTF7()
            var extended: [IMAPListExtendedItem] = []
            if !entry.childInfo.isEmpty { extended.append(.childInfo(entry.childInfo)) }
            let list = IMAPListResponse(attributes: entry.attributes, delimiter: ".", name: name, extended: extended)
            responses.append(query.isLSUB ? .lsub(list) : .list(list))
            // RFC 5819 §2: STATUS follows the LIST of each selectable mailbox.
            if let statusAttributes, entry.exists {
                let status = try await access.status(entry.name)
                responses.append(.status(name, statusAttributes.map { IMAPSession.statusValue($0, status) }))
            }
        }
        return responses
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async -> T) async -> T? {
        guard let value = self else { return nil }
        return await transform(value)
    }
}

public enum IMAPServer {
    /// The IMAP service on the shared transport: plain listeners with
    /// STARTTLS, implicit-TLS listeners, one `IMAPSession` per connection.
    public static func make(
        configuration: IMAPConfiguration, listeners: [ListenerSpec], limits: SessionLimits, tls: NIOSSLContext?,
        backend: any IMAPBackend, group: any EventLoopGroup, logger: Logger
    ) -> TCPServer<IMAPPerformer> {
        TCPServer(
            service: "imap", listeners: listeners, limits: limits, tls: tls,
            performer: IMAPPerformer(backend: backend), group: group, logger: logger,
            busyReply: { reason in
                let text = reason == .tooManyConnectionsFromClient ? "too many connections from your address" : "too many connections"
                var bytes: [UInt8] = []
                IMAPResponseEncoder().encode(
                    .untagged(.condition(.bye, IMAPResponseText(code: .unavailable, text: "\(text), try again later"))), into: &bytes)
                return ByteBuffer(bytes: bytes)
            },
            makeMachine: { IMAPSession(configuration: configuration) })
    }
}
