// ConfigReader: reads a parsed TOML document key by key, as the section
// structs declare their keys. A declaration is one call —
//     r.read("idle_timeout", DurationKind(), default: "5m", doc: "…")
// — that names the key, gives its kind, default and doc, and returns the
// typed value. The same calls, run on an empty document, produce the schema
// that the default file is rendered from; run on a real document, they
// decode it, record the effective value of each key, and collect every
// problem (wrong type, bad value, unknown key) instead of stopping at the
// first.
//
// Invariant: every key a reader is asked for is recorded exactly once, in
// declaration order; a key that fails to decode keeps its default, so the
// section structs can always be built and all errors are seen together.

import Transport

// MARK: - Records

/// One key: its declaration and, once read, its effective value.
struct ConfigEntry: Sendable {
    let name: String
    let doc: String
    /// The default as declared (and as written in etc/chappe.toml).
    let defaultLiteral: ConfigLiteral
    /// The effective value as printed by `chappe check-config`.
    let value: ConfigLiteral
    /// Whether the value equals the default.
    let isDefault: Bool
}

/// The keys of one section, in declaration order; `name` is nil for the
/// keys at the top of the file.
struct ConfigSectionRecord: Sendable {
    let name: String?
    let doc: String
    var entries: [ConfigEntry] = []
}

/// An address some key makes the suite listen on.
struct ListenerRecord: Sendable {
    /// "[smtp] listen"
    let key: String
    let address: ListenAddress
}

// MARK: - SectionReader

/// Reads the keys of one section.
struct SectionReader {
    let context: ConfigContext
    private(set) var record: ConfigSectionRecord
    private(set) var issues: [ConfigurationError.Issue] = []
    private(set) var listeners: [ListenerRecord] = []
    /// Keys present in the file and not (yet) declared.
    private(set) var remaining: [String: ConfigLiteral]

    init(name: String?, doc: String, table: [String: ConfigLiteral], context: ConfigContext) {
        self.record = ConfigSectionRecord(name: name, doc: doc)
        self.remaining = table
        self.context = context
    }

    /// How a key of this section is named in messages: "hostname",
    /// "[smtp] listen".
    func label(_ key: String) -> String {
        record.name.map { "[\($0)] \(key)" } ?? key
    }

    /// Declares a key and returns its value: the file's if present and
    /// valid, else the default (after recording why the file's was refused).
    mutating func read<Kind: ConfigKind>(
        _ name: String, _ kind: Kind, default defaultLiteral: ConfigLiteral, doc: String
    ) -> Kind.Value {
        let key = label(name)
        if record.entries.contains(where: { $0.name == name }) {
            issues.append(.init(key: key, message: "declared twice in the schema"))
        }

        var defaultValue = kind.placeholder
        do {
            defaultValue = try kind.decode(defaultLiteral, in: context)
        } catch {
            // Only a wrong declaration gets here; the tests load the defaults.
            issues += error.messages.map { .init(key: key, message: "invalid built-in default: \($0)") }
        }

        var value = defaultValue
        if let supplied = remaining.removeValue(forKey: name) {
            do {
                value = try kind.decode(supplied, in: context)
            } catch {
                issues += error.messages.map { .init(key: key, message: $0) }
            }
        }

        record.entries.append(ConfigEntry(
            name: name, doc: doc, defaultLiteral: defaultLiteral,
            value: kind.encode(value), isDefault: value == defaultValue
        ))
        listeners += kind.listeners(in: value).map { ListenerRecord(key: key, address: $0) }
        return value
    }

    /// Adds a problem found by a section's own cross-checks.
    mutating func report(_ key: String, _ message: String) {
        issues.append(.init(key: label(key), message: message))
    }
}

// MARK: - DocumentReader

