import Foundation

/// Where one audit's report goes: the chosen format to a file or standard output, the JSON and
/// JUnit copies, and GitHub Actions' job summary. Checked before the audit connects anywhere,
/// written after it, every write checked (`ReportFile`).
public struct ReportDelivery: Sendable {
    /// The report formats.
    public enum Format: String, CaseIterable, Sendable {
        case markdown, json, junit
    }

    /// The format of the main report.
    public var format: Format
    /// The main report's file (`-o`); standard output when nil.
    public var output: String?
    /// A copy in JSON (`--json-output`), whatever the format.
    public var jsonOutput: String?
    /// A copy in JUnit XML (`--junit-output`), whatever the format.
    public var junitOutput: String?

    public init(format: Format, output: String? = nil, jsonOutput: String? = nil, junitOutput: String? = nil) {
        self.format = format
        self.output = output
        self.jsonOutput = jsonOutput
        self.junitOutput = junitOutput
    }

    /// The files named, each with the flag that named it, in flag order.
    public var files: [(flag: String, path: String)] {
        [("-o", output), ("--json-output", jsonOutput), ("--junit-output", junitOutput)].compactMap { flag, path in
            path.map { (flag, $0) }
        }
    }

    /// Checks every file before the audit: each writable, no path named by two outputs.
    public func check() throws(ReportDeliveryError) {
        var seen: [String: String] = [:]
        for (flag, path) in files {
            let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            if let other = seen[resolved] {
                throw ReportDeliveryError(description: "\(other) and \(flag) both name \(path): give each report its own file")
            }
            seen[resolved] = flag
            do {
                try ReportFile.checkWritable(path)
            } catch {
                throw ReportDeliveryError(description: "\(flag): \(error.description)")
            }
        }
    }

    /// Writes the report everywhere it goes. A job summary (`GITHUB_STEP_SUMMARY`) that cannot be
    /// written does not change the verdict: its failure is returned as a warning, not thrown.
    public func deliver(_ report: AuditReport, environment: [String: String]) throws(ReportDeliveryError) -> [String] {
        do {
            let text = Self.render(report, as: format)
            if let output {
                try ReportFile.write(text, to: output)
            } else {
                try ReportFile.writeStandardOutput(text + "\n")
            }
            if let jsonOutput { try ReportFile.write(JSONReport.render(report), to: jsonOutput) }
            if let junitOutput { try ReportFile.write(JUnitReport.render(report), to: junitOutput) }
        } catch {
            throw ReportDeliveryError(description: error.description)
        }
        guard let summary = GitHubStepSummary.path(in: environment) else { return [] }
        do {
            try GitHubStepSummary.append(MarkdownReport.render(report), to: summary)
            return []
        } catch {
            return [error.description]
        }
    }

    /// The report in one format.
    public static func render(_ report: AuditReport, as format: Format) -> String {
        switch format {
        case .markdown: return MarkdownReport.render(report)
        case .json: return JSONReport.render(report)
        case .junit: return JUnitReport.render(report)
        }
    }

    /// The one line that ends a run on standard error: the verdict, the counts, the baseline's
    /// tally and where the report went.
    public func verdictLine(_ report: AuditReport) -> String {
        let summary = report.summary
        var line = "\(summary.verdict): \(report.findings.count) findings, \(summary.failing) at or above \(summary.failOn)"
        if let b = report.baseline {
            line += " (baseline: \(b.new) new, \(b.accepted) accepted, \(b.expired) expired, \(b.resolved.count) resolved)"
        }
        let written = files.map(\.path)
        if !written.isEmpty { line += "; report in " + written.joined(separator: ", ") }
        return line
    }
}

/// A report that cannot go where it was asked to: the flag or path, and why.
public struct ReportDeliveryError: Error, CustomStringConvertible {
    public var description: String
}
