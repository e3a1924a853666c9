// The SMTP session's envelope commands: EHLO/HELO, MAIL, RCPT (with the
// relay policy and the recipient lookup), VRFY and EXPN.
import MailStore
import NIOCore
import Transport

extension SMTPSession {
    // MARK: - EHLO and HELO

    /// RFC 5321 §4.1.1.1; a new EHLO resets the transaction like RSET (§4.1.4).
    mutating func hello(_ domain: String, extended: Bool) -> [Action] {
        session.helo = domain
        session.extended = extended
        let client = "\(domain) [\(session.remoteIP)]"
        let reply: SMTPReply
        if extended {
            let keywords = SMTPCommandTable.ehloKeywords(
                maxMessageSize: configuration.maxMessageSize,
                offersStartTLS: configuration.startTLSAvailable && !session.isTLS,
                offersAuth: authOffered)
            reply = .ehlo(hostname: configuration.hostname, client: client, keywords: keywords)
        } else {
            reply = .helo(hostname: configuration.hostname, client: client)
        }
        return discardTransaction(then: [send(reply)])
    }

    // MARK: - MAIL

    mutating func mail(_ path: ReversePath, _ parameters: MailParameters) -> [Action] {
        // RFC 1870 §6.1: refuse a declared size over the limit at once.
        if let size = parameters.size, size > configuration.maxMessageSize {
            return [send(.declaredTooBig(limit: configuration.maxMessageSize))]
        }
        // RFC 6531 §3.5: a UTF-8 sender needs SMTPUTF8 (550 5.6.7).
        if path.mailbox?.isInternationalized == true && !parameters.smtpUTF8 {
            return [send(.nonASCIISender)]
        }
        // RFC 6409 §6.1: the sender must be authorized by the authentication
        // used (553 5.7.1, as Postfix's sender-login check; the RFC suggests 550).
        if let identity = session.identity, !mayUse(path, identity) {
            return [send(.senderNotOwned(path, user: identity.username))]
        }
        transaction = MailTransaction(reversePath: path, parameters: parameters)
        return [send(.senderOK(path))]
    }

    /// An authenticated user sends as one of their own addresses, one
    /// configured for them, or with the null path.
    func mayUse(_ path: ReversePath, _ identity: SMTPIdentity) -> Bool {
        guard let mailbox = path.mailbox else { return true }
        let wanted = mailbox.description.lowercased()
        if identity.addresses.contains(where: { $0.description.lowercased() == wanted }) { return true }
        var extra = configuration.extraSenders[identity.username.lowercased()] ?? []
        for address in identity.addresses {
            extra += configuration.extraSenders[address.description.lowercased()] ?? []
        }
        return extra.contains { allowed in
            let allowed = allowed.lowercased()
            return allowed.hasPrefix("@") ? allowed.dropFirst() == mailbox.domain.lowercased() : allowed == wanted
        }
    }

    // MARK: - RCPT

    mutating func rcpt(_ path: ForwardPath, _ parameters: RcptParameters) -> [Action] {
        guard let transaction else { return [send(SMTPCommandTable.sequenceReply(.rcpt, in: phase))] }
        // RFC 5321 §4.5.3.1.10: over the limit, 452 and the earlier recipients stay.
        guard transaction.recipients.count < configuration.maxRecipients else {
            return [send(.tooManyRecipients)]
        }
        let mailbox: SMTPMailbox
        switch path {
        case .postmaster:
            // RFC 5321 §4.1.1.3: "<Postmaster>" is always accepted.
            guard let postmaster = try? SMTPMailbox("postmaster@" + configuration.postmasterDomain) else {
                return [send(.lookupFailed)]
            }
            return accept(EnvelopeRecipient(
                address: postmaster, notify: parameters.notify, originalRecipient: parameters.originalRecipient))
        case .mailbox(let given):
            mailbox = given
        }
        // RFC 6531 §3.5: a UTF-8 recipient needs SMTPUTF8 on MAIL (553 5.6.7).
        if mailbox.isInternationalized && !transaction.parameters.smtpUTF8 {
            return [send(.nonASCIIRecipient)]
        }
        let recipient = EnvelopeRecipient(
            address: mailbox, notify: parameters.notify, originalRecipient: parameters.originalRecipient)
        switch configuration.relayPolicy.decide(mailbox, client: relayClient) {
        case .relay:
            return accept(recipient)
        case .reject(let reply):
            return [send(reply)]
        case .lookUpLocally:
            // RFC 5321 §4.5.1: postmaster exists in every local domain.
            if mailbox.localPart.lowercased() == "postmaster" {
                return accept(recipient)
            }
            // Accounts are ASCII: a UTF-8 local part names nobody here.
            guard let address = mailbox.mailAddress else {
                return [send(.unknownUser(mailbox))]
            }
            state = .waiting(.lookup(recipient))
            return [.perform(.lookupRecipient(address))]
        }
    }

