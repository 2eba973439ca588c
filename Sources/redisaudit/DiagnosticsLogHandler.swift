import Foundation
import Logging

/// Prints log messages to standard error as `redisaudit: message`, the way the tool's
/// progress and diagnostics read; the report never goes through it.
struct DiagnosticsLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix = event.level >= .warning ? "redisaudit: \(event.level): " : "redisaudit: "
        FileHandle.standardError.write(Data((prefix + event.message.description + "\n").utf8))
    }

    /// Routes every logger to standard error at the level the flags ask for.
    static func bootstrap(quiet: Bool, verbose: Bool) {
        let level: Logger.Level = quiet ? .critical : (verbose ? .debug : .info)
        LoggingSystem.bootstrap { _ in DiagnosticsLogHandler(logLevel: level) }
    }
}
