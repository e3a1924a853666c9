// The in-memory twin of the mail store for POP3 tests (STYLE.md rule 10).
import Crypto
import NIOCore
import Synchronization

@testable import POP3

final class MemoryBackend: POP3Backend {
    private struct State {
        var mailboxes: [String: [String]] = [:]
        var passwords: [String: String] = [:]
        var locked: Set<String> = []
    }

    private let state = Mutex(State())

    func addUser(_ name: String, password: String, messages: [String]) {
        state.withLock {
            $0.passwords[name] = password
            $0.mailboxes[name] = messages
        }
    }

    func messages(of user: String) -> [String] {
        state.withLock { $0.mailboxes[user] ?? [] }
    }

    func login(username: String, password: String) async -> POP3LoginResult {
        state.withLock { state in
            guard state.passwords[username] == password else { return .invalidCredentials }
            guard !state.locked.contains(username) else { return .inUse }
            state.locked.insert(username)
            return .success(MemoryMaildrop(backend: self, user: username, contents: state.mailboxes[username] ?? []))
        }
    }

    /// APOP with the password as the shared secret (RFC 1939 §7).
    func loginAPOP(username: String, timestamp: String, digest: String) async -> POP3LoginResult {
        let password = state.withLock { $0.passwords[username] }
        guard let password, MemoryBackend.md5Hex(timestamp + password) == digest.lowercased() else { return .invalidCredentials }
        return await login(username: username, password: password)
    }

    static func md5Hex(_ text: String) -> String {
        Insecure.MD5.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    fileprivate func unlock(_ user: String) {
        state.withLock { _ = $0.locked.remove(user) }
    }

    fileprivate func remove(_ indices: [Int], of user: String) {
        state.withLock { state in
            guard var list = state.mailboxes[user] else { return }
            for index in indices.sorted(by: >) { list.remove(at: index) }
            state.mailboxes[user] = list
        }
    }
}

final class MemoryMaildrop: POP3Maildrop {
    let messages: [POP3MessageInfo]
    private let contents: [String]
    private let backend: MemoryBackend
    private let user: String

    init(backend: MemoryBackend, user: String, contents: [String]) {
        self.backend = backend
        self.user = user
        self.contents = contents
        self.messages = contents.enumerated().map { POP3MessageInfo(size: $1.utf8.count, uniqueID: "uid-\($0 + 1)") }
    }

    func read(_ index: Int) async throws -> ByteBuffer {
        ByteBuffer(string: contents[index])
    }

    func expunge(_ indices: [Int]) async throws {
        backend.remove(indices, of: user)
    }

    deinit {
        backend.unlock(user)
    }
}

import Logging
import Transport

extension EffectContext {
    /// A context whose output is discarded, for effects that do not write.
    static func testing(_ connection: ConnectionInfo) -> EffectContext {
        EffectContext(
            connection: connection, logger: Logger(label: "test"), output: SessionOutput(writer: { _ in }))
    }
}