    mutating func recipientLookedUp(_ recipient: EnvelopeRecipient, _ status: RecipientStatus) -> [Action] {
        switch status {
        case .exists:
            return accept(recipient)
        case .unknown:
            return [send(.unknownUser(recipient.address))]
        case .temporaryFailure:
            return [send(.lookupFailed)]
        }
    }

    /// Adds the recipient (once: a repeated RCPT is answered but not
    /// delivered twice).
    private mutating func accept(_ recipient: EnvelopeRecipient) -> [Action] {
        guard var open = transaction else { return [send(SMTPCommandTable.sequenceReply(.rcpt, in: phase))] }
        if !open.contains(recipient.address) {
            open.recipients.append(recipient)
        }
        transaction = open
        return [send(.recipientOK(recipient.address))]
    }

    // MARK: - VRFY and EXPN

    /// RFC 5321 §3.5.3: off by default (252); when on, local addresses only.
    mutating func vrfy(_ argument: String) -> [Action] {
        guard configuration.allowVRFY else { return [send(.cannotVerify)] }
        guard let mailbox = verifyArgument(argument) else {
            return [send(SMTPReply(501, .badRecipientSyntax, "bad address \(SMTPReply.quoted(argument))"))]
        }
        guard configuration.relayPolicy.isLocal(domain: mailbox.domain), let address = mailbox.mailAddress else {
            return [send(.cannotVerify)]
        }
        state = .waiting(.verify(mailbox))
        return [.perform(.lookupRecipient(address))]
    }

    /// RFC 5321 §3.5.2: off by default (502).
    mutating func expn(_ argument: String) -> [Action] {
        guard configuration.allowEXPN else { return [send(.expnDisabled)] }
        guard let mailbox = verifyArgument(argument), configuration.relayPolicy.isLocal(domain: mailbox.domain),
            let address = mailbox.mailAddress
        else {
            return [send(SMTPReply(550, .badMailbox, "no such list \(SMTPReply.quoted(argument))"))]
        }
        state = .waiting(.expand(mailbox))
        return [.perform(.expand(address))]
    }

    mutating func verified(_ mailbox: SMTPMailbox, _ status: RecipientStatus) -> [Action] {
        switch status {
        case .exists: return [send(.verified(mailbox.description))]
        case .unknown: return [send(.unknownUser(mailbox))]
        case .temporaryFailure: return [send(.lookupFailed)]
        }
    }

    mutating func expanded(_ mailbox: SMTPMailbox, _ status: ExpansionStatus) -> [Action] {
        switch status {
        case .members(let members) where !members.isEmpty:
            return [send(SMTPReply(250, .recipientValid, members.map { "<\($0)>" }))]
        case .members, .unknown:
            return [send(.unknownUser(mailbox))]
        case .temporaryFailure:
            return [send(.lookupFailed)]
        }
    }

    /// "user", "user@domain" or "<user@domain>"; a bare name is in the
    /// postmaster domain.
    private func verifyArgument(_ argument: String) -> SMTPMailbox? {
        var text = Substring(argument)
        if text.hasPrefix("<") && text.hasSuffix(">") {
            text = text.dropFirst().dropLast()
        }
        let full = text.contains("@") ? String(text) : "\(text)@\(configuration.postmasterDomain)"
        return try? SMTPMailbox(full)
    }
}

extension SMTPCommandTable {
    /// The EHLO keywords, in the order clients are used to (RFC 5321
    /// §4.1.1.1): one per extension the server honours.
    public static func ehloKeywords(maxMessageSize: Int, offersStartTLS: Bool, offersAuth: Bool) -> [String] {
        var keywords = [
            "PIPELINING",  // RFC 2920
            "SIZE \(maxMessageSize)",  // RFC 1870
            "8BITMIME",  // RFC 6152
            "ENHANCEDSTATUSCODES",  // RFC 2034
        ]
        if offersStartTLS { keywords.append(SMTPVerb.startTLS.rawValue) }  // RFC 3207
        if offersAuth { keywords.append("AUTH PLAIN LOGIN") }  // RFC 4954
        keywords += [
            "DSN",  // RFC 3461
            "SMTPUTF8",  // RFC 6531
            "CHUNKING",  // RFC 3030: the BDAT verb
            SMTPVerb.help.rawValue,
        ]
        return keywords
    }
}
