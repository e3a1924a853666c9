// ChappeConfiguration: the typed, immutable configuration of `chappe`, as
// read from etc/chappe.toml (DESIGN.md "Configuration", STYLE.md rule 13).
//
// Role: the top-level keys are declared here; each section's keys in its
// settings struct (ServiceSettings.swift, SectionSettings.swift). Building a
// configuration reads every declared key, then cross-checks what no single
// key can (two listeners on one address). Loading from a file is in
// ChappeConfiguration+Loading.swift, the text renderers in ConfigSchema.swift.
//
// Invariants: a ChappeConfiguration that exists is valid — every problem
// makes loading throw one ConfigurationError listing all of them. Values
// never change after loading; a reload builds a new value and the old one
// stays in force if the new one fails.

import Transport

// MARK: - ChappeConfiguration

public struct ChappeConfiguration: Sendable, Equatable {
    /// The absolute path of the file read; nil for built-in defaults and
    /// for text given to `parse(toml:baseDirectory:sourceName:)`.
    public let configFile: String?
    /// The absolute folder relative paths were resolved against.
    public let baseDirectory: String

    /// Name of this host: SMTP greeting and EHLO, Received, Message-ID, Path.
    public let hostname: String
    /// Folder of the runtime data (accounts, mailboxes, queue, news, control socket).
    public let dataDirectory: ConfigPath
    /// User to switch to after binding when started as root; "" to stay.
    public let user: String
    /// Least severe log messages written.
    public let logLevel: LogLevel
    /// How long open sessions may drain after SIGTERM.
    public let shutdownTimeout: Duration

    public let tls: TLSSettings
    public let smtp: SMTPSettings
    public let pop3: MailAccessSettings
    public let imap: MailAccessSettings
    public let nntp: ServiceSettings
    public let ftp: ServiceSettings
    public let http: ServiceSettings
    public let dns: DNSSettings

    /// Every key's declaration and effective value, in file order; the
    /// source of `effectiveText()` and of the schema.
    let records: [ConfigSectionRecord]

    /// Two configurations are equal when every key has the same effective
    /// value (the file they came from does not matter).
    public static func == (lhs: ChappeConfiguration, rhs: ChappeConfiguration) -> Bool {
        lhs.records.map(EffectiveSection.init) == rhs.records.map(EffectiveSection.init)
    }

    // MARK: Building

    /// Reads every declared key from `document`; problems are left in it.
    private init(reading document: inout DocumentReader, configFile: String?) {
        self.configFile = configFile
        baseDirectory = document.context.baseDirectory

        let top = document.topLevel(doc: "") { r in TopLevelKeys(reading: &r) }
        hostname = top.hostname
        dataDirectory = top.dataDirectory
        user = top.user
        logLevel = top.logLevel
        shutdownTimeout = top.shutdownTimeout

        tls = document.section("tls", doc: TLSSettings.doc) { TLSSettings(reading: &$0) }
        smtp = document.section("smtp", doc: ServiceDefaults.smtp.doc) { SMTPSettings(reading: &$0) }
        pop3 = document.section("pop3", doc: ServiceDefaults.pop3.doc) { MailAccessSettings(reading: &$0, .pop3) }
        imap = document.section("imap", doc: ServiceDefaults.imap.doc) { MailAccessSettings(reading: &$0, .imap) }
        nntp = document.service(.nntp)
        ftp = document.service(.ftp)
        http = document.service(.http)
        dns = document.section("dns", doc: DNSSettings.doc) { DNSSettings(reading: &$0) }

        records = document.sections
    }

    /// The configuration `root` (a parsed TOML document) describes, and
    /// every problem with it (empty when it is valid).
    static func build(
        root: [String: ConfigLiteral], baseDirectory: String, configFile: String?
    ) -> (ChappeConfiguration, [ConfigurationError.Issue]) {
        var document = DocumentReader(root: root, context: ConfigContext(baseDirectory: baseDirectory))
        let configuration = ChappeConfiguration(reading: &document, configFile: configFile)
        document.finish()
        let conflicts = listenerConflicts(document.listeners.filter { configuration.isEnabled(listenerKey: $0.key) })
        return (configuration, document.issues + conflicts)
    }

