// POP3 commands and their parser (RFC 1939 §3, RFC 2449 §4, RFC 5034 §4).
import NIOCore

public enum POP3Command: Sendable, Equatable {
    case user(String)
    case pass(String)
    case apop(name: String, digest: String)
    case auth(mechanism: String?, initialResponse: String?)
    case stls
    case capa
    case stat
    case list(Int?)
    case retr(Int)
    case dele(Int)
    case noop
    case rset
    case quit
    case top(Int, lines: Int)
    case uidl(Int?)

    public var verb: String {
        switch self {
        case .user: return "USER"
        case .pass: return "PASS"
        case .apop: return "APOP"
        case .auth: return "AUTH"
        case .stls: return "STLS"
        case .capa: return "CAPA"
        case .stat: return "STAT"
        case .list: return "LIST"
        case .retr: return "RETR"
        case .dele: return "DELE"
        case .noop: return "NOOP"
        case .rset: return "RSET"
        case .quit: return "QUIT"
        case .top: return "TOP"
        case .uidl: return "UIDL"
        }
    }
}

public enum POP3ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case unknownCommand(String)
    case wrongArguments(verb: String, usage: String)
    case badNumber(String)

    public var description: String {
        switch self {
        case .empty: return "empty command"
        case .unknownCommand(let verb): return "unknown command \(verb.prefix(16))"
        case .wrongArguments(let verb, let usage): return "usage: \(verb) \(usage)".trimmingSuffix()
        case .badNumber(let text): return "\"\(text.prefix(16))\" is not a message number"
        }
    }
}

/// The command table: each verb with its arguments (STYLE.md rule 6).
/// Message numbers and line counts are checked here; whether a command is
/// allowed in the current state is the session's business.
enum POP3Grammar {
    /// RFC 1939 §3: an argument is at most 40 characters.
    static let maxArgumentLength = 40

    struct Entry {
        let verb: String
        let usage: String
        /// Argument counts accepted; PASS takes the rest of the line as one.
        let arguments: ClosedRange<Int>
    }

    static let table: [String: Entry] = Dictionary(
        uniqueKeysWithValues: [
            Entry(verb: "USER", usage: "name", arguments: 1...1),
            Entry(verb: "PASS", usage: "password", arguments: 1...1),
            Entry(verb: "APOP", usage: "name digest", arguments: 2...2),
            Entry(verb: "AUTH", usage: "[mechanism [initial-response]]", arguments: 0...2),
            Entry(verb: "STLS", usage: "", arguments: 0...0),
            Entry(verb: "CAPA", usage: "", arguments: 0...0),
            Entry(verb: "STAT", usage: "", arguments: 0...0),
            Entry(verb: "LIST", usage: "[msg]", arguments: 0...1),
            Entry(verb: "RETR", usage: "msg", arguments: 1...1),
            Entry(verb: "DELE", usage: "msg", arguments: 1...1),
            Entry(verb: "NOOP", usage: "", arguments: 0...0),
            Entry(verb: "RSET", usage: "", arguments: 0...0),
            Entry(verb: "QUIT", usage: "", arguments: 0...0),
            Entry(verb: "TOP", usage: "msg n", arguments: 2...2),
            Entry(verb: "UIDL", usage: "[msg]", arguments: 0...1),
        ].map { ($0.verb, $0) })
}

extension POP3Command {
    /// Parses one command line (without CRLF).
    public static func parse(_ line: ByteBuffer) -> Result<POP3Command, POP3ParseError> {
        parse(String(decoding: line.readableBytesView, as: UTF8.self))
    }

    public static func parse(_ line: String) -> Result<POP3Command, POP3ParseError> {
        let verbEnd = line.firstIndex(of: " ") ?? line.endIndex
        let verb = line[..<verbEnd].uppercased()
        guard !verb.isEmpty else { return .failure(.empty) }
        guard let entry = POP3Grammar.table[verb] else { return .failure(.unknownCommand(verb)) }
        let rest = line[verbEnd...].drop { $0 == " " }
        // RFC 1939 §7: "a POP3 server may treat spaces in the argument as
        // part of the password".
        let arguments: [String] =
            verb == "PASS" ? (rest.isEmpty ? [] : [String(rest)]) : rest.split(separator: " ").map(String.init)
        guard entry.arguments.contains(arguments.count) else {
            return .failure(.wrongArguments(verb: verb, usage: entry.usage))
        }
        if verb != "PASS" && verb != "AUTH",
            arguments.contains(where: { $0.count > POP3Grammar.maxArgumentLength })
        {
            return .failure(.wrongArguments(verb: verb, usage: entry.usage))
        }
        switch verb {
        case "USER": return .success(.user(arguments[0]))
        case "PASS": return .success(.pass(arguments[0]))
        case "APOP": return .success(.apop(name: arguments[0], digest: arguments[1]))
        case "AUTH": return .success(.auth(mechanism: arguments.first, initialResponse: arguments.dropFirst().first))
        case "STLS": return .success(.stls)
        case "CAPA": return .success(.capa)
        case "STAT": return .success(.stat)
        case "NOOP": return .success(.noop)
        case "RSET": return .success(.rset)
        case "QUIT": return .success(.quit)
        case "LIST": return optionalNumber(arguments).map(POP3Command.list)
        case "UIDL": return optionalNumber(arguments).map(POP3Command.uidl)
        case "RETR": return number(arguments[0]).map(POP3Command.retr)
        case "DELE": return number(arguments[0]).map(POP3Command.dele)
        case "TOP":
            return number(arguments[0]).flatMap { message in
                lineCount(arguments[1]).map { POP3Command.top(message, lines: $0) }
            }
        default: return .failure(.unknownCommand(verb))
        }
    }

    /// A message number: decimal digits, at least 1 (RFC 1939 §3).
    private static func number(_ text: String) -> Result<Int, POP3ParseError> {
        guard text.allSatisfy(\.isASCIIDigit), let value = Int(text), value >= 1 else {
            return .failure(.badNumber(text))
        }
        return .success(value)
    }

    private static func lineCount(_ text: String) -> Result<Int, POP3ParseError> {
        guard text.allSatisfy(\.isASCIIDigit), let value = Int(text) else { return .failure(.badNumber(text)) }
        return .success(value)
    }

    private static func optionalNumber(_ arguments: [String]) -> Result<Int?, POP3ParseError> {
        guard let first = arguments.first else { return .success(nil) }
        return number(first).map { $0 }
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    func trimmingSuffix() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
