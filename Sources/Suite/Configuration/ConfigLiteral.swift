// ConfigLiteral: a TOML value as the configuration sees it, before it is
// given a meaning by a key's kind. Defaults are declared as literals (so they
// read exactly as they appear in etc/chappe.toml and go through the same
// decoding as the file), TOMLKit's tree is turned into literals right after
// parsing, and both renderers write literals back as TOML text.

// MARK: - ConfigLiteral

/// A TOML value: the shapes the configuration uses, plus a marker for the
/// TOML types it never uses (floats, dates, times), kept only to name them in
/// errors.
public enum ConfigLiteral: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case array([ConfigLiteral])
    case table([String: ConfigLiteral])
    /// A value of a TOML type no key accepts; the payload names the type
    /// ("a floating-point number", "a date").
    case unsupported(String)

    /// The value's TOML type with an article, for messages: "a string".
    public var typeDescription: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .boolean: return "a boolean"
        case .array: return "an array"
        case .table: return "a table"
        case .unsupported(let name): return name
        }
    }

    /// The value as TOML text, for `key = <text>` lines. Arrays stay on one
    /// line; tables are written inline.
    public var tomlText: String {
        switch self {
        case .string(let text): return ConfigLiteral.quoted(text)
        case .integer(let value): return String(value)
        case .boolean(let value): return value ? "true" : "false"
        case .array(let elements): return "[" + elements.map(\.tomlText).joined(separator: ", ") + "]"
        case .table(let entries):
            let body = entries.keys.sorted().map { "\(ConfigLiteral.key($0)) = \(entries[$0]?.tomlText ?? "\"\"")" }
            return "{ " + body.joined(separator: ", ") + " }"
        case .unsupported(let name): return ConfigLiteral.quoted("<\(name)>")
        }
    }

    /// The value quoted for an error message: strings in quotes, other
    /// values as TOML text.
    var shownInMessage: String { tomlText }

    // MARK: TOML text helpers

    /// A TOML basic string: quotes, backslashes and control characters are
    /// escaped (TOML 1.0 "Basic strings").
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A key as TOML writes it: bare when it only has A-Z a-z 0-9 _ -,
    /// quoted otherwise.
    static func key(_ name: String) -> String {
        let bare = !name.isEmpty && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
        return bare ? name : quoted(name)
    }
}

// MARK: - Literal syntax for declarations

extension ConfigLiteral: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(arrayLiteral elements: ConfigLiteral...) { self = .array(elements) }
}
