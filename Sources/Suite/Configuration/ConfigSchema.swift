// ConfigSchema: the declared keys as data, and the two texts made from
// them — the commented default file (etc/chappe.toml is exactly
// `ConfigSchema.defaultFileText()`, a test keeps them equal) and the
// effective configuration `chappe check-config` prints (valid TOML that
// reads back as an equal configuration).
//
// The schema is not written out separately: it is what the section structs
// declare when they read an empty document (ConfigReader.swift).

// MARK: - ConfigSchema

public enum ConfigSchema {
    /// A declared key.
    public struct Key: Sendable, Equatable {
        public let name: String
        /// One or more lines of documentation.
        public let doc: String
        /// The default, as written in the default file.
        public let defaultValue: ConfigLiteral
    }

    /// A section; `name` is nil for the keys at the top of the file.
    public struct Section: Sendable, Equatable {
        public let name: String?
        public let doc: String
        public let keys: [Key]
    }

    /// Every section and key, in file order.
    public static var sections: [Section] {
        // Declarations are recorded even if a default were invalid; the tests
        // check that none is.
        ChappeConfiguration.build(root: [:], baseDirectory: "/", configFile: nil).0.records.map { record in
            Section(
                name: record.name, doc: record.doc,
                keys: record.entries.map { Key(name: $0.name, doc: $0.doc, defaultValue: $0.defaultLiteral) }
            )
        }
    }

    static let header = """
        # chappe.toml: the configuration of chappe, the Chappe mail and news suite.
        #
        # Every key is listed with a short description and its default value.
        # Relative paths are relative to the folder of this file. Durations are
        # strings: "30s", "5m", "2h", "5d", or combined, "1h30m". Addresses are
        # "IP:port" or "[IPv6]:port"; an empty list [] disables that listener.
        # This default listens on 127.0.0.1 only, on the standard ports + 2000.
        #
        # `chappe check-config` checks a file and prints its effective values.
        # This file is generated from the key declarations in
        # Sources/Suite/Configuration (ConfigSchema.defaultFileText()).
        """

    /// The commented default configuration file.
    public static func defaultFileText() -> String {
        var lines = header.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for section in sections {
            if let name = section.name {
                lines.append("")
                lines.append("")
                lines += comment(section.doc)
                lines.append("[\(name)]")
            }
            for key in section.keys {
                lines.append("")
                lines += comment(key.doc)
                lines.append("\(ConfigLiteral.key(key.name)) = \(key.defaultValue.tomlText)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` as "# " comment lines.
    static func comment(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "#" : "# \($0)" }
    }
}

// MARK: - Effective configuration

extension ChappeConfiguration {
    /// Every key with its effective value, as valid TOML: paths absolute,
    /// durations and addresses in canonical form, a comment after each value
    /// that differs from the default. Parsing it gives an equal configuration.
    public func effectiveText() -> String {
        var lines = [
            "# Effective configuration of chappe, read from \(configFile.map(ConfigLiteral.quoted) ?? "the built-in defaults").",
            "# Paths are absolute; \"# default: …\" marks a value changed from the default.",
        ]
        for record in records {
            lines.append("")
            if let name = record.name {
                lines.append("[\(name)]")
            }
            for entry in record.entries {
                var line = "\(ConfigLiteral.key(entry.name)) = \(entry.value.tomlText)"
                if !entry.isDefault {
                    line += "  # default: \(entry.defaultLiteral.tomlText)"
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
