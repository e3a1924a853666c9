// MailAccessSettings: [pop3] and [imap], the services where users log in
// to read mail: the shared service keys plus how logins are guarded.

import Transport

/// A mail-access service: `service` holds enabled, listeners and limits
/// (reachable directly: `config.pop3.listen`), the rest guards logins.
@dynamicMemberLookup
public struct MailAccessSettings: Sendable, Equatable {
    public let service: ServiceSettings
    /// Whether loopback clients may send passwords without TLS.
    public let allowPlaintextLoopback: Bool
    /// The wait before a failed login is answered.
    public let authFailureDelay: Duration
    /// Failed logins after which the connection is closed.
    public let maxAuthFailures: Int

    public subscript<Value>(dynamicMember keyPath: KeyPath<ServiceSettings, Value>) -> Value {
        service[keyPath: keyPath]
    }

    init(reading r: inout SectionReader, _ defaults: ServiceDefaults) {
        service = ServiceSettings(reading: &r, defaults)
        allowPlaintextLoopback = r.read(
            "allow_plaintext_loopback", BooleanKind(), default: false,
            doc: "Accept passwords without TLS from 127.0.0.0/8 and ::1 (RFC 2595 §2.1 allows\nit by local policy); elsewhere a password needs TLS first."
        )
        authFailureDelay = r.read(
            "auth_failure_delay", DurationKind(minimum: .zero), default: "2s",
            doc: "Wait this long before answering a failed login, to slow password guessing."
        )
        maxAuthFailures = r.read(
            "max_auth_failures", IntegerKind(range: 1...1000), default: 3,
            doc: "Close the connection after this many failed logins."
        )
    }
}
