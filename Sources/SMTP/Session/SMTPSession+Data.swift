// The SMTP session's message transfer: DATA (RFC 5321 §4.1.1.4, dot-stuffed,
// only CRLF.CRLF ends it) and BDAT (RFC 3030, counted chunks), streaming
// to the spool, with the size cap (RFC 1870), the loop guard (Received
// fields, RFC 5321 §6.3) and the smuggling defence (bare CR/LF refused).
//
// Flow: DATA or the first BDAT opens a spool entry (beginMessage); bytes
// gather in `MessageReception.pending` and go to the spool in pieces of
// `spoolChunkSize` (appendChunk, input paused meanwhile); at the end the
// rest goes with the Received field in `commit`, and 250 is sent only
// when commit returns (DESIGN.md rule 3). A failure is remembered, the
// rest of the data read and dropped, the entry aborted and the failure
// answered at the real end of the data.
//
// DATA lines longer than 1000 octets (RFC 5321 §4.5.3.1.6) are accepted:
// the limit is what a server must at least take, refusing would lose
// mail, and memory is bounded by chunking, not by lines.
import NIOCore
import Transport

extension SMTPSession {
    // MARK: - Commands

    mutating func data() -> [Action] {
        guard let transaction else { return [send(SMTPCommandTable.sequenceReply(.data, in: phase))] }
        state = .waiting(.begin(.data))
        return [.perform(.beginMessage(envelope(transaction)))]
    }

    mutating func bdat(size: Int, last: Bool) -> [Action] {
        guard var open = transaction else { return [send(SMTPCommandTable.sequenceReply(.bdat, in: phase))] }
        let transfer = Transfer.chunk(size: size, last: last)
        // RFC 5321 §4.5.3.2.5: the data-block timeout while the chunk comes.
        let framing: [Action] = [.expect(.counted(size)), .setReadTimeout(configuration.dataBlockTimeout)]
        if let reception = open.chunks {
            open.chunks = nil
            transaction = open
            state = .receiving(reception, transfer)
            return framing
        }
        // The first chunk: the framer is set first, so the chunk's bytes
        // wait, unread, while the spool entry opens.
        state = .waiting(.begin(transfer))
        return framing + [.perform(.beginMessage(envelope(open)))]
    }

    mutating func begun(_ writer: any SpoolWriter, _ transfer: Transfer) -> [Action] {
        state = .receiving(MessageReception(writer: writer), transfer)
        guard transfer == .data else { return [] }
        // RFC 5321 §4.5.2: only CRLF.CRLF ends the data; bare CR/LF per configuration.
        let options = DotStuffedOptions(maxBytes: configuration.maxMessageSize, lineEndings: configuration.dataLineEndings)
        return [.expect(.dotStuffed(options)), send(.startData), .setReadTimeout(configuration.dataBlockTimeout)]
    }

    mutating func beginFailed(_ transfer: Transfer) -> [Action] {
        guard transfer == .data else {
            // The chunk is already coming: read it, drop it, then 451.
            transaction?.chunkingFailed = true
            state = .discarding(.spoolFailure)
            return []
        }
        state = .commands
        return [send(.spoolFailure)]
    }

    // MARK: - Bytes

    mutating func receive(_ chunk: ByteBuffer, _ reception: MessageReception, _ transfer: Transfer) -> [Action] {
        var reception = reception
        if reception.failure == nil {
            reception.counter.scan(chunk.readableBytesView)
            if reception.counter.count > configuration.maxReceivedFields {
                // The loop guard (RFC 5321 §6.3).
                reception.failure = .loop
                reception.pending.clear()
            } else if transfer != .data && reception.octets + chunk.readableBytes > configuration.maxMessageSize {
                // RFC 1870 §6.3 for BDAT; DATA's cap is in the framer.
                reception.failure = .tooLarge
                reception.pending.clear()
            } else {
                reception.octets += chunk.readableBytes
                var bytes = chunk
                reception.pending.writeBuffer(&bytes)
            }
        }
        if reception.failure == nil, reception.pending.readableBytes >= configuration.spoolChunkSize,
            let writer = reception.writer
        {
            let bytes = reception.pending
            reception.pending = ByteBuffer()
            state = .waiting(.append(reception, transfer, chunkDone: false))
            return [.perform(.appendChunk(writer, bytes))]
        }
        state = .receiving(reception, transfer)
        return []
    }

