// Parser fixtures: success, failure, limits (STYLE.md rules 2, 3, 11).
import NIOCore
import Testing

@testable import POP3

@Suite("POP3 command parser")
struct POP3CommandTests {
    @Test(arguments: [
        ("USER alice", POP3Command.user("alice")),
        ("user alice", .user("alice")),
        ("PASS secret with spaces", .pass("secret with spaces")),
        ("APOP mrose c4c9334bac560ecc979e58001b3e22fb", .apop(name: "mrose", digest: "c4c9334bac560ecc979e58001b3e22fb")),
        ("AUTH", .auth(mechanism: nil, initialResponse: nil)),
        ("AUTH PLAIN", .auth(mechanism: "PLAIN", initialResponse: nil)),
        ("AUTH PLAIN AGFsaWNlAHNlY3JldA==", .auth(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHNlY3JldA==")),
        ("STLS", .stls), ("CAPA", .capa), ("STAT", .stat), ("NOOP", .noop), ("RSET", .rset), ("QUIT", .quit),
        ("LIST", .list(nil)), ("LIST 2", .list(2)), ("UIDL", .uidl(nil)), ("UIDL 7", .uidl(7)),
        ("RETR 1", .retr(1)), ("DELE 3", .dele(3)), ("TOP 1 0", .top(1, lines: 0)), ("TOP 2 10", .top(2, lines: 10)),
    ])
    func parses(_ line: String, _ expected: POP3Command) {
        #expect(POP3Command.parse(line) == .success(expected))
    }

    @Test(arguments: [
        ("", POP3ParseError.empty),
        ("FROB", .unknownCommand("FROB")),
        ("RETR", .wrongArguments(verb: "RETR", usage: "msg")),
        ("RETR 1 2", .wrongArguments(verb: "RETR", usage: "msg")),
        ("RETR 0", .badNumber("0")),
        ("RETR -1", .badNumber("-1")),
        ("RETR x", .badNumber("x")),
        ("TOP 1", .wrongArguments(verb: "TOP", usage: "msg n")),
        ("TOP 1 -2", .badNumber("-2")),
        ("STAT now", .wrongArguments(verb: "STAT", usage: "")),
        ("PASS", .wrongArguments(verb: "PASS", usage: "password")),
    ])
    func refuses(_ line: String, _ expected: POP3ParseError) {
        #expect(POP3Command.parse(line) == .failure(expected))
    }

    /// RFC 1939 §3: arguments are at most 40 characters.
    @Test func argumentLengthLimit() {
        let fortyChars = String(repeating: "a", count: 40)
        #expect(POP3Command.parse("USER \(fortyChars)") == .success(.user(fortyChars)))
        #expect(POP3Command.parse("USER \(fortyChars)a") == .failure(.wrongArguments(verb: "USER", usage: "name")))
    }

    @Test func repliesAreDotStuffed() {
        let reply = POP3Reply.multiline("follows", ["one", ".two", "."])
        #expect(String(buffer: reply.encoded()) == "+OK follows\r\none\r\n..two\r\n..\r\n.\r\n")
        #expect(String(buffer: POP3Reply.err(.inUse, "locked").encoded()) == "-ERR [IN-USE] locked\r\n")
        #expect(String(buffer: POP3Reply.challenge("").encoded()) == "+ \r\n")
    }
}
