// The IMAP client of `chappe fetch imap://` (RFC 9051, RFC 3501): a thin
// layer over Transport's ClientConnection. One command at a time, each
// with its own tag; the untagged responses before the tagged one are the
// command's data. Literals from the server are read through the framer's
// counted mode, so a message body never passes through the line reader.
//
// Nothing here prints a password: errors carry the command's name and the
// server's reply, never the LOGIN or AUTHENTICATE line.
import NIOCore
import Synchronization
import Transport

public struct IMAPClientOptions: Sendable {
    public var connectTimeout: TimeAmount
    /// How long one response (or one literal) may take.
    public var readTimeout: TimeAmount
    public var maxLineLength: Int
    /// The largest literal accepted (a message body); more is an error.
    public var maxLiteralBytes: Int

    public init(
        connectTimeout: TimeAmount = .seconds(30), readTimeout: TimeAmount = .seconds(120), maxLineLength: Int = 64 * 1024,
        maxLiteralBytes: Int = 256 * 1024 * 1024
    ) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxLineLength = maxLineLength
        self.maxLiteralBytes = maxLiteralBytes
    }
}

public enum IMAPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case badGreeting(String)
    /// The server answered NO or BAD.
    case rejected(command: String, status: String, text: String)
    case authenticationFailed(String)
    case malformedResponse(command: String, detail: String)
    case literalTooLarge(Int)
    case closed(String)

    public var description: String {
        switch self {
        case .badGreeting(let line): "not an IMAP server: it greeted with \"\(line)\""
        case .rejected(let command, let status, let text): "the server refused \(command): \(status) \(text)"
        case .authenticationFailed(let text): "login failed: \(text)"
        case .malformedResponse(let command, let detail): "the server's response to \(command) is malformed: \(detail)"
        case .literalTooLarge(let size): "the server sent a literal of \(size) octets, more than allowed"
        case .closed(let text): "the server closed the session: \(text)"
        }
    }
}

public final class IMAPClient: Sendable {
    public let connection: ClientConnection
    private let options: IMAPClientOptions
    private let tagCounter = Mutex(0)

    private init(connection: ClientConnection, options: IMAPClientOptions) {
        self.connection = connection
        self.options = options
    }

    /// Connects and reads the greeting (RFC 9051 §7.1.1, §7.1.4: OK or
    /// PREAUTH; BYE refuses). With `implicitTLS` (imaps) the handshake comes first.
    public static func connect(
        host: String, port: Int, implicitTLS: ClientTLSSettings? = nil, options: IMAPClientOptions = .init()
    ) async throws -> IMAPClient {
        let connection = try await ClientConnection.connect(
            host: host, port: port, implicitTLS: implicitTLS, connectTimeout: options.connectTimeout,
            readTimeout: options.readTimeout, maxLineLength: options.maxLineLength, lineEndings: .tolerateBareLF)
        let client = IMAPClient(connection: connection, options: options)
        do {
            let greeting = try await client.readResponse(for: "greeting")
            guard greeting.kind == .untagged, greeting.status == "OK" || greeting.status == "PREAUTH" else {
                throw IMAPClientError.badGreeting(String(greeting.statusText.prefix(200)))
            }
            return client
        } catch {
            await connection.close()
            throw error
        }
    }

    public var isTLS: Bool {
        get async { await connection.isTLS }
    }

    // MARK: - Commands

    /// CAPABILITY (RFC 9051 §6.1.1), upper-cased.
    public func capabilities() async throws -> Set<String> {
        let (data, _) = try await command("CAPABILITY")
        var result = Set<String>()
        for response in data where response.values.first?.atom?.uppercased() == "CAPABILITY" {
            for value in response.values.dropFirst() { if let atom = value.atom { result.insert(atom.uppercased()) } }
        }
        return result
    }

    /// STARTTLS (RFC 9051 §6.2.1): false when refused; capabilities must be
    /// asked again afterwards.
    public func startTLS(_ settings: ClientTLSSettings) async throws -> Bool {
        let (_, status) = try await command("STARTTLS", failing: false)
        guard status.status == "OK" else { return false }
        try await connection.startTLS(settings)
        return true
    }

