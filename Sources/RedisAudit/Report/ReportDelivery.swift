import Foundation

/// Where one audit's report goes: the chosen format to a file or standard output, the JSON and
/// JUnit copies, and GitHub Actions' job summary. Checked before the audit connects anywhere,
/// written after it, every write checked (`ReportFile`).
public struct ReportDelivery: Sendable {
    /// The report formats.
    public enum Format: String, CaseIterable, Sendable {
        case markdown, json, junit, html
    }

    /// The format of the main report.
    public var format: Format
    /// The main report's file (`-o`); standard output when nil.
    public var output: String?
    /// A copy in JSON (`--json-output`), whatever the format.
    public var jsonOutput: String?
    /// A copy in JUnit XML (`--junit-output`), whatever the format.
    public var junitOutput: String?
    /// A copy as a self-contained HTML page (`--html-output`), whatever the format.
    public var htmlOutput: String?
    /// Set when standard output is a terminal and neither `--format` nor `-o` was given, or with
    /// `--summary`: the reports go to files (`-o` and the other outputs, else default names in
    /// the working directory) and standard output gets ``TerminalSummary``.
    public var terminal: Terminal?

    /// How the terminal summary is drawn.
    public struct Terminal: Sendable {
        public var colour: Bool
        public var width: Int
        /// Findings listed before "and N more".
        public var listed: Int

        public init(colour: Bool, width: Int, listed: Int = TerminalSummary.listed) {
            self.colour = colour
            self.width = width
            self.listed = listed
        }
    }

    public init(
        format: Format, output: String? = nil, jsonOutput: String? = nil, junitOutput: String? = nil, htmlOutput: String? = nil,
        terminal: Terminal? = nil
    ) {
        self.format = format
        self.output = output
        self.jsonOutput = jsonOutput
        self.junitOutput = junitOutput
        self.htmlOutput = htmlOutput
        self.terminal = terminal
    }

    /// The reports' files with the summary: `redisaudit-<subcommand>.md`, `.json` and `.html` in
    /// the working directory, unless `-o`, `--json-output` or `--html-output` names one.
    public func terminalFiles(command: String) -> (markdown: String, json: String, html: String) {
        (
            output ?? "redisaudit-\(command).md", jsonOutput ?? "redisaudit-\(command).json",
            htmlOutput ?? "redisaudit-\(command).html"
        )
    }

    /// The files named, each with the flag that named it, in flag order.
    public var files: [(flag: String, path: String)] {
        [("-o", output), ("--json-output", jsonOutput), ("--junit-output", junitOutput), ("--html-output", htmlOutput)].compactMap
        { flag, path in
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
        if terminal != nil, output == nil || jsonOutput == nil || htmlOutput == nil {
            do {
                try ReportFile.checkWritable("redisaudit-report.md")
            } catch {
                throw ReportDeliveryError(
                    description: "the reports go to the working directory on a terminal, and \(error.description): "
                        + "give -o FILE, or --format to print the report")
            }
        }
    }

    /// Every file the report is written to, each in its format, in order: the main report (`-o`)
    /// and the copies; with the summary, the Markdown, JSON and HTML reports (`terminalFiles`) and
    /// the JUnit copy.
    public func writes(command: String) -> [(format: Format, path: String)] {
        let named: [(Format, String?)]
        if terminal != nil {
            let files = terminalFiles(command: command)
            named = [(.markdown, files.markdown), (.json, files.json), (.html, files.html), (.junit, junitOutput)]
        } else {
            named = [(format, output), (.json, jsonOutput), (.junit, junitOutput), (.html, htmlOutput)]
        }
        return named.compactMap { format, path in path.map { (format, $0) } }
    }

    /// Writes the report everywhere it goes: its files, then standard output (the summary, or the
    /// main report when no `-o` names its file). A job summary (`GITHUB_STEP_SUMMARY`) that cannot
    /// be written does not change the verdict: its failure is returned as a warning, not thrown.
    public func deliver(_ report: AuditReport, environment: [String: String]) throws(ReportDeliveryError) -> [String] {
        do {
            let writes = writes(command: report.command)
            for (format, path) in writes { try ReportFile.write(Self.render(report, as: format), to: path) }
            if let terminal {
                try ReportFile.writeStandardOutput(
                    TerminalSummary.render(
                        report, files: writes.map(\.path), colour: terminal.colour, width: terminal.width,
                        listed: terminal.listed))
            } else if output == nil {
                try ReportFile.writeStandardOutput(Self.render(report, as: format) + "\n")
            }
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
        case .html: return HTMLReport.render(report)
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
