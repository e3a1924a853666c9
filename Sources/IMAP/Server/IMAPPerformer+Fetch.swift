// FETCH (RFC 9051 §6.4.5): each message's items in the order asked, body
// sections cut from the file by the index's byte ranges, \Seen set on a
// non-PEEK body fetch of a read-write mailbox. A whole message larger than
// `streamingThreshold` goes out as a literal streamed from its file through
// the effect's output, chunk by chunk, so it is never in memory whole and a
// slow reader slows the reading (Transport waits for each write).
import Foundation
import MailStore
import NIOCore
import Transport

extension IMAPPerformer {
    /// Whole messages above this many bytes are streamed, not buffered.
    static let streamingThreshold = 64 * 1024
    /// Output is written out whenever this much has gathered.
    static let outputChunk = 64 * 1024

    /// One item of a message's FETCH response: a value in memory, or a
    /// whole message to stream.
    private enum Item {
        case value(IMAPFetchValue)
        case stream(IMAPStreamingFetchItem, any IMAPMessageReader, wireSize: Int, normalize: Bool)
    }

    func fetch(_ access: any IMAPMailAccess, _ request: IMAPFetchRequest, context: EffectContext) async -> IMAPFetchOutcome {
        var outcome = IMAPFetchOutcome(tail: [], seen: [], failure: nil, isBroken: false)
        let attributes = request.attributes
        let needsStructure = attributes.contains { attribute in
            switch attribute {
            case .envelope, .body, .bodyStructure, .rfc822Header, .rfc822Text, .binary, .binarySize: return true
            case .bodySection(let section, _, _): return section != .complete
            default: return false
            }
        }
        // A large set reads the whole mailbox rather than going by UID lists.
        let wanted = request.messages.map(\.uid)
        let lookup: [UInt32]? = wanted.count > 256 ? nil : wanted
        var summaries: [UInt32: MessageSummary] = [:]
        var details: [UInt32: MessageDetails] = [:]
        do throws(StoreError) {
            if needsStructure {
                for detail in try await access.messageDetails(in: request.mailbox, uids: lookup) {
                    details[detail.summary.uid] = detail
                    summaries[detail.summary.uid] = detail.summary
                }
            } else {
                for summary in try await access.messages(in: request.mailbox, uids: lookup) {
                    summaries[summary.uid] = summary
                }
            }
            if request.setsSeen && attributes.contains(where: Self.setsSeen) {
                // RFC 9051 §6.4.5: a non-PEEK body fetch sets \Seen.
                let unseen = wanted.filter { uid in summaries[uid].map { !$0.flags.contains(.seen) } ?? false }
                if !unseen.isEmpty {
                    let update = try await access.store(.add(.seen), uids: unseen, in: request.mailbox, unchangedSince: nil)
                    for state in update.updated {
                        summaries[state.uid]?.flags = state.flags
                        summaries[state.uid]?.modSeq = state.modSeq
                    }
                    outcome.seen = update.updated
                }
            }
        } catch {
            outcome.failure = error
            return outcome
        }
        let seenUIDs = Set(outcome.seen.map(\.uid))
        let needsBytes = attributes.contains(where: Self.readsBytes)
        var prefetched: [UInt32: [UInt8]] = [:]
        var buffer: [UInt8] = []
        for (index, number) in request.messages.enumerated() {
            if needsBytes && index % Self.prefetchBatch == 0 {
                // The next small messages' files in one trip to the store's I/O pool.
                let batch = request.messages[index..<min(index + Self.prefetchBatch, request.messages.count)]
                    .compactMap { summaries[$0.uid] }.filter { $0.size <= Self.streamingThreshold }
                do throws(StoreError) {
                    prefetched = try await access.readMessages(batch, in: request.mailbox)
                } catch {
                    prefetched = [:]
                }
            }
            guard let summary = summaries[number.uid] else { continue }  // expunged meanwhile
            // RFC 7162 §3.1.4.1: CHANGEDSINCE leaves out messages not changed since.
            if let changedSince = request.changedSince, summary.modSeq <= changedSince { continue }
            let items: [Item]
            do throws(StoreError) {
                items = try await self.items(
                    of: summary, details[number.uid], bytes: prefetched[number.uid], request: request, access: access,
                    addFlags: seenUIDs.contains(number.uid))
            } catch {
                if case .noSuchMessage = error { continue }
                if case .messageVanished = error { continue }
                outcome.failure = error
                break
            }
            var writer = IMAPFetchResponseWriter(sequenceNumber: number.sequence, options: request.options.encoder, into: &buffer)
            for item in items {
                switch item {
                case .value(let value):
                    writer.write(value, into: &buffer)
                case .stream(let name, let reader, let wireSize, let normalize):
                    writer.writeStreamingHeader(name, size: wireSize, into: &buffer)
                    guard await stream(reader, wireSize: wireSize, normalize: normalize, after: buffer, context: context) else {
                        outcome.isBroken = true
                        return outcome
                    }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            writer.finish(into: &buffer)
            if buffer.count >= Self.outputChunk {
                do {
                    try await context.output.write(ByteBuffer(bytes: buffer))
                } catch {
                    outcome.isBroken = true
                    return outcome
                }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        outcome.tail = buffer
        return outcome
    }

    /// Messages whose files are read together, ahead of their responses.
    static let prefetchBatch = 64

    private static func readsBytes(_ attribute: IMAPFetchAttribute) -> Bool {
        switch attribute {
        case .rfc822, .rfc822Header, .rfc822Text, .bodySection, .binary, .binarySize: return true
        default: return false
        }
    }

    private static func setsSeen(_ attribute: IMAPFetchAttribute) -> Bool {
        switch attribute {
        case .rfc822, .rfc822Text: return true
        case .bodySection(_, _, let peek), .binary(_, _, let peek): return !peek
        default: return false
        }
    }

    /// The values of one message, read before its response starts, so a
    /// message that vanished leaves no half response behind.
    private func items(
        of summary: MessageSummary, _ details: MessageDetails?, bytes: [UInt8]?, request: IMAPFetchRequest,
        access: any IMAPMailAccess, addFlags: Bool
    ) async throws(StoreError) -> [Item] {
        var items: [Item] = []
        var reader: (any IMAPMessageReader)?
        var raw = bytes
        // The index's offsets are the file's; bytes go out with CRLF (the wire size).
        let normalize = summary.wireSize != summary.size
        let flags = IMAPFlag.list(
            summary.flags, keywords: summary.keywords,
            recent: request.options.reportsRecent && request.recent.contains(summary.uid))
        var wroteFlags = false

        func open() async throws(StoreError) -> any IMAPMessageReader {
            if let reader { return reader }
            let opened = try await access.openMessage(in: request.mailbox, uid: summary.uid)
            reader = opened
            return opened
        }
        /// The file's bytes, read once.
        func fileBytes() async throws(StoreError) -> [UInt8] {
            if let raw { return raw }
            let file = try await open()
            let bytes = try await file.read(offset: 0, count: file.size)
            raw = bytes
            return bytes
        }
        func wire(_ bytes: [UInt8]) -> [UInt8] { normalize ? CRLFNormalizer.normalized(bytes) : bytes }
        /// A section's bytes as sent; nil when the section does not exist.
        func section(_ section: IMAPSection) async throws(StoreError) -> [UInt8]? {
            let bytes = try await fileBytes()
            guard let root = details?.bodyStructure,
                let location = IMAPMessageParts.locate(section, root: root, size: bytes.count)
            else { return section == .complete ? wire(bytes) : nil }
            var data = Array(bytes[location.range])
            if let fields = location.fields {
                data = IMAPMessageParts.headerFields(data, names: fields.names, excluded: fields.excluded)
            }
            return wire(data)
        }
        /// BINARY[part]: the part's body with its transfer encoding undone.
        func binary(_ part: [UInt32]) async throws(StoreError) -> [UInt8]? {
            guard !part.isEmpty else { return wire(try await fileBytes()) }
            let bytes = try await fileBytes()
            guard let root = details?.bodyStructure, let node = IMAPMessageParts.part(at: part, in: root),
                let location = IMAPMessageParts.locate(IMAPSection(part: part), root: root, size: bytes.count)
            else { return nil }
            let body = Array(bytes[location.range])
            do throws(IMAPMessageParts.DecodingError) {
                let decoded = try IMAPMessageParts.decode(body, encoding: node.encoding)
                return IMAPMessageParts.isIdentity(node.encoding) ? wire(decoded) : decoded
            } catch {
                return nil
            }
        }

        for attribute in request.attributes {
            switch attribute {
            case .uid: items.append(.value(.uid(summary.uid)))
            case .flags:
                items.append(.value(.flags(flags)))
                wroteFlags = true
            case .internalDate:
                let seconds = Int64(summary.internalDate.timeIntervalSince1970.rounded(.down))
                if let date = IMAPDateTime(secondsSince1970: seconds) { items.append(.value(.internalDate(date))) }
            case .rfc822Size: items.append(.value(.rfc822Size(UInt64(summary.wireSize))))
            case .modSeq: items.append(.value(.modSeq(summary.modSeq)))
            case .envelope:
                items.append(.value(.envelope(IMAPMessageParts.envelope(details?.envelope ?? .empty))))
            case .body, .bodyStructure:
                guard let root = details?.bodyStructure else { continue }
                let extensible = attribute == .bodyStructure
                let value = IMAPMessageParts.structure(root, extensible: extensible)
                items.append(.value(extensible ? .bodyStructure(value) : .body(value)))
            case .rfc822, .bodySection(.complete, nil, _):
                let name: IMAPStreamingFetchItem = attribute == .rfc822 ? .rfc822 : .bodySection(.complete, origin: nil)
                if summary.wireSize > Self.streamingThreshold {
                    items.append(.stream(name, try await open(), wireSize: summary.wireSize, normalize: normalize))
                } else {
                    let bytes = wire(try await fileBytes())
                    items.append(.value(attribute == .rfc822 ? .rfc822(bytes) : .bodySection(.complete, origin: nil, data: bytes)))
                }
            case .rfc822Header:
                items.append(.value(.rfc822Header(try await section(IMAPSection(text: .header)))))
            case .rfc822Text:
                items.append(.value(.rfc822Text(try await section(IMAPSection(text: .text)))))
            case .bodySection(let spec, let partial, _):
                let data = try await section(spec)
                items.append(.value(.bodySection(spec, origin: partial?.offset, data: data.map { Self.cut($0, partial) })))
            case .binary(let part, let partial, _):
                let decoded = try await binary(part)
                items.append(.value(.binary(part: part, origin: partial?.offset, data: decoded.map { Self.cut($0, partial) })))
            case .binarySize(let part):
                let decoded = try await binary(part)
                items.append(.value(.binarySize(part: part, size: UInt64(decoded?.count ?? 0))))
            }
        }
        // RFC 9051 §6.4.5: flags changed by the fetch go out with it.
        if addFlags && !wroteFlags { items.append(.value(.flags(flags))) }
        return items
    }

    /// `<origin.length>` of the data (RFC 9051 §6.4.5 partial).
    static func cut(_ data: [UInt8], _ partial: IMAPPartial?) -> [UInt8] {
        guard let partial else { return data }
        guard partial.offset < UInt64(data.count) else { return [] }
        let start = Int(partial.offset)
        let end = Int(min(UInt64(data.count), partial.offset + partial.length))
        return Array(data[start..<end])
    }

    /// Sends `pending`, then exactly `wireSize` octets of the message; false
    /// when the peer's socket failed or the file no longer has those octets
    /// (the literal cannot be completed: the session must end).
    private func stream(
        _ reader: any IMAPMessageReader, wireSize: Int, normalize: Bool, after pending: [UInt8], context: EffectContext
    ) async -> Bool {
        var normalizer = CRLFNormalizer()
        var sent = 0
        var offset = 0
        var out = pending
        do {
            while offset < reader.size {
                let chunk = try await reader.read(offset: offset, count: min(Self.outputChunk * 4, reader.size - offset))
                guard !chunk.isEmpty else { break }
                offset += chunk.count
                let piece = normalize ? normalizer.normalize(chunk) : chunk
                sent += piece.count
                out += piece
                try await context.output.write(ByteBuffer(bytes: out))
                out.removeAll(keepingCapacity: true)
            }
            let rest = normalizer.finish()
            sent += rest.count
            if !rest.isEmpty { try await context.output.write(ByteBuffer(bytes: rest)) }
        } catch {
            context.logger.error("FETCH stream failed: \(error)")
            return false
        }
        return sent == wireSize
    }
}
