// The control protocol spoken on data_dir/control.sock between the CLI and a
// running `chappe serve`. One command per line; the answer is zero or more
// text lines, each sent after one space, and then a final line, "OK" or
// "ERR <reason>".
//
//   STATUS   services, connections, uptime
//   RELOAD   re-read the configuration; an invalid one is refused, the old kept
//   QUEUE-KICK        run the SMTP queue now (`chappe send` after queueing)
//   QUEUE-FLUSH       retry deferred recipients now
//   QUEUE-DELETE ID   remove a queue entry
//   QUIT
import Foundation
import NIOCore
import Transport

/// What the control socket asks the server for.
public enum ControlEffect: Sendable, Equatable {
    case status
    case reload
    case queueKick
    case queueFlush
    case queueDelete(String)
}

/// The server's answer: lines of text, and success or a reason for failure.
public struct ControlReply: Sendable, Equatable {
    public var lines: [String]
    public var error: String?

    public init(lines: [String] = [], error: String? = nil) {
        self.lines = lines
        self.error = error
    }
}

public struct ControlMachine: SessionMachine {
    public typealias Effect = ControlEffect
    public typealias EffectResult = ControlReply

    /// Commands in one session; a control client sends one or two.
    static let maxCommands = 100
    private var commands = 0

    public init() {}

    public mutating func connected(_ connection: ConnectionInfo) -> [Action] {
        []
    }

    public mutating func received(_ event: FrameEvent) -> [Action] {
        guard case .line(let line) = event else {
            return [.send(Self.encode(ControlReply(error: "line too long or not ended by LF"))), .close]
        }
        commands += 1
        guard commands <= Self.maxCommands else {
            return [.send(Self.encode(ControlReply(error: "too many commands"))), .close]
        }
        let text = String(decoding: line.readableBytesView, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        let verb = words.first.map { $0.uppercased() } ?? ""
        if verb == "QUEUE-DELETE" {
            guard words.count == 2 else { return [.send(Self.encode(ControlReply(error: "usage: QUEUE-DELETE ID")))] }
            return [.perform(.queueDelete(String(words[1])))]
        }
        guard words.count <= 1 else {
            return [.send(Self.encode(ControlReply(error: "\(verb) takes no argument")))]
        }
        switch verb {
        case "STATUS":
            return [.perform(.status)]
        case "RELOAD":
            return [.perform(.reload)]
        case "QUEUE-KICK":
            return [.perform(.queueKick)]
        case "QUEUE-FLUSH":
            return [.perform(.queueFlush)]
        case "QUIT":
            return [.send(Self.encode(ControlReply())), .close]
        default:
            return [.send(Self.encode(ControlReply(error: "unknown command \"\(verb)\"; known: STATUS, RELOAD, QUEUE-KICK, QUEUE-FLUSH, QUEUE-DELETE, QUIT")))]
        }
    }

    public mutating func completed(_ result: ControlReply) -> [Action] {
        [.send(Self.encode(result))]
    }

    public mutating func tlsEstablished(_ connection: ConnectionInfo) -> [Action] {
        []
    }

    public mutating func timedOut() -> [Action] {
        [.close]
    }

    public mutating func shuttingDown() -> [Action] {
        [.send(Self.encode(ControlReply(error: "server shutting down"))), .close]
    }

    /// The wire form of a reply: each line after a space, so that no line
    /// can pass for the final one.
    public static func encode(_ reply: ControlReply) -> ByteBuffer {
        var text = ""
        for line in reply.lines {
            text += " " + line.replacingOccurrences(of: "\n", with: " ") + "\n"
        }
        if let error = reply.error {
            text += "ERR " + error.replacingOccurrences(of: "\n", with: "; ") + "\n"
        } else {
            text += "OK\n"
        }
        return ByteBuffer(string: text)
    }
}
