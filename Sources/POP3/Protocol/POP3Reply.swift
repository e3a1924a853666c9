// POP3 replies and their one encoder (RFC 1939 §3, RFC 2449 §8 codes).
import NIOCore

/// Extended response codes (RFC 2449 §8, RFC 3206).
public enum POP3ResponseCode: String, Sendable {
    case inUse = "IN-USE"
    case loginDelay = "LOGIN-DELAY"
    case auth = "AUTH"
    case sysTemp = "SYS/TEMP"
    case sysPerm = "SYS/PERM"
}

public enum POP3Reply: Sendable, Equatable {
    case ok(String)
    case err(POP3ResponseCode?, String)
    /// "+OK text" then the lines, dot-stuffed, then ".".
    case multiline(String, [String])
    /// A SASL challenge: "+ " and base64 (RFC 5034 §4).
    case challenge(String)

    public func encoded() -> ByteBuffer {
        var text: String
        switch self {
        case .ok(let message):
            text = message.isEmpty ? "+OK\r\n" : "+OK \(message)\r\n"
        case .err(let code, let message):
            text = "-ERR " + (code.map { "[\($0.rawValue)] " } ?? "") + message + "\r\n"
        case .multiline(let message, let lines):
            text = message.isEmpty ? "+OK\r\n" : "+OK \(message)\r\n"
            for line in lines {
                text += (line.hasPrefix(".") ? "." : "") + line + "\r\n"
            }
            text += ".\r\n"
        case .challenge(let base64):
            text = "+ \(base64)\r\n"
        }
        return ByteBuffer(string: text)
    }
}
