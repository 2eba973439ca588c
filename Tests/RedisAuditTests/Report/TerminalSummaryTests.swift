import Foundation
import Testing
@testable import RedisAudit

/// The terminal summary, against golden files with and without colour, and as the binary prints
/// it under a real pseudo-terminal (`script`).
@Suite("terminal summary")
struct TerminalSummaryTests {
    static let files = ["redisaudit-compare.md", "redisaudit-compare.json"]

    @Test func compareMatchesGoldenWithAndWithoutColour() throws {
        let report = ReportRenderingTests.sample()
        try ReportRenderingTests.golden("summary-compare.txt", TerminalSummary.render(report, files: Self.files, colour: false))
        try ReportRenderingTests.golden(
            "summary-compare-colour.txt", TerminalSummary.render(report, files: Self.files, colour: true))
    }

    @Test func keyspaceMatchesGoldenWithAndWithoutColour() throws {
        let report = KeyspaceReportRenderingTests.sample()
        let files = ["redisaudit-keyspace.md", "redisaudit-keyspace.json", "redisaudit-keyspace.html"]
        try ReportRenderingTests.golden("summary-keyspace.txt", TerminalSummary.render(report, files: files, colour: false))
        try ReportRenderingTests.golden("summary-keyspace-colour.txt", TerminalSummary.render(report, files: files, colour: true))
    }

    @Test func injectMatchesGoldenWithAndWithoutColourAndTopListsFewer() throws {
        var report = ReportRenderingTests.sample()
        report.command = "inject"
        let template = report.findings[0]
        let titles: [(Severity, String)] = [
            (.critical, "`login` goes on after a failed SADD and leaves a broken state: the session set must list the new token"),
            (
                .high,
                "A failure at INCR stops `lockout` half-way and leaves a partial write: lock:${email} changed, locktime:${email} not"
            ),
            (.high, "A failure at DEL stops `logout` half-way and leaves a partial write"),
            (.medium, "A slow reply blocks `lockout` for the whole command timeout (200 ms)"),
        ]
        report.findings = titles.enumerated().map { index, entry in
            var finding = template
            finding.id = "RA-00000000\(index)\(index)"
            finding.severity = entry.0
            finding.title = entry.1
            finding.scope = nil
            return finding
        }
        report.summary = ReportSummary(
            findings: report.findings, failOn: .severity(.high), endpoints: report.summary.endpoints, scenarios: ["login"],
            startedAt: report.summary.startedAt, durationSeconds: 11.2)
        let files = ["reports/inject.md", "reports/inject.json", "reports/inject.html"]
        try ReportRenderingTests.golden("summary-inject.txt", TerminalSummary.render(report, files: files, colour: false))
        try ReportRenderingTests.golden("summary-inject-colour.txt", TerminalSummary.render(report, files: files, colour: true))
        let top = TerminalSummary.render(report, files: files, colour: false, listed: 2)
        #expect(top.split(separator: "\n").filter { $0.contains("RA-") }.count == 2 && top.contains("  ... and 2 more"))
    }

    @Test func tenFindingsAreListedThenHowManyMoreAndLongTitlesAreCutToTheWidth() {
        var report = ReportRenderingTests.sample()
        let template = report.findings[0]
        report.findings = (1...13).map { index in
            var finding = template
            finding.id = "RA-\(index)"
            finding.title = String(repeating: "long title \(index) ", count: 10)
            return finding
        }
        let text = TerminalSummary.render(report, files: [], colour: false, width: 80)
        let listed = text.split(separator: "\n").filter { $0.contains("RA-") }
        #expect(listed.count == 10)
        #expect(text.contains("  ... and 3 more"))
        #expect(listed.allSatisfy { $0.count <= 80 && $0.hasSuffix("…") })
        #expect(!text.contains("\u{1B}"))
    }

    /// The binary under a pseudo-terminal: a summary, the reports in the working directory,
    /// colour unless NO_COLOR; through a pipe the whole Markdown as before.
    @Test(.enabled(if: Fixtures.available(.redis70) && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func onATerminalTheBinaryPrintsTheSummaryAndWritesTheReports() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let directory = try Fixtures.scratchDirectory("tty")
        defer { try? FileManager.default.removeItem(at: directory) }
        let command = "\(Fixtures.binary.path) keyspace \(server.url) -q"
        for noColour in [false, true] {
            let run = try await Fixtures.run(
                ["-c", "script -qec '\(command)' /dev/null"], environment: noColour ? ["NO_COLOR": "1"] : ["NO_COLOR": ""],
                directory: directory.path, executable: "/bin/sh")
            #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
            #expect(run.stdout.contains("redisaudit keyspace: "))
            #expect(
                run.stdout.contains("Full reports: redisaudit-keyspace.md, redisaudit-keyspace.json, redisaudit-keyspace.html"))
            #expect(!run.stdout.contains("# redisaudit keyspace report"))
            #expect(run.stdout.contains("\u{1B}[") == !noColour)
        }
        let markdown = try String(contentsOf: directory.appendingPathComponent("redisaudit-keyspace.md"), encoding: .utf8)
        #expect(markdown.hasPrefix("# redisaudit keyspace report"))
        let json = try Data(contentsOf: directory.appendingPathComponent("redisaudit-keyspace.json"))
        #expect((try JSONSerialization.jsonObject(with: json) as? [String: Any])?["command"] as? String == "keyspace")
        let html = try String(contentsOf: directory.appendingPathComponent("redisaudit-keyspace.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("id=\"keyspace\""))
        // Through a pipe: the whole report on standard output, no file, no control character.
        let piped = try await Fixtures.run(["keyspace", server.url, "-q"])
        #expect(piped.stdout.hasPrefix("# redisaudit keyspace report") && !piped.stdout.contains("\u{1B}"))
    }
}
