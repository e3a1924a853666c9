// The echo protocol's transcripts, each run drip-fed through the pipeline
// and over a real socket by the one runner in Support/TranscriptRunner.swift.
import Testing
@testable import Transport

let echoTranscripts: [Transcript] = [
    Transcript("commands and replies", """
        S: 200 ready
        C: ECHO hello
        S: 250 hello
        C: BOGUS
        S: 500 unknown command
        C: QUIT
        S: 221 bye
        S: <closed>
        """),
    Transcript("pipelined group", """
        S: 200 ready
        C: ECHO one
        C: ECHO two
        C: LITERAL 4
        C: abcdECHO three
        S: 250 one
        S: 250 two
        S: 355 send 4
        S: 250 literal 4 bytes *
        S: 250 three
        """),
    Transcript("dot-stuffed payload", """
        S: 200 ready
        C: DATA
        S: 354 send
        C: ..leading dot
        C: ..
        C: plain
        C: .
        S: 250 24 bytes *
        C: ECHO after
        S: 250 after
        """),
    Transcript("smuggled end marker", """
        S: 200 ready
        C: DATA
        S: 354 send
        C: hi<LF>.<LF>ECHO smuggled<CR>.<CR>ECHO again
        C: .
        S: 550 bare line ending
        C: ECHO after
        S: 250 after
        """),
    Transcript("bare LF command", """
        S: 200 ready
        C: ECHO a<LF>ECHO b
        S: 500 bare line ending
        S: 250 b
        C: QUIT
        S: 221 bye
        S: <closed>
        """),
]

@Suite("Transcripts", .serialized)
struct TranscriptTests {
    @Test(arguments: echoTranscripts)
    func dripFedThroughThePipeline(_ transcript: Transcript) throws {
        try runOverPipeline(transcript)
    }

    @Test(arguments: echoTranscripts)
    func overARealSocket(_ transcript: Transcript) async throws {
        try await withServer { server in
            try await runOverSocket(transcript, server: server)
        }
    }
}
