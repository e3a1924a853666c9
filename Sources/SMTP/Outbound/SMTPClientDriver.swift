// The I/O around `SMTPClientSession`: reads replies from a
// `ClientConnection` (multi-line replies joined by `SMTPReplyParser`,
// RFC 5321 §4.2.1), writes what the session asks for, dot-stuffs the
// message with Transport's `DotStuffer` (RFC 5321 §4.5.2), and upgrades
// to TLS when the session says so. It decides nothing.
import NIOCore
import Transport

struct SMTPClientDriver {
    let connection: ClientConnection
    /// For STARTTLS.
    let tls: ClientTLSSettings
    /// RFC 5321 §4.5.3.2: the wait for most replies (5 minutes there).
    let commandTimeout: TimeAmount
    /// RFC 5321 §4.5.3.2.6: the wait for the reply to the end of data (10 minutes there).
    let dataTimeout: TimeAmount
    private var parser = SMTPReplyParser()
    private var pending = ByteBuffer()

    init(connection: ClientConnection, tls: ClientTLSSettings, commandTimeout: TimeAmount, dataTimeout: TimeAmount) {
        self.connection = connection
        self.tls = tls
        self.commandTimeout = commandTimeout
        self.dataTimeout = dataTimeout
    }

    /// Runs `session` to its end over the connection, which it closes.
    mutating func run(_ session: inout SMTPClientSession) async -> SMTPClientSession.Outcome {
        var action = await readReply(into: &session)
        while true {
            switch action {
            case .send(let commands):
                var buffer = ByteBuffer()
                for command in commands { buffer.writeString(command.wire) }
                do {
                    try await connection.send(buffer)
                } catch {
                    action = session.connectionLost("\(error)")
                    continue
                }
                action = await readReply(into: &session)
            case .readReply:
                action = await readReply(into: &session)
            case .startTLS:
                do {
                    try await connection.startTLS(tls)
                    action = session.tlsEstablished()
                } catch {
                    action = session.tlsFailed("\(error)")
                }
            case .sendMessage(let bytes):
                var stuffer = DotStuffer(normalizesLineEndings: true)
                var buffer = ByteBuffer()
                buffer.reserveCapacity(bytes.count + bytes.count / 32 + 8)
                stuffer.encode(ByteBuffer(bytes: bytes), into: &buffer)
                stuffer.finish(into: &buffer)
                do {
                    try await connection.send(buffer)
                    try await connection.setReadTimeout(dataTimeout)
                } catch {
                    action = session.connectionLost("\(error)")
                    continue
                }
                action = await readReply(into: &session)
                try? await connection.setReadTimeout(commandTimeout)
            case .finish(let outcome):
                await quit()
                return outcome
            }
        }
    }

    private mutating func readReply(into session: inout SMTPClientSession) async -> SMTPClientSession.Action {
        do {
            return session.receive(try await nextReply())
        } catch {
            return session.connectionLost("\(error)")
        }
    }

    /// The next complete reply, its lines read one by one.
    private mutating func nextReply() async throws -> SMTPReply {
        while true {
            if let reply = try parser.next(from: &pending) { return reply }
            let line = try await connection.readLine()
            pending.writeString(line)
            pending.writeString("\r\n")
        }
    }

    /// RFC 5321 §4.1.1.10: QUIT, then its reply, briefly; the connection closes either way.
    private mutating func quit() async {
        if (try? await connection.send(SMTPCommand.quit.encoded())) != nil {
            try? await connection.setReadTimeout(.seconds(10))
            _ = try? await nextReply()
        }
        await connection.close()
    }
}
