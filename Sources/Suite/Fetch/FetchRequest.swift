// `chappe fetch` as data: what the command line asked for, checked, then
// run. The executable only maps its flags onto a FetchRequest (STYLE.md
// rule 14: CLI bodies are thin).
import Foundation
import IMAP
import POP3
import Synchronization
import Transport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct FetchRequest: Sendable {
    public enum Destination: Sendable, Equatable {
        case maildir(String)
        case mbox(String)
        /// A local account; the configuration file (nil: the default search).
        case account(String, config: String?)
    }

    public var url: String
    public var destination: Destination
    public var passwordFile: String?
    /// The environment (CHAPPE_FETCH_PASSWORD, HOME).
    public var environment: [String: String]
    public var keep = false
    public var allowPlaintext = false
    public var insecure = false
    /// Extra trust anchors (PEM) for the server's certificate.
    public var caFile: String?
    /// The UIDL memory file; nil: next to the destination, or ~/.chappe/fetch.
    public var statePath: String?
    public var maxMessageSize = 256 * 1024 * 1024
    public var timeouts = POP3ClientOptions()

    public static let passwordVariable = "CHAPPE_FETCH_PASSWORD"

    public init(url: String, destination: Destination, passwordFile: String?, environment: [String: String]) {
        self.url = url
        self.destination = destination
        self.passwordFile = passwordFile
        self.environment = environment
    }

    /// Checks the request, connects, fetches, and closes everything.
    public func run(progress: (any FetchProgress)?) async throws(FetchError) -> FetchReport {
        let url = try FetchURL.parse(url)
        let password = try readPassword()
        let security = FetchSecurity(tls: try tlsSettings(), allowPlaintext: allowPlaintext)
        let target = try await openDestination()
        let outcome: Result<FetchReport, FetchError>
        do {
            outcome = .success(try await fetch(url, password: password, security: security, into: target, progress: progress))
        } catch {
            outcome = .failure(error)
        }
        await target.close()
        return try outcome.get()
    }

    private func fetch(
        _ url: FetchURL, password: String, security: FetchSecurity, into target: any FetchDestination,
        progress: (any FetchProgress)?
    ) async throws(FetchError) -> FetchReport {
        let memory: UIDLMemory
        do {
            let path = try statePath ?? target.defaultStatePath
            memory = try await onThreadPool { try UIDLMemory(path: path) }
        } catch let error as FetchError {
            throw error
        } catch {
            throw .runtime("UIDL memory: \(error)")
        }
        let source: any FetchSource
        do {
            switch url.scheme {
            case .pop3, .pop3s:
                source = try await POP3FetchSource.open(url, password: password, security: security, options: timeouts)
            case .imap, .imaps:
                let options = IMAPClientOptions(
                    connectTimeout: timeouts.connectTimeout, readTimeout: timeouts.readTimeout,
                    maxLiteralBytes: maxMessageSize + 64 * 1024)
                source = try await IMAPFetchSource.open(url, password: password, security: security, options: options)
            }
        } catch let error as FetchError {
            throw error
        } catch {
            throw .runtime("\(url): \(Self.describe(error))")
        }
        do {
            return try await Fetcher.run(
                source: source, destination: target, memory: memory,
                options: FetchOptions(keep: keep, maxMessageSize: maxMessageSize), progress: progress)
        } catch let error as FetchError {
            throw error
        } catch {
            throw .runtime("\(url): \(Self.describe(error))")
        }
    }

    /// --password-file (its first line), else the environment.
    func readPassword() throws(FetchError) -> String {
        if let passwordFile {
            let bytes: [UInt8]
            do {
                bytes = try FetchFiles.readFile(passwordFile)
            } catch {
                throw .usage("--password-file: \(error)")
            }
            let text = String(decoding: bytes, as: UTF8.self)
            var line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if line.hasSuffix("\r") { line.removeLast() }
            guard !line.isEmpty else { throw .usage("--password-file \(passwordFile): the first line is empty") }
            return line
        }
        if let password = environment[Self.passwordVariable], !password.isEmpty {
            return password
        }
        throw .usage("no password: give --password-file FILE or set \(Self.passwordVariable)")
    }

    func tlsSettings() throws(FetchError) -> ClientTLSSettings {
        var roots: [String] = []
        if let caFile {
            do {
                roots = [String(decoding: try FetchFiles.readFile(caFile), as: UTF8.self)]
            } catch {
                throw .usage("--ca-file: \(error)")
            }
        }
        return ClientTLSSettings(verifyCertificate: !insecure, trustRootsPEM: roots)
    }

    private func openDestination() async throws(FetchError) -> any FetchDestination {
        switch destination {
        case .maildir(let path):
            do {
                return try await onThreadPool { try MaildirWriter(path: path) }
            } catch {
                throw .runtime("--to: \(error)")
            }
        case .mbox(let path):
            return MboxWriter(path: path)
        case .account(let address, let config):
            let configuration: ChappeConfiguration
            do {
                configuration = try ConfigurationLocator.load(explicit: config)
            } catch {
                throw .usage("\(error)")
            }
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
            return try await AccountDestination.open(
                address: address, configuration: configuration, stateDirectory: home.map { $0 + "/.chappe/fetch" })
        }
    }

    /// Transport and TLS errors in words.
    static func describe(_ error: any Error) -> String {
        "\(error)"
    }
}

// MARK: - Progress on a terminal

/// "fetching 3/10 (12 KB)" on standard error, redrawn in place, only when
/// standard error is a terminal.
public final class TerminalProgress: FetchProgress {
    private let label: String
    /// When the line was last drawn: at most ten times a second.
    private let lastDrawn = Mutex<ContinuousClock.Instant?>(nil)

    /// nil when standard error is not a terminal.
    public static func ifTerminal(label: String) -> TerminalProgress? {
        isatty(STDERR_FILENO) == 1 ? TerminalProgress(label: label) : nil
    }

    init(label: String) {
        self.label = label
    }

    public func update(done: Int, total: Int, bytes: Int) {
        let now = ContinuousClock.now
        let due = lastDrawn.withLock { last in
            guard done == total || last.map({ now - $0 >= .milliseconds(100) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        write("\r\u{1B}[K\(label): \(done)/\(total) messages, \(Self.size(bytes))")
    }

    public func finish() {
        write("\r\u{1B}[K")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func size(_ bytes: Int) -> String {
        switch bytes {
        case ..<1024: return "\(bytes) bytes"
        case ..<(1024 * 1024): return String(format: "%.1f KB", Double(bytes) / 1024)
        default: return String(format: "%.1f MB", Double(bytes) / 1024 / 1024)
        }
    }
}
