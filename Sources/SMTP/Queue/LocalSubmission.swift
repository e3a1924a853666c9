// `chappe send`: a message from a local program (cron, git send-email,
// mail(1)) on its way into the queue, as sendmail(8) takes it. Pure: the
// bytes and the options in, the envelope and the bytes to queue out.
//   -t   recipients from To, Cc and Bcc (plus those given), Bcc removed
//   -f   the envelope sender (default: the user at the first local domain)
//   -i   a line with a single "." does not end the message (without it,
//        sendmail's traditional rule: it does)
// Missing Date, Message-ID and From are added (RFC 6409 §8.2, §8.3); line
// endings become CRLF, as a message received over SMTP has them.
import Foundation
import MIME

public struct LocalSubmission: Sendable {
    public var extractRecipients = false
    public var ignoreDots = false
    public var sender: String?
    public var recipients: [String] = []
    /// The login name of the submitting user.
    public var user: String
    /// The domain for the default sender and unqualified addresses.
    public var domain: String
    /// For Message-ID.
    public var hostname: String
    /// Who submitted it, for the Received field: this process, or the owner
    /// of a maildrop file.
    public var userID: UInt32 = getuid()

    public init(user: String, domain: String, hostname: String) {
        self.user = user
        self.domain = domain
        self.hostname = hostname
    }

    public struct Prepared: Sendable, Equatable {
        public var envelope: Envelope
        public var message: [UInt8]
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case badAddress(String, reason: String)
        case noRecipients
        case emptyMessage

        public var description: String {
            switch self {
            case .badAddress(let text, let reason): return "bad address \"\(text)\": \(reason)"
            case .noRecipients: return "no recipients: give them as arguments, or use -t to take them from To, Cc and Bcc"
            case .emptyMessage: return "the message on standard input is empty"
            }
        }
    }

    public func prepare(_ input: [UInt8], now: Date, zoneOffsetMinutes: Int = 0) throws(Failure) -> Prepared {
        var lines = Self.lines(of: input)
        if !ignoreDots, let end = lines.firstIndex(of: Array(".".utf8)) { lines.removeSubrange(end...) }
        guard lines.contains(where: { !$0.isEmpty }) else { throw .emptyMessage }
        let blank = lines.firstIndex(where: \.isEmpty) ?? lines.count
        var header = Array(lines[..<blank])
        let body = Array(lines[blank...].dropFirst())

        var addresses = recipients
        if extractRecipients {
            for name in ["to", "cc", "bcc"] {
                for value in Self.fieldValues(named: name, in: header) {
                    addresses += AddressList(parsing: Array(value.utf8)).addresses.flatMap(\.mailboxes).map(\.address)
                }
            }
            header = Self.removing(field: "bcc", from: header)
        }
        let senderText = sender ?? "\(user)@\(domain)"
        let reversePath: ReversePath
        if senderText.isEmpty || senderText == "<>" {
            reversePath = .null
        } else {
            reversePath = .mailbox(try qualified(senderText))
        }
        var seen = Set<SMTPMailbox>()
        var envelopeRecipients: [EnvelopeRecipient] = []
        for text in addresses {
            for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
                let mailbox = try qualified(part)
                if seen.insert(mailbox).inserted { envelopeRecipients.append(EnvelopeRecipient(address: mailbox)) }
            }
        }
        guard !envelopeRecipients.isEmpty else { throw .noRecipients }

        if Self.fieldValues(named: "from", in: header).isEmpty {
            header.append(Array("From: \(reversePath.mailbox?.description ?? "\(user)@\(domain)")".utf8))
        }
        if Self.fieldValues(named: "date", in: header).isEmpty {
            header.append(Array("Date: \(MIMEDate(now, zoneOffsetMinutes: zoneOffsetMinutes))".utf8))
        }
        if Self.fieldValues(named: "message-id", in: header).isEmpty {
            let token = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            header.append(Array("Message-ID: <\(token).\(Int(now.timeIntervalSince1970))@\(hostname)>".utf8))
        }
        var message: [UInt8] = []
        for line in header { message += line + [13, 10] }
        message += [13, 10]
        for line in body { message += line + [13, 10] }
        let eightBit = message.contains { $0 >= 0x80 }
        let envelope = Envelope(
            reversePath: reversePath, recipients: envelopeRecipients, body: eightBit ? .eightBitMIME : .sevenBit,
            smtpUTF8: envelopeRecipients.contains { $0.address.isInternationalized }, declaredSize: nil,
            authenticatedUser: user, clientAddress: "local", clientHelo: nil, listener: "send", isSubmission: true,
            receivedAt: now)
        return Prepared(envelope: envelope, message: message)
    }

    /// RFC 5321 §4.4: a local submission has no "from" clause.
    public func receivedField(id: QueueID, now: Date, zoneOffsetMinutes: Int) -> String {
        "Received: by \(hostname) (chappe send, from userid \(userID))\r\n\tid \(id); \(MIMEDate(now, zoneOffsetMinutes: zoneOffsetMinutes))\r\n"
    }

    /// `user` alone gets the local domain, as sendmail does.
    private func qualified(_ text: String) throws(Failure) -> SMTPMailbox {
        var text = text
        if text.hasPrefix("<") && text.hasSuffix(">") { text = String(text.dropFirst().dropLast()) }
        if !text.contains("@") { text += "@" + domain }
        do {
            return try SMTPMailbox(text)
        } catch {
            throw .badAddress(text, reason: error.reason)
        }
    }

    /// Lines without their ending (CRLF or LF); a last line without one counts.
    static func lines(of input: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in input {
            if byte == 10 {
                if current.last == 13 { current.removeLast() }
                lines.append(current)
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The unfolded values of the fields named `name` (case-insensitive).
    static func fieldValues(named name: String, in header: [[UInt8]]) -> [String] {
        var values: [String] = []
        var collecting = false
        for line in header {
            if let first = line.first, first == 32 || first == 9 {
                if collecting, !values.isEmpty { values[values.count - 1] += String(decoding: line, as: UTF8.self) }
                continue
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else {
                collecting = false
                continue
            }
            collecting = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == name
            if collecting { values.append(String(text[text.index(after: colon)...])) }
        }
        return values
    }

    /// The header without the fields named `name` and their continuation lines.
    static func removing(field name: String, from header: [[UInt8]]) -> [[UInt8]] {
        var kept: [[UInt8]] = []
        var dropping = false
        for line in header {
            if let first = line.first, first == 32 || first == 9 {
                if !dropping { kept.append(line) }
                continue
            }
            let text = String(decoding: line, as: UTF8.self)
            dropping = text.firstIndex(of: ":").map { text[..<$0].trimmingCharacters(in: .whitespaces).lowercased() == name } ?? false
            if !dropping { kept.append(line) }
        }
        return kept
    }
}
