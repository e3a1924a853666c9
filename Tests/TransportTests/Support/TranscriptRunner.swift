// Transcripts (STYLE.md rule 11): a session written as "C:" lines (what the
// client sends, CRLF added) and "S:" lines (what the server answers), run by
// one runner over the EmbeddedChannel pipeline (drip-fed) and over a real
// socket. "S: <closed>" means the server has closed; an S: line ending in
// "*" matches any rest of the line; "<CR>" and "<LF>" in a C: line stand for
// a bare CR or LF.
import NIOCore
import Testing
@testable import Transport

struct Transcript: Sendable, CustomTestStringConvertible {
    enum Step: Sendable, Equatable {
        case client(String)
        case server(String)
        case closed
    }

    let name: String
    let steps: [Step]

    init(_ name: String, _ text: String) {
        self.name = name
        steps = text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("C: ") {
                let bytes = line.dropFirst(3).replacingOccurrences(of: "<CR>", with: "\r")
                    .replacingOccurrences(of: "<LF>", with: "\n")
                return .client(bytes + "\r\n")
            }
            if line == "S: <closed>" { return .closed }
            if line.hasPrefix("S: ") { return .server(String(line.dropFirst(3))) }
            return nil
        }
    }

    var testDescription: String { name }

    /// The steps in turns: what the client sends at once, then what it
    /// expects back before sending more.
    var turns: [(send: String, expect: [Step])] {
        var turns: [(send: String, expect: [Step])] = []
        for step in steps {
            switch step {
            case .client(let text):
                if let last = turns.last, last.expect.isEmpty {
                    turns[turns.count - 1].send += text
                } else {
                    turns.append((text, []))
                }
            case .server, .closed:
                if turns.isEmpty { turns.append(("", [])) }
                turns[turns.count - 1].expect.append(step)
            }
        }
        return turns
    }
}

func transcriptLineMatches(_ expected: String, _ actual: String) -> Bool {
    expected.hasSuffix("*") ? actual.hasPrefix(expected.dropLast()) : actual == expected
}

/// Runs `transcript` through SessionHandler in an EmbeddedChannel, one
/// byte a read.
func runOverPipeline(_ transcript: Transcript, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let session = try EchoPipeline()
    for (index, turn) in transcript.turns.enumerated() {
        if !turn.send.isEmpty { try session.drip(turn.send) }
        var lines = try session.written().split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var expectClosed = false
        var expected: [String] = []
        for step in turn.expect {
            switch step {
            case .server(let line): expected.append(line)
            case .closed: expectClosed = true
            case .client: break
            }
        }
        let matches = lines.count == expected.count && zip(expected, lines).allSatisfy(transcriptLineMatches)
        #expect(matches, "turn \(index): expected \(expected), got \(lines)", sourceLocation: sourceLocation)
        if expectClosed {
            #expect(!session.isOpen, "turn \(index): still open", sourceLocation: sourceLocation)
        }
    }
}

/// Runs `transcript` against a real server.
func runOverSocket(
    _ transcript: Transcript, server: TestServer, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let client = try await server.connect()
    for (index, turn) in transcript.turns.enumerated() {
        if !turn.send.isEmpty { try await client.send(turn.send) }
        for step in turn.expect {
            switch step {
            case .server(let expected):
                let line = try await client.readLine()
                #expect(
                    transcriptLineMatches(expected, line), "turn \(index): expected \(expected), got \(line)",
                    sourceLocation: sourceLocation)
            case .closed:
                #expect(await isClosed(client, sourceLocation: sourceLocation))
            case .client:
                break
            }
        }
    }
    await client.close()
}
