// The command framer: client octets in, whole commands out (RFC 9051 §2.2,
// §4.3; RFC 7888). A pure value: `append` the octets read, then call `next`
// until it returns nil ("need more"). It
// - joins the lines of a command around its literals ("{N}", "{N+}", "~{N}"),
// - asks for a continuation request ("+") for each synchronising literal it
//   accepts, and refuses (no "+") those over a limit,
// - streams the message literal of APPEND as begin / bytes / end events
//   instead of buffering it: the framer recognises it by parsing the command
//   up to the literal (tag SP "APPEND" SP mailbox [flags] [date-time] SP),
//   so the size limit is max_message_size there and maxLiteralSize elsewhere,
// - over any limit reports `.rejected` with the tag and resynchronises: a
//   refused synchronising literal is never sent by the client, the octets of
//   a refused non-synchronising one are skipped with the rest of the command
//   (RFC 7888 §4 choice 1).
// Lines end in CRLF; a bare LF is accepted too. The command handed out is
// canonical: its lines joined by CRLF before literal data, no final CRLF.
// After STARTTLS the server starts a fresh framer, so nothing the client
// pipelined before the handshake survives (DESIGN.md rule 5).

public enum IMAPFrame: Sendable, Hashable {
    /// A complete command (or a client line inside AUTHENTICATE or IDLE),
    /// for IMAPCommandParser.parse.
    case command([UInt8])
    /// Send "+ ..." now: a synchronising literal was accepted (RFC 9051 §7.6).
    case continuationRequest
    /// A piece of an APPEND whose message literals are streamed.
    case append(IMAPAppendEvent)
    /// The command crossed a limit; answer `error.response`. The framer has
    /// already dropped the command and skips what the client still sends of it.
    case rejected(IMAPFramingError)
}

/// APPEND as events: start, then per message beginMessage, messageBytes…,
/// endMessage, then finish (the CRLF ending the command). A `.rejected`
/// frame may come instead of any of them; the server then drops what it
/// stored for this APPEND.
public enum IMAPAppendEvent: Sendable, Hashable {
    case start(tag: String, mailbox: IMAPMailboxName)
    case beginMessage(IMAPAppendMessageHeader)
    case messageBytes(ArraySlice<UInt8>)
    case endMessage
    case finish
}

public struct IMAPAppendMessageHeader: Sendable, Hashable {
    public var options: IMAPAppendOptions
    /// The literal's announced size.
    public var size: UInt64
    /// literal8 ("~{N}", RFC 3516 §4.4).
    public var isBinary: Bool
    /// "{N}": a continuation request follows this event unless the server
    /// calls `abortCommand()` first (to answer NO [TRYCREATE], [OVERQUOTA]…).
    public var isSynchronizing: Bool

    public init(options: IMAPAppendOptions, size: UInt64, isBinary: Bool, isSynchronizing: Bool) {
        self.options = options
        self.size = size
        self.isBinary = isBinary
        self.isSynchronizing = isSynchronizing
    }
}

