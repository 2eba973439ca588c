/// Renders a report as one self-contained HTML page: the verdict and counts, the findings with
/// their evidence collapsible, the fault map of `inject`, the TTL charts of `keyspace`, the
/// side-by-side steps of `compare` and the server profiles. Nothing is loaded from anywhere.
public enum HTMLReport {
    public static func render(_ report: AuditReport) -> String {
        let s = report.summary
        let title = "redisaudit \(report.command) report"
        var out: [String] = []
        out.append("<!DOCTYPE html>")
        out.append("<html lang=\"en\"><head><meta charset=\"utf-8\">")
        out.append("<meta http-equiv=\"Content-Security-Policy\" content=\"\(HTMLAssets.contentSecurityPolicy)\">")
        out.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        out.append("<title>\(HTMLText.escape(title)): \(s.verdict == .pass ? "PASS" : "FAIL")</title>")
        out.append("<style>\(HTMLAssets.style)</style></head><body><main>")
        out += header(report, title: title)
        // An exploration is read as its picture first: the fault map, then the findings it ranks.
        let trials = HTMLFaultMap.Trials()
        if let coverage = report.coverage, !coverage.isEmpty { out += HTMLFaultMap.render(coverage, trials: trials) }
        out += findings(report, trials: trials)
        if let keyspace = report.keyspace { out += HTMLKeyspace.render(keyspace) }
        if let replays = report.replays, !replays.isEmpty { out += HTMLReplays.render(replays) }
        if !report.profiles.isEmpty { out += profiles(report.profiles) }
        out.append(
            "<p class=\"muted\">Written by \(HTMLText.escape(report.tool.name)) \(HTMLText.escape(report.tool.version)).</p>")
        out.append("</main>")
        if !trials.entries.isEmpty {
            out.append(
                "<aside id=\"trial\" hidden tabindex=\"-1\" aria-live=\"polite\"><button type=\"button\" data-close>Close</button>"
                    + "<h3 id=\"trial-title\"></h3><p><b>Outcome:</b> <span id=\"trial-outcome\"></span></p>"
                    + "<p><b>Fault:</b> <span id=\"trial-fault\"></span></p>"
                    + "<p><b>Run it alone:</b></p><pre id=\"trial-reproducer\"></pre>"
                    + "<p><b>Transcript:</b></p><pre id=\"trial-transcript\"></pre></aside>")
            out.append("<script type=\"application/json\" id=\"trials\">\(HTMLText.json(trials.entries))</script>")
        }
        out.append("<script>\(HTMLAssets.script)</script>")
        out.append("</body></html>")
        return out.joined(separator: "\n") + "\n"
    }

    /// Title, verdict, counts per severity, endpoints, what ran, notes and the page's sections.
    private static func header(_ report: AuditReport, title: String) -> [String] {
        let s = report.summary
        var out: [String] = []
        let verdict = s.verdict == .pass ? "pass" : "fail"
        out.append("<header><div class=\"head\"><h1>\(HTMLText.escape(title))</h1>")
        out.append("<span class=\"verdict \(verdict)\" id=\"verdict\">\(verdict.uppercased())</span></div>")
        var policy = "\(s.failing) finding\(s.failing == 1 ? "" : "s") at or above <code>\(s.failOn)</code> (--fail-on)"
        if s.shared > 0 {
            policy +=
                "; \(s.shared) shared by both endpoints, failing at or above <code>\(s.failOnShared)</code> (--fail-on-shared)"
        }
        out.append("<p>\(policy).</p>")
        out.append("<div class=\"counts\">")
        for severity in Severity.allCases {
            out.append(
                "<div class=\"count\"><b>\(s.counts[severity])</b><span class=\"sev \(severity.rawValue)\">\(severity.rawValue)</span></div>"
            )
        }
        out.append("</div>")
        out.append("<table><thead><tr><th>Role</th><th>Endpoint</th><th>Engine</th><th>Version</th></tr></thead><tbody>")
        for e in s.endpoints {
            out.append(
                "<tr><td>\(HTMLText.escape(e.role))</td><td><code>\(HTMLText.escape(e.url))</code></td>"
                    + "<td>\(HTMLText.escape(e.engine))</td><td>\(HTMLText.escape(e.version))</td></tr>")
        }
        out.append("</tbody></table>")
        // A keyspace audit runs no scenario.
        let ran =
            s.scenarios.isEmpty || report.keyspace != nil
            ? "" : "Scenarios: " + s.scenarios.map { "<code>\(HTMLText.escape($0))</code>" }.joined(separator: ", ") + ". "
        out.append(
            "<p class=\"muted\">\(ran)Started \(HTMLText.escape(s.startedAt)), took \(MarkdownReport.formatSeconds(s.durationSeconds)).</p>"
        )
        if let b = report.baseline {
            out.append(
                "<p>Baseline <code>\(HTMLText.escape(b.file))</code>: \(b.new) new, \(b.accepted) accepted, \(b.expired) expired, "
                    + "\(b.resolved.count) resolved.</p>")
        }
        if !s.notes.isEmpty {
            out.append("<div class=\"notes\">" + s.notes.map { "<p>\(HTMLText.escape($0))</p>" }.joined() + "</div>")
        }
        var sections: [(String, String)] = []
        if report.coverage?.isEmpty == false { sections.append(("fault-map", "Fault map")) }
        sections.append(("findings", "Findings (\(report.findings.count))"))
        if report.keyspace != nil { sections.append(("keyspace", "Keyspace")) }
        if report.replays?.isEmpty == false { sections.append(("steps", "Steps side by side")) }
        if !report.profiles.isEmpty { sections.append(("profiles", "Server profiles")) }
        out.append("<nav>" + sections.map { "<a href=\"#\($0.0)\">\(HTMLText.escape($0.1))</a>" }.joined() + "</nav></header>")
        return out
    }

