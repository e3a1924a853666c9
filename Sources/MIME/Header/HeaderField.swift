// Header fields: one RFC 5322 §2.2 field with its original bytes, and the ordered header
// section with case-insensitive lookup.

/// One header field, kept byte for byte as it appeared (folding and line endings included).
public struct HeaderField: Sendable, Hashable {
    /// The field exactly as written: name, colon, value, folding, final line ending.
    public let raw: [UInt8]
    /// The field name as written, without blanks before the colon; empty for a malformed line.
    public let name: String
    /// Where the value starts in `raw` (after the colon) and where it ends (before the final
    /// line ending).
    let valueStart: Int
    let valueEnd: Int
    /// Whether this line is not a field at all but was kept so no byte is lost (a leading
    /// mbox "From " line, a continuation with nothing to continue, a line with an empty name).
    public let isMalformed: Bool

    init(raw: [UInt8], name: String, valueStart: Int, valueEnd: Int, isMalformed: Bool = false) {
        self.raw = raw
        self.name = name
        self.valueStart = valueStart
        self.valueEnd = valueEnd
        self.isMalformed = isMalformed
    }

    /// A new field "Name: value" ended by CRLF, folded before 78 characters at blanks where
    /// the value allows it (RFC 5322 §2.1.1, §2.2.3). The value must already be in its wire
    /// form: use `EncodedWord.encodeUnstructured(_:)` or the address formatters for non-ASCII.
    public init(name: String, value: String) {
        var raw = Array(name.utf8)
        raw.append(ASCII.colon)
        let valueStart = raw.count
        raw += HeaderField.fold(Array(value.utf8), firstLineUsed: raw.count)
        let valueEnd = raw.count
        raw += [ASCII.cr, ASCII.lf]
        self.init(raw: raw, name: name, valueStart: valueStart, valueEnd: valueEnd)
    }

    /// The bytes after the colon up to the final line ending, folding kept.
    public var rawValue: ArraySlice<UInt8> { raw[valueStart..<valueEnd] }

    /// The value unfolded (RFC 5322 §2.2.3: CR and LF removed) with leading blanks dropped.
    public var unfoldedValue: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(valueEnd - valueStart)
        var leading = true
        for b in rawValue where b != ASCII.cr && b != ASCII.lf {
            if leading && ASCII.isWSP(b) { continue }
            leading = false
            out.append(b)
        }
        return out
    }

    /// The unfolded value as text: UTF-8 where valid (RFC 6532), else Latin-1.
    public var value: String { String(mailBytes: unfoldedValue) }

    /// The unfolded value with RFC 2047 encoded words decoded, as for unstructured fields
    /// (RFC 2047 §6.2).
    public var decodedValue: String { EncodedWord.decodeUnstructured(unfoldedValue) }

    /// Whether the field is called `name`, ignoring ASCII case (RFC 5322 §1.2.2).
    public func hasName(_ other: String) -> Bool {
        name.utf8.equalsCaseInsensitive(other.utf8)
    }

    /// Folds `value` (with a leading space added) at blanks so lines stay under 78
    /// characters where possible (RFC 5322 §2.1.1); unbreakable runs stay whole.
    static func fold(_ value: [UInt8], firstLineUsed: Int) -> [UInt8] {
        let softLimit = 78
        var out: [UInt8] = [ASCII.space]
        var column = firstLineUsed + 1
        var i = 0
        // Words with the blanks before them move to a new line when they would not fit.
        while i < value.count {
            var j = i
            while j < value.count && ASCII.isWSP(value[j]) { j += 1 }
            while j < value.count && !ASCII.isWSP(value[j]) { j += 1 }
            let word = value[i..<j]
            if column + word.count > softLimit && i > 0 && ASCII.isWSP(value[i]) {
                out += [ASCII.cr, ASCII.lf]
                column = 0
            }
            out += word
            column += word.count
            i = j
        }
        return out
    }
}

/// The header section of a message or body part: its fields in order, repeated fields
/// kept, with lookup by name ignoring case.
public struct Header: Sendable, Hashable, RandomAccessCollection, MutableCollection, RangeReplaceableCollection {
    /// The fields in their original order.
    public var fields: [HeaderField]

    public init() { fields = [] }
    public init(_ fields: [HeaderField]) { self.fields = fields }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> HeaderField {
        get { fields[position] }
        set { fields[position] = newValue }
    }
    public mutating func replaceSubrange(_ subrange: Range<Int>, with newElements: some Collection<HeaderField>) {
        fields.replaceSubrange(subrange, with: newElements)
    }

    /// The first field called `name` (ignoring case), if any.
    public subscript(name: String) -> HeaderField? {
        fields.first { !$0.isMalformed && $0.hasName(name) }
    }

    /// Every field called `name` (ignoring case), in order.
    public func all(_ name: String) -> [HeaderField] {
        fields.filter { !$0.isMalformed && $0.hasName(name) }
    }

    /// The decoded value of the first field called `name` (RFC 2047 words decoded).
    public func decodedValue(_ name: String) -> String? {
        self[name]?.decodedValue
    }

    /// Appends a new field "name: value" (see `HeaderField.init(name:value:)`).
    public mutating func append(name: String, value: String) {
        fields.append(HeaderField(name: name, value: value))
    }

    /// Removes every field called `name`.
    public mutating func removeAll(named name: String) {
        fields.removeAll { !$0.isMalformed && $0.hasName(name) }
    }

    /// The fields' bytes, concatenated as they were read or built.
    public var serialized: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(0) { $0 + $1.raw.count })
        for field in fields { out += field.raw }
        return out
    }
}
