import Foundation

/// Whether diagnostics on standard error are coloured: only when it is a terminal, `TERM` is not
/// `dumb`, and `NO_COLOR` is unset or empty (no-color.org). Reports are never coloured.
struct DiagnosticColour: Sendable, Equatable {
    /// The ANSI styles of diagnostics: the `error:` and `warning:` labels and the verdict line.
    enum Style: String, Sendable {
        case error = "1;31"
        case warning = "1;33"
        case pass = "1;32"
        case fail = "31"
    }

    let isEnabled: Bool

    init(environment: [String: String], isTerminal: Bool) {
        let noColour = !(environment["NO_COLOR"] ?? "").isEmpty
        isEnabled = isTerminal && environment["TERM"] != "dumb" && !noColour
    }

    /// The decision for this process's standard error.
    static var standardError: DiagnosticColour {
        DiagnosticColour(environment: ProcessInfo.processInfo.environment, isTerminal: isatty(STDERR_FILENO) == 1)
    }

    /// `text` in `style`, or as it is when colour is off.
    func paint(_ text: String, _ style: Style) -> String {
        isEnabled ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }
}