/// Reads a whole document: the top-level keys, then each section, then
/// reports what was left over (unknown keys and sections).
struct DocumentReader {
    let context: ConfigContext
    private var root: [String: ConfigLiteral]
    private(set) var sections: [ConfigSectionRecord] = []
    private(set) var issues: [ConfigurationError.Issue] = []
    private(set) var listeners: [ListenerRecord] = []
    /// Keys left over in each section, reported by `finish()` once every
    /// section's declared keys are known (for "it belongs in [smtp]").
    private var leftovers: [(section: String?, keys: [String])] = []

    init(root: [String: ConfigLiteral], context: ConfigContext) {
        self.root = root
        self.context = context
    }

    /// Reads the keys at the top of the file (before any [section]).
    mutating func topLevel<T>(doc: String, _ body: (inout SectionReader) -> T) -> T {
        var reader = SectionReader(name: nil, doc: doc, table: root, context: context)
        let value = body(&reader)
        // What remains at the root is a section, read later, or unknown
        // (reported by finish()).
        root = reader.remaining
        absorb(reader, leftover: [])
        return value
    }

    /// Reads one `[name]` section.
    mutating func section<T>(_ name: String, doc: String, _ body: (inout SectionReader) -> T) -> T {
        var table: [String: ConfigLiteral] = [:]
        var shapeIssue: ConfigurationError.Issue?
        switch root.removeValue(forKey: name) {
        case .table(let entries)?: table = entries
        case nil: break
        case let other?:
            shapeIssue = .init(
                key: "[\(name)]",
                message: "expected a section ([\(name)]), got \(other.typeDescription) (\(other.shownInMessage))"
            )
        }
        var reader = SectionReader(name: name, doc: doc, table: table, context: context)
        let value = body(&reader)
        if let shapeIssue { issues.append(shapeIssue) }
        absorb(reader, leftover: Array(reader.remaining.keys))
        return value
    }

    /// Reports unknown keys and sections; call after the last section.
    mutating func finish() {
        let declared = sections.map { section in (section.name, section.entries.map(\.name)) }
        let topLevelUnknown = root.filter { !isTable($0.value) }.map(\.key)
        for (section, keys) in [(nil, topLevelUnknown)] + leftovers where !keys.isEmpty {
            for key in keys.sorted() {
                let label = section.map { "[\($0)] \(key)" } ?? key
                issues.append(.init(key: label, message: unknownKeyMessage(key, in: section, declared: declared)))
            }
        }
        leftovers = []
        let sectionNames = sections.compactMap(\.name)
        for name in root.keys.sorted() where isTable(root[name]) {
            var message = "unknown section"
            if let guess = Spelling.suggestion(for: name, among: sectionNames) {
                message += " (did you mean [\(guess)]?)"
            }
            issues.append(.init(key: "[\(name)]", message: message))
        }
        root = [:]
    }

    // MARK: Private

    private mutating func absorb(_ reader: SectionReader, leftover: [String]) {
        sections.append(reader.record)
        issues += reader.issues
        listeners += reader.listeners
        if !leftover.isEmpty { leftovers.append((reader.record.name, leftover)) }
    }

    private func isTable(_ literal: ConfigLiteral?) -> Bool {
        if case .table? = literal { return true }
        return false
    }

    /// "unknown key", with the likely intended key when there is one: a close
    /// spelling in the same section, or the same name in another section.
    private func unknownKeyMessage(
        _ key: String, in section: String?, declared: [(String?, [String])]
    ) -> String {
        let own = declared.first { $0.0 == section }?.1 ?? []
        if let guess = Spelling.suggestion(for: key, among: own) {
            return "unknown key (did you mean \"\(guess)\"?)"
        }
        let homes = declared.filter { $0.1.contains(key) }.map(\.0)
        if homes.contains(where: { $0 == nil }) {
            return "unknown key (\"\(key)\" belongs at the top of the file, before the first [section])"
        }
        let named = homes.compactMap { $0 }.map { "[\($0)]" }
        if !named.isEmpty {
            return "unknown key (\"\(key)\" is a key of \(named.joined(separator: ", ")))"
        }
        return "unknown key"
    }
}
