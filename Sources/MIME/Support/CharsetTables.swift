// Charset tables: the upper halves (0x80-0xFF) of the single-byte charsets the module
// decodes itself. The data is generated (Tests/MIMETests/Tools/gen_charset_tables.py)
// into one file per family; this joins them.

enum CharsetTables {
    /// Charset name (lower case) to its 128 code points for bytes 0x80-0xFF.
    static let upperHalves: [String: [UInt16]] = iso8859UpperHalves.merging(windowsAndKOI8UpperHalves) { first, _ in first }
}
