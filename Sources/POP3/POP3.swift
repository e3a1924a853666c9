// POP3: the Post Office Protocol, version 3 (RFC 1939), with CAPA and
// response codes (RFC 2449), STLS (RFC 2595) and SASL AUTH (RFC 5034).
//
// Role: lets a user download and delete the messages of their INBOX.
// Shape: `POP3Command` parses a line; `POP3Session` is the state machine
// (AUTHORIZATION → TRANSACTION → UPDATE); `POP3Performer` runs its effects
// against a `POP3Backend` (the mail store, or an in-memory twin in tests).
// `POP3Client` is the other side, over Transport's ClientConnection, for
// `chappe fetch`.
//
// Invariants: deletions happen only in the UPDATE state after QUIT (RFC 1939
// §6), never when the connection drops; a user's maildrop is open in one
// session at a time ([IN-USE], RFC 2449 §8.1.2); passwords are accepted only
// over TLS unless the configuration allows loopback.
