// ConfigurationErrorTests: every kind of configuration error names its key
// (or its line and column for TOML syntax), errors are collected rather
// than stopping at the first, and cross-checks catch shared listeners.

import Foundation
import Testing
@testable import Suite

/// The issues of `toml`, or [] when it loads.
func configIssues(_ toml: String) -> [ConfigurationError.Issue] {
    do {
        _ = try parseConfig(toml)
        return []
    } catch {
        return error.issues
    }
}

/// The whole error text of `toml`, or "" when it loads.
func configErrorText(_ toml: String) -> String {
    do {
        _ = try parseConfig(toml)
        return ""
    } catch {
        return error.description
    }
}

// MARK: - Unknown names

@Suite("Unknown keys and sections")
struct UnknownNameTests {
    @Test func misspeltKeyGetsASuggestion() {
        #expect(configErrorText("[smtp]\nlistne = [\"127.0.0.1:2025\"]")
            == "etc/chappe.toml: [smtp] listne: unknown key (did you mean \"listen\"?)")
        #expect(configErrorText("hostnme = \"a.example\"") == "etc/chappe.toml: hostnme: unknown key (did you mean \"hostname\"?)")
        #expect(configErrorText("[imap]\nidle_timout = \"1m\"").contains("did you mean \"idle_timeout\"?"))
    }

    @Test func farOffKeyGetsNoSuggestion() {
        #expect(configIssues("[smtp]\ncolour = \"blue\"") == [.init(key: "[smtp] colour", message: "unknown key")])
    }

    @Test func keyInTheWrongSectionSaysWhereItBelongs() {
        #expect(configIssues("[pop3]\nlocal_domains = []")
            == [.init(key: "[pop3] local_domains", message: "unknown key (\"local_domains\" is a key of [smtp])")])
        // A top-level key written after a [section] line lands in that section.
        let text = configErrorText("[dns]\nhostname = \"mail.example.test\"")
        #expect(text.contains("[dns] hostname: unknown key"))
        #expect(text.contains("belongs at the top of the file"))
    }

    @Test func unknownSectionGetsASuggestion() {
        #expect(configIssues("[smpt]\nlisten = []") == [.init(key: "[smpt]", message: "unknown section (did you mean [smtp]?)")])
        #expect(configIssues("[webmail]\nx = 1") == [.init(key: "[webmail]", message: "unknown section")])
        #expect(configIssues("[smtp.limits]\nx = 1") == [.init(key: "[smtp] limits", message: "unknown key")])
    }
}

// MARK: - Types and values

@Suite("Wrong types and bad values")
struct BadValueTests {
    @Test(arguments: [
        ("[smtp]\nmax_connections = \"200\"", "[smtp] max_connections", "expected an integer, got a string (\"200\")"),
        ("[smtp]\nmax_connections = 2.5", "[smtp] max_connections", "expected an integer, got a floating-point number"),
        ("[pop3]\nenabled = \"yes\"", "[pop3] enabled", "expected true or false, got a string (\"yes\")"),
        ("hostname = 42", "hostname", "expected a string, got an integer (42)"),
        ("[smtp]\nlisten = \"127.0.0.1:2025\"", "[smtp] listen", "expected an array, got a string; write [\"127.0.0.1:2025\"]"),
        ("[smtp]\nlisten = [25]", "[smtp] listen", "expected a string, got an integer (25)"),
        ("smtp = 1", "[smtp]", "expected a section ([smtp]), got an integer (1)"),
        ("[tls]\ncertificate = 1979-05-27", "[tls] certificate", "expected a string, got a date"),
    ])
    func wrongTypeNamesTheKey(toml: String, key: String, message: String) {
        #expect(configIssues(toml) == [.init(key: key, message: message)])
    }

    @Test func badDuration() {
        #expect(configErrorText("[smtp]\nidle_timeout = \"5 minutes\"")
            == "etc/chappe.toml: [smtp] idle_timeout: \"5 minutes\" is not a duration; use e.g. \"30s\", \"5m\", \"2h\", \"5d\"")
        #expect(configIssues("[smtp]\nidle_timeout = 300")
            == [.init(key: "[smtp] idle_timeout", message: "300 is not a duration: write it as a string with a unit, e.g. \"300s\"")])
        #expect(configIssues("[imap]\nidle_timeout = \"0s\"")
            == [.init(key: "[imap] idle_timeout", message: "\"0s\" is too short; the least is \"1ms\"")])
        #expect(configIssues("[smtp]\nretry_schedule = []") == [.init(key: "[smtp] retry_schedule", message: "may not be empty")])
    }

    @Test func badAddressesNameTheKey() {
        let hostName = configIssues("[smtp]\nlisten = [\"localhost:2025\"]")
        #expect(hostName.count == 1)
        #expect(hostName.first?.key == "[smtp] listen")
        #expect(hostName.first?.message.contains("host name \"localhost\"; a listener binds an IP address") == true)

        #expect(configIssues("[imap]\ntls_listen = [\"127.0.0.1:0\"]")
            == [.init(key: "[imap] tls_listen", message: "\"127.0.0.1:0\" has port 0, out of range 1...65535")])
        #expect(configIssues("[http]\nlisten = [\"[::1]:70000\"]")
            == [.init(key: "[http] listen", message: "\"[::1]:70000\" has port 70000, out of range 1...65535")])
        #expect(configIssues("[dns]\nresolvers = [\"resolver.example\"]").first?.key == "[dns] resolvers")
    }

    @Test func badNetworksNameTheKey() {
        #expect(configIssues("[smtp]\ntrusted_networks = [\"10.0.0.0/33\"]")
            == [.init(key: "[smtp] trusted_networks", message: "\"10.0.0.0/33\" has a prefix length that is not a number from 0 to 32")])
        #expect(configIssues("[smtp]\ntrusted_networks = [\"10.1.2.3/8\"]").first?.message.contains("did you mean \"10.0.0.0/8\"?") == true)
    }

    @Test(arguments: ["mail_server.example", "-mx.example", "mx..example", "1.2.3.4", "", "mx.example.test.."])
    func hostnameMustBeADomainName(name: String) {
        let found = configIssues("hostname = \(ConfigLiteral.quoted(name))")
        #expect(found.count == 1)
        #expect(found.first?.key == "hostname")
        #expect(found.first?.message.contains("is not a valid domain name") == true)
    }

    @Test func otherBadValues() {
        #expect(configIssues("log_level = \"verbose\"")
            == [.init(key: "log_level", message: "\"verbose\" is not one of trace, debug, info, notice, warning, error, critical")])
        #expect(configIssues("user = \"mail user\"").first?.key == "user")
        #expect(configIssues("[smtp]\nmax_line_length = 512")
            == [.init(key: "[smtp] max_line_length", message: "512 is out of range 1000...16777216")])
        #expect(configIssues("[smtp]\nmax_connections = 10\nmax_connections_per_client = 20")
            == [.init(key: "[smtp] max_connections_per_client", message: "20 is more than max_connections (10)")])
        #expect(configIssues("[smtp]\nrelay_host = \"smart host:25\"").first?.key == "[smtp] relay_host")
        #expect(configIssues("[smtp]\nrelay_host = \"smarthost.example:0\"").first?.message.contains("1 to 65535") == true)
        #expect(configIssues("data_dir = \"\"") == [.init(key: "data_dir", message: "a path may not be empty")])
    }
}

