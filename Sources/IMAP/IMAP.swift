// IMAP: the IMAP4rev2 server (RFC 9051), serving IMAP4rev1 clients too
// (RFC 3501), over the mail store.
//
//   Protocol/  the codec: framer, parser, response encoder (IMAPProtocol.swift)
//   Session/   IMAPSession, the state machine; its effects and their results;
//              IMAPBackend, what it needs from accounts and the store
//   Server/    IMAPPerformer (runs effects: FETCH, SEARCH, LIST), the backend
//              over UserStore, IMAPServer.make on Transport's TCPServer
//
// Invariants: the session does no I/O (DESIGN.md rule 1); every store
// operation runs in an effect off the event loop (rule 2); OK after APPEND
// only once the store has fsynced (rule 3); message sequence numbers change
// only where RFC 9051 §7.5.1 allows.
