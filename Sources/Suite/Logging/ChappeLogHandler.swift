// One log line per event on stderr: time, level, label, message, then the
// metadata (service, conn, peer, ...) as key=value pairs. The level can be
// changed at run time (`chappe reload` of log_level).
import Foundation
import Logging
import NIOConcurrencyHelpers

public struct ChappeLogHandler: LogHandler {
    /// The level every handler of the process follows unless set locally.
    public static let globalLevel = NIOLockedValueBox(Logger.Level.info)

    private let label: String
    private var localLevel: Logger.Level?
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String) {
        self.label = label
    }

    public var logLevel: Logger.Level {
        get { localLevel ?? Self.globalLevel.withLockedValue { $0 } }
        set { localLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let extra = event.metadata {
            merged.merge(extra) { _, new in new }
        }
        var line = "\(Self.timestamp()) \(event.level) \(label): \(event.message)"
        for key in merged.keys.sorted() {
            line += " \(key)=\(merged[key].map { "\($0)" } ?? "")"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601)
    }

    /// Installs this handler for the whole process, once.
    public static func bootstrap(level: Logger.Level) {
        globalLevel.withLockedValue { $0 = level }
        bootstrapOnce
    }

    private static let bootstrapOnce: Void = {
        LoggingSystem.bootstrap { ChappeLogHandler(label: $0) }
    }()
}