    /// The findings, ranked: differences first, then what both endpoints share, then the
    /// baseline's resolved entries.
    private static func findings(_ report: AuditReport, trials: HTMLFaultMap.Trials) -> [String] {
        var out = ["<section id=\"findings\"><h2>Findings</h2>"]
        let differences = report.findings.filter { $0.scope != .shared }
        let shared = report.findings.filter { $0.scope == .shared }
        if differences.isEmpty {
            out.append("<p>\(shared.isEmpty ? "No findings." : "No differences between the endpoints.")</p>")
        }
        for (index, f) in differences.enumerated() {
            out += finding(f, number: index + 1, baseline: report.baseline != nil, trial: trials.first(for: f))
        }
        if !shared.isEmpty {
            out.append("<h3>Shared by both endpoints</h3>")
            out.append(
                "<p class=\"muted\">The same outcome on both endpoints: these are about the scripts both hosts run, not about "
                    + "the move. They fail the run only at or above <code>\(report.summary.failOnShared)</code> (--fail-on-shared).</p>"
            )
            for (index, f) in shared.enumerated() {
                out += finding(
                    f, number: differences.count + index + 1, baseline: report.baseline != nil, trial: trials.first(for: f))
            }
        }
        if let baseline = report.baseline, !baseline.resolved.isEmpty {
            out.append("<h3>Resolved since the baseline</h3>")
            out.append(
                "<p>These entries of <code>\(HTMLText.escape(baseline.file))</code> matched no finding in this run; remove them.</p>"
            )
            out.append("<table><thead><tr><th>id</th><th>finding</th><th>accepted because</th></tr></thead><tbody>")
            for entry in baseline.resolved {
                let what = [entry.title, entry.scenario.map { "scenario \($0)" }].compactMap { $0 }.joined(separator: ", ")
                out.append(
                    "<tr><td><code>\(HTMLText.escape(entry.id))</code></td><td>\(HTMLText.escape(what.isEmpty ? "-" : what))</td>"
                        + "<td>\(HTMLText.escape(entry.reason))</td></tr>")
            }
            out.append("</tbody></table>")
        }
        out.append("</section>")
        return out
    }

    /// One finding: severity and title always visible; why, fix and where in the body, the
    /// evidence collapsed, and for `inject` a link to the trial in the fault map. The first few are open.
    private static func finding(_ f: Finding, number: Int, baseline: Bool, trial: Int?) -> [String] {
        let open = number <= 3 && f.severity >= .medium ? " open" : ""
        var out = ["<details class=\"finding\" id=\"\(HTMLText.anchor(f.id))\"\(open)>"]
        out.append(
            "<summary><span class=\"sev \(f.severity.rawValue)\">\(f.severity.rawValue.uppercased())</span> "
                + "\(number). \(HTMLText.escape(f.title + f.baselineMark(baseline: baseline)))</summary><div>")
        let facts = ["<code>\(HTMLText.escape(f.id))</code>"] + f.facts.map(HTMLText.escape)
        out.append("<p class=\"facts\">" + facts.joined(separator: " · ") + "</p>")
        if let scenario = f.scenario {
            out.append(
                "<p><b>Scenario:</b> <code>\(HTMLText.escape(scenario))</code>"
                    + (f.step.map { ", " + HTMLText.escape($0) } ?? "")
                    + "</p>")
        }
        if let accepted = f.acceptanceText {
            out.append("<p><b>Accepted in the baseline:</b> \(HTMLText.escape(accepted))</p>")
        }
        out.append("<p><b>Why it matters:</b> \(HTMLText.escape(f.why))</p>")
        out.append("<p><b>Fix:</b> \(HTMLText.escape(f.fix))</p>")
        if let trial {
            out.append("<p><a href=\"#trial-\(trial)\" data-trial=\"\(trial)\">Open its first trial from the fault map</a></p>")
        }
        if !f.evidence.isEmpty {
            out.append(
                "<details class=\"evidence\"><summary>Evidence (\(f.evidence.count) line\(f.evidence.count == 1 ? "" : "s"))</summary>"
                    + "<pre>\(HTMLText.escape(f.evidence.joined(separator: "\n")))</pre></details>")
        }
        out.append("</div></details>")
        return out
    }

    /// The endpoints' profiles in one table, a column each, differing rows marked.
    private static func profiles(_ profiles: [ServerProfile]) -> [String] {
        var out = ["<section id=\"profiles\"><h2>Server profiles</h2>"]
        out.append(
            "<table><thead><tr><th></th>" + profiles.map { "<th>\(HTMLText.escape($0.role))</th>" }.joined()
                + "</tr></thead><tbody>")
        for row in ProfileRows.rows(profiles) {
            let mark = row.differs ? " ≠" : ""
            out.append(
                "<tr\(row.differs ? " class=\"differs\"" : "")><td>\(HTMLText.escape(row.name))\(mark)</td>"
                    + row.cells.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>")
        }
        out.append("</tbody></table>")
        if profiles.count > 1 { out.append("<p class=\"muted\">≠ marks what differs between the endpoints.</p>") }
        out.append("</section>")
        return out
    }
}
