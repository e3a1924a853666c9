// DNS end-to-end helpers: dig (Debian dnsutils) run off the cooperative pool and its output
// read back into status, flags and sections; NSD (Debian nsd), the established
// authoritative server, started on a free loopback port with its own configuration.
import Dispatch
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What dig printed, in parts that can be compared between two servers.
struct DigResult: Equatable, CustomStringConvertible {
    var status = ""
    var flags: Set<String> = []
    /// The UDP size of the OPT pseudo-section, nil without one.
    var ednsUDPSize: Int?
    /// Records of each section ("ANSWER", "AUTHORITY", "ADDITIONAL"), one space between fields.
    var sections: [String: [String]] = [:]
    var text = ""

    var description: String { text }

    func records(_ section: String) -> [String] { sections[section] ?? [] }

    init(output: String) {
        text = output
        var current: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix(";; ->>HEADER<<-"), let range = line.range(of: "status: ") {
                status = String(line[range.upperBound...].prefix { $0 != "," })
            } else if line.hasPrefix(";; flags:"), let end = line.firstIndex(of: ";", after: 3) {
                flags = Set(line[line.index(line.startIndex, offsetBy: 9)..<end].split(separator: " ").map(String.init))
            } else if line.hasPrefix("; EDNS:"), let range = line.range(of: "udp: ") {
                ednsUDPSize = Int(line[range.upperBound...].prefix { $0.isNumber })
            } else if line.hasPrefix(";; "), line.hasSuffix(" SECTION:") {
                current = String(line.dropFirst(3).dropLast(" SECTION:".count))
            } else if line.isEmpty || line.hasPrefix(";") {
                current = nil
            } else if let section = current, section != "QUESTION" {
                sections[section, default: []].append(line.split(whereSeparator: \.isWhitespace).joined(separator: " "))
            }
        }
    }
}

extension String {
    fileprivate func firstIndex(of character: Character, after offset: Int) -> String.Index? {
        self[index(startIndex, offsetBy: offset)...].firstIndex(of: character)
    }
}

/// Runs dig against 127.0.0.1:`port` without recursion or cookies (neither server uses
/// them, and they differ from run to run).
func dig(port: Int, _ arguments: [String]) async throws -> DigResult {
    let (status, output, errors) = try await smtpRunTool(
        "dig", ["@127.0.0.1", "-p", "\(port)", "+norecurse", "+nocookie", "+time=5", "+tries=3"] + arguments)
    guard status == 0 else {
        throw SMTPFixtureError("dig \(arguments) failed (\(status)): \(String(decoding: output + errors, as: UTF8.self))")
    }
    return DigResult(output: String(decoding: output, as: UTF8.self))
}

/// NSD serving one zone on 127.0.0.1 and a free port.
final class NSDServer: Sendable {
    let directory: URL
    let port: Int
    private let process: Process

    private init(directory: URL, port: Int, process: Process) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    static func start(origin: String, zoneFile: URL) async throws -> NSDServer {
        var lastLog = ""
        for _ in 0..<3 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-it-nsd-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("xfr"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: zoneFile, to: directory.appendingPathComponent("\(origin).zone"))
            let port = try smtpFreePort()
            let d = directory.path
            let configuration = """
                server:
                  ip-address: 127.0.0.1@\(port)
                  port: \(port)
                  do-ip6: no
                  username: ""
                  chroot: ""
                  database: ""
                  zonesdir: "\(d)"
                  zonelistfile: "\(d)/zone.list"
                  xfrdfile: "\(d)/xfrd.state"
                  xfrdir: "\(d)/xfr"
                  pidfile: "\(d)/nsd.pid"
                  logfile: "\(d)/nsd.log"
                  server-count: 1
                  verbosity: 1
                  hide-version: yes
                  rrl-ratelimit: 0
                  rrl-whitelist-ratelimit: 0
                remote-control:
                  control-enable: no
                zone:
                  name: "\(origin)"
                  zonefile: "\(origin).zone"

                """
            try configuration.write(to: directory.appendingPathComponent("nsd.conf"), atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nsd")
            process.arguments = ["-d", "-c", directory.appendingPathComponent("nsd.conf").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try runWithSignalsUnblocked(process)
            let server = NSDServer(directory: directory, port: port, process: process)
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, process.isRunning {
                let probe = try? await smtpRunTool(
                    "dig", ["@127.0.0.1", "-p", "\(port)", "+short", "+time=1", "+tries=1", origin, "SOA"])
                if let probe, probe.0 == 0, !probe.1.isEmpty { return server }
                try await Task.sleep(for: .milliseconds(100))
            }
            lastLog = (try? String(contentsOf: directory.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
            await server.stop()
        }
        throw SMTPFixtureError("nsd did not start:\n\(lastLog)")
    }

    /// SIGTERM, then waits for the exit off the cooperative pool.
    func stop() async {
        let process = self.process
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                continuation.resume()
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Starts `process` with no signal blocked: the test's threads block most signals and a
/// child inherits the mask, so nsd would never see the SIGTERM that stops it.
func runWithSignalsUnblocked(_ process: Process) throws {
    var none = sigset_t()
    var saved = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    try process.run()
}