    /// The built-in defaults, with relative paths resolved against
    /// `baseDirectory` (made absolute against the current directory). Throws
    /// only if a declared default were invalid, which ConfigurationTests rule out.
    public static func defaults(baseDirectory: String) throws(ConfigurationError) -> ChappeConfiguration {
        let (configuration, issues) = build(root: [:], baseDirectory: ConfigPath.absolute(baseDirectory), configFile: nil)
        guard issues.isEmpty else { throw ConfigurationError(source: "built-in defaults", issues: issues) }
        return configuration
    }

    // MARK: Cross-checks

    /// Whether the service a listener key belongs to is enabled; a disabled
    /// service's listeners are dormant and may overlap others.
    private func isEnabled(listenerKey key: String) -> Bool {
        let enabled = [
            "[smtp]": smtp.enabled, "[pop3]": pop3.enabled, "[imap]": imap.enabled, "[nntp]": nntp.enabled,
            "[ftp]": ftp.enabled, "[http]": http.enabled, "[dns]": dns.enabled,
        ]
        let section = key.split(separator: " ").first.map(String.init) ?? ""
        return enabled[section] ?? true
    }

    /// Two listeners may not bind the same address and port, nor the same
    /// port where one binds the any-address of the same family.
    static func listenerConflicts(_ listeners: [ListenerRecord]) -> [ConfigurationError.Issue] {
        var issues: [ConfigurationError.Issue] = []
        for (index, later) in listeners.enumerated() {
            for earlier in listeners[..<index] where earlier.address.port == later.address.port {
                let a = earlier.address, b = later.address
                guard a.address.family == b.address.family else { continue }
                if a == b {
                    let message = earlier.key == later.key
                        ? "\(b) is listed twice"
                        : "\(b) is also used by \(earlier.key)"
                    issues.append(.init(key: later.key, message: message))
                    break
                }
                if a.address.isUnspecified || b.address.isUnspecified {
                    issues.append(.init(key: later.key, message: "\(b) overlaps \(a) of \(earlier.key)"))
                    break
                }
            }
        }
        return issues
    }
}

// MARK: - Top-level keys

/// The keys before the first [section].
private struct TopLevelKeys {
    let hostname: String
    let dataDirectory: ConfigPath
    let user: String
    let logLevel: LogLevel
    let shutdownTimeout: Duration

    init(reading r: inout SectionReader) {
        hostname = r.read(
            "hostname", DomainNameKind(), default: "mail.example.test",
            doc: "Name of this host, a domain name: SMTP greeting and EHLO, Received fields,\nMessage-IDs, NNTP Path."
        )
        dataDirectory = r.read(
            "data_dir", PathKind(), default: "../spool",
            doc: "Folder of the runtime data: accounts, mailboxes, mail queue, news, control socket."
        )
        user = r.read(
            "user", StringKind(validate: TopLevelKeys.userNameProblem), default: "",
            doc: "When started as root, chappe binds its ports, then switches to this user.\nEmpty: do not drop privileges."
        )
        logLevel = r.read(
            "log_level", ChoiceKind<LogLevel>(placeholder: .info), default: "info",
            doc: "Least severe messages logged: trace, debug, info, notice, warning, error, critical."
        )
        shutdownTimeout = r.read(
            "shutdown_timeout", DurationKind(), default: "10s",
            doc: "At SIGTERM, how long open sessions may run to a clean end before they are closed."
        )
    }

    /// Nil for "" or a portable user name (letters, digits, ".", "_", "-",
    /// not starting with "-"; POSIX.1 §3.437), else what is wrong.
    static let userNameProblem: @Sendable (String) -> String? = { name in
        if name.isEmpty { return nil }
        let portable = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "." || $0 == "_" || $0 == "-"
        }
        guard portable, !name.hasPrefix("-"), name.count <= 32 else {
            return "is not a user name (letters, digits, \".\", \"_\" and \"-\", at most 32)"
        }
        return nil
    }
}

// MARK: - Helpers

extension DocumentReader {
    /// Reads a line-based service section with the shared keys only.
    fileprivate mutating func service(_ defaults: ServiceDefaults) -> ServiceSettings {
        section(defaults.section, doc: defaults.doc) { ServiceSettings(reading: &$0, defaults) }
    }
}

/// The comparable part of a section record: key names and effective values.
private struct EffectiveSection: Equatable {
    let name: String?
    let keys: [String]
    let values: [ConfigLiteral]

    init(_ record: ConfigSectionRecord) {
        name = record.name
        keys = record.entries.map(\.name)
        values = record.entries.map(\.value)
    }
}
