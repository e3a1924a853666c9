// Which configuration a command uses (DESIGN.md, command line): --config
// FILE, else ./etc/chappe.toml, else /etc/chappe/chappe.toml, else the
// built-in defaults as if read from ./etc (so data_dir "../spool" is ./spool).
import Foundation
import TOMLKit

public enum ConfigurationLocator {
    public static let searchPath = ["etc/chappe.toml", "/etc/chappe/chappe.toml"]

    /// The file to read, or nil for the built-in defaults. An explicit file
    /// that does not exist is an error.
    public static func locate(explicit: String?) throws -> String? {
        let files = FileManager.default
        if let explicit {
            guard files.fileExists(atPath: explicit) else {
                throw ConfigurationError(
                    source: explicit,
                    issues: [.init(key: nil, message: "no such file; check the path given to --config")])
            }
            return absolute(explicit)
        }
        return searchPath.first { files.fileExists(atPath: $0) }.map(absolute)
    }

    public static func load(explicit: String?) throws -> ChappeConfiguration {
        guard let file = try locate(explicit: explicit) else {
            return try ChappeConfiguration.defaults(baseDirectory: absolute("etc"))
        }
        return try ChappeConfiguration.load(file: file)
    }

    /// The data folder, even from a file that fails validation, so that
    /// `chappe reload` can reach the running server and let it refuse the
    /// file. Falls back to the default "../spool" when the key is unreadable.
    public static func dataDirectory(explicit: String?) throws -> String {
        let file = try locate(explicit: explicit)
        let base = file.map { ($0 as NSString).deletingLastPathComponent } ?? absolute("etc")
        var text = "../spool"
        if let file, let contents = try? String(contentsOfFile: file, encoding: .utf8),
            let table = try? TOMLTable(string: contents), let value = table["data_dir"]?.string
        {
            text = value
        }
        return ConfigPath(text, relativeTo: base).path
    }

    static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.path
    }
}
