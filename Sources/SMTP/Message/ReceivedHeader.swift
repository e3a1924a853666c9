// The Received field the server prepends to every message it accepts
// (RFC 5321 §4.4): a pure function of what the session knows.
//
//   Received: from client.example (unknown [192.0.2.1])
//           by mail.example.test (Chappe) with ESMTPS id 1F3A9
//           for <bob@example.test>; Tue, 1 Jul 2003 10:52:37 +0200
import Foundation
import MIME
import Transport

/// The protocol names of the WITH clause: RFC 5321 §4.4, RFC 3848 §2
/// (ESMTPA, ESMTPS, ESMTPSA) and RFC 6531 §4.3 (UTF8SMTP…).
public enum ReceivedProtocol: String, Sendable, CaseIterable {
    case smtp = "SMTP"
    case esmtp = "ESMTP"
    case esmtpA = "ESMTPA"
    case esmtpS = "ESMTPS"
    case esmtpSA = "ESMTPSA"
    case utf8SMTP = "UTF8SMTP"
    case utf8SMTPA = "UTF8SMTPA"
    case utf8SMTPS = "UTF8SMTPS"
    case utf8SMTPSA = "UTF8SMTPSA"

    /// HELO sessions are plain SMTP (RFC 3848 names only ESMTP variants).
    public init(extended: Bool, tls: Bool, authenticated: Bool, smtpUTF8: Bool) {
        guard extended else {
            self = .smtp
            return
        }
        switch (smtpUTF8, tls, authenticated) {
        case (false, false, false): self = .esmtp
        case (false, false, true): self = .esmtpA
        case (false, true, false): self = .esmtpS
        case (false, true, true): self = .esmtpSA
        case (true, false, false): self = .utf8SMTP
        case (true, false, true): self = .utf8SMTPA
        case (true, true, false): self = .utf8SMTPS
        case (true, true, true): self = .utf8SMTPSA
        }
    }
}

public struct ReceivedStamp: Sendable, Equatable {
    /// The EHLO/HELO argument (already validated by the parser).
    public var heloName: String?
    /// The client's IP address from the connection, or "local".
    public var clientIP: String
    /// The client's name from reverse DNS; nil is written "unknown" until a
    /// resolver fills it.
    public var clientHostName: String?
    public var serverHostname: String
    public var withProtocol: ReceivedProtocol
    public var queueID: String?
    /// The FOR clause: only when the message has exactly one recipient
    /// (RFC 5321 §4.4 and §7.2: never a list).
    public var recipient: SMTPMailbox?
    public var date: Date
    /// The server's zone offset at `date` (RFC 5321 §4.4: local time with an offset).
    public var zoneOffsetMinutes: Int

    public init(
        heloName: String?, clientIP: String, clientHostName: String? = nil, serverHostname: String,
        withProtocol: ReceivedProtocol, queueID: String?, recipient: SMTPMailbox?, date: Date, zoneOffsetMinutes: Int
    ) {
        self.heloName = heloName
        self.clientIP = clientIP
        self.clientHostName = clientHostName
        self.serverHostname = serverHostname
        self.withProtocol = withProtocol
        self.queueID = queueID
        self.recipient = recipient
        self.date = date
        self.zoneOffsetMinutes = zoneOffsetMinutes
    }
}

public enum ReceivedHeader {
    /// The complete field, folded, ending in CRLF.
    public static func field(_ stamp: ReceivedStamp) -> String {
        let literal = addressLiteral(stamp.clientIP)
        // RFC 5321 §4.4 From-domain: the EHLO name and, in TCP-info, what the
        // connection says: the reverse DNS name and the address literal.
        var from = "from " + (stamp.heloName ?? literal ?? "unknown")
        if let literal {
            from += " (\(stamp.clientHostName ?? "unknown") \(literal))"
        }
        var by = "by \(stamp.serverHostname) (Chappe) with \(stamp.withProtocol.rawValue)"
        if let id = stamp.queueID {
            by += " id \(id)"
        }
        let date = MIMEDate(stamp.date, zoneOffsetMinutes: stamp.zoneOffsetMinutes).description
        var lines = ["Received: " + from, "\tby" + by.dropFirst(2)]
        if let recipient = stamp.recipient {
            lines.append("\tfor <\(recipient)>; \(date)")
        } else {
            lines[lines.count - 1] += ";"
            lines.append("\t" + date)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3); an IPv4
    /// peer seen through a dual-stack socket is written as IPv4.
    static func addressLiteral(_ text: String) -> String? {
        guard let address = IPAddress(text) else { return nil }
        if let v4 = address.unmappedIPv4 {
            return "[\(v4)]"
        }
        return address.family == .ipv4 ? "[\(address)]" : "[IPv6:\(address)]"
    }
}