    /// AUTHENTICATE PLAIN with SASL-IR when offered (RFC 4959), else LOGIN
    /// (RFC 9051 §6.2.3) unless the server says LOGINDISABLED.
    public func login(user: String, password: String, capabilities: Set<String>) async throws {
        let usePlain = capabilities.contains("AUTH=PLAIN") || capabilities.contains("LOGINDISABLED")
        let status: IMAPServerResponse
        if usePlain {
            let token = SASLExchange.encodeChallenge([0] + Array(user.utf8) + [0] + Array(password.utf8))
            if capabilities.contains("SASL-IR") {
                (_, status) = try await command("AUTHENTICATE PLAIN " + token, name: "AUTHENTICATE", failing: false)
            } else {
                (_, status) = try await command(
                    "AUTHENTICATE PLAIN", name: "AUTHENTICATE", failing: false, continuation: token)
            }
        } else {
            // A quoted string holds 7-bit text without CR, LF or NUL (RFC 9051 §4.3).
            let quotable = { (text: String) in text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }
            guard quotable(user), quotable(password) else {
                throw IMAPClientError.authenticationFailed(
                    "the server offers only LOGIN, which cannot carry this user name or password (8-bit or control characters)")
            }
            (_, status) = try await command(
                "LOGIN " + Self.quoted(user) + " " + Self.quoted(password), name: "LOGIN", failing: false)
        }
        guard status.status == "OK" else { throw IMAPClientError.authenticationFailed(status.statusText) }
    }

    /// The mailboxes that can be selected (LIST "" "*", without \Noselect
    /// and \NonExistent), names decoded from modified UTF-7 (RFC 3501 §5.1.3).
    public func mailboxes() async throws -> [String] {
        let (data, _) = try await command("LIST \"\" \"*\"", name: "LIST")
        return data.compactMap { response -> String? in
            let values = response.values
            guard values.count >= 4, values[0].atom?.uppercased() == "LIST", case .list(let attributes) = values[1] else {
                return nil
            }
            let flags = Set(attributes.compactMap { $0.atom?.lowercased() })
            guard !flags.contains("\\noselect"), !flags.contains("\\nonexistent"), let name = values[3].text else { return nil }
            return ModifiedUTF7.decode(name) ?? name
        }
    }

    /// SELECT (RFC 9051 §6.3.2), or EXAMINE when `readOnly`: UIDVALIDITY and EXISTS.
    public func select(_ mailbox: String, readOnly: Bool = false) async throws -> (uidValidity: UInt32, exists: Int) {
        let verb = readOnly ? "EXAMINE" : "SELECT"
        let (data, _) = try await command(verb + " " + Self.mailboxArgument(mailbox), name: verb)
        var uidValidity: UInt32?
        var exists = 0
        for response in data {
            if let (number, keyword) = response.numbered, keyword == "EXISTS" { exists = Int(number) }
            if let code = response.code, code.first?.atom?.uppercased() == "UIDVALIDITY", let value = code.dropFirst().first?.number {
                uidValidity = UInt32(truncatingIfNeeded: value)
            }
        }
        guard let uidValidity else {
            throw IMAPClientError.malformedResponse(command: verb, detail: "no UIDVALIDITY")
        }
        return (uidValidity, exists)
    }

    /// The UID and size of every message of the selected mailbox.
    public func messageSizes() async throws -> [(uid: UInt32, size: Int)] {
        let (data, _) = try await command("UID FETCH 1:* (UID RFC822.SIZE)", name: "UID FETCH")
        return data.compactMap { response in
            guard let uid = response.fetchAttribute("UID")?.number, let size = response.fetchAttribute("RFC822.SIZE")?.number else {
                return nil
            }
            return (UInt32(truncatingIfNeeded: uid), Int(size))
        }.sorted { $0.uid < $1.uid }
    }

    /// The whole message, without setting \Seen (BODY.PEEK[], RFC 9051 §6.4.5).
    public func body(uid: UInt32) async throws -> [UInt8] {
        let (data, _) = try await command("UID FETCH \(uid) (BODY.PEEK[])", name: "UID FETCH")
        for response in data where response.fetchAttribute("UID")?.number == UInt64(uid) || data.count == 1 {
            if case .string(let bytes)? = response.fetchAttribute("BODY[]") { return bytes }
            if case .nilValue? = response.fetchAttribute("BODY[]") { return [] }
        }
        throw IMAPClientError.malformedResponse(command: "UID FETCH", detail: "no BODY[] for UID \(uid)")
    }

