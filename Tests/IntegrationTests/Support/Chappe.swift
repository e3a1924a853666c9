// Runs the real `chappe` binary for end-to-end tests: one-shot commands, and
// a server in the background with a temporary configuration and data folder.
import Foundation
import Synchronization
import Testing

enum Chappe {
    /// The binary built next to the test bundle by `swift build --build-tests`.
    static let binary: URL = {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleDirectory.appendingPathComponent("chappe"),
            bundleDirectory.deletingLastPathComponent().appendingPathComponent("chappe"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `chappe ARGS` to completion.
    static func run(_ arguments: [String], stdin: String? = nil, in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }
}

/// A temporary folder with a configuration file in etc/ and data in spool/.
final class Sandbox {
    let root: URL
    var etc: URL { root.appendingPathComponent("etc") }
    var configFile: URL { etc.appendingPathComponent("chappe.toml") }
    var spool: URL { root.appendingPathComponent("spool") }

    /// The body of each service section to enable ("pop3": "listen = [...]"),
    /// written in place of `enabled = false`.
    let services: [String: String]
    let hostname: String

    /// `extra` is appended to a configuration with every protocol service
    /// disabled but those in `services`, so tests bind nothing they do not ask for.
    init(extra: String = "", services: [String: String] = [:], hostname: String = "mail.sandbox.test") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-it-\(UUID().uuidString.prefix(8))")
        self.services = services
        self.hostname = hostname
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        try writeConfig(extra: extra)
    }

    func writeConfig(extra: String = "", raw: String? = nil) throws {
        let names = ["smtp", "pop3", "imap", "nntp", "ftp", "http", "dns"]
        let text = raw ?? ("data_dir = \"../spool\"\nhostname = \"\(hostname)\"\nshutdown_timeout = \"2s\"\n"
            + extra + "\n" + names.map { "[\($0)]\n" + (services[$0] ?? "enabled = false") + "\n" }.joined())
        try text.write(to: configFile, atomically: true, encoding: .utf8)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }
}

/// `chappe serve` in the background, with its stderr collected.
final class RunningServer {
    let process = Process()
    private let errors = Pipe()
    private let log = LogCollector()

    init(config: URL, arguments: [String] = []) throws {
        process.executableURL = Chappe.binary
        process.arguments = ["serve", "--config", config.path] + arguments
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let collector = log
        errors.fileHandleForReading.readabilityHandler = { handle in
            collector.append(handle.availableData)
        }
        try process.run()
    }

    var logText: String { log.text }

    /// Waits until the log contains `text` (or the process ends).
    func waitForLog(_ text: String, timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.text.contains(text) { return }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("server log never showed \"\(text)\"; log so far:\n\(log.text)")
        throw CancellationError()
    }

    /// Sends SIGTERM and waits for the exit status.
    func stop() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Appended from the pipe's reader thread, read by the test.
final class LogCollector: Sendable {
    private let data = Mutex(Data())

    func append(_ chunk: Data) {
        data.withLock { $0.append(chunk) }
    }

    var text: String {
        data.withLock { String(decoding: $0, as: UTF8.self) }
    }
}
