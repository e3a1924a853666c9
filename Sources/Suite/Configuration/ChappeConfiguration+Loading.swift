// ChappeConfiguration+Loading: reading etc/chappe.toml from disk or text.
// TOMLKit (toml++) parses the TOML; its tree is turned at once into
// ConfigLiterals, so nothing else in the suite touches TOMLKit. Syntax errors
// are reported as FILE:LINE:COLUMN; everything after that by key.

import Foundation
import TOMLKit

extension ChappeConfiguration {
    /// Loads the file at `path`. Relative paths inside it are resolved
    /// against the file's own folder. Error messages name the file as
    /// `path` was given.
    public static func load(file path: String) throws(ConfigurationError) -> ChappeConfiguration {
        let absolute = ConfigPath.absolute(path)
        func failure(_ message: String) -> ConfigurationError {
            ConfigurationError(source: path, issues: [.init(key: nil, message: message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw failure("no such file")
        }
        guard !isDirectory.boolValue else { throw failure("is a directory, not a configuration file") }
        guard let data = FileManager.default.contents(atPath: absolute) else {
            throw failure("cannot be read (permission denied?)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw failure("is not valid UTF-8 (TOML files are UTF-8)")
        }
        let folder = (absolute as NSString).deletingLastPathComponent
        return try parse(text, baseDirectory: folder, sourceName: path, configFile: absolute)
    }

    /// Parses TOML text; relative paths are resolved against `baseDirectory`
    /// and messages name the text `sourceName`.
    public static func parse(
        toml text: String, baseDirectory: String, sourceName: String
    ) throws(ConfigurationError) -> ChappeConfiguration {
        try parse(text, baseDirectory: ConfigPath.absolute(baseDirectory), sourceName: sourceName, configFile: nil)
    }

    // MARK: Private

    private static func parse(
        _ text: String, baseDirectory: String, sourceName: String, configFile: String?
    ) throws(ConfigurationError) -> ChappeConfiguration {
        // toml++ reads a C string: a NUL would silently end the document.
        if let nul = text.utf8.firstIndex(of: 0) {
            let line = text.utf8[..<nul].filter { $0 == UInt8(ascii: "\n") }.count + 1
            throw ConfigurationError(source: sourceName, issues: [
                .init(key: nil, message: "a NUL character is not allowed in TOML", line: line, column: 1),
            ])
        }
        let root: [String: ConfigLiteral]
        do {
            root = literals(of: try TOMLTable(string: text))
        } catch let error as TOMLParseError {
            throw ConfigurationError(source: sourceName, issues: [
                .init(key: nil, message: error.description, line: error.source.begin.line, column: error.source.begin.column),
            ])
        } catch {
            throw ConfigurationError(source: sourceName, issues: [.init(key: nil, message: "\(error)")])
        }
        let (configuration, issues) = build(root: root, baseDirectory: baseDirectory, configFile: configFile)
        guard issues.isEmpty else { throw ConfigurationError(source: sourceName, issues: issues) }
        return configuration
    }

    private static func literals(of table: TOMLTable) -> [String: ConfigLiteral] {
        var entries: [String: ConfigLiteral] = [:]
        for (key, value) in table {
            entries[key] = literal(of: value)
        }
        return entries
    }

    private static func literal(of value: TOMLValueConvertible) -> ConfigLiteral {
        switch value.type {
        case .string: return value.string.map(ConfigLiteral.string) ?? .unsupported("a string")
        case .int: return value.int.map(ConfigLiteral.integer) ?? .unsupported("an integer")
        case .bool: return value.bool.map(ConfigLiteral.boolean) ?? .unsupported("a boolean")
        case .array: return .array(value.array.map { $0.map(literal(of:)) } ?? [])
        case .table: return .table(value.table.map(literals(of:)) ?? [:])
        case .double: return .unsupported("a floating-point number")
        case .date: return .unsupported("a date")
        case .time: return .unsupported("a time")
        case .dateTime: return .unsupported("a date-time")
        }
    }
}