    mutating func endOfData(_ reception: MessageReception, _ transfer: Transfer, _ error: PayloadError?) -> [Action] {
        var reception = reception
        if reception.failure == nil, let error {
            reception.failure = error == .tooLarge ? .tooLarge : .bareLineEnding
        }
        guard transfer.endsMessage else { return chunkEnded(reception, transfer) }
        return messageEnded(reception)
    }

    mutating func appended(
        _ reception: MessageReception, _ transfer: Transfer, chunkDone: Bool, failed: Bool
    ) -> [Action] {
        var reception = reception
        if failed && reception.failure == nil {
            reception.failure = .spool
        }
        guard chunkDone else {
            state = .receiving(reception, transfer)
            return []
        }
        return chunkEnded(reception, transfer)
    }

    // MARK: - Ends

    /// A BDAT chunk without LAST is in: 250 (RFC 3030 §2), or the failure.
    private mutating func chunkEnded(_ reception: MessageReception, _ transfer: Transfer) -> [Action] {
        var reception = reception
        let afterwards: Action = .setReadTimeout(configuration.commandTimeout)
        if let failure = reception.failure {
            // RFC 3030 §2: the transaction failed; RSET is needed.
            transaction?.chunks = nil
            transaction?.chunkingFailed = true
            return abort(reception.writer, then: [send(reply(for: failure)), afterwards])
        }
        guard case .chunk(let size, _) = transfer else { return [] }
        if reception.pending.readableBytes >= configuration.spoolChunkSize, let writer = reception.writer {
            let bytes = reception.pending
            reception.pending = ByteBuffer()
            state = .waiting(.append(reception, .chunk(size: size, last: false), chunkDone: true))
            return [.perform(.appendChunk(writer, bytes))]
        }
        transaction?.chunks = reception
        state = .commands
        return [send(.chunkReceived(size)), afterwards]
    }

    /// The end of DATA or of BDAT LAST: commit, or abort and refuse.
    private mutating func messageEnded(_ reception: MessageReception) -> [Action] {
        if let failure = reception.failure {
            // The transaction is over either way (RFC 5321 §4.1.1.4).
            transaction = nil
            return abort(reception.writer, then: [send(reply(for: failure)), .setReadTimeout(configuration.commandTimeout)])
        }
        guard let open = transaction, let writer = reception.writer else {
            return finished(.spoolFailure)
        }
        let now = clock.now()
        let stamp = ReceivedStamp(
            heloName: session.helo, clientIP: session.remoteIP, clientHostName: session.clientHostName,
            serverHostname: configuration.hostname,
            withProtocol: ReceivedProtocol(
                extended: session.extended, tls: session.isTLS, authenticated: session.identity != nil,
                smtpUTF8: open.parameters.smtpUTF8),
            queueID: writer.queueID.rawValue,
            recipient: open.recipients.count == 1 ? open.recipients[0].address : nil,
            date: now, zoneOffsetMinutes: clock.zoneOffsetMinutes(now))
        state = .waiting(.commit)
        return [.perform(.commit(writer, final: reception.pending, header: ReceivedHeader.field(stamp)))]
    }

    /// After commit (or its failure): the transaction is over.
    mutating func finished(_ reply: SMTPReply) -> [Action] {
        transaction = nil
        state = .commands
        return [send(reply), .setReadTimeout(configuration.commandTimeout)]
    }

    private mutating func abort(_ writer: (any SpoolWriter)?, then actions: [Action]) -> [Action] {
        guard let writer else {
            state = .commands
            return actions
        }
        state = .waiting(.abort(then: actions, closing: false))
        return [.perform(.abort(writer))]
    }

    private func reply(for failure: ReceptionFailure) -> SMTPReply {
        switch failure {
        case .tooLarge: return .messageTooBig(limit: configuration.maxMessageSize)
        case .bareLineEnding: return .bareLineEndingInData
        case .loop: return .mailLoop(limit: configuration.maxReceivedFields)
        case .spool: return .spoolFailure
        }
    }

    // MARK: - The envelope

    func envelope(_ transaction: MailTransaction) -> Envelope {
        Envelope(
            reversePath: transaction.reversePath,
            recipients: transaction.recipients,
            envelopeID: transaction.parameters.envelopeID,
            ret: transaction.parameters.ret,
            body: transaction.parameters.body ?? .sevenBit,
            smtpUTF8: transaction.parameters.smtpUTF8,
            declaredSize: transaction.parameters.size,
            authenticatedUser: session.identity?.username,
            clientAddress: session.remoteIP,
            clientHelo: session.helo,
            listener: session.connection?.listener ?? "smtp",
            isSubmission: session.role == .submission,
            receivedAt: clock.now())
    }
}
