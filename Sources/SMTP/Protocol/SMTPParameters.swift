// ESMTP parameters of MAIL and RCPT (RFC 5321 §4.1.2 esmtp-param) and the
// xtext encoding of RFC 3461 §4: SIZE (RFC 1870), BODY (RFC 6152),
// SMTPUTF8 (RFC 6531), RET and ENVID, NOTIFY and ORCPT (RFC 3461),
// AUTH= (RFC 4954 §5).

/// RFC 6152 §2 / RFC 1652: the BODY parameter. BINARYMIME (RFC 3030 §3)
/// is not offered.
public enum BodyType: String, Sendable, Codable, Equatable, CaseIterable {
    case sevenBit = "7BIT"
    case eightBitMIME = "8BITMIME"
}

/// RFC 3461 §4.3: how much of the message a failure DSN returns.
public enum DSNReturn: String, Sendable, Codable, Equatable, CaseIterable {
    case full = "FULL"
    case headers = "HDRS"
}

/// RFC 3461 §4.1: when to send DSNs for one recipient.
public enum DSNNotify: Sendable, Hashable {
    case never
    /// A non-empty set of conditions.
    case on(Set<DSNCondition>)

    /// The esmtp-value, conditions in a fixed order.
    public var value: String {
        switch self {
        case .never: return "NEVER"
        case .on(let conditions): return DSNCondition.allCases.filter(conditions.contains).map(\.rawValue).joined(separator: ",")
        }
    }

    /// notify-esmtp-value = "NEVER" / 1#notify-list-element, any case;
    /// NEVER only alone, no element twice.
    public init?(value: String) {
        let items = value.uppercased().split(separator: ",", omittingEmptySubsequences: false)
        if items == ["NEVER"] {
            self = .never
            return
        }
        var conditions: Set<DSNCondition> = []
        for item in items {
            guard let condition = DSNCondition(rawValue: String(item)), conditions.insert(condition).inserted else {
                return nil
            }
        }
        self = .on(conditions)
    }
}

extension DSNNotify: Codable {
    /// Stored as its esmtp-value: "NEVER" or "SUCCESS,FAILURE".
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let notify = DSNNotify(value: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "bad NOTIFY value \(text)")
        }
        self = notify
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

public enum DSNCondition: String, Sendable, Codable, Hashable, CaseIterable {
    case success = "SUCCESS"
    case failure = "FAILURE"
    case delay = "DELAY"
}

/// RFC 3461 §4.2: ORCPT=addr-type;xtext, kept decoded.
public struct OriginalRecipient: Sendable, Codable, Hashable {
    /// "rfc822", "utf-8", … as the client sent it.
    public var addressType: String
    /// The original address, xtext-decoded.
    public var address: String

    public init(addressType: String, address: String) {
        self.addressType = addressType
        self.address = address
    }

    /// The esmtp-value: addr-type ";" xtext.
    public var value: String { addressType + ";" + XText.encode(address) }
}

/// RFC 4954 §5: the AUTH= parameter of MAIL: who submitted the message, or
/// "<>" when unknown.
public enum AuthSubmitter: Sendable, Hashable {
    case unknown
    case mailbox(String)

    public var value: String {
        switch self {
        case .unknown: return "<>"
        case .mailbox(let text): return XText.encode(text)
        }
    }
}

/// The parameters of a MAIL command.
public struct MailParameters: Sendable, Hashable {
    /// RFC 1870: the size the client declares, in octets.
    public var size: Int?
    public var body: BodyType?
    public var smtpUTF8: Bool
    public var ret: DSNReturn?
    /// RFC 3461 §4.4, xtext-decoded.
    public var envelopeID: String?
    public var auth: AuthSubmitter?

    public init(
        size: Int? = nil, body: BodyType? = nil, smtpUTF8: Bool = false, ret: DSNReturn? = nil,
        envelopeID: String? = nil, auth: AuthSubmitter? = nil
    ) {
        self.size = size
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.ret = ret
        self.envelopeID = envelopeID
        self.auth = auth
    }
}

/// The parameters of a RCPT command.
public struct RcptParameters: Sendable, Hashable {
    public var notify: DSNNotify?
    public var originalRecipient: OriginalRecipient?

    public init(notify: DSNNotify? = nil, originalRecipient: OriginalRecipient? = nil) {
        self.notify = notify
        self.originalRecipient = originalRecipient
    }
}

/// The limits on parameter values (RFC 3461 §5.4, RFC 1870 §3).
public enum SMTPParameterLimits {
    /// RFC 3461 §4.4: ENVID may be up to 100 characters.
    public static let maxEnvelopeID = 100
    /// RFC 3461 §4.2: the ORCPT parameter may be up to 500 characters.
    public static let maxOriginalRecipient = 500
    /// RFC 1870 §3: size-value ::= 1*20DIGIT.
    public static let maxSizeDigits = 20
    /// RFC 4954 §5: the AUTH= value extends MAIL by 500 characters.
    public static let maxAuthSubmitter = 500
}

// MARK: - xtext

/// RFC 3461 §4: xtext = *( xchar / hexchar ); xchar is "!" to "~" except
/// "+" and "="; hexchar is "+" and two upper-case hex digits.
public enum XText {
    /// Decodes xtext; nil when it is malformed. Lower-case hex digits are
    /// accepted (be liberal in what you accept); UTF-8 is accepted for the
    /// utf-8 address types of RFC 6533.
    public static func decode(_ text: some StringProtocol) -> String? {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else { return nil }
                out.append(high << 4 | low)
                index += 3
                continue
            }
            guard byte >= 0x80 || (0x21...0x7E).contains(byte), byte != UInt8(ascii: "=") else { return nil }
            out.append(byte)
            index += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Encodes as xtext: "+", "=", and octets outside "!"..."~" as hexchar.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "+") && byte != UInt8(ascii: "=") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "+" + hexDigits[Int(byte >> 4)] + hexDigits[Int(byte & 0x0F)]
            }
        }
        return out
    }

    private static let hexDigits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
