// POP3 over the real mail store (StoreMaildropBackend, a temporary data_dir): LIST and
// STAT give the octets RETR sends (RFC 1939 §5, §11), also for messages stored with
// bare LF or CR line endings, which RETR sends as CRLF.
import Foundation
import Logging
import MailStore
import NIOCore
import Synchronization
import Testing
import Transport

@testable import POP3

/// A temporary data_dir with accounts.sqlite and one account, removed at the end.
final class POP3StoreSandbox: Sendable {
    let dataDirectory: String
    let accounts: AccountStore
    let stores: UserStoreRegistry
    let address: MailAddress

    init() async throws {
        dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("chappe-pop3-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let cheap = PasswordHasher(parameters: try ScryptParameters(logN: 4, blockSize: 1, parallelism: 1))
        accounts = try AccountStore(path: dataDirectory + "/accounts.sqlite", hasher: cheap)
        address = try MailAddress("alice@example.test")
        try await accounts.add(address, password: "pw")
        stores = UserStoreRegistry(dataDirectory: dataDirectory, options: StoreOptions(hostname: "test.host"))
    }

    func deliver(_ messages: [[UInt8]]) async throws {
        let store = try await stores.store(for: address)
        for (index, message) in messages.enumerated() {
            _ = try await store.deliver(.bytes(message), deliveryID: "wire-\(index)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: dataDirectory) }
}

/// What the client has received so far.
final class ReceivedBytes: Sendable {
    private let bytes = Mutex<[UInt8]>([])

    func append(_ buffer: ByteBuffer) { bytes.withLock { $0 += Array(buffer.readableBytesView) } }

    func take() -> [UInt8] {
        bytes.withLock { bytes in
            defer { bytes = [] }
            return bytes
        }
    }
}

/// Runs a session with the real performer for every effect (RETR streams through the
/// effect's output, as on a socket) and returns each command's response bytes.
struct StoreSessionDriver {
    private var session = POP3Session(
        configuration: POP3Configuration(hostname: "pop.test", allowPlaintextOnLoopback: true, authFailureDelay: .zero))
    private let performer: POP3Performer
    private let connection: ConnectionInfo
    private let received = ReceivedBytes()

    init(backend: any POP3Backend) throws {
        performer = POP3Performer(backend: backend)
        connection = ConnectionInfo(
            id: 7, service: "pop3", listener: "pop3", remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 40001),
            localAddress: nil, isTLS: false)
    }

    mutating func connect() async -> String {
        String(decoding: await run(session.connected(connection)), as: UTF8.self)
    }

    mutating func send(_ line: String) async -> [UInt8] {
        await run(session.received(.line(ByteBuffer(string: line))))
    }

    mutating func sendText(_ line: String) async -> String {
        String(decoding: await send(line), as: UTF8.self)
    }

    private mutating func run(_ actions: [SessionAction<POP3Effect>]) async -> [UInt8] {
        var queue = actions
        let received = self.received
        while !queue.isEmpty {
            switch queue.removeFirst() {
            case .send(let bytes):
                received.append(bytes)
            case .perform(let effect):
                let output = SessionOutput(writer: { bytes in received.append(bytes) })
                let context = EffectContext(connection: connection, logger: Logger(label: "test"), output: output)
                let result = await performer.perform(effect, context: context)
                queue.append(contentsOf: session.completed(result))
            default:
                break
            }
        }
        return received.take()
    }
}

/// A RETR response split into its status line and the message as the client gets it:
/// the bytes between the status line and the ".CRLF" terminator, dot-unstuffed.
func retrieved(_ response: [UInt8]) -> (status: String, message: [UInt8])? {
    guard let lineEnd = (0..<max(0, response.count - 1)).first(where: { response[$0] == 0x0D && response[$0 + 1] == 0x0A }),
          response.count >= lineEnd + 2 + 3, Array(response.suffix(3)) == Array(".\r\n".utf8)
    else { return nil }
    let status = String(decoding: response[..<lineEnd], as: UTF8.self)
    var message: [UInt8] = []
    var atLineStart = true
    for byte in response[(lineEnd + 2)..<(response.count - 3)] {
        if atLineStart && byte == UInt8(ascii: ".") {
            atLineStart = false
            continue  // the stuffed dot (RFC 1939 §3)
        }
        message.append(byte)
        atLineStart = byte == 0x0A
    }
    return (status, message)
}

/// The sizes in a multi-line LIST response ("N SIZE" lines).
func listedSizes(_ response: String) -> [Int] {
    response.split(separator: "\r\n").dropFirst().compactMap { line in
        let fields = line.split(separator: " ")
        return fields.count == 2 ? Int(fields[1]) : nil
    }
}

/// The message with every line ending as CRLF (a CRLF kept, any other CR or LF made CRLF).
func normalisedToCRLF(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        if byte == 0x0D || byte == 0x0A {
            out += [0x0D, 0x0A]
            if byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A { index += 1 }
        } else {
            out.append(byte)
        }
        index += 1
    }
    return out
}

@Suite("POP3 sizes over the mail store")
struct StoreMaildropWireSizeTests {
    private func loggedIn(_ sandbox: POP3StoreSandbox) async throws -> StoreSessionDriver {
        var driver = try StoreSessionDriver(backend: StoreMaildropBackend(accounts: sandbox.accounts, stores: sandbox.stores))
        #expect(await driver.connect().hasPrefix("+OK"))
        #expect(await driver.sendText("USER alice@example.test").hasPrefix("+OK"))
        #expect(await driver.sendText("PASS pw").hasPrefix("+OK"))
        return driver
    }

    @Test func listSizeIsTheOctetsRetrSendsForAnLFMessage() async throws {
        let sandbox = try await POP3StoreSandbox()
        let message = Array("From: bob@example.test\nSubject: from a pipe\n\nline one\n.a line with a dot\nlast line\n".utf8)
        try await sandbox.deliver([message])
        var driver = try await loggedIn(sandbox)

        let wire = message.count + message.filter { $0 == 0x0A }.count
        #expect(await driver.sendText("STAT") == "+OK 1 \(wire)\r\n")
        #expect(await driver.sendText("LIST 1") == "+OK 1 \(wire)\r\n")
        let list = await driver.sendText("LIST")
        #expect(listedSizes(list) == [wire])
        let response = try #require(retrieved(await driver.send("RETR 1")))
        #expect(response.status == "+OK \(wire) octets")
        #expect(response.message.count == wire)
        #expect(response.message == normalisedToCRLF(message))
        _ = await driver.sendText("QUIT")
        await sandbox.stores.closeAll()
    }

    @Test func listAndStatMatchRetrForRandomMessages() async throws {
        let sandbox = try await POP3StoreSandbox()
        // SplitMix64 with a fixed seed: the same messages on every run.
        var state: UInt64 = 0xC4A9_9E00_0000_0007
        func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        let pieces: [[UInt8]] = [[0x0D, 0x0A], [0x0A], [0x0D], Array("text".utf8), Array(".".utf8), Array("..".utf8), [0xC3, 0xA9]]
        let endings: [[UInt8]] = [[0x0D, 0x0A], [0x0A], [0x0D]]
        var messages: [[UInt8]] = []
        for _ in 0..<25 {
            var bytes = Array("Subject: random\n\n".utf8)
            for _ in 0..<next(80) { bytes += pieces[next(pieces.count)] }
            bytes += endings[next(endings.count)]  // the last line ends, so no framing CRLF is added
            messages.append(bytes)
        }
        try await sandbox.deliver(messages)
        var driver = try await loggedIn(sandbox)

        let sizes = listedSizes(await driver.sendText("LIST"))
        #expect(sizes.count == messages.count)
        #expect(await driver.sendText("STAT") == "+OK \(messages.count) \(sizes.reduce(0, +))\r\n")
        for (index, message) in messages.enumerated() {
            let response = try #require(retrieved(await driver.send("RETR \(index + 1)")))
            #expect(response.message.count == sizes[index], "message \(index + 1)")
            #expect(response.message == normalisedToCRLF(message), "message \(index + 1)")
        }
        _ = await driver.sendText("QUIT")
        await sandbox.stores.closeAll()
    }

    @Test func aLastLineWithoutLineEndingGetsOnlyTheFramingCRLF() async throws {
        let sandbox = try await POP3StoreSandbox()
        let message = Array("Subject: unterminated\n\nno line ending".utf8)
        try await sandbox.deliver([message])
        var driver = try await loggedIn(sandbox)
        let wire = message.count + 2
        #expect(listedSizes(await driver.sendText("LIST")) == [wire])
        let response = try #require(retrieved(await driver.send("RETR 1")))
        // RETR ends the last line with a CRLF before ".CRLF" (RFC 1939 §3: a multi-line
        // response is lines); that CRLF is framing, not counted (as Dovecot and IMAP).
        #expect(response.message == normalisedToCRLF(message) + [0x0D, 0x0A])
        _ = await driver.sendText("QUIT")
        await sandbox.stores.closeAll()
    }
}
