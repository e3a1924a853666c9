// `chappe send` and `chappe queue`: what the thin CLI commands call.
// send and list/show work on data_dir/queue directly (no server needed);
// flush and delete ask the running server over its control socket
// (STYLE.md rule 14), and send tells it about the new entry when it runs.
import Foundation
import NIOCore
import SMTP

public enum QueueTools {
    public struct Failure: Error, CustomStringConvertible {
        /// 1: runtime, 2: usage.
        public let status: Int32
        public let description: String
    }

    // MARK: - send

    /// Queues the message durably (fsynced) and returns its id; a running
    /// server is told at once, else it finds the entry when it starts.
    public static func send(
        _ input: [UInt8], recipients: [String], sender: String?, extractRecipients: Bool, ignoreDots: Bool,
        configuration: ChappeConfiguration
    ) async throws(Failure) -> String {
        let domain = configuration.smtp.localDomains.first ?? configuration.hostname
        var submission = LocalSubmission(user: NSUserName(), domain: domain, hostname: configuration.hostname)
        submission.recipients = recipients
        submission.sender = sender
        submission.extractRecipients = extractRecipients
        submission.ignoreDots = ignoreDots
        let now = Date()
        let prepared: LocalSubmission.Prepared
        do {
            prepared = try submission.prepare(input, now: now, zoneOffsetMinutes: TimeZone.current.secondsFromGMT(for: now) / 60)
        } catch {
            throw Failure(status: 2, description: "\(error)")
        }
        guard prepared.message.count <= configuration.smtp.maxMessageSize else {
            throw Failure(status: 1, description: "the message is larger than [smtp] max_message_size (\(configuration.smtp.maxMessageSize) octets)")
        }
        let dataDirectory = configuration.dataDirectory.path
        let queueDirectory = SMTPSettings.queueDirectory(dataDirectory: dataDirectory)
        // A user who may not write the queue (the server's, mode 0700)
        // leaves the input in the maildrop, as given: the server prepares
        // it again as that user's, which is what makes it trustworthy.
        if access(queueDirectory + "/tmp", W_OK) != 0 && access(Maildrop.directory(inQueue: queueDirectory), W_OK) == 0 {
            let options = Maildrop.Options(
                recipients: recipients, sender: sender, extractRecipients: extractRecipients, ignoreDots: ignoreDots)
            do {
                let name = try Maildrop.drop(input, options: options, queueDirectory: queueDirectory)
                return "maildrop/\(name)"
            } catch {
                throw Failure(status: 1, description: "\(error)")
            }
        }
        let id: QueueID
        do {
            let queue = try FileQueue(directory: queueDirectory, sweeping: false)
            let writer = try await queue.begin(prepared.envelope)
            var buffer = ByteBuffer()
            buffer.writeBytes(prepared.message)
            try await writer.append(buffer)
            id = try await writer.commit(
                prepending: submission.receivedField(
                    id: writer.queueID, now: now, zoneOffsetMinutes: TimeZone.current.secondsFromGMT(for: now) / 60))
        } catch {
            throw Failure(status: 1, description: "cannot queue the message: \(error)")
        }
        _ = try? await ControlSocket.send("QUEUE-KICK", dataDirectory: dataDirectory)
        return id.rawValue
    }

    // MARK: - list, show

    /// `mailq`-like lines: id, size, arrival, sender, then each recipient
    /// with its state and last error.
    public static func list(configuration: ChappeConfiguration) async throws(Failure) -> [String] {
        let queue = try open(configuration)
        var lines: [String] = []
        do {
            for id in try await queue.activeIDs() {
                guard let entry = try? await queue.entry(id) else {
                    lines.append("\(id)  (unreadable)")
                    continue
                }
                lines += describe(entry, verbose: false)
            }
        } catch {
            throw Failure(status: 1, description: "cannot read the queue: \(error)")
        }
        return lines.isEmpty ? ["the queue is empty"] : lines
    }

    /// The entry's envelope in full, then its message.
    public static func show(_ text: String, configuration: ChappeConfiguration) async throws(Failure) -> [String] {
        guard let id = QueueID(text) else { throw Failure(status: 2, description: "\"\(text)\" is not a queue id") }
        let queue = try open(configuration)
        do {
            let entry = try await queue.entry(id)
            let message = try await queue.message(id)
            return describe(entry, verbose: true) + [""] + [String(decoding: message, as: UTF8.self)]
        } catch {
            throw Failure(status: 1, description: "\(error)")
        }
    }

    // MARK: - flush, delete

    public static func control(_ command: String, configuration: ChappeConfiguration) async throws(Failure) -> [String] {
        let reply: ControlReply
        do {
            reply = try await ControlSocket.send(command, dataDirectory: configuration.dataDirectory.path)
        } catch {
            throw Failure(status: 1, description: "\(error)")
        }
        if let error = reply.error { throw Failure(status: 1, description: error) }
        return reply.lines
    }

    // MARK: -

    private static func open(_ configuration: ChappeConfiguration) throws(Failure) -> FileQueue {
        do {
            return try FileQueue(
                directory: SMTPSettings.queueDirectory(dataDirectory: configuration.dataDirectory.path), sweeping: false)
        } catch {
            throw Failure(status: 1, description: "cannot open the queue: \(error)")
        }
    }

    static func describe(_ entry: QueueEntry, verbose: Bool) -> [String] {
        var lines = ["\(entry.id)  \(entry.size)  \(entry.arrival.formatted(.iso8601))  \(entry.envelope.reversePath)"]
        for recipient in entry.recipients {
            var line = "    \(recipient.address)  \(recipient.state.word)"
            switch recipient.state {
            case .deferred(_, let next): line += " until \(next.formatted(.iso8601))"
            case .delivered(let at), .failed(_, let at): line += " \(at.formatted(.iso8601))"
            case .pending: break
            }
            if let error = recipient.lastError { line += "  (\(error))" }
            lines.append(line)
        }
        if verbose {
            lines.append("attempts: \(entry.attempts)")
            lines.append("client: \(entry.envelope.clientAddress) \(entry.envelope.clientHelo ?? "") via \(entry.envelope.listener)")
            if let user = entry.envelope.authenticatedUser { lines.append("authenticated: \(user)") }
            if let id = entry.envelope.envelopeID { lines.append("envid: \(id)") }
            if let ret = entry.envelope.ret { lines.append("ret: \(ret.rawValue)") }
        }
        return lines
    }
}
