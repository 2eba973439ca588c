import Foundation
import Logging
import RedisAudit

/// Prints log messages to standard error as `redisaudit: message`, the way the tool's
/// progress and diagnostics read; the report never goes through it. On a terminal the
/// `warning:` and `error:` labels and the verdict line are coloured (see `DiagnosticColour`).
struct DiagnosticsLogHandler: LogHandler {
    /// The metadata key of the verdict line (`pass` or `fail`), which is coloured by its value.
    static let verdictKey = "verdict"

    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var colour: DiagnosticColour = .standardError

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        FileHandle.standardError.write(Data((line(for: event) + "\n").utf8))
    }

    /// The line written for an event, without its newline.
    func line(for event: LogEvent) -> String {
        var message = Endpoint.redactingURLs(in: event.message.description)
        if case .string(let verdict)? = event.metadata?[Self.verdictKey] ?? metadata[Self.verdictKey] {
            message = colour.paint(message, Verdict(rawValue: verdict) == .pass ? .pass : .fail)
        }
        switch event.level {
        case .warning: return "redisaudit: " + colour.paint("warning:", .warning) + " " + message
        case .error, .critical: return "redisaudit: " + colour.paint("\(event.level):", .error) + " " + message
        default: return "redisaudit: " + message
        }
    }

    /// Routes every logger to standard error at the level the flags ask for.
    static func bootstrap(quiet: Bool, verbose: Bool) {
        let level: Logger.Level = quiet ? .critical : (verbose ? .debug : .info)
        let colour = DiagnosticColour.standardError
        LoggingSystem.bootstrap { _ in DiagnosticsLogHandler(logLevel: level, colour: colour) }
    }
}
