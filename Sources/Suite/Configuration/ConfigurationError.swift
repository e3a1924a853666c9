// ConfigurationError: everything wrong with a configuration file, reported
// together — one line per problem, each naming the file and the key
// ("etc/chappe.toml: [smtp] listne: unknown key (did you mean "listen"?)"),
// or the line and column for TOML syntax errors ("etc/chappe.toml:3:7: …").
// Also the spelling suggestion used for unknown keys and sections.

// MARK: - ConfigurationError

/// The problems found while loading a configuration. Loading reports all of
/// them at once, so an operator fixes a file in one pass.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One problem.
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        /// The key as it reads in the file: "hostname", "[smtp] listen", or
        /// "[smtp]" for a section; nil for a problem with the whole file.
        public let key: String?
        /// Where the problem is, for TOML syntax errors (1-based).
        public let line: Int?
        public let column: Int?
        /// What is wrong, in words that follow the key.
        public let message: String

        public init(key: String?, message: String, line: Int? = nil, column: Int? = nil) {
            self.key = key
            self.message = message
            self.line = line
            self.column = column
        }

        /// "[smtp] listen: message", "3:7: message", or the message alone.
        public var description: String {
            if let key { return "\(key): \(message)" }
            if let line, let column { return "\(line):\(column): \(message)" }
            return message
        }
    }

    /// The name of the file as given by the caller ("etc/chappe.toml").
    public let source: String
    /// Every problem, in the order the keys are declared.
    public let issues: [Issue]

    public init(source: String, issues: [Issue]) {
        self.source = source
        self.issues = issues
    }

    /// One line per issue, each starting with the source name; syntax errors
    /// read "FILE:LINE:COLUMN: message".
    public var description: String {
        issues.map { issue in
            if issue.key == nil, issue.line != nil {
                return "\(source):\(issue.description)"
            }
            return "\(source): \(issue.description)"
        }
        .joined(separator: "\n")
    }
}

// MARK: - Spelling suggestions

enum Spelling {
    /// The candidate closest to `word`, if it is close enough to be what
    /// was meant: at most a third of its length in edits (at least one),
    /// counting a swap of two neighbours as one edit.
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let scored = candidates
            .map { (candidate: $0, distance: distance(word.lowercased(), $0.lowercased())) }
            .filter { $0.distance <= max(1, $0.candidate.count / 3) }
        return scored.min { $0.distance < $1.distance }?.candidate
    }

    /// Optimal-string-alignment distance: insertions, deletions,
    /// substitutions and transpositions of adjacent characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { rows[i][0] = i }
        for j in 0...b.count { rows[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = min(best, rows[i - 2][j - 2] + 1)
                }
                rows[i][j] = best
            }
        }
        return rows[a.count][b.count]
    }
}