    /// Flags the messages \Deleted (UID STORE, RFC 9051 §6.4.6).
    public func markDeleted(uids: [UInt32]) async throws {
        guard !uids.isEmpty else { return }
        let set = uids.map(String.init).joined(separator: ",")
        _ = try await command("UID STORE \(set) +FLAGS.SILENT (\\Deleted)", name: "UID STORE")
    }

    /// EXPUNGE (RFC 9051 §6.4.3).
    public func expunge() async throws {
        _ = try await command("EXPUNGE")
    }

    /// LOGOUT (RFC 9051 §6.1.3), then closes the connection.
    public func logout() async {
        _ = try? await command("LOGOUT", failing: false)
        await connection.close()
    }

    public func close() async {
        await connection.close()
    }

    // MARK: - The exchange

    /// Sends `line` with a fresh tag and reads up to its tagged response;
    /// NO and BAD throw unless `failing` is false. `continuation` answers
    /// one "+" from the server (a SASL response).
    func command(
        _ line: String, name: String? = nil, failing: Bool = true, continuation: String? = nil
    ) async throws -> (data: [IMAPServerResponse], status: IMAPServerResponse) {
        let name = name ?? String(line.prefix { $0 != " " })
        let tag = tagCounter.withLock { counter -> String in
            counter += 1
            return "C\(counter)"
        }
        try await connection.send(tag + " " + line + "\r\n")
        var data: [IMAPServerResponse] = []
        var answered = false
        while true {
            let response = try await readResponse(for: name)
            switch response.kind {
            case .tagged(let received) where received == tag:
                if failing, let status = response.status, status != "OK" {
                    throw IMAPClientError.rejected(command: name, status: status, text: response.statusText)
                }
                return (data, response)
            case .tagged:
                throw IMAPClientError.malformedResponse(command: name, detail: "a response for another tag")
            case .continuation:
                guard let continuation, !answered else {
                    // A continuation we have nothing for: cancel (RFC 4954-style "*" for SASL).
                    try await connection.send("*\r\n")
                    continue
                }
                answered = true
                try await connection.send(continuation + "\r\n")
            case .untagged:
                if response.status == "BYE" && name != "LOGOUT" { throw IMAPClientError.closed(response.statusText) }
                data.append(response)
            }
        }
    }

    /// One response: its line, with every literal's bytes read through the
    /// counted mode and the line continued after it.
    func readResponse(for command: String) async throws -> IMAPServerResponse {
        var line: [UInt8] = []
        var literals: [[UInt8]] = []
        while true {
            let segment = try await connection.readLine()
            line += Array(segment.utf8)
            guard let size = Self.literalSize(endingLine: segment) else { break }
            guard size <= options.maxLiteralBytes else { throw IMAPClientError.literalTooLarge(size) }
            literals.append(try await readLiteral(size))
        }
        do {
            return try IMAPServerResponse.parse(line: line, literals: literals)
        } catch {
            throw IMAPClientError.malformedResponse(command: command, detail: error.description)
        }
    }

    private func readLiteral(_ size: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        guard size > 0 else { return bytes }
        try await connection.expect(.counted(size))
        while true {
            switch try await connection.next() {
            case .payload(let chunk): bytes += chunk.readableBytesView
            case .payloadEnd: return bytes
            default: throw IMAPClientError.malformedResponse(command: "literal", detail: "a line inside a literal")
            }
        }
    }

    /// "... {123}" at the end of a line: the literal's size (RFC 9051 §4.3).
    static func literalSize(endingLine line: String) -> Int? {
        guard line.hasSuffix("}"), let open = line.lastIndex(of: "{") else { return nil }
        var digits = line[line.index(after: open)..<line.index(before: line.endIndex)]
        if digits.hasSuffix("+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// A quoted string (RFC 9051 §4.3) of 7-bit text.
    static func quoted(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + escaped + "\""
    }

    /// A mailbox name as IMAP4rev1 servers expect it: modified UTF-7, quoted.
    static func mailboxArgument(_ name: String) -> String {
        quoted(ModifiedUTF7.encode(name))
    }
}
