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
        do {
            try ReportFile.append(markdown + (markdown.hasSuffix("\n") ? "" : "\n"), to: path, separatedBy: "\n")
        } catch {
            throw StepSummaryError(path: path, reason: error.reason)
        }
    }
}

/// The job summary file could not be appended to: which file, and why.
public struct StepSummaryError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot append the report to \(GitHubStepSummary.variable) (\(path)): \(reason)" }
}
