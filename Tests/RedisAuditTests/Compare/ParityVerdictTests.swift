import Foundation
import Testing
@testable import RedisAudit

/// `compare` judges parity: what both endpoints share is reported apart and does not fail the
/// run unless `--fail-on-shared` asks it to.
@Suite("compare judges parity", .timeLimit(.minutes(3)), MachineLoad.heavy)
struct ParityVerdictTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func oneServerAgainstItselfPassesWithTheSharedFindingsListed() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-parity-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = "\(directory)/report.json"
        let markdown = "\(directory)/report.md"
        let run = try await Fixtures.run(
            ["compare", server.url, server.url, "--json-output", json, "-o", markdown], timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONDecoder().decode(AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(report.summary.verdict == .pass)
        #expect(report.findings.allSatisfy { $0.scope != nil })
        // The built-in race scenarios break their invariants on every host: shared, listed, not failing.
        let shared = report.findings.filter { $0.scope == .shared }
        #expect(shared.contains { $0.category == .invariant && $0.severity == .critical })
        #expect(report.summary.shared == shared.count)
        #expect(!report.findings.contains { $0.scope == .difference && $0.severity >= .high }, "\(report.findings.map(\.title))")
        let text = try String(contentsOfFile: markdown, encoding: .utf8)
        #expect(text.contains("## Shared by both endpoints"))

        let strict = try await Fixtures.run(
            ["compare", server.url, server.url, "--scenario", "checkin-capacity", "--fail-on-shared", "high"],
            timeout: 120)
        #expect(strict.status == 1, "\(strict.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theConfigFileSetsTheSharedThreshold() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let config = try Fixtures.scenarioFile(
            """
            endpoints:
              a: \(server.url)
              b: \(server.url)
            scenarios: [checkin-capacity]
            compare:
              fail-on-shared: critical
            """, name: "redisaudit.yaml")
        let run = try await Fixtures.run(["compare", "--config", config], timeout: 120)
        #expect(run.status == 1, "\(run.stderr)")
        let bad = try await Fixtures.run(["compare", server.url, server.url, "--fail-on-shared", "sometimes"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--fail-on-shared must be one of"))
    }
}
