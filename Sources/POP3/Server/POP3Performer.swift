// Runs a POP3 session's effects against the backend, off the event loop.
// RETR and TOP stream the message to the client through the session's
// output, chunk by chunk, so a 30 MB message never sits in memory twice and
// a slow reader slows the writer.
import Logging
import NIOCore
import NIOSSL
import Transport

public struct POP3Performer: EffectPerformer {
    public typealias Machine = POP3Session

    /// Size of the pieces written to the client.
    static let chunkSize = 64 * 1024

    let backend: any POP3Backend

    public init(backend: any POP3Backend) {
        self.backend = backend
    }

    public func perform(_ effect: POP3Effect, context: EffectContext) async -> POP3EffectResult {
        switch effect {
        case .login(let username, let password):
            let outcome = await backend.login(username: username, password: password)
            if case .invalidCredentials = outcome {
                context.logger.notice("failed login for \(username.prefix(64))")
            } else if case .success = outcome {
                context.logger.info("login \(username.prefix(64))")
            }
            return .login(outcome)
        case .apopLogin(let username, let timestamp, let digest):
            let outcome = await backend.loginAPOP(username: username, timestamp: timestamp, digest: digest)
            if case .invalidCredentials = outcome {
                context.logger.notice("failed APOP login for \(username.prefix(64))")
            } else if case .success = outcome {
                context.logger.info("login \(username.prefix(64)) (APOP)")
            }
            return .login(outcome)
        case .pause(let duration):
            try? await Task.sleep(for: duration)
            return .paused
        case .send(let maildrop, let index, let bodyLines):
            return await send(maildrop, index: index, bodyLines: bodyLines, context: context)
        case .update(let maildrop, let deleting):
            do {
                try await maildrop.expunge(deleting)
                context.logger.info("deleted \(deleting.count) messages")
                return .updated
            } catch {
                context.logger.error("UPDATE failed: \(error)")
                return .updateFailed("\(error)")
            }
        }
    }

    /// RETR and TOP of a message already read ahead are answered on the
    /// event loop, with no thread hand-off: a client that pipelines its RETRs
    /// gets them back to back.
    public func performImmediately(_ effect: POP3Effect, context: EffectContext) -> POP3EffectResult? {
        guard case .send(let maildrop, let index, let bodyLines) = effect,
            let message = maildrop.readIfReady(index),
            message.readableBytes <= Self.chunkSize
        else { return nil }
        var stuffer = DotStuffer(normalizesLineEndings: true)
        var response = ByteBuffer(string: Self.status(maildrop, index: index, bodyLines: bodyLines))
        stuffer.encode(bodyLines.map { Self.top(of: message, bodyLines: $0) } ?? message, into: &response)
        stuffer.finish(into: &response)
        return .sent(tail: response)
    }

    private func send(
        _ maildrop: any POP3Maildrop, index: Int, bodyLines: Int?, context: EffectContext
    ) async -> POP3EffectResult {
        var message: ByteBuffer
        do {
            message = try await maildrop.read(index)
        } catch {
            context.logger.error("cannot read message \(index + 1): \(error)")
            return .sendFailed("cannot read message \(index + 1)")
        }
        if let bodyLines {
            message = Self.top(of: message, bodyLines: bodyLines)
        }
        var stuffer = DotStuffer(normalizesLineEndings: true)
        var pending = ByteBuffer(string: Self.status(maildrop, index: index, bodyLines: bodyLines))
        do {
            while let chunk = message.readSlice(length: min(Self.chunkSize, message.readableBytes)), chunk.readableBytes > 0 {
                stuffer.encode(chunk, into: &pending)
                // The last piece goes back with the result and leaves with it:
                // a message of up to chunkSize bytes costs no write of its own.
                guard message.readableBytes > 0 else { break }
                try await context.output.write(pending)
                pending.clear()
            }
        } catch {
            return .sendBroken
        }
        stuffer.finish(into: &pending)
        return .sent(tail: pending)
    }

    private static func status(_ maildrop: any POP3Maildrop, index: Int, bodyLines: Int?) -> String {
        bodyLines == nil ? "+OK \(maildrop.messages[index].size) octets\r\n" : "+OK top of message follows\r\n"
    }

    /// RFC 1939 §7 TOP: the header, the blank line, and the first `bodyLines`
    /// lines of the body.
    static func top(of message: ByteBuffer, bodyLines: Int) -> ByteBuffer {
        let bytes = message.readableBytesView
        var index = bytes.startIndex
        var lineStart = index
        var inBody = false
        var linesLeft = bodyLines
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                let lineLength = index - lineStart
                let isBlank = lineLength == 0 || (lineLength == 1 && bytes[lineStart] == 0x0D)
                if inBody {
                    linesLeft -= 1
                } else if isBlank {
                    inBody = true
                }
                lineStart = index + 1
                if inBody && linesLeft <= 0 {
                    return message.getSlice(at: message.readerIndex, length: lineStart - bytes.startIndex) ?? message
                }
            }
            index += 1
        }
        return message
    }
}

public enum POP3Server {
    /// The POP3 service on the shared transport: plain listeners with STLS,
    /// implicit-TLS listeners, one `POP3Session` per connection.
    public static func make(
        configuration: POP3Configuration, listeners: [ListenerSpec], limits: SessionLimits, tls: NIOSSLContext?,
        backend: any POP3Backend, group: any EventLoopGroup, logger: Logger
    ) -> TCPServer<POP3Performer> {
        TCPServer(
            service: "pop3", listeners: listeners, limits: limits, tls: tls,
            performer: POP3Performer(backend: backend), group: group, logger: logger,
            busyReply: { reason in
                let text = reason == .tooManyConnectionsFromClient ? "too many connections from your address" : "too many connections"
                return POP3Reply.err(.sysTemp, "\(text), try again later").encoded()
            },
            makeMachine: { POP3Session(configuration: configuration) })
    }
}
