// SMTP: the receiving half of the MTA — ESMTP server sessions for the MX
// and submission listeners (RFC 5321, RFC 6409), relay policy, aliases and
// the Received field. The queue plugs in through `MessageSpool`.
//
// Shape (DESIGN.md rule 1, STYLE.md rules 1-8):
// - `SMTPCommand.parse` is a pure parser over one command line; its one
//   encoder is `SMTPCommand.encoded`. `SMTPReply` has one encoder and a
//   streaming parser (`SMTPReplyParser`) for the client side and tests.
// - `SMTPCommandTable` declares every verb once: the states it is allowed
//   in, whether it may precede STARTTLS on submission, whether it needs
//   AUTH there, whether it ends a pipeline group, its line limit and help.
//   HELP, the EHLO keywords and the 503 replies are generated from it.
// - `SMTPSession` is the state machine (a `Transport.SessionMachine`): it
//   checks a command against the table and the session, asks the policy
//   (`RelayPolicy`, recipient lookup as an effect), then proceeds. The
//   session state (EHLO, TLS, identity) lives apart from the mail
//   transaction (MAIL…DATA), so RSET discards exactly the transaction.
// - `SMTPPerformer` runs the effects: authentication, recipient lookup,
//   pauses and the spool operations, against protocols with in-memory
//   twins in the tests.
// - Queue/: `FileQueue` (data_dir/queue, docs/SPOOL.md "SMTP queue") and its
//   twin `MemoryQueue`; `LocalSubmission` prepares `chappe send` messages.
// - Delivery/: `QueueRunner` delivers local recipients through a
//   `LocalDeliveryAgent` (the store) exactly once per delivery id, defers
//   and bounces (`DeliveryStatusNotification`, RFC 3464).
//
// Invariants:
// - 250 after DATA/BDAT LAST is sent only once `SpoolWriter.commit` has
//   returned, i.e. after the queue fsynced the message (DESIGN.md rule 3).
// - Only CRLF.CRLF ends DATA; a bare CR or LF in DATA is refused (or, by
//   configuration, normalised) — the SMTP smuggling defence.
// - No open relay: a non-local recipient needs a trusted network or AUTH.
// - Every limit is named in `SMTPConfiguration` or `SMTPLimits`, cites its
//   RFC and has a test that crosses it.
//
// RFCs: 5321 (SMTP), 1870 (SIZE), 2920 (PIPELINING), 3030 (CHUNKING),
// 3207 (STARTTLS), 3461 (DSN), 3463 and 2034 (enhanced status codes),
// 3848 (with-protocol names), 4954 (AUTH), 6152 (8BITMIME), 6531 (SMTPUTF8),
// 3464 and 6522 (delivery status notifications), 3834 (Auto-Submitted).
