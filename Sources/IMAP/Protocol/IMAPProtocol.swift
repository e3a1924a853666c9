// IMAP protocol codec: the wire format of IMAP4rev2 (RFC 9051) with IMAP4rev1
// compatibility (RFC 3501), and the extensions the server speaks: LITERAL+/-
// (RFC 7888), UIDPLUS (RFC 4315), MOVE (RFC 6851), LIST-EXTENDED (RFC 5258),
// LIST-STATUS (RFC 5819), SPECIAL-USE (RFC 6154), ESEARCH (RFC 4731),
// CONDSTORE (RFC 7162), ID (RFC 2971), ENABLE (RFC 5161), IDLE (RFC 2177),
// UNSELECT (RFC 3691), SASL-IR (RFC 4959), NAMESPACE (RFC 2342), BINARY
// (RFC 3516, folded into RFC 9051).
//
// Role: turn client bytes into typed commands and typed responses into
// server bytes, with no sockets, clocks or stores (DESIGN.md rule 1).
//
//   bytes ─▶ IMAPCommandFramer ─▶ IMAPFrame ─▶ IMAPCommandParser ─▶ IMAPCommand
//            (CRLF lines, literals,  .command(bytes)    (RFC 9051 §9 grammar)
//             continuation requests, .append(...) streamed message literals
//             limits, resync)        .rejected(error)  → tagged BAD/NO
//
//   IMAPResponse ─▶ IMAPResponseEncoder ─▶ bytes   (FETCH bodies streamed
//                                                   through IMAPFetchResponseWriter)
//   IMAPCommand  ─▶ IMAPCommandEncoder  ─▶ bytes   (the client side)
//
// `IMAPCommandTable` is the one declarative table of commands (states, flags,
// capabilities) for the session machine and the CAPABILITY response.
//
// Invariants:
// - Parsing is total: any byte sequence yields a command or an
//   `IMAPParseError` carrying the tag when one could be read; nothing traps.
//   Recursion (parenthesised search keys, NOT, OR) is bounded by
//   `IMAPCommandParser.maxNestingDepth`.
// - Every framing limit is in `IMAPCommandFramer.Configuration`; crossing one
//   yields `.rejected` and the framer resynchronises on the next command
//   (a refused synchronising literal is never sent by the client; the octets of
//   a refused non-synchronising literal are skipped).
// - The message literal of APPEND is never buffered whole: it is delivered as
//   begin / bytes / end events.
// - Encoders never let data break the framing: strings with CR, LF or 8-bit
//   octets (outside UTF8=ACCEPT) go out as literals, and response text has
//   CR and LF replaced.
// - Mailbox names are carried as sent. Under IMAP4rev1 (no UTF8=ACCEPT) the
//   session converts them with `IMAPMailboxName.decodingModifiedUTF7()` and
//   `encodingModifiedUTF7()` (RFC 3501 §5.1.3).
