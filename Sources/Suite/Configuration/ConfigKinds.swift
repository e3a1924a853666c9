// ConfigKinds: what a configuration key's value means. A kind decodes a
// literal into a typed value (or says, in words that follow the key's name,
// what is wrong), and encodes a value back into a literal for the effective
// configuration printout. This file has the protocol and the general kinds;
// ConfigKinds+Addresses.swift has the network ones.
//
// Invariant: encode(decode(x)) decodes to an equal value, so the printout of
// `chappe check-config` reads back as the same configuration.

import Transport

// MARK: - Protocol

/// The values decoding depends on: where relative paths start.
struct ConfigContext: Sendable {
    /// The absolute folder of the configuration file.
    let baseDirectory: String
}

/// Why a literal is not a valid value of a kind: one message per problem
/// (a list may have several bad elements), each to follow "[section] key: ".
struct ConfigValueError: Error {
    var messages: [String]

    init(_ message: String) { messages = [message] }
    init(messages: [String]) { self.messages = messages }

    static func wrongType(expected: String, got literal: ConfigLiteral) -> ConfigValueError {
        if case .unsupported = literal {
            return ConfigValueError("expected \(expected), got \(literal.typeDescription)")
        }
        return ConfigValueError("expected \(expected), got \(literal.typeDescription) (\(literal.shownInMessage))")
    }
}

/// The meaning of a key's value.
protocol ConfigKind: Sendable {
    associatedtype Value: Sendable & Equatable

    /// The typed value of `literal`, or why there is none.
    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> Value
    /// The literal the effective configuration prints for `value`.
    func encode(_ value: Value) -> ConfigLiteral
    /// A value to carry on with when a key is invalid; never used in a
    /// configuration that is returned, because invalid keys make loading throw.
    var placeholder: Value { get }
    /// The addresses this value makes the suite listen on, for the check
    /// that no two listeners share one.
    func listeners(in value: Value) -> [ListenAddress]
}

extension ConfigKind {
    func listeners(in value: Value) -> [ListenAddress] { [] }
}

extension ConfigLiteral {
    /// The string, or a wrong-type error.
    func expectString() throws(ConfigValueError) -> String {
        guard case .string(let text) = self else { throw .wrongType(expected: "a string", got: self) }
        return text
    }
}

// MARK: - Scalars

/// `true` or `false`.
struct BooleanKind: ConfigKind {
    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> Bool {
        guard case .boolean(let value) = literal else { throw .wrongType(expected: "true or false", got: literal) }
        return value
    }

    func encode(_ value: Bool) -> ConfigLiteral { .boolean(value) }
    var placeholder: Bool { false }
}

