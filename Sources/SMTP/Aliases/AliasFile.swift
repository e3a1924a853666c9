// The aliases file (etc/aliases), in the format of Postfix's and sendmail's
// aliases(5), parsed by a pure function over its text:
//
//   # a comment: a line whose first non-blank character is "#"
//   postmaster: root
//   team:       alice, bob@example.test,
//               "carol smith"@example.test    <- a line starting with blanks continues
//   all:        :include:lists/all            <- one target per item of the file
//   abuse@example.test: alice                 <- a full address: this domain only
//
// Names are local parts (for every local domain) or full addresses (for
// one domain), compared without case. Targets are separated by commas; a
// target in double quotes may hold commas and blanks. "/file" and
// "|command" targets are recognised and refused at expansion: Chappe
// delivers only to mailboxes and addresses. An included file holds
// targets only (comma- or line-separated, with comments).

public enum AliasTarget: Sendable, Hashable, CustomStringConvertible {
    /// A local name ("alice") or a full address ("bob@example.test").
    case address(String)
    /// ":include:path" — a list kept in another file.
    case include(String)
    /// "/path" — delivery to a file (not supported).
    case file(String)
    /// "|command" — delivery to a program (not supported).
    case command(String)

    public var description: String {
        switch self {
        case .address(let text): return text
        case .include(let path): return ":include:" + path
        case .file(let path): return path
        case .command(let command): return "|" + command
        }
    }
}

public struct AliasEntry: Sendable, Hashable {
    /// Lowercased "name" or "name@domain".
    public let name: String
    public let targets: [AliasTarget]
    /// The line the entry starts on, for messages.
    public let line: Int
}

public struct AliasFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let reason: String

    public var description: String { "line \(line): \(reason)" }
}

public enum AliasFile {
    /// Parses an aliases file. Duplicate names and malformed lines are
    /// errors with their line number.
    public static func parse(_ text: String) -> Result<[AliasEntry], AliasFileError> {
        Result { () throws(AliasFileError) in try parseEntries(text) }
    }

    /// Parses an included list: targets separated by commas or lines.
    public static func parseList(_ text: String) -> Result<[AliasTarget], AliasFileError> {
        Result { () throws(AliasFileError) in
            var targets: [AliasTarget] = []
            for (offset, line) in lines(text).enumerated() where !isBlankOrComment(line) {
                targets += try parseTargets(Substring(line), line: offset + 1)
            }
            return targets
        }
    }

    private static func parseEntries(_ text: String) throws(AliasFileError) -> [AliasEntry] {
        // Logical lines: a physical line starting with a blank continues the previous one.
        var logical: [(line: Int, text: String)] = []
        for (offset, line) in lines(text).enumerated() {
            if isBlankOrComment(line) { continue }
            if line.first == " " || line.first == "\t" {
                guard !logical.isEmpty else {
                    throw AliasFileError(line: offset + 1, reason: "a continuation line with nothing to continue")
                }
                logical[logical.count - 1].text += " " + line.trimmingBlanks()
            } else {
                logical.append((offset + 1, line))
            }
        }
        var entries: [AliasEntry] = []
        var firstLine: [String: Int] = [:]
        for (number, line) in logical {
            let (name, rest) = try splitName(line, line: number)
            if let earlier = firstLine[name] {
                throw AliasFileError(line: number, reason: "alias \"\(name)\" is already defined on line \(earlier)")
            }
            firstLine[name] = number
            let targets = try parseTargets(rest, line: number)
            guard !targets.isEmpty else { throw AliasFileError(line: number, reason: "alias \"\(name)\" has no targets") }
            entries.append(AliasEntry(name: name, targets: targets, line: number))
        }
        return entries
    }

    /// "name:" (the name may be quoted) and the rest of the line.
    private static func splitName(_ line: String, line number: Int) throws(AliasFileError) -> (String, Substring) {
        var index = line.startIndex
        var name = ""
        var inQuotes = false
        while index < line.endIndex {
            let character = line[index]
            if character == "\"" {
                inQuotes.toggle()
            } else if character == "\\" && inQuotes {
                index = line.index(after: index)
                guard index < line.endIndex else { break }
                name.append(line[index])
            } else if character == ":" && !inQuotes {
                break
            } else {
                name.append(character)
            }
            index = line.index(after: index)
        }
        guard index < line.endIndex, !inQuotes else {
            throw AliasFileError(line: number, reason: "expected \"name: target, …\"")
        }
        let trimmed = name.trimmingBlanks()
        guard !trimmed.isEmpty, !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw AliasFileError(line: number, reason: "empty alias name")
        }
        return (trimmed.lowercased(), line[line.index(after: index)...])
    }

    /// Comma-separated targets; quotes protect commas and blanks.
    static func parseTargets(_ text: Substring, line number: Int) throws(AliasFileError) -> [AliasTarget] {
        var items: [(text: String, wasQuoted: Bool)] = []
        var current = ""
        var quotedWhole = false
        var inQuotes = false
        var index = text.startIndex
        func flush() {
            let trimmed = current.trimmingBlanks()
            if !trimmed.isEmpty { items.append((trimmed, quotedWhole)) }
            current = ""
            quotedWhole = false
        }
        while index < text.endIndex {
            let character = text[index]
            if inQuotes {
                if character == "\\" {
                    index = text.index(after: index)
                    if index < text.endIndex { current.append(text[index]) }
                } else if character == "\"" {
                    inQuotes = false
                    current.append(character)
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                if current.trimmingBlanks().isEmpty { quotedWhole = true }
                inQuotes = true
                current.append(character)
            } else if character == "," {
                flush()
            } else {
                current.append(character)
            }
            if index < text.endIndex { index = text.index(after: index) }
        }
        guard !inQuotes else { throw AliasFileError(line: number, reason: "unterminated quoted target") }
        flush()
        return items.map { item in classify(item.text, quoted: item.wasQuoted) }
    }

    private static func classify(_ text: String, quoted: Bool) -> AliasTarget {
        var value = text
        // A target wholly in quotes ("|cmd arg", "/path") loses its quotes;
        // a quoted local part ("a b"@example.test) keeps them.
        if quoted && value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 {
            value = String(value.dropFirst().dropLast())
        }
        if value.lowercased().hasPrefix(":include:") {
            return .include(String(value.dropFirst(9)).trimmingBlanks())
        }
        if value.hasPrefix("|") { return .command(String(value.dropFirst())) }
        if value.hasPrefix("/") { return .file(value) }
        if value.hasPrefix("<") && value.hasSuffix(">") && value.count >= 2 {
            value = String(value.dropFirst().dropLast())
        }
        return .address(value)
    }

    private static func lines(_ text: String) -> [String] {
        // "\r\n" is one Character in Swift: split on it as well as on "\n".
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
    }

    private static func isBlankOrComment(_ line: String) -> Bool {
        let trimmed = line.trimmingBlanks()
        return trimmed.isEmpty || trimmed.hasPrefix("#")
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
