import Foundation

/// Renders a report as JUnit XML, the test-report format GitLab, Jenkins and most CI servers read.
///
///     <testsuites name="redisaudit compare">          one root, the run's totals
///       <testsuite name="redisaudit compare">          the report: counts, time, timestamp
///         <properties/>                                fail-on, verdict, tool, endpoints, baseline counts
///         <testcase name="login"/>                     one per scenario: its findings
///         <testcase name="server-profile"/>            one per category of scenario-less findings
///         <system-out/>                                the run's notes
///
/// A finding that counts toward failing the run (`FailThreshold.isMet(by:)` against the report's
/// `--fail-on`) is a `<failure>` of its test case; one below it goes into the test case's
/// `<system-out>`. A `keyspace` report has no scenarios: it gets a `keyspace` test case (the scan
/// itself, so a clean run has a passing test) and one per finding category.
public enum JUnitReport {
    public static func render(_ report: AuditReport) -> String {
        let summary = report.summary
        let cases = testCases(report, policy: summary.policy)
        let name = "redisaudit \(report.command)"
        let failed = cases.filter { !$0.failures.isEmpty }.count
        let time = seconds(summary.durationSeconds)

        var out = [#"<?xml version="1.0" encoding="UTF-8"?>"#]
        out.append(
            "<testsuites"
                + attributes([
                    ("name", name), ("tests", String(cases.count)), ("failures", String(failed)), ("errors", "0"),
                    ("time", time),
                ]) + ">")
        out.append(
            "  <testsuite"
                + attributes([
                    ("name", name), ("tests", String(cases.count)), ("failures", String(failed)), ("errors", "0"),
                    ("skipped", "0"), ("time", time), ("timestamp", summary.startedAt),
                ]) + ">")
        out.append("    <properties>")
        var properties = [
            ("fail-on", summary.failOn.description), ("fail-on-shared", summary.failOnShared.description),
            ("verdict", summary.verdict.rawValue),
            ("tool", "\(report.tool.name) \(report.tool.version)"),
        ]
        for endpoint in summary.endpoints {
            properties.append(("endpoint.\(endpoint.role)", "\(endpoint.url) (\(endpoint.engine) \(endpoint.version))"))
        }
        if let b = report.baseline {
            properties += [
                ("baseline", b.file), ("baseline.new", String(b.new)), ("baseline.accepted", String(b.accepted)),
                ("baseline.expired", String(b.expired)), ("baseline.resolved", b.resolved.map(\.id).joined(separator: " ")),
            ]
        }
        for (key, value) in properties {
            out.append("      <property" + attributes([("name", key), ("value", value)]) + "/>")
        }
        out.append("    </properties>")
        let classname = "redisaudit.\(report.command)"
        for testCase in cases {
            let opening = "    <testcase" + attributes([("classname", classname), ("name", testCase.name)])
            if testCase.failures.isEmpty && testCase.output.isEmpty {
                out.append(opening + "/>")
                continue
            }
            out.append(opening + ">")
            for finding in testCase.failures {
                let message = "[\(finding.severity.rawValue.uppercased())] \(finding.title)"
                // The text repeats the message: GitLab shows a failure's text, not its attributes.
                out.append(
                    "      <failure" + attributes([("message", message), ("type", finding.category.rawValue)]) + ">"
                        + text(([message] + details(of: finding)).joined(separator: "\n")) + "</failure>")
            }
            if !testCase.output.isEmpty {
                out.append("      <system-out>" + text(testCase.output.joined(separator: "\n\n")) + "</system-out>")
            }
            out.append("    </testcase>")
        }
        if !summary.notes.isEmpty {
            out.append("    <system-out>" + text(summary.notes.joined(separator: "\n")) + "</system-out>")
        }
        out.append("  </testsuite>")
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }

    /// One `<testcase>`: the findings that fail it and the blocks of its `<system-out>`.
    struct TestCase {
        var name: String
        var failures: [Finding] = []
        var output: [String] = []
    }

    /// The report's test cases, in order: the `keyspace` scan, the scenarios, then one per
    /// category of findings without a scenario; each finding goes into exactly one of them.
    static func testCases(_ report: AuditReport, policy: FailPolicy) -> [TestCase] {
        var cases: [TestCase] = []
        var index: [String: Int] = [:]
        func add(_ name: String, output: [String] = []) {
            guard index[name] == nil else { return }
            index[name] = cases.count
            cases.append(TestCase(name: name, output: output))
        }
        if let keyspace = report.keyspace {
            add("keyspace", output: [keyspace.endpoints.map(scanLine).joined(separator: "\n")].filter { !$0.isEmpty })
        } else if report.command == "keyspace" {
            add("keyspace")
        }
        // A test case needs a name, even for a scenario without one.
        func scenarioCase(_ scenario: String) -> String { scenario.isEmpty ? "(unnamed scenario)" : scenario }
        for scenario in report.summary.scenarios { add(scenarioCase(scenario)) }
        // A finding may name a scenario the summary does not list; it still gets its own case.
        for finding in report.findings { if let scenario = finding.scenario { add(scenarioCase(scenario)) } }
        // A scenario named like a category keeps its name; the category's case steps aside.
        let scenarioNames = Set(cases.map(\.name))
        func categoryCase(_ category: FindingCategory) -> String {
            scenarioNames.contains(category.rawValue) ? "\(category.rawValue) (no scenario)" : category.rawValue
        }
        let unscoped = Set(report.findings.filter { $0.scenario == nil }.map(\.category))
        for category in FindingCategory.allCases where unscoped.contains(category) { add(categoryCase(category)) }

        for finding in report.findings {
            guard let position = index[finding.scenario.map(scenarioCase) ?? categoryCase(finding.category)] else { continue }
            if policy.isMet(by: finding) {
                cases[position].failures.append(finding)
            } else {
                let why =
                    finding.acceptance?.status == .accepted
                    ? "accepted in the baseline: \(finding.acceptance?.reason ?? "")"
                    : finding.scope == .shared
                        ? "shared by both endpoints, not failing the run, --fail-on-shared \(policy.failOnShared)"
                        : "not failing the run, --fail-on \(policy.failOn)"
                let heading = "[\(finding.severity.rawValue.uppercased())] \(finding.title) (\(why))"
                cases[position].output.append(([heading] + details(of: finding)).joined(separator: "\n"))
            }
        }
        return cases
    }

    /// A finding as plain lines: id, category, endpoints, where, why, fix, then its evidence.
    static func details(of finding: Finding) -> [String] {
        var facts = [finding.id, finding.category.rawValue]
        if !finding.endpoints.isEmpty { facts.append("endpoints: " + finding.endpoints.joined(separator: ", ")) }
        if finding.occurrences > 1 { facts.append("\(finding.occurrences) occurrences") }
        var lines = [facts.joined(separator: " · ")]
        switch (finding.scenario, finding.step) {
        case (let scenario?, let step?): lines.append("Scenario: \(scenario), \(step)")
        case (let scenario?, nil): lines.append("Scenario: \(scenario)")
        case (nil, let step?): lines.append("Where: \(step)")
        case (nil, nil): break
        }
        if let acceptance = finding.acceptance, acceptance.status == .expired {
            lines.append("Acceptance expired\(acceptance.expires.map { " \($0)" } ?? ""): \(acceptance.reason)")
        }
        lines.append("Why it matters: \(finding.why)")
        lines.append("Fix: \(finding.fix)")
        if !finding.evidence.isEmpty {
            lines.append("")
            lines.append(contentsOf: finding.evidence)
        }
        return lines
    }

    /// `A: 1,234 keys scanned (DBSIZE 1,234), 5 patterns in 0.2 s`.
    static func scanLine(_ table: KeyspaceEndpointTable) -> String {
        var line = "\(table.role): \(KeyspaceMarkdown.grouped(table.keysScanned)) keys scanned"
        if let dbsize = table.dbsize { line += " (DBSIZE \(KeyspaceMarkdown.grouped(dbsize)))" }
        line += ", \(KeyspaceMarkdown.count(table.patterns.count, "pattern"))"
        if !table.complete { line += ", sampled" }
        line += " in \(MarkdownReport.formatSeconds(table.seconds))"
        for node in table.nodes ?? [] {
            line += "\n  \(node.address) (\(node.nodeRole.rawValue)): \(KeyspaceMarkdown.grouped(node.keysScanned)) keys scanned"
            if let dbsize = node.dbsize { line += " (DBSIZE \(KeyspaceMarkdown.grouped(dbsize)))" }
        }
        return line
    }

    /// Seconds with millisecond precision, as JUnit's `time` attributes take them.
    static func seconds(_ value: Double) -> String {
        String(format: "%.3f", max(0, value.isFinite ? value : 0))
    }

    /// ` name="value" ...`, each value escaped for an attribute.
    static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(MarkupText.escape($0.1, inAttribute: true))\"" }.joined()
    }

    /// Element text, escaped.
    static func text(_ value: String) -> String { MarkupText.escape(value, inAttribute: false) }
}
