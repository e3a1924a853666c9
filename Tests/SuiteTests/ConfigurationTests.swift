// ConfigurationTests: the built-in defaults, etc/chappe.toml against them,
// typed values of a customised file, relative path resolution, and the
// effective configuration printout reading back as the same configuration.

import Foundation
import Testing
@testable import Suite
import Transport

/// The repository's etc/ folder, found from this file's path.
let repositoryEtcDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("etc").path

/// Parses `toml` as if it were /srv/chappe/etc/chappe.toml.
func parseConfig(_ toml: String) throws(ConfigurationError) -> ChappeConfiguration {
    try ChappeConfiguration.parse(toml: toml, baseDirectory: "/srv/chappe/etc", sourceName: "etc/chappe.toml")
}

// MARK: - Defaults

@Suite("Configuration defaults")
struct DefaultsTests {
    @Test func declaredDefaultsHaveNoIssues() {
        let (_, issues) = ChappeConfiguration.build(root: [:], baseDirectory: "/srv/chappe/etc", configFile: nil)
        #expect(issues == [])
    }

    @Test func topLevelDefaults() throws {
        let config = try ChappeConfiguration.defaults(baseDirectory: "/srv/chappe/etc")
        #expect(config.hostname == "mail.example.test")
        #expect(config.dataDirectory.path == "/srv/chappe/spool")
        #expect(config.dataDirectory.text == "../spool")
        #expect(config.user == "")
        #expect(config.logLevel == .info)
        #expect(config.shutdownTimeout == .seconds(10))
        #expect(config.tls.certificate.path == "/srv/chappe/etc/tls/cert.pem")
        #expect(config.tls.privateKey.path == "/srv/chappe/etc/tls/key.pem")
        #expect(config.configFile == nil)
        #expect(config.baseDirectory == "/srv/chappe/etc")
    }

    /// DESIGN.md's table: loopback only, standard port + 2000.
    @Test func listenersAreLoopbackOnStandardPortsPlus2000() throws {
        let config = try ChappeConfiguration.defaults(baseDirectory: "/")
        let ports: [(String, [ListenAddress], Int?)] = [
            ("smtp", config.smtp.listen, 2025), ("submission", config.smtp.submission, 2587),
            ("submissions", config.smtp.submissions, 2465),
            ("pop3", config.pop3.listen, 2110), ("pop3s", config.pop3.tlsListen, 2995),
            ("imap", config.imap.listen, 2143), ("imaps", config.imap.tlsListen, 2993),
            ("nntp", config.nntp.listen, 2119), ("nntps", config.nntp.tlsListen, 2563),
            ("ftp", config.ftp.listen, 2021), ("ftp tls", config.ftp.tlsListen, nil),
            ("http", config.http.listen, 2080), ("https", config.http.tlsListen, 2443),
            ("dns", config.dns.listen, 2053), ("smtp tls", config.smtp.tlsListen, nil),
        ]
        for (name, addresses, port) in ports {
            if let port {
                #expect(addresses.map(\.description) == ["127.0.0.1:\(port)"], "\(name)")
            } else {
                #expect(addresses.isEmpty, "\(name)")
            }
        }
    }

    @Test func serviceDefaultsCiteTheirLimits() throws {
        let config = try ChappeConfiguration.defaults(baseDirectory: "/")
        #expect(config.smtp.idleTimeout == .seconds(300))
        #expect(config.pop3.idleTimeout == .seconds(600))
        #expect(config.imap.idleTimeout == .seconds(1800))
        #expect(config.nntp.idleTimeout == .seconds(600))
        #expect(config.ftp.idleTimeout == .seconds(300))
        #expect(config.http.idleTimeout == .seconds(60))
        #expect(config.dns.idleTimeout == .seconds(10))
        #expect(config.smtp.maxLineLength == 1000)
        #expect(config.imap.maxLineLength == 65536)
        #expect(config.nntp.maxLineLength == 1000)
        for service in [config.smtp.service, config.pop3.service, config.imap.service, config.nntp, config.ftp, config.http] {
            #expect(service.enabled)
            #expect(service.maxConnections == 200)
            #expect(service.maxConnectionsPerClient == 20)
        }
    }

    @Test func smtpAndDNSDefaults() throws {
        let config = try ChappeConfiguration.defaults(baseDirectory: "/srv/chappe/etc")
        #expect(config.smtp.localDomains == ["example.test"])
        #expect(config.smtp.trustedNetworks.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(config.smtp.maxMessageSize == 36_700_160)
        #expect(config.smtp.maxRecipients == 100)
        #expect(config.smtp.aliases.path == "/srv/chappe/etc/aliases")
        #expect(config.smtp.relayHost == nil)
        #expect(config.smtp.remotePort == 25)
        #expect(config.smtp.queueLifetime == .seconds(5 * 86_400))
        #expect(config.smtp.retrySchedule == [.seconds(300), .seconds(900), .seconds(1800),
                                              .seconds(3600), .seconds(7200), .seconds(14400)])
        #expect(config.dns.zones.map(\.path) == ["/srv/chappe/etc/zones/example.test.zone"])
        #expect(config.dns.resolvers.isEmpty)
    }
}