public struct IMAPCommandFramer: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Longest line, CRLF and literal data excluded.
        public var maxLineLength: Int
        /// Largest literal other than an APPEND message (e.g. a LOGIN password).
        public var maxLiteralSize: Int
        /// Largest command held in memory: lines and argument literals.
        public var maxCommandSize: Int
        /// Largest APPEND message: the configuration's max_message_size.
        public var maxMessageSize: UInt64
        /// Largest non-synchronizing literal: 4096 under IMAP4rev2 / LITERAL-
        /// (RFC 9051 §4.3, RFC 7888 §5); nil with LITERAL+ (RFC 7888 §3).
        public var maxNonSynchronizingLiteralSize: Int?

        public init(
            maxLineLength: Int = 8192, maxLiteralSize: Int = 65536, maxCommandSize: Int = 262_144,
            maxMessageSize: UInt64 = 36_700_160, maxNonSynchronizingLiteralSize: Int? = 4096
        ) {
            self.maxLineLength = maxLineLength
            self.maxLiteralSize = maxLiteralSize
            self.maxCommandSize = maxCommandSize
            self.maxMessageSize = maxMessageSize
            self.maxNonSynchronizingLiteralSize = maxNonSynchronizingLiteralSize
        }
    }

    private enum State: Sendable, Hashable {
        /// Reading a line of a command; `command` holds its earlier parts.
        case line
        /// Reading an argument literal into `command`.
        case literal(remaining: Int, synchronizing: Bool)
        /// Streaming an APPEND message.
        case message(remaining: UInt64, tag: String, synchronizing: Bool)
        /// Reading the line after an APPEND message: CRLF or another message.
        case appendTail(tag: String)
        /// Dropping the rest of a refused command's line; `tail` keeps its last
        /// octets to see whether it ends in a literal marker.
        case discardLine(tail: [UInt8])
        /// Dropping a refused non-synchronizing literal, then the rest of the command.
        case discardLiteral(remaining: UInt64)
    }

    public let configuration: Configuration
    private var state: State = .line
    private var input: [UInt8] = []
    private var position = 0
    /// Octets of the current line already searched for LF.
    private var scanned = 0
    /// The command so far, canonical.
    private var command: [UInt8] = []
    /// Argument literals in the current command.
    private var literalCount = 0
    private var pending: [IMAPFrame] = []

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Octets received and not yet framed.
    public var bufferedByteCount: Int { input.count - position }

    /// Adds octets read from the client.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if position > 0, position >= input.count / 2 {
            input.removeFirst(position)
            position = 0
        }
        input.append(contentsOf: bytes)
    }

    /// The next frame, or nil when more octets are needed.
    public mutating func next() -> IMAPFrame? {
        while pending.isEmpty {
            guard step() else { return nil }
        }
        return pending.removeFirst()
    }

    /// Abandons the command being framed, e.g. when the server answers an
    /// APPEND at `.beginMessage` (NO [TRYCREATE], [OVERQUOTA]) or fails while
    /// storing it. A synchronising literal whose continuation request has not
    /// been handed out yet is refused (the client sends nothing); otherwise
    /// the rest of the literal and of the command is skipped.
    public mutating func abortCommand() {
        let continuationPending = pending.contains(.continuationRequest)
        let midCommand = !command.isEmpty
        pending.removeAll()
        command = []
        literalCount = 0
        scanned = 0
        switch state {
        case .literal(_, true) where continuationPending, .message(_, _, true) where continuationPending:
            state = .line
        case .literal(let remaining, _):
            state = remaining > 0 ? .discardLiteral(remaining: UInt64(remaining)) : .discardLine(tail: [])
        case .message(let remaining, _, _):
            state = .discardLiteral(remaining: remaining)
        case .appendTail:
            state = .discardLine(tail: [])
        case .line:
            // After an argument literal the command goes on on the current line.
            if midCommand { state = .discardLine(tail: []) }
        case .discardLine, .discardLiteral:
            break
        }
    }

    // MARK: - Steps

    /// Advances by one unit of work; false when it needs more input.
    private mutating func step() -> Bool {
        switch state {
        case .line: return readLine(appendTag: nil)
        case .appendTail(let tag): return readLine(appendTag: tag)
        case .literal(let remaining, let synchronizing):
            let count = min(remaining, input.count - position)
            guard count > 0 else { return false }
            command.append(contentsOf: input[position..<(position + count)])
            position += count
            state = count == remaining ? .line : .literal(remaining: remaining - count, synchronizing: synchronizing)
            return true
        case .message(let remaining, let tag, let synchronizing):
            let count = Int(min(remaining, UInt64(input.count - position)))
            guard count > 0 else { return false }
            pending.append(.append(.messageBytes(input[position..<(position + count)])))
            position += count
            if UInt64(count) == remaining {
                pending.append(.append(.endMessage))
                state = .appendTail(tag: tag)
            } else {
                state = .message(remaining: remaining - UInt64(count), tag: tag, synchronizing: synchronizing)
            }
            return true
        case .discardLiteral(let remaining):
            let count = Int(min(remaining, UInt64(input.count - position)))
            guard count > 0 || remaining == 0 else { return false }
            position += count
            state = UInt64(count) == remaining ? .discardLine(tail: []) : .discardLiteral(remaining: remaining - UInt64(count))
            return true
        case .discardLine(let tail):
            return discardLine(tail)
        }
    }

    /// Reads one line of a command (or, with `appendTag`, the line after an
    /// APPEND message) and acts on its end.
    private mutating func readLine(appendTag: String?) -> Bool {
        let searchStart = position + scanned
        guard let newline = input[searchStart...].firstIndex(of: IMAPCharacter.lf) else {
            scanned = input.count - position
            // A CR may still come before the LF; beyond that the line is too long.
            guard scanned > configuration.maxLineLength + 1 else { return false }
            let tag = appendTag ?? tagOf(command.isEmpty ? input[position...] : command[...])
            let tail = Array(input[position...].suffix(IMAPLiteralMarker.maximumLength))
            position = input.count
            scanned = 0
            reject(IMAPFramingError(tag: tag, kind: .lineTooLong(limit: configuration.maxLineLength)))
            state = .discardLine(tail: tail)
            return true
        }
        var lineEnd = newline
        if lineEnd > position, input[lineEnd - 1] == IMAPCharacter.cr { lineEnd -= 1 }
        let line = input[position..<lineEnd]
        position = newline + 1
        scanned = 0
        if let appendTag {
            appendTail(line, tag: appendTag)
            return true
        }
        let tag = tagOf(command.isEmpty ? line : command[...])
        guard line.count <= configuration.maxLineLength else {
            refuse(IMAPFramingError(tag: tag, kind: .lineTooLong(limit: configuration.maxLineLength)), line: line)
            return true
        }
        switch IMAPLiteralMarker.scan(atEndOf: line) {
        case .none:
            guard command.count + line.count <= configuration.maxCommandSize else {
                reject(IMAPFramingError(tag: tag, kind: .commandTooLarge(limit: configuration.maxCommandSize)))
                state = .line
                return true
            }
            command.append(contentsOf: line)
            pending.append(.command(command))
            command = []
            literalCount = 0
        case .invalidLength:
            reject(IMAPFramingError(tag: tag, kind: .invalidLiteralLength))
            state = .line
        case .marker(let marker):
            let beforeMarker = line.dropLast(marker.markerLength)
            if literalCount < 2, let prefix = IMAPCommandParser.appendPrefix(command + beforeMarker) {
                command = []
                literalCount = 0
                beginMessage(marker, tag: prefix.tag, options: prefix.options, start: prefix.mailbox)
            } else {
                argumentLiteral(marker, line: line, tag: tag)
            }
        }
        return true
    }

    /// A literal that is an argument: held in `command`, within the small limits.
    private mutating func argumentLiteral(_ marker: IMAPLiteralMarker, line: ArraySlice<UInt8>, tag: String?) {
        if let limit = configuration.maxNonSynchronizingLiteralSize, !marker.synchronizing, marker.length > limit {
            refuse(IMAPFramingError(tag: tag, kind: .nonSynchronizingLiteralTooLarge(size: marker.length, limit: limit)), marker)
            return
        }
        guard marker.length <= configuration.maxLiteralSize else {
            refuse(
                IMAPFramingError(tag: tag, kind: .literalTooLarge(size: marker.length, limit: configuration.maxLiteralSize)),
                marker)
            return
        }
        guard command.count + line.count + 2 + Int(marker.length) <= configuration.maxCommandSize else {
            refuse(IMAPFramingError(tag: tag, kind: .commandTooLarge(limit: configuration.maxCommandSize)), marker)
            return
        }
        command.append(contentsOf: line)
        command.append(contentsOf: [IMAPCharacter.cr, IMAPCharacter.lf])
        literalCount += 1
        if marker.synchronizing { pending.append(.continuationRequest) }
        state = marker.length > 0 ? .literal(remaining: Int(marker.length), synchronizing: marker.synchronizing) : .line
    }

    /// An APPEND message literal: checked against max_message_size, then streamed.
    private mutating func beginMessage(
        _ marker: IMAPLiteralMarker, tag: String, options: IMAPAppendOptions, start mailbox: IMAPMailboxName?
    ) {
        if let limit = configuration.maxNonSynchronizingLiteralSize, !marker.synchronizing, marker.length > limit {
            // RFC 7888 §5: for APPEND "the tagged BAD response MUST contain the TOOBIG response code".
            let kind = IMAPFramingError.Kind.nonSynchronizingLiteralTooLarge(size: marker.length, limit: limit)
            refuse(IMAPFramingError(tag: tag, kind: kind, status: .bad, code: .tooBig), marker)
            return
        }
        guard marker.length <= configuration.maxMessageSize else {
            // Refused before the octets were sent: NO [TOOBIG]; once sent, BAD [TOOBIG].
            let kind = IMAPFramingError.Kind.messageTooLarge(size: marker.length, limit: configuration.maxMessageSize)
            refuse(IMAPFramingError(tag: tag, kind: kind, status: marker.synchronizing ? .no : .bad, code: .tooBig), marker)
            return
        }
        if let mailbox { pending.append(.append(.start(tag: tag, mailbox: mailbox))) }
        let header = IMAPAppendMessageHeader(
            options: options, size: marker.length, isBinary: marker.binary, isSynchronizing: marker.synchronizing)
        pending.append(.append(.beginMessage(header)))
        if marker.synchronizing { pending.append(.continuationRequest) }
        if marker.length > 0 {
            state = .message(remaining: marker.length, tag: tag, synchronizing: marker.synchronizing)
        } else {
            pending.append(.append(.endMessage))
            state = .appendTail(tag: tag)
        }
    }

    /// The line after an APPEND message: empty ends the command (RFC 9051
    /// §6.3.12), append-opts and a literal start the next message (RFC 3502).
    private mutating func appendTail(_ line: ArraySlice<UInt8>, tag: String) {
        guard !line.isEmpty else {
            pending.append(.append(.finish))
            state = .line
            return
        }
        guard line.count <= configuration.maxLineLength else {
            refuse(IMAPFramingError(tag: tag, kind: .lineTooLong(limit: configuration.maxLineLength)), line: line)
            return
        }
        let scan = IMAPLiteralMarker.scan(atEndOf: line)
        guard case .marker(let marker) = scan else {
            // Neither CRLF nor another message: say what is wrong with the line.
            if scan == .invalidLength {
                reject(IMAPFramingError(tag: tag, kind: .invalidLiteralLength))
            } else {
                do throws(IMAPParseError) {
                    _ = try IMAPCommandParser.appendNextOptions(Array(line), tag: tag)
                    let missing = IMAPParseError(tag: tag, kind: .expected("message literal", found: "end of command"))
                    reject(IMAPFramingError(tag: tag, kind: .appendSyntax(missing)))
                } catch {
                    reject(IMAPFramingError(tag: tag, kind: .appendSyntax(error)))
                }
            }
            state = .line
            return
        }
        do throws(IMAPParseError) {
            let options = try IMAPCommandParser.appendNextOptions(Array(line.dropLast(marker.markerLength)), tag: tag)
            beginMessage(marker, tag: tag, options: options, start: nil)
        } catch {
            refuse(IMAPFramingError(tag: tag, kind: .appendSyntax(error)), marker)
        }
    }

    // MARK: - Refusal and resynchronisation

    private mutating func reject(_ error: IMAPFramingError) {
        command = []
        literalCount = 0
        pending.append(.rejected(error))
    }

    /// Refuses a command at a literal marker: a synchronising literal ends it
    /// (the client waits for "+" and gets the tagged reply instead); the
    /// octets of a non-synchronising one are skipped with the rest of the command.
    private mutating func refuse(_ error: IMAPFramingError, _ marker: IMAPLiteralMarker) {
        reject(error)
        state = marker.synchronizing ? .line : .discardLiteral(remaining: marker.length)
    }

    /// Refuses a command at a complete line, looking at how the line ends.
    private mutating func refuse(_ error: IMAPFramingError, line: ArraySlice<UInt8>) {
        reject(error)
        if case .marker(let marker) = IMAPLiteralMarker.scan(atEndOf: line), !marker.synchronizing {
            state = .discardLiteral(remaining: marker.length)
        } else {
            state = .line
        }
    }

    private mutating func discardLine(_ tail: [UInt8]) -> Bool {
        guard position < input.count else { return false }
        guard let newline = input[position...].firstIndex(of: IMAPCharacter.lf) else {
            let kept = tail + input[position...].suffix(IMAPLiteralMarker.maximumLength + 1)
            state = .discardLine(tail: Array(kept.suffix(IMAPLiteralMarker.maximumLength + 1)))
            position = input.count
            return true
        }
        var ending = tail + input[position..<newline].suffix(IMAPLiteralMarker.maximumLength + 1)
        if ending.last == IMAPCharacter.cr { ending.removeLast() }
        position = newline + 1
        if case .marker(let marker) = IMAPLiteralMarker.scan(atEndOf: ending[...]), !marker.synchronizing {
            state = .discardLiteral(remaining: marker.length)
        } else {
            state = .line
        }
        return true
    }

    /// The tag at the start of a command, when it is a valid one.
    private func tagOf(_ bytes: ArraySlice<UInt8>) -> String? {
        let end = bytes.firstIndex { !IMAPCharacter.isTagChar($0) } ?? bytes.endIndex
        guard end > bytes.startIndex, end == bytes.endIndex || bytes[end] == IMAPCharacter.space else { return nil }
        return String(decoding: bytes[bytes.startIndex..<end].prefix(64), as: UTF8.self)
    }
}
