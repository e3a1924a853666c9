// NSD (Debian package nsd, installed by `make test`), the established authoritative server,
// started by a test on a free loopback port with its own configuration and zone files, as
// a peer for our resolver.
import DNS
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Transport

#if canImport(Glibc)
import Glibc
#endif

final class NSDPeer: Sendable {
    let directory: URL
    let port: Int
    private let process: Process

    var address: ListenAddress { ListenAddress(address: .ipv4Loopback, port: UInt16(port)) }

    private init(directory: URL, port: Int, process: Process) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    /// Starts nsd serving `zones` (origin without the final dot, master file text); waits
    /// (bounded) until it answers the first zone's SOA.
    static func start(zones: [(origin: String, text: String)]) async throws -> NSDPeer {
        var lastLog = ""
        for _ in 0..<3 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chappe-nsd-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("xfr"), withIntermediateDirectories: true)
            let port = try await freeLoopbackPort()
            for zone in zones {
                try zone.text.write(to: directory.appendingPathComponent("\(zone.origin).zone"), atomically: true, encoding: .utf8)
            }
            try configuration(directory: directory.path, port: port, origins: zones.map(\.origin))
                .write(to: directory.appendingPathComponent("nsd.conf"), atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nsd")
            process.arguments = ["-d", "-c", directory.appendingPathComponent("nsd.conf").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try runWithSignalsUnblocked(process)
            let peer = NSDPeer(directory: directory, port: port, process: process)
            if try await peer.answers(origin: zones[0].origin) { return peer }
            lastLog = (try? String(contentsOf: directory.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
            await peer.stop()
        }
        throw TestFailure("nsd did not start:\n\(lastLog)")
    }

    static func configuration(directory: String, port: Int, origins: [String]) -> String {
        """
        server:
          ip-address: 127.0.0.1@\(port)
          port: \(port)
          do-ip6: no
          username: ""
          chroot: ""
          database: ""
          zonesdir: "\(directory)"
          zonelistfile: "\(directory)/zone.list"
          xfrdfile: "\(directory)/xfrd.state"
          xfrdir: "\(directory)/xfr"
          pidfile: "\(directory)/nsd.pid"
          logfile: "\(directory)/nsd.log"
          server-count: 1
          verbosity: 1
          hide-version: yes
          rrl-ratelimit: 0
          rrl-whitelist-ratelimit: 0
        remote-control:
          control-enable: no

        """ + origins.map { "zone:\n  name: \"\($0)\"\n  zonefile: \"\($0).zone\"\n" }.joined(separator: "\n")
    }

    /// Polls with SOA queries until nsd answers, nsd exits, or 60 s pass.
    private func answers(origin: String) async throws -> Bool {
        let question = DNSQuestion(name: try DNSName(parsing: origin + "."), type: .soa)
        let configuration = DNSResolverConfiguration(servers: [address], timeout: .milliseconds(200), attempts: 1)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, process.isRunning {
            if let answer = try? await DNSResolver.resolve(question, configuration: configuration),
                answer.response.rcode == .noError
            {
                return true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// SIGTERM, then waits for the exit off the cooperative pool; removes the folder.
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

/// A loopback port that was free for UDP a moment ago (nsd binds UDP and TCP on it).
func freeLoopbackPort() async throws -> Int {
    let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    guard port > 0 else { throw TestFailure("no free port") }
    return port
}

/// Starts `process` with no signal blocked. Threads of the test process (dispatch workers,
/// the cooperative pool) block most signals, and a child started from one inherits that
/// mask: nsd would then never see the SIGTERM that stops it.
func runWithSignalsUnblocked(_ process: Process) throws {
    var none = sigset_t()
    var saved = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    try process.run()
}