// MARK: - etc/chappe.toml

@Suite("etc/chappe.toml")
struct DefaultFileTests {
    @Test func fileIsTheGeneratedDefaultText() throws {
        let text = try String(contentsOfFile: repositoryEtcDirectory + "/chappe.toml", encoding: .utf8)
        #expect(text == ConfigSchema.defaultFileText())
    }

    @Test func fileLoadsAsTheDefaults() throws {
        let loaded = try ChappeConfiguration.load(file: repositoryEtcDirectory + "/chappe.toml")
        #expect(try loaded == ChappeConfiguration.defaults(baseDirectory: repositoryEtcDirectory))
        #expect(loaded.configFile == ConfigPath.normalized(repositoryEtcDirectory + "/chappe.toml"))
        #expect(loaded.dataDirectory.path == ConfigPath.normalized(repositoryEtcDirectory + "/../spool"))
    }

    @Test func defaultTextDocumentsEveryKey() {
        let text = ConfigSchema.defaultFileText()
        for section in ConfigSchema.sections {
            if let name = section.name { #expect(text.contains("\n[\(name)]\n")) }
            for key in section.keys {
                #expect(!key.doc.isEmpty, "\(key.name)")
                #expect(text.contains("\n\(key.name) = \(key.defaultValue.tomlText)\n"), "\(key.name)")
            }
        }
        #expect(ConfigSchema.sections.compactMap(\.name) == ["tls", "smtp", "pop3", "imap", "nntp", "ftp", "http", "dns"])
    }
}

// MARK: - Custom values

@Suite("Configuration values")
struct ValueTests {
    @Test func customFileGivesTypedValues() throws {
        let config = try parseConfig("""
            hostname = "MX1.Example.ORG."
            user = "chappe"
            log_level = "debug"
            shutdown_timeout = "1m30s"

            [smtp]
            listen = ["0.0.0.0:25", "[::]:25"]
            submission = []
            local_domains = ["example.org", "Example.NET"]
            trusted_networks = ["10.0.0.0/8", "192.0.2.7"]
            relay_host = "smtp.example.net:587"
            retry_schedule = ["250ms", "1s"]

            [pop3]
            enabled = false
            tls_listen = []

            [dns]
            resolvers = ["192.0.2.53", "[2001:db8::53]:5353"]
            zones = ["/var/lib/zones/a.zone", "b.zone"]
            """)
        #expect(config.hostname == "mx1.example.org")
        #expect(config.user == "chappe")
        #expect(config.logLevel == .debug)
        #expect(config.shutdownTimeout == .seconds(90))
        #expect(config.smtp.listen.map(\.description) == ["0.0.0.0:25", "[::]:25"])
        #expect(config.smtp.submission.isEmpty)
        #expect(config.smtp.localDomains == ["example.org", "example.net"])
        #expect(config.smtp.trustedNetworks.map(\.description) == ["10.0.0.0/8", "192.0.2.7/32"])
        #expect(config.smtp.relayHost == RelayHost(host: "smtp.example.net", port: 587))
        #expect(config.smtp.retrySchedule == [.milliseconds(250), .seconds(1)])
        #expect(!config.pop3.enabled)
        #expect(config.pop3.tlsListen.isEmpty)
        #expect(config.dns.resolvers.map(\.description) == ["192.0.2.53:53", "[2001:db8::53]:5353"])
        #expect(config.dns.zones.map(\.path) == ["/var/lib/zones/a.zone", "/srv/chappe/etc/b.zone"])
    }

    @Test(arguments: [
        ("mx.example.net", RelayHost(host: "mx.example.net", port: 25)),
        ("192.0.2.1:2525", RelayHost(host: "192.0.2.1", port: 2525)),
        ("[2001:db8::25]:587", RelayHost(host: "2001:db8::25", port: 587)),
        ("1and1.example:26", RelayHost(host: "1and1.example", port: 26)),
    ])
    func relayHostForms(text: String, expected: RelayHost) throws {
        let config = try parseConfig("[smtp]\nrelay_host = \(ConfigLiteral.quoted(text))")
        #expect(config.smtp.relayHost == expected)
    }

    @Test func relativePathsResolveAgainstTheFilesFolder() throws {
        let config = try parseConfig("""
            data_dir = "./var/../data//spool/"
            [tls]
            certificate = "/etc/ssl/chappe.pem"
            private_key = "../../keys/key.pem"
            """)
        #expect(config.dataDirectory.path == "/srv/chappe/etc/data/spool")
        #expect(config.dataDirectory.text == "./var/../data//spool/")
        #expect(config.tls.certificate.path == "/etc/ssl/chappe.pem")
        #expect(config.tls.privateKey.path == "/srv/keys/key.pem")
    }

