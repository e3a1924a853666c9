// Transport: the one network layer every Chappe protocol runs on.
//
// Role: TCP and UDP listeners, implicit TLS and in-place STARTTLS, strict
// streaming framing for text protocols, connection caps, timeouts, graceful
// drain, and the client side used by the SMTP client, fetch and feeders.
//
// Invariants:
// - Protocol logic lives in a `SessionMachine` (a value fed parsed events that
//   returns actions); `SessionHandler` only moves bytes between the socket, the
//   `FrameDecoder` and the machine (DESIGN.md rule 1).
// - Nothing here blocks an event loop: effects that touch disk or SQLite run
//   in the performer's async context, off the loop (rule 2).
// - Buffers are bounded: lines by `maxLineLength`, payloads are streamed in
//   chunks, reading pauses while an effect runs or the peer stops reading.
// - After STARTTLS, every byte that arrived in plaintext before the handshake
//   is discarded (RFC 3207 §4.2).