// MARK: - Cross-checks

@Suite("Listener conflicts")
struct ListenerConflictTests {
    @Test func sameAddressInTwoSectionsNamesBothKeys() {
        #expect(configIssues("[pop3]\nlisten = [\"127.0.0.1:2025\"]")
            == [.init(key: "[pop3] listen", message: "127.0.0.1:2025 is also used by [smtp] listen")])
        #expect(configIssues("[http]\ntls_listen = [\"127.0.0.1:2465\"]")
            == [.init(key: "[http] tls_listen", message: "127.0.0.1:2465 is also used by [smtp] submissions")])
    }

    @Test func sameAddressTwiceInOneList() {
        #expect(configIssues("[smtp]\nlisten = [\"127.0.0.1:25\", \"127.0.0.1:25\"]")
            == [.init(key: "[smtp] listen", message: "127.0.0.1:25 is listed twice")])
    }

    @Test func anyAddressOverlapsASpecificOne() {
        #expect(configIssues("[imap]\nlisten = [\"0.0.0.0:2025\"]")
            == [.init(key: "[imap] listen", message: "0.0.0.0:2025 overlaps 127.0.0.1:2025 of [smtp] listen")])
        // Different families or ports do not clash.
        #expect(configIssues("[smtp]\nlisten = [\"0.0.0.0:25\", \"[::]:25\", \"127.0.0.1:26\"]") == [])
    }

    @Test func disabledServicesDoNotClash() {
        #expect(configIssues("[pop3]\nenabled = false\nlisten = [\"127.0.0.1:2025\"]") == [])
    }
}

// MARK: - Reporting

@Suite("Error reporting")
struct ReportingTests {
    @Test func allErrorsAreReportedTogether() {
        let error = configErrorText("""
            hostname = "bad_name"
            log_level = "loud"
            [smtp]
            listne = []
            idle_timeout = "5 minutes"
            max_recipients = 0
            [pop3]
            listen = ["localhost:110"]
            [imap]
            listen = ["127.0.0.1:2025"]
            [dns]
            resolvers = ["1.1.1.1:0", "dns.example"]
            """)
        let lines = error.split(separator: "\n").map(String.init)
        #expect(lines.count == 9, "\(error)")
        #expect(lines.allSatisfy { $0.hasPrefix("etc/chappe.toml: ") })
        for key in ["hostname:", "log_level:", "[smtp] idle_timeout:", "[smtp] max_recipients:",
                    "[pop3] listen:", "[dns] resolvers:", "[smtp] listne:"] {
            #expect(lines.contains { $0.hasPrefix("etc/chappe.toml: \(key)") }, "\(key)")
        }
        // Both bad resolvers are named, and the listener clash is found too.
        #expect(lines.filter { $0.hasPrefix("etc/chappe.toml: [dns] resolvers:") }.count == 2)
        #expect(lines.contains("etc/chappe.toml: [imap] listen: 127.0.0.1:2025 is also used by [smtp] listen"))
    }

    @Test func syntaxErrorsGiveLineAndColumn() {
        let found = configIssues("hostname = \"a.example\"\n[smtp]\nlisten = [\"127.0.0.1:2025\"\n")
        #expect(found.count == 1)
        #expect(found.first?.key == nil)
        #expect(found.first?.line == 3)
        #expect(configErrorText("x = = 1").hasPrefix("etc/chappe.toml:1:"))
        #expect(configErrorText("[smtp]\nenabled = true\nenabled = false").hasPrefix("etc/chappe.toml:3:"))
    }

    @Test func missingFileIsNamed() {
        #expect {
            try ChappeConfiguration.load(file: "/nonexistent/chappe.toml")
        } throws: { error in
            "\(error)" == "/nonexistent/chappe.toml: no such file"
        }
    }

    @Test func nulIsRefused() {
        #expect(configErrorText("hostname = \"a\"\n\u{0}") == "etc/chappe.toml:2:1: a NUL character is not allowed in TOML")
    }
}
