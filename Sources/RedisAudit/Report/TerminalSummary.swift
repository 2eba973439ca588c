import Foundation

/// What an audit prints on a terminal instead of the whole report: the verdict, the counts, one
/// line per finding that matters (the first ten), the endpoints and where the full reports went.
///
/// ```
///   redisaudit compare: FAIL, 1 finding at or above high
///
///     A  redis://127.0.0.1:6379                    Redis 6.2.5
///     B  rediss://app:***@cache.example.com:6380   Valkey 9.1.2
///
///     0 critical · 1 high · 0 medium · 0 low · 1 info
///
///     HIGH      RA-3ba03dacc5  EXPIRE succeeds on B but fails on A  (both endpoints)
///     INFO      RA-87b09fd28a  Persistence is off on both endpoints
///
///   Full reports: redisaudit-compare.md, redisaudit-compare.json
/// ```
public enum TerminalSummary {
    /// Findings listed before "and N more", unless the caller says otherwise (`--top`).
    public static let listed = 10

    /// The summary, `width` columns wide at most (titles are cut to fit), coloured with ANSI
    /// styles when `colour` is true.
    public static func render(
        _ report: AuditReport, files: [String], colour: Bool, width: Int = 100, listed: Int = TerminalSummary.listed
    ) -> String {
        func paint(_ text: String, _ style: String) -> String { colour ? "\u{1B}[\(style)m\(text)\u{1B}[0m" : text }
        let summary = report.summary
        var lines: [String] = []
        let verdict = summary.verdict == .pass ? paint("PASS", "1;32") : paint("FAIL", "1;31")
        var head =
            "redisaudit \(report.command): \(verdict), \(summary.failing) finding\(summary.failing == 1 ? "" : "s") "
            + "at or above \(summary.failOn)"
        if let baseline = report.baseline {
            head += " (baseline: \(baseline.new) new, \(baseline.accepted) accepted, \(baseline.expired) expired)"
        }
        lines.append(head)
        lines.append("")
        let urlWidth = summary.endpoints.map(\.url.count).max() ?? 0
        for endpoint in summary.endpoints {
            let server = endpoint.engine == "unknown" ? "" : "\(endpoint.engine) \(endpoint.version)"
            lines.append(
                "  \(endpoint.role)  \(endpoint.url.padding(toLength: urlWidth, withPad: " ", startingAt: 0))   \(server)"
                    .trimmingTrailingSpaces())
        }
        if !summary.endpoints.isEmpty { lines.append("") }
        let counts = Severity.allCases.map { "\(summary.counts[$0]) \($0.rawValue)" }.joined(separator: " · ")
        lines.append("  " + counts + (summary.shared > 0 ? "  (\(summary.shared) shared by both endpoints)" : ""))
        if !report.findings.isEmpty { lines.append("") }
        for finding in report.findings.prefix(listed) {
            let label = finding.severity.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)
            var marks: [String] = []
            if finding.scope == .shared { marks.append("both endpoints") }
            if let acceptance = finding.acceptance { marks.append(acceptance.status.rawValue) }
            let suffix = marks.isEmpty ? "" : "  (" + marks.joined(separator: ", ") + ")"
            let prefix = "  \(label)  \(finding.id)  "
            let room = max(20, width - prefix.count - suffix.count)
            let title = finding.title.count > room ? String(finding.title.prefix(room - 1)) + "…" : finding.title
            lines.append("  " + paint(label, style(finding.severity)) + "  \(finding.id)  " + title + suffix)
        }
        if report.findings.count > listed { lines.append("  ... and \(report.findings.count - listed) more") }
        lines.append("")
        if !files.isEmpty { lines.append("Full reports: " + files.joined(separator: ", ")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The ANSI style of a severity's label.
    static func style(_ severity: Severity) -> String {
        switch severity {
        case .critical: return "1;31"
        case .high: return "31"
        case .medium: return "33"
        case .low: return "36"
        case .info: return "2"
        }
    }
}

extension String {
    /// The text without spaces at its end.
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