/// An integer in a range; `unit` names what it counts in messages ("bytes").
struct IntegerKind: ConfigKind {
    let range: ClosedRange<Int>
    var unit: String? = nil

    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> Int {
        guard case .integer(let value) = literal else {
            throw .wrongType(expected: unit.map { "an integer (\($0))" } ?? "an integer", got: literal)
        }
        guard range.contains(value) else {
            throw ConfigValueError("\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func encode(_ value: Int) -> ConfigLiteral { .integer(value) }
    var placeholder: Int { range.lowerBound }
}

/// A string, checked by `validate`, which returns nil when the text is
/// acceptable or the reason it is not (a clause after the quoted text).
struct StringKind: ConfigKind {
    var validate: @Sendable (String) -> String? = { _ in nil }

    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> String {
        let text = try literal.expectString()
        if let reason = validate(text) {
            throw ConfigValueError("\(ConfigLiteral.quoted(text)) \(reason)")
        }
        return text
    }

    func encode(_ value: String) -> ConfigLiteral { .string(value) }
    var placeholder: String { "" }
}

/// One of the cases of a string enum, by raw value.
struct ChoiceKind<Choice: RawRepresentable & CaseIterable & Sendable & Equatable>: ConfigKind
where Choice.RawValue == String {
    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> Choice {
        let text = try literal.expectString()
        guard let choice = Choice(rawValue: text) else {
            let names = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigValueError("\(ConfigLiteral.quoted(text)) is not one of \(names)")
        }
        return choice
    }

    func encode(_ value: Choice) -> ConfigLiteral { .string(value.rawValue) }

    /// Any case; see `ConfigKind.placeholder`.
    let placeholder: Choice
}

/// A duration string ("30s", "5m", "2h", "5d", "1h30m") of at least `minimum`.
struct DurationKind: ConfigKind {
    var minimum: Duration = .zero

    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> Duration {
        if case .integer(let value) = literal {
            throw ConfigValueError("\(value) is not a duration: write it as a string with a unit, e.g. \"\(value)s\"")
        }
        let text = try literal.expectString()
        guard let duration = DurationText.parse(text) else {
            throw ConfigValueError("\(ConfigLiteral.quoted(text)) is not a duration; \(DurationText.hint)")
        }
        guard duration >= minimum else {
            throw ConfigValueError("\(ConfigLiteral.quoted(text)) is too short; the least is \"\(DurationText.format(minimum))\"")
        }
        return duration
    }

    func encode(_ value: Duration) -> ConfigLiteral { .string(DurationText.format(value)) }
    var placeholder: Duration { minimum }
}

/// A file or folder path; relative paths start at the configuration file's
/// folder. The effective configuration prints the absolute path.
struct PathKind: ConfigKind {
    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> ConfigPath {
        let text = try literal.expectString()
        guard !text.isEmpty else { throw ConfigValueError("a path may not be empty") }
        guard !text.utf8.contains(0) else { throw ConfigValueError("a path may not contain a NUL character") }
        return ConfigPath(text, relativeTo: context.baseDirectory)
    }

    func encode(_ value: ConfigPath) -> ConfigLiteral { .string(value.path) }
    var placeholder: ConfigPath { ConfigPath("/", relativeTo: "/") }
}

/// A domain name, stored in lower case without a trailing dot.
struct DomainNameKind: ConfigKind {
    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> String {
        let text = try literal.expectString()
        switch DomainName.validate(text) {
        case .success(let name): return name
        case .failure(let error):
            throw ConfigValueError("\(ConfigLiteral.quoted(text)) is not a valid domain name: it \(error.reason)")
        }
    }

    func encode(_ value: String) -> ConfigLiteral { .string(value) }
    var placeholder: String { "invalid" }
}

// MARK: - Lists

/// An array whose elements all have kind `Element`. Every bad element is
/// reported, not just the first.
struct ListKind<Element: ConfigKind>: ConfigKind {
    let element: Element
    /// Whether `[]` is accepted.
    var allowsEmpty = true

    init(of element: Element, allowsEmpty: Bool = true) {
        self.element = element
        self.allowsEmpty = allowsEmpty
    }

    func decode(_ literal: ConfigLiteral, in context: ConfigContext) throws(ConfigValueError) -> [Element.Value] {
        guard case .array(let items) = literal else {
            if case .string = literal {
                throw ConfigValueError("expected an array, got a string; write [\(literal.tomlText)]")
            }
            throw .wrongType(expected: "an array", got: literal)
        }
        guard allowsEmpty || !items.isEmpty else { throw ConfigValueError("may not be empty") }
        var values: [Element.Value] = []
        var messages: [String] = []
        for item in items {
            do {
                values.append(try element.decode(item, in: context))
            } catch {
                messages += error.messages
            }
        }
        guard messages.isEmpty else { throw ConfigValueError(messages: messages) }
        return values
    }

    func encode(_ value: [Element.Value]) -> ConfigLiteral { .array(value.map(element.encode)) }
    var placeholder: [Element.Value] { [] }

    func listeners(in value: [Element.Value]) -> [ListenAddress] {
        value.flatMap { element.listeners(in: $0) }
    }
}
