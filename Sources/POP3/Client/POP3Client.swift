// The POP3 client (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH),
// a thin layer over Transport's ClientConnection: one command, one reply,
// multi-line replies read through the framer's dot-stuffed mode (so the
// un-stuffing and the "." end marker are the same code the servers use).
//
// Invariant: one command at a time. The connection refuses two concurrent
// reads, so a POP3Client is used by one task, in order.
//
// Nothing here prints a password: errors carry the verb and the server's
// reply, never the command line of USER/PASS/AUTH.
import NIOCore
import Transport

public final class POP3Client: Sendable {
    public let connection: ClientConnection
    /// The server's greeting, after "+OK ".
    public let greeting: String
    private let options: POP3ClientOptions

    private init(connection: ClientConnection, greeting: String, options: POP3ClientOptions) {
        self.connection = connection
        self.greeting = greeting
        self.options = options
    }

    /// Connects and reads the greeting. With `implicitTLS` (pop3s, RFC 8314
    /// §3.1) the handshake comes first.
    public static func connect(
        host: String, port: Int, implicitTLS: ClientTLSSettings? = nil, options: POP3ClientOptions = .init()
    ) async throws -> POP3Client {
        let connection = try await ClientConnection.connect(
            host: host, port: port, implicitTLS: implicitTLS, connectTimeout: options.connectTimeout,
            readTimeout: options.readTimeout, maxLineLength: options.maxLineLength, lineEndings: .tolerateBareLF)
        do {
            let line = try await connection.readLine()
            let status = POP3StatusLine(line)
            guard status.kind == .ok else {
                throw POP3ClientError.badGreeting(String(line.prefix(200)))
            }
            return POP3Client(connection: connection, greeting: status.text, options: options)
        } catch {
            await connection.close()
            throw error
        }
    }

    public var isTLS: Bool {
        get async { await connection.isTLS }
    }

    // MARK: - Session set-up

    /// RFC 2449 CAPA; nil when the server does not know the command.
    public func capabilities() async throws -> POP3Capabilities? {
        let status = try await command("CAPA")
        guard status.kind == .ok else { return nil }
        return POP3Capabilities(lines: try await listing(of: "CAPA"))
    }

    /// RFC 2595 STLS: false when the server refuses it (nothing changes);
    /// true once the handshake is done. Capabilities learnt before must be
    /// asked again (RFC 2595 §4).
    public func startTLS(_ settings: ClientTLSSettings) async throws -> Bool {
        let status = try await command("STLS")
        guard status.kind == .ok else { return false }
        try await connection.startTLS(settings)
        return true
    }

    /// Logs in with SASL PLAIN (RFC 5034, RFC 4616) or USER/PASS (RFC 1939
    /// §7): PLAIN when the capabilities list it, USER/PASS when they list
    /// USER or are unknown, else PLAIN as a last try.
    public func login(user: String, password: String, capabilities: POP3Capabilities?) async throws {
        let usePlain: Bool
        if let capabilities {
            usePlain = capabilities.saslMechanisms.contains("PLAIN") || !capabilities.contains("USER")
        } else {
            usePlain = false
        }
        if usePlain {
            try await authenticatePlain(user: user, password: password)
        } else {
            try await userPass(user: user, password: password)
        }
    }

    /// RFC 1939 §7 USER and PASS.
    public func userPass(user: String, password: String) async throws {
        guard !user.contains(where: \.isNewline), !password.contains(where: \.isNewline) else {
            throw POP3ClientError.invalidArgument("a user name or password with a line break")
        }
        let accepted = try await command("USER " + user)
        guard accepted.kind == .ok else { throw POP3ClientError.authenticationFailed(accepted.code, accepted.text) }
        let status = try await command("PASS " + password)
        guard status.kind == .ok else { throw POP3ClientError.authenticationFailed(status.code, status.text) }
    }

    /// RFC 5034 AUTH PLAIN, with the initial response on the command line
    /// when it fits (§4: a command line is at most 255 octets), else after
    /// the server's empty challenge.
    public func authenticatePlain(user: String, password: String) async throws {
        let response = SASLExchange.encodeChallenge([0] + Array(user.utf8) + [0] + Array(password.utf8))
        var status: POP3StatusLine
        if "AUTH PLAIN \(response)\r\n".utf8.count <= 255 {
            status = try await command("AUTH PLAIN " + response)
        } else {
            status = try await command("AUTH PLAIN")
            if status.kind == .continuation {
                status = try await command(response)
            }
        }
        if status.kind == .continuation {
            // A server that wants more than PLAIN has: cancel (RFC 5034 §4).
            _ = try await command("*")
            throw POP3ClientError.authenticationFailed(nil, "the server asked for more than AUTH PLAIN sends")
        }
        guard status.kind == .ok else { throw POP3ClientError.authenticationFailed(status.code, status.text) }
    }

