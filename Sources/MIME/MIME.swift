// MIME module overview: the types every part of Chappe uses to read and write Internet messages.
//
// Role: parse RFC 5322 messages and their MIME structure (RFC 2045, 2046, 2183, 2231),
// decode and encode header words (RFC 2047), addresses and dates (RFC 5322 §3.3, §3.4),
// the base64 and quoted-printable transfer encodings (RFC 2045 §6.7, §6.8), and build
// messages (including an 8bit→7bit downgrade for peers without 8BITMIME, RFC 6152).
//
// Invariants:
// - Pure: no I/O, no global mutable state; every type is a Sendable value.
// - Bytes first: parsers work on `[UInt8]` and never lose a byte. A `Message` parsed and
//   serialised without changes is byte-identical to its input; every `MIMEPart` knows the
//   byte ranges of its header and body in the original message (IMAP sections need them).
// - Lenient reading, strict writing: real-world input (bare LF, 8-bit headers, missing final
//   line ending, missing boundaries) is accepted and reported as `MIMEDefect`s; what we write
//   follows the RFCs (CRLF, 76-column transfer encodings, encoded words where needed).
// - Bounded: nesting depth, part count, header field count and size are limits
//   (`MIMELimits`), each named after the RFC text that motivates it.
//
// Layout: Support/ (bytes, charsets, limits, errors), Codec/ (base64, quoted-printable,
// encoded words), Header/ (fields, lexical tokens, addresses, dates, parameters),
// Structure/ (message, MIME tree), Build/ (builder, 7-bit downgrade), Tool/ (`chappe mime`).
