import Foundation
import Testing
@testable import RedisAudit

/// examples/ci/run-locally.sh, the steps of the documented CI jobs, run end to end on real
/// servers so the example cannot rot: the accepted difference passes, a new one fails alone.
@Suite("the CI example, run locally", .timeLimit(.minutes(3)), MachineLoad.light)
struct CIExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func runExample(newDifference: Bool) async throws -> (status: Int32, stderr: String, reports: String) {
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("redisaudit-ci-\(UUID().uuidString)").path
        var environment = [
            "REDISAUDIT": Fixtures.binary.path, "REPORTS": reports, "NEW_DIFFERENCE": newDifference ? "1" : "0",
            "GITHUB_STEP_SUMMARY": "",
        ]
        if let redis = TestServer.binary(.redis70) { environment["REDIS_SERVER"] = redis }
        if let valkey = TestServer.binary(.valkey91) { environment["VALKEY_SERVER"] = valkey }
        let process = try ChildProcess(
            "/bin/bash", [root.appendingPathComponent("examples/ci/run-locally.sh").path], environment: environment,
            directory: root.path)
        guard let status = await process.finish(timeout: 120) else {
            process.stop()
            Issue.record("run-locally.sh did not finish in time")
            return (-1, process.stderr, reports)
        }
        return (status, process.stderr, reports)
    }

    static func report(_ reports: String) throws -> AuditReport {
        try JSONDecoder().decode(AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(reports)/report.json")))
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func theAcceptedDifferencePassesTheGate() async throws {
        let run = try await Self.runExample(newDifference: false)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.report(run.reports)
        let baseline = try #require(report.baseline)
        #expect(baseline.new == 0, "\(report.findings.filter { $0.acceptance == nil }.map(\.title))")
        #expect(baseline.resolved.isEmpty, "the checked-in baseline matches what the example finds: \(baseline.resolved)")
        let persistence = try #require(report.findings.first { $0.title.hasPrefix("Persistence differs") })
        #expect(persistence.acceptance?.status == .accepted)
        #expect(persistence.severity >= .medium, "the accepted finding is one the gate would fail on")
        // Every output the CI jobs keep was written, the job summary included.
        for file in ["report.md", "report.xml", "step-summary.md"] {
            #expect(FileManager.default.fileExists(atPath: "\(run.reports)/\(file)"), "\(file)")
        }
        let summary = try String(contentsOfFile: "\(run.reports)/step-summary.md", encoding: .utf8)
        #expect(summary.contains("**Verdict: PASS**"))
        #expect(summary.contains("(accepted)"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func aNewDifferenceFailsTheGateOnItsOwn() async throws {
        let run = try await Self.runExample(newDifference: true)
        #expect(run.status == 1, "\(run.stderr)")
        let report = try Self.report(run.reports)
        let counted = report.findings.filter { FailThreshold.severity(.medium).isMet(by: $0) }
        #expect(counted.map(\.title) == ["maxmemory-policy differs: noeviction on A, allkeys-lru on B"])
        #expect(report.findings.contains { $0.title.hasPrefix("Persistence differs") && $0.acceptance?.status == .accepted })
        let xml = try String(contentsOfFile: "\(run.reports)/report.xml", encoding: .utf8)
        #expect(xml.contains("maxmemory-policy differs"))
    }
}