    // MARK: - Transaction

    /// STAT: messages and octets in the maildrop.
    public func stat() async throws -> (count: Int, octets: Int) {
        let status = try await expectOK("STAT")
        let fields = status.text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let count = Int(fields[0]), let octets = Int(fields[1]), count >= 0, octets >= 0 else {
            throw POP3ClientError.malformedReply(command: "STAT", line: String(status.text.prefix(80)))
        }
        return (count, octets)
    }

    /// LIST: message number and size (octets) of every message.
    public func list() async throws -> [(number: Int, size: Int)] {
        _ = try await expectOK("LIST")
        return try Self.pairs(try await listing(of: "LIST"), command: "LIST").map { entry in
            guard let size = Int(entry.value), size >= 0 else {
                throw POP3ClientError.malformedReply(command: "LIST", line: "\(entry.number) \(entry.value.prefix(40))")
            }
            return (entry.number, size)
        }
    }

    /// UIDL: message number and unique id of every message; nil when the
    /// server does not support UIDL (it is optional in RFC 1939 §7).
    public func uniqueIDs() async throws -> [(number: Int, id: String)]? {
        let status = try await command("UIDL")
        guard status.kind == .ok else { return nil }
        return try Self.pairs(try await listing(of: "UIDL"), command: "UIDL").map { ($0.number, $0.value) }
    }

    /// RETR: the message, un-stuffed, line endings as the server sent them,
    /// passed to `consume` in chunks. More than `maxBytes` is an error
    /// (`responseTooLarge`); the rest of the response is read and dropped,
    /// so the session can go on.
    public func retrieve(
        _ number: Int, maxBytes: Int, into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        _ = try await expectOK("RETR \(number)")
        try await payload(of: "RETR", maxBytes: maxBytes, into: consume)
    }

    /// RETR into one buffer.
    public func retrieve(_ number: Int, maxBytes: Int) async throws -> ByteBuffer {
        var message = ByteBuffer()
        try await retrieve(number, maxBytes: maxBytes) { chunk in
            var chunk = chunk
            message.writeBuffer(&chunk)
        }
        return message
    }

    /// TOP (RFC 1939 §7): the header and the first `lines` lines of the body.
    public func top(_ number: Int, lines: Int, maxBytes: Int) async throws -> ByteBuffer {
        _ = try await expectOK("TOP \(number) \(lines)")
        var message = ByteBuffer()
        try await payload(of: "TOP", maxBytes: maxBytes) { chunk in
            var chunk = chunk
            message.writeBuffer(&chunk)
        }
        return message
    }

    /// DELE: marks the message; the server removes it at QUIT only.
    public func delete(_ number: Int) async throws {
        _ = try await expectOK("DELE \(number)")
    }

    /// RSET: unmarks every message marked by DELE in this session.
    public func reset() async throws {
        _ = try await expectOK("RSET")
    }

    public func noop() async throws {
        _ = try await expectOK("NOOP")
    }