    @Test func loadResolvesAgainstTheFilesOwnFolder() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("chappe-config-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("chappe.toml")
        try "data_dir = \"spool\"\n[smtp]\naliases = \"lists/aliases\"\n".write(to: file, atomically: true, encoding: .utf8)

        let config = try ChappeConfiguration.load(file: file.path)
        let base = ConfigPath.normalized(folder.path)
        #expect(config.configFile == base + "/chappe.toml")
        #expect(config.baseDirectory == base)
        #expect(config.dataDirectory.path == base + "/spool")
        #expect(config.smtp.aliases.path == base + "/lists/aliases")
    }

    @Test func equalityIsByEffectiveValue() throws {
        let base = try ChappeConfiguration.defaults(baseDirectory: "/srv/chappe/etc")
        #expect(try parseConfig("") == base)
        #expect(try parseConfig("data_dir = \"/srv/chappe/spool\"") == base)
        #expect(try parseConfig("[smtp]\nidle_timeout = \"300s\"") == base)
        #expect(try parseConfig("[smtp]\nmax_recipients = 101") != base)
        #expect(try ChappeConfiguration.defaults(baseDirectory: "/elsewhere") != base)
    }
}

// MARK: - Effective configuration

@Suite("Effective configuration")
struct EffectiveTextTests {
    @Test func defaultsRoundTrip() throws {
        let config = try ChappeConfiguration.defaults(baseDirectory: "/srv/chappe/etc")
        let text = config.effectiveText()
        #expect(text.contains("data_dir = \"/srv/chappe/spool\"\n"))
        #expect(text.contains("certificate = \"/srv/chappe/etc/tls/cert.pem\"\n"))
        #expect(!text.contains("  # default:"))
        // Printed paths are absolute, so any folder reads them back the same.
        let reread = try ChappeConfiguration.parse(toml: text, baseDirectory: "/srv/chappe/etc", sourceName: "effective")
        #expect(reread == config)
    }

    @Test func customisedRoundTrip() throws {
        let config = try parseConfig("""
            hostname = "news.example.org"
            [smtp]
            listen = ["[::]:25"]
            relay_host = "smarthost.example:2525"
            queue_lifetime = "90m"
            retry_schedule = ["1h30m", "1d"]
            trusted_networks = ["2001:db8::/32"]
            max_connections = 50
            max_connections_per_client = 5
            [dns]
            resolvers = ["192.0.2.1"]
            """)
        let text = config.effectiveText()
        #expect(text.contains("queue_lifetime = \"1h30m\"  # default: \"5d\"\n"))
        #expect(text.contains("retry_schedule = [\"1h30m\", \"1d\"]  # default:"))
        #expect(text.contains("resolvers = [\"192.0.2.1:53\"]  # default: []\n"))
        #expect(text.contains("max_connections = 50  # default: 200\n"))
        let reread = try ChappeConfiguration.parse(toml: text, baseDirectory: "/", sourceName: "effective")
        #expect(reread == config)
        #expect(reread.smtp.queueLifetime == .seconds(5400))
        // Read back from the same folder, it prints the same text.
        let again = try ChappeConfiguration.parse(toml: text, baseDirectory: "/srv/chappe/etc", sourceName: "effective")
        #expect(again.effectiveText() == text)
    }

    @Test func fileOriginIsNamed() throws {
        let loaded = try ChappeConfiguration.load(file: repositoryEtcDirectory + "/chappe.toml")
        #expect(loaded.effectiveText().hasPrefix("# Effective configuration of chappe, read from \""))
        #expect(try ChappeConfiguration.defaults(baseDirectory: "/").effectiveText().contains("built-in defaults"))
    }
}

@Suite("mail-access login guards")
struct MailAccessSettingsTests {
    @Test func defaultsRefusePlaintextAndDelayFailures() throws {
        let config = try ChappeConfiguration.defaults(baseDirectory: "/srv/chappe/etc")
        for settings in [config.pop3, config.imap] {
            #expect(!settings.allowPlaintextLoopback)
            #expect(settings.authFailureDelay == .seconds(2))
            #expect(settings.maxAuthFailures == 3)
        }
    }

    @Test func valuesAreReadAndChecked() throws {
        let config = try ChappeConfiguration.parse(
            toml: "[pop3]\nallow_plaintext_loopback = true\nauth_failure_delay = \"0s\"\nmax_auth_failures = 5\n",
            baseDirectory: "/srv", sourceName: "test.toml")
        #expect(config.pop3.allowPlaintextLoopback)
        #expect(config.pop3.authFailureDelay == .zero)
        #expect(config.pop3.maxAuthFailures == 5)
        #expect(throws: ConfigurationError.self) {
            try ChappeConfiguration.parse(
                toml: "[imap]\nmax_auth_failures = 0\n", baseDirectory: "/srv", sourceName: "test.toml")
        }
    }
}
