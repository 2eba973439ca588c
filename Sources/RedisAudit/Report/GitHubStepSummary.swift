import Foundation

/// GitHub Actions' job summary: the Markdown file `GITHUB_STEP_SUMMARY` names, which each step
/// appends to and the run's summary page shows.
public enum GitHubStepSummary {
    /// The environment variable GitHub Actions sets for every step.
    public static let variable = "GITHUB_STEP_SUMMARY"

    /// The file to append to: the variable's value, when it is set and not empty.
    public static func path(in environment: [String: String]) -> String? {
        guard let path = environment[variable], !path.isEmpty else { return nil }
        return path
    }

    /// Appends `markdown` to the file, creating it when missing and never truncating it; a file
    /// that already has content gets a blank line first, so each report starts a paragraph.
    public static func append(_ markdown: String, to path: String) throws(StepSummaryError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StepSummaryError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        let separator = fstat(fd, &status) == 0 && status.st_size > 0 ? "\n" : ""
        let text = separator + markdown + (markdown.hasSuffix("\n") ? "" : "\n")
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StepSummaryError(path: path, reason: String(cString: strerror(errno)))
            }
            written += n
        }
    }
}

/// The job summary file could not be appended to: which file, and why.
public struct StepSummaryError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot append the report to \(GitHubStepSummary.variable) (\(path)): \(reason)" }
}
