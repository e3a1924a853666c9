// Runs an SMTP session's effects off the event loop (DESIGN.md rule 2):
// authentication, recipient lookup, pauses and the spool operations. Here
// temporary failures get their log line (STYLE.md rule 8); passwords and
// message bytes are never logged. Also the authenticator over the account
// store that the Suite plugs in.
import DNS
import Logging
import MailStore
import NIOCore
import Transport

public struct SMTPPerformer: EffectPerformer {
    public typealias Machine = SMTPSession

    let spool: any MessageSpool
    let authenticator: any SMTPAuthenticator
    let resolver: any RecipientResolver
    /// For the client's name in Received; nil answers "unknown".
    let dns: (any DNSLookup)?

    public init(
        spool: any MessageSpool, authenticator: any SMTPAuthenticator, resolver: any RecipientResolver,
        dns: (any DNSLookup)? = nil
    ) {
        self.spool = spool
        self.authenticator = authenticator
        self.resolver = resolver
        self.dns = dns
    }

    public func perform(_ effect: SMTPEffect, context: EffectContext) async -> SMTPEffectResult {
        let logger = context.logger
        switch effect {
        case .lookUpPeerName(let address):
            guard let dns else { return .peerName(nil) }
            return .peerName(await PeerNameLookup.verifiedName(of: address, using: dns))
        case .authenticate(let username, let password):
            let outcome = await authenticator.authenticate(username: username, password: password)
            switch outcome {
            case .authenticated:
                logger.info("authenticated \(username.prefix(64))")
            case .invalidCredentials:
                logger.notice("failed authentication for \(username.prefix(64))")
            case .temporaryFailure(let reason):
                logger.warning("authentication unavailable: \(reason)")
            }
            return .authenticated(outcome)
        case .lookupRecipient(let address):
            let status = await resolver.lookup(address)
            if case .temporaryFailure(let reason) = status {
                logger.warning("recipient lookup for \(address) failed: \(reason)")
            }
            return .recipient(status)
        case .expand(let address):
            let status = await resolver.expand(address)
            if case .temporaryFailure(let reason) = status {
                logger.warning("expansion of \(address) failed: \(reason)")
            }
            return .expansion(status)
        case .pause(let duration):
            try? await Task.sleep(for: duration)
            return .paused
        case .beginMessage(let envelope):
            do {
                return .begun(try await spool.begin(envelope))
            } catch {
                logger.error("cannot open a queue entry: \(error)")
                return .beginFailed("\(error)")
            }
        case .appendChunk(let writer, let bytes):
            do {
                try await writer.append(bytes)
                return .appended
            } catch {
                logger.error("cannot write queue entry \(writer.queueID): \(error)")
                return .appendFailed("\(error)")
            }
        case .commit(let writer, let final, let header):
            return await commit(writer, final: final, header: header, logger: logger)
        case .abort(let writer):
            await writer.abort()
            logger.debug("discarded queue entry \(writer.queueID)")
            return .aborted
        }
    }

    private func commit(
        _ writer: any SpoolWriter, final: ByteBuffer, header: String, logger: Logger
    ) async -> SMTPEffectResult {
        do {
            if final.readableBytes > 0 {
                try await writer.append(final)
            }
        } catch {
            logger.error("cannot write queue entry \(writer.queueID): \(error)")
            await writer.abort()
            return .commitFailed("\(error)")
        }
        do {
            let id = try await writer.commit(prepending: header)
            logger.info("queued \(id)")
            return .committed(id)
        } catch {
            logger.error("cannot commit queue entry \(writer.queueID): \(error)")
            return .commitFailed("\(error)")
        }
    }
}

/// Authentication against the account store: the user name is the
/// account's address; the identity's address is the account's.
public struct AccountAuthenticator: SMTPAuthenticator {
    let accounts: AccountStore

    public init(accounts: AccountStore) {
        self.accounts = accounts
    }

    public func authenticate(username: String, password: String) async -> SMTPAuthOutcome {
        guard let account = await accounts.verify(username: username, password: password) else {
            return .invalidCredentials
        }
        return .authenticated(SMTPIdentity(username: username, addresses: [SMTPMailbox(account.address)]))
    }
}
