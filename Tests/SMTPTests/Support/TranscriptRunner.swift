// Transcripts (STYLE.md rule 11): a session written as "C:" lines (what the
// client sends, CRLF added) and "S:" lines (what the server answers). One
// runner plays each transcript three ways: a line at a time, pipelined
// (consecutive C: lines in one write) and drip-fed one byte at a time.
// "S: <closed>" means the server has closed; an S: line ending in "*"
// matches any rest; "<CR>" and "<LF>" in a C: line are a bare CR or LF;
// a C: line ending in "<NOCRLF>" is sent without CRLF (BDAT payloads).
import Testing

@testable import SMTP

struct Transcript: Sendable, CustomTestStringConvertible {
    enum Step: Sendable, Equatable {
        case client(String)
        case server(String)
        case closed
    }

    enum Feed: Sendable, CaseIterable {
        case lineByLine
        case pipelined
        case dripped
    }

    let name: String
    let steps: [Step]
    let peer: String
    let listener: String
    let tls: Bool

    init(_ name: String, peer: String = "192.0.2.7", listener: String = "smtp", tls: Bool = false, _ text: String) {
        self.name = name
        self.peer = peer
        self.listener = listener
        self.tls = tls
        steps = text.split(separator: "\n").compactMap { line in
            if line == "C:" { return .client("\r\n") }
            if line.hasPrefix("C: ") {
                var bytes = line.dropFirst(3).replacingOccurrences(of: "<CR>", with: "\r")
                    .replacingOccurrences(of: "<LF>", with: "\n")
                if bytes.hasSuffix("<NOCRLF>") {
                    bytes = String(bytes.dropLast(8))
                } else {
                    bytes += "\r\n"
                }
                return .client(bytes)
            }
            if line == "S: <closed>" { return .closed }
            if line.hasPrefix("S: ") { return .server(String(line.dropFirst(3))) }
            return nil
        }
    }

    var testDescription: String { name }
}

func transcriptLineMatches(_ expected: String, _ actual: String) -> Bool {
    expected.hasSuffix("*") ? actual.hasPrefix(expected.dropLast()) : actual == expected
}

/// Plays `transcript` against a fresh session and the given spool.
@discardableResult
func play(
    _ transcript: Transcript, feed: Transcript.Feed, spool: MemorySpool = MemorySpool(),
    configuration: SMTPConfiguration = SessionHarness.configuration(),
    sourceLocation: SourceLocation = #_sourceLocation
) async -> SessionHarness {
    var harness = SessionHarness(
        spool: spool, peer: transcript.peer, listener: transcript.listener, tls: transcript.tls,
        configuration: configuration)
    await harness.connect()
    var produced: [String] = []
    var pendingClient = ""

    func flush(_ harness: inout SessionHarness) async {
        guard !pendingClient.isEmpty else { return }
        switch feed {
        case .dripped: await harness.drip(pendingClient)
        case .lineByLine, .pipelined: await harness.send(pendingClient)
        }
        pendingClient = ""
    }

    for step in transcript.steps {
        switch step {
        case .client(let bytes):
            pendingClient += bytes
            if feed == .lineByLine { await flush(&harness) }
        case .server(let expected):
            await flush(&harness)
            produced += harness.takeLines()
            guard !produced.isEmpty else {
                Issue.record("\(transcript.name) [\(feed)]: expected \"\(expected)\", got nothing", sourceLocation: sourceLocation)
                return harness
            }
            let actual = produced.removeFirst()
            #expect(
                transcriptLineMatches(expected, actual),
                "\(transcript.name) [\(feed)]: expected \"\(expected)\", got \"\(actual)\"", sourceLocation: sourceLocation)
        case .closed:
            await flush(&harness)
            produced += harness.takeLines()
            #expect(harness.closed, "\(transcript.name) [\(feed)]: expected the server to close", sourceLocation: sourceLocation)
        }
    }
    await flush(&harness)
    produced += harness.takeLines()
    #expect(produced.isEmpty, "\(transcript.name) [\(feed)]: unexpected output \(produced)", sourceLocation: sourceLocation)
    return harness
}
