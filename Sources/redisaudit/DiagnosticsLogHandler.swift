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
    /// The one progress line on a terminal; nil when standard error is not one.
    var progress: ProgressLine? = ProgressLine.standardError

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = line(for: event)
        let kind = (event.metadata?[ProgressEvent.key]).flatMap { value -> ProgressEvent? in
            if case .string(let name) = value { return ProgressEvent(rawValue: name) }
            return nil
        }
        guard let progress else {
            // Not a terminal: progress only every so often, as plain lines.
            if kind != .update { FileHandle.standardError.write(Data((text + "\n").utf8)) }
            return
        }
        progress.write(text, kind: kind)
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

/// The self-updating progress line on a terminal's standard error: each update returns to the
/// line's start and overwrites it (padded over what was longer); any other message first moves
/// past it, so messages and the line never mix.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    /// The length of the progress text on screen, 0 when no progress line is open.
    private var open = 0

    /// The line for this process's standard error, when it is a terminal.
    static let standardError: ProgressLine? = isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil

    /// Writes `text`: as the progress line for `update` and `line`, ending it for `done`, as an
    /// ordinary message otherwise.
    func write(_ text: String, kind: ProgressEvent?) {
        lock.lock()
        defer { lock.unlock() }
        var output: String
        if let kind {
            // Back to the line's start, over what was longer; `done` ends the line.
            output = "\r" + text + String(repeating: " ", count: max(0, open - text.count))
            open = kind == .done ? 0 : text.count
            if kind == .done { output += "\n" }
        } else {
            output = (open > 0 ? "\r" + String(repeating: " ", count: open) + "\r" : "") + text + "\n"
            open = 0
        }
        FileHandle.standardError.write(Data(output.utf8))
    }
}