    /// QUIT: the server enters UPDATE and removes the marked messages; its
    /// -ERR means some were not removed (RFC 1939 §6). Closes the connection.
    public func quit() async throws {
        do {
            _ = try await expectOK("QUIT")
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    /// Closes without QUIT: the server removes nothing (RFC 1939 §6).
    public func close() async {
        await connection.close()
    }

    // MARK: - Wire

    /// Sends one command line and reads its status line.
    func command(_ line: String) async throws -> POP3StatusLine {
        try await connection.send(line + "\r\n")
        let reply = try await connection.readLine()
        return POP3StatusLine(reply)
    }

    /// `verb` names the command in errors (a password never appears there).
    private func expectOK(_ line: String, verb: String? = nil) async throws -> POP3StatusLine {
        let status = try await command(line)
        guard status.kind == .ok else {
            throw POP3ClientError.rejected(command: verb ?? line, code: status.code, text: status.text)
        }
        return status
    }

    /// The lines of a multi-line reply whose "+OK" was just read.
    private func listing(of command: String) async throws -> [String] {
        var text = ByteBuffer()
        try await payload(of: command, maxBytes: options.maxListingBytes) { chunk in
            var chunk = chunk
            text.writeBuffer(&chunk)
        }
        // Split on bytes: in a Swift String "\r\n" is one Character.
        var lines = text.readableBytesView.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Reads a dot-stuffed payload (RFC 1939 §3) to its end marker.
    private func payload(
        of command: String, maxBytes: Int, into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        try await connection.expect(.dotStuffed(.init(maxBytes: maxBytes, lineEndings: .passThrough)))
        var consumerError: (any Error)?
        while true {
            switch try await connection.next() {
            case .payload(let chunk):
                guard consumerError == nil else { continue }
                do {
                    try await consume(chunk)
                } catch {
                    // Read on to the end marker: the session stays usable.
                    consumerError = error
                }
            case .payloadEnd(nil):
                if let consumerError { throw consumerError }
                return
            case .payloadEnd(.tooLarge):
                throw POP3ClientError.responseTooLarge(command: command, limit: maxBytes)
            case .payloadEnd(.bareLineEnding?):
                throw POP3ClientError.malformedReply(command: command, line: "bare CR or LF")
            case .line, .lineTooLong, .bareLineEnding:
                throw POP3ClientError.malformedReply(command: command, line: "a line inside a multi-line reply")
            }
        }
    }

    /// "n value" lines of LIST and UIDL.
    private static func pairs(_ lines: [String], command: String) throws -> [(number: Int, value: String)] {
        try lines.map { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let number = Int(fields[0]), number >= 1 else {
                throw POP3ClientError.malformedReply(command: command, line: String(line.prefix(80)))
            }
            return (number, String(fields[1]))
        }
    }
}

// MARK: - Options, replies, errors

public struct POP3ClientOptions: Sendable {
    public var connectTimeout: TimeAmount
    /// How long one reply (or one chunk of a message) may take.
    public var readTimeout: TimeAmount
    /// The longest status line accepted (RFC 2449 §4: 512 octets; more for
    /// servers with long greetings).
    public var maxLineLength: Int
    /// The largest CAPA, LIST or UIDL reply (a UIDL line is at most 83
    /// octets, RFC 1939 §7: a million messages fit).
    public var maxListingBytes: Int

    public init(
        connectTimeout: TimeAmount = .seconds(30), readTimeout: TimeAmount = .seconds(120), maxLineLength: Int = 8192,
        maxListingBytes: Int = 128 * 1024 * 1024
    ) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxLineLength = maxLineLength
        self.maxListingBytes = maxListingBytes
    }
}

/// A status line: "+OK text", "-ERR [CODE] text", or a SASL "+ challenge".
public struct POP3StatusLine: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case ok
        case err
        case continuation
        /// Neither: a broken or non-POP3 server.
        case other
    }

    public let kind: Kind
    /// The RFC 2449 §8 response code in brackets, e.g. "IN-USE", "AUTH".
    public let code: String?
    public let text: String

    public init(_ line: String) {
        var rest: Substring
        if line.hasPrefix("+OK") && (line.count == 3 || line.dropFirst(3).first == " ") {
            kind = .ok
            rest = line.dropFirst(3)
        } else if line.hasPrefix("-ERR") {
            kind = .err
            rest = line.dropFirst(4)
        } else if line.hasPrefix("+ ") || line == "+" {
            kind = .continuation
            code = nil
            text = String(line.dropFirst(2))
            return
        } else {
            kind = .other
            code = nil
            text = line
            return
        }
        rest = rest.drop { $0 == " " }
        if rest.first == "[", let close = rest.firstIndex(of: "]") {
            code = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        } else {
            code = nil
        }
        text = String(rest)
    }
}

/// RFC 2449 §5 capabilities, as listed by CAPA.
public struct POP3Capabilities: Sendable, Equatable {
    /// The lines as sent, e.g. "SASL PLAIN LOGIN", "STLS".
    public let lines: [String]

    public init(lines: [String]) {
        self.lines = lines
    }

    /// Whether the capability `name` (the first word of a line) is listed.
    public func contains(_ name: String) -> Bool {
        lines.contains { $0.split(separator: " ").first?.uppercased() == name.uppercased() }
    }

    /// The mechanisms of the SASL line, upper case.
    public var saslMechanisms: [String] {
        guard let line = lines.first(where: { $0.split(separator: " ").first?.uppercased() == "SASL" }) else { return [] }
        return line.split(separator: " ").dropFirst().map { $0.uppercased() }
    }
}

public enum POP3ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case badGreeting(String)
    /// The server answered -ERR.
    case rejected(command: String, code: String?, text: String)
    case authenticationFailed(String?, String)
    case malformedReply(command: String, line: String)
    case responseTooLarge(command: String, limit: Int)
    case invalidArgument(String)

    /// The RFC 2449 response code of an -ERR, if any.
    public var responseCode: String? {
        switch self {
        case .rejected(_, let code, _), .authenticationFailed(let code, _): return code
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .badGreeting(let line):
            return "not a POP3 server: it greeted with \"\(line)\""
        case .rejected(let command, let code, let text):
            return "the server refused \(command): -ERR \(code.map { "[\($0)] " } ?? "")\(text)"
        case .authenticationFailed(let code, let text):
            return "login failed: \(code.map { "[\($0)] " } ?? "")\(text)"
        case .malformedReply(let command, let line):
            return "the server's reply to \(command) is malformed: \(line)"
        case .responseTooLarge(let command, let limit):
            return "the server's reply to \(command) is larger than \(limit) bytes"
        case .invalidArgument(let what):
            return "cannot send \(what)"
        }
    }
}
