/// Renders a report as Markdown, readable in a terminal and as a CI job summary.
public enum MarkdownReport {
    public static func render(_ report: AuditReport) -> String {
        var out: [String] = []
        let s = report.summary
        out.append("# redisaudit \(report.command) report")
        out.append("")
        let verdict = s.verdict == .pass ? "PASS" : "FAIL"
        if s.shared > 0 {
            out.append(
                "**Verdict: \(verdict)**: \(s.failing) finding\(s.failing == 1 ? "" : "s") failing the run: differences at or above "
                    + "`\(s.failOn)` (`--fail-on`), shared findings at or above `\(s.failOnShared)` (`--fail-on-shared`); "
                    + "\(s.shared) finding\(s.shared == 1 ? "" : "s") shared by both endpoints.")
        } else {
            out.append(
                "**Verdict: \(verdict)**: \(s.failing) finding\(s.failing == 1 ? "" : "s") at or above `\(s.failOn)` (`--fail-on`)."
            )
        }
        out.append("")
        out.append("| Role | Endpoint | Engine | Version |")
        out.append("|---|---|---|---|")
        for e in s.endpoints {
            out.append("| \(e.role) | `\(e.url)` | \(e.engine) | \(e.version) |")
        }
        out.append("")
        out.append("| critical | high | medium | low | info |")
        out.append("|---:|---:|---:|---:|---:|")
        out.append("| " + Severity.allCases.map { String(s.counts[$0]) }.joined(separator: " | ") + " |")
        out.append("")
        if let keyspace = report.keyspace {
            let scanned = keyspace.endpoints.map { table in
                "\(table.role) \(KeyspaceMarkdown.grouped(table.keysScanned))"
                    + (table.nodes.map { " on \($0.count) cluster nodes" } ?? "")
            }.joined(separator: ", ")
            out.append("Keys scanned: \(scanned). Started \(s.startedAt), took \(formatSeconds(s.durationSeconds)).")
        } else {
            out.append(
                "Scenarios: \(s.scenarios.isEmpty ? "none" : s.scenarios.map { "`\($0)`" }.joined(separator: ", ")). "
                    + "Started \(s.startedAt), took \(formatSeconds(s.durationSeconds)).")
        }
        if let b = report.baseline {
            out.append("")
            out.append(
                "Baseline `\(b.file)`: \(b.new) new, \(b.accepted) accepted, \(b.expired) expired, \(b.resolved.count) resolved.")
        }
        for note in s.notes {
            out.append("")
            out.append("> \(note)")
        }
        out.append("")
        // Differences (and every finding outside `compare`) first, then what both endpoints share.
        let differences = report.findings.filter { $0.scope != .shared }
        let shared = report.findings.filter { $0.scope == .shared }
        out.append("## Findings")
        out.append("")
        if differences.isEmpty {
            out.append(shared.isEmpty ? "No findings." : "No differences between the endpoints.")
            out.append("")
        }
        for (index, f) in differences.enumerated() {
            out.append(contentsOf: finding(f, number: index + 1, baseline: report.baseline != nil))
        }
        if !shared.isEmpty {
            out.append("## Shared by both endpoints")
            out.append("")
            out.append(
                "The same outcome on both endpoints: these are about the scripts both hosts run, not about the move. "
                    + "They fail the run only at or above `--fail-on-shared` (`\(s.failOnShared)`).")
            out.append("")
            for (index, f) in shared.enumerated() {
                out.append(contentsOf: finding(f, number: differences.count + index + 1, baseline: report.baseline != nil))
            }
        }
        if let baseline = report.baseline, !baseline.resolved.isEmpty {
            out.append("## Resolved since the baseline")
            out.append("")
            out.append("These entries of `\(baseline.file)` matched no finding in this run; remove them from the file.")
            out.append("")
            out.append("| id | finding | accepted because |")
            out.append("|---|---|---|")
            for entry in baseline.resolved {
                let what = [entry.title, entry.scenario.map { "scenario `\($0)`" }].compactMap { $0 }.joined(separator: ", ")
                out.append("| `\(entry.id)` | \(cell(what.isEmpty ? "-" : what)) | \(cell(entry.reason)) |")
            }
            out.append("")
        }
        if let coverage = report.coverage, !coverage.isEmpty {
            out.append(contentsOf: coverageTables(coverage))
        }
        if let keyspace = report.keyspace {
            out.append(contentsOf: KeyspaceMarkdown.render(keyspace))
        }
        if !report.profiles.isEmpty {
            out.append(contentsOf: profileTable(report.profiles))
        }
        return out.joined(separator: "\n")
    }

    /// One finding as a numbered section: heading, facts, where, why, fix and evidence.
    private static func finding(_ f: Finding, number: Int, baseline: Bool) -> [String] {
        var out: [String] = []
        out.append("### \(number). [\(f.severity.rawValue.uppercased())] \(f.title)\(f.baselineMark(baseline: baseline))")
        out.append("")
        out.append((["`\(f.id)`"] + f.facts).joined(separator: " · "))
        out.append("")
        if let scenario = f.scenario {
            out.append("- **Scenario:** `\(scenario)`" + (f.step.map { ", \($0)" } ?? ""))
        }
        if let accepted = f.acceptanceText { out.append("- **Accepted in the baseline:** \(accepted)") }
        out.append("- **Why it matters:** \(f.why)")
        out.append("- **Fix:** \(f.fix)")
        if !f.evidence.isEmpty {
            out.append("")
            out.append("```")
            out.append(contentsOf: f.evidence)
            out.append("```")
        }
        out.append("")
        return out
    }

    private static func coverageTables(_ coverage: [FaultCoverage]) -> [String] {
        var out = ["## Fault coverage", ""]
        for table in coverage {
            var heading = "### `\(table.scenario)` on \(table.endpoint): \(table.trials) trials, \(table.survived) survived"
            if table.notReached > 0 { heading += ", \(table.notReached) not reached" }
            out.append(heading)
            out.append("")
            out.append("| fault point | " + table.faults.joined(separator: " | ") + " |")
            out.append("|---|" + table.faults.map { _ in "---|" }.joined())
            for row in table.rows {
                out.append("| \(row.point) | " + row.outcomes.map { $0.isEmpty ? "" : $0 }.joined(separator: " | ") + " |")
            }
            out.append("")
        }
        return out
    }

    private static func profileTable(_ profiles: [ServerProfile]) -> [String] {
        var out = ["## Server profile", ""]
        out.append("| | " + profiles.map { $0.role }.joined(separator: " | ") + " |")
        out.append("|---|" + profiles.map { _ in "---|" }.joined())
        for row in ProfileRows.rows(profiles) {
            out.append("| \(row.name)\(row.differs ? " ≠" : "") | " + row.cells.joined(separator: " | ") + " |")
        }
        out.append("")
        return out
    }

    /// Text safe inside a table cell.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func formatSeconds(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        let tenths = (seconds * 10).rounded() / 10
        return "\(tenths) s"
    }
}
