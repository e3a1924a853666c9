// What a reload can change in a running server. Today log_level, the DNS
// zones and rate limit, and the contents of the SMTP aliases file are
// applied live; every other change is reported as waiting for a restart, so
// an operator is never told a change took effect when it did not.
import Logging

enum ConfigurationDifferences {
    /// The keys or sections that differ and need a restart to apply.
    static func needingRestart(old: ChappeConfiguration, new: ChappeConfiguration) -> [String] {
        var changed: [String] = []
        if old.hostname != new.hostname { changed.append("hostname") }
        if old.dataDirectory != new.dataDirectory { changed.append("data_dir") }
        if old.user != new.user { changed.append("user") }
        if old.shutdownTimeout != new.shutdownTimeout { changed.append("shutdown_timeout") }
        if old.tls != new.tls { changed.append("[tls]") }
        if old.smtp != new.smtp { changed.append("[smtp]") }
        if old.pop3 != new.pop3 { changed.append("[pop3]") }
        if old.imap != new.imap { changed.append("[imap]") }
        if old.nntp != new.nntp { changed.append("[nntp]") }
        if old.ftp != new.ftp { changed.append("[ftp]") }
        if old.http != new.http { changed.append("[http]") }
        if !old.dns.hasSameRestartKeys(as: new.dns) { changed.append("[dns]") }
        return changed
    }
}

extension LogLevel {
    public var loggerLevel: Logger.Level {
        switch self {
        case .trace: return .trace
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical: return .critical
        }
    }
}
