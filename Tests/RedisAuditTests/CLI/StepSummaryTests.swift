import Foundation
import Testing
@testable import RedisAudit

/// GitHub Actions' job summary: an audit run appends its Markdown report to `GITHUB_STEP_SUMMARY`.
@Suite("redisaudit job summary", .timeLimit(.minutes(2)), MachineLoad.light)
struct StepSummaryTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theJobSummaryIsAppendedNeverTruncatedAndCreatedWhenMissing() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let directory = try ReportOutputTests.scratch()
        let summary = directory + "/summary.md"
        try "## An earlier step\n\nits text\n".write(toFile: summary, atomically: true, encoding: .utf8)
        let arguments = [
            "compare", server.url + "/0", server.url + "/1", "--scenario", "blacklist", "--quiet", "--format", "json",
        ]
        let first = try await Fixtures.run(arguments, environment: ["GITHUB_STEP_SUMMARY": summary])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            first.stdout.contains("\"schemaVersion\" : \(AuditReport.currentSchemaVersion)"),
            "--format still decides standard output")
        let once = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(once.hasPrefix("## An earlier step\n\nits text\n\n# redisaudit compare report\n\n**Verdict: PASS**"), "\(once)")
        let second = try await Fixtures.run(arguments, environment: ["GITHUB_STEP_SUMMARY": summary])
        #expect(second.status == 0)
        let twice = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(twice.hasPrefix(once), "appended, not rewritten")
        #expect(twice.components(separatedBy: "# redisaudit compare report").count == 3)

        let missing = directory + "/new-summary.md"
        let created = try await Fixtures.run(arguments, environment: ["GITHUB_STEP_SUMMARY": missing])
        #expect(created.status == 0)
        #expect(try String(contentsOfFile: missing, encoding: .utf8).hasPrefix("# redisaudit compare report\n"))
    }

    @Test(.enabled(if: Fixtures.available(.redis62, .redis70)))
    func anUnwritableJobSummaryIsAWarningAndTheVerdictStands() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let directory = try ReportOutputTests.scratch()
        let path = try Fixtures.scenarioFile(CompareIntegrationTests.expireNX)
        // A directory and a file in a directory that does not exist: neither can be appended to (not even by root).
        // And a full disk: /dev/full takes the open and refuses every write.
        for summary in [directory, directory + "/no-such-directory/summary.md", "/dev/full"] {
            let failing = try await Fixtures.run(
                ["compare", a.url, b.url, "--scenario", path, "--output", directory + "/report.md"],
                environment: ["GITHUB_STEP_SUMMARY": summary])
            #expect(failing.status == 1, "findings still fail the run: \(failing.stderr)")
            #expect(
                failing.stderr.contains("redisaudit: warning: cannot append the report to GITHUB_STEP_SUMMARY (\(summary)): "),
                "\(failing.stderr)")
            #expect(failing.stderr.contains("fail: "), "the verdict is still logged")
            #expect(try String(contentsOfFile: directory + "/report.md", encoding: .utf8).contains("**Verdict: FAIL**"))
        }
        let passing = try await Fixtures.run(
            ["compare", b.url + "/0", b.url + "/1", "--scenario", "blacklist"], environment: ["GITHUB_STEP_SUMMARY": directory])
        #expect(passing.status == 0, "\(passing.stderr)")
        #expect(passing.stderr.contains("warning: cannot append the report to GITHUB_STEP_SUMMARY"))
        #expect(passing.stdout.contains("**Verdict: PASS**"))
    }

    @Test func anEmptyVariableNamesNoFile() {
        #expect(GitHubStepSummary.path(in: ["GITHUB_STEP_SUMMARY": ""]) == nil)
        #expect(GitHubStepSummary.path(in: [:]) == nil)
        #expect(GitHubStepSummary.path(in: ["GITHUB_STEP_SUMMARY": "/tmp/s.md"]) == "/tmp/s.md")
    }
}
