import Foundation
import RESP
import Testing
@testable import RedisAudit

/// The deploy gate as a CI job runs it: the built binary, real servers, a baseline file.
@Suite("the gate with a baseline, against real servers", .timeLimit(.minutes(3)), MachineLoad.light)
struct BaselineGateTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("redisaudit-gate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func report(_ path: String) throws -> AuditReport {
        try JSONDecoder().decode(AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Write, rerun (pass); a new difference (fail, and only it counts); a difference gone
    /// (resolved); an expired acceptance (counts again).
    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func baselineRoundTrip() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.valkey91)
        defer { a.stop(); b.stop() }
        // The accepted difference: A persists, B (staging) does not.
        _ = try await a.command("CONFIG", "SET", "save", "3600 1")
        let dir = try Self.directory()
        let baseline = "\(dir)/.redisaudit-baseline.yaml"
        func gate(_ extra: [String] = []) async throws -> (Fixtures.Run, AuditReport) {
            let json = "\(dir)/report-\(UUID().uuidString).json"
            let run = try await Fixtures.run(
                [
                    "compare", a.url, b.url, "--scenario", "login", "--fail-on", "medium", "--quiet", "--output",
                    "\(dir)/report.md",
                    "--json-output", json,
                ] + extra)
            return (run, try Self.report(json))
        }

        let (first, firstReport) = try await gate()
        #expect(first.status == 1, "\(first.stderr)")
        let persistence = try #require(firstReport.findings.first { $0.title.hasPrefix("Persistence differs") })
        #expect(persistence.severity == .medium)

        let write = try await Fixtures.run(
            ["baseline", "write", "--from", "\(dir)/report-none.json", "--output", baseline, "--reason", "x"])
        #expect(write.status == 2, "a missing report is a usage error")
        let json = "\(dir)/first.json"
        try JSONReport.render(firstReport).write(toFile: json, atomically: true, encoding: .utf8)
        let noReason = try await Fixtures.run(["baseline", "write", "--from", json, "--output", baseline])
        #expect(noReason.status == 2)
        #expect(noReason.stderr.contains("--reason"))
        let written = try await Fixtures.run(
            ["baseline", "write", "--from", json, "--output", baseline, "--reason", "staging runs with persistence off"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try await Fixtures.run(["baseline", "validate", baseline]).status == 0)

        // Rerun with the baseline: the same findings, accepted, and the gate passes.
        let (accepted, acceptedReport) = try await gate(["--baseline", baseline])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(acceptedReport.findings.map(\.id).sorted() == firstReport.findings.map(\.id).sorted())
        #expect(
            acceptedReport.findings.first { $0.id == persistence.id }?.acceptance?.reason == "staging runs with persistence off")
        #expect(acceptedReport.baseline?.new == 0)
        let markdown = try String(contentsOfFile: "\(dir)/report.md", encoding: .utf8)
        #expect(markdown.contains("Persistence differs: A saves to disk, B does not (accepted)"))

        // A new difference: B evicts keys. Only it counts.
        _ = try await b.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        let (new, newReport) = try await gate(["--baseline", baseline])
        #expect(new.status == 1)
        let counted = newReport.findings.filter { FailThreshold.severity(.medium).isMet(by: $0) }
        #expect(counted.count == newReport.summary.failing)
        #expect(counted.map(\.title).contains { $0.hasPrefix("maxmemory-policy differs") }, "\(counted.map(\.title))")
        #expect(!counted.contains { $0.id == persistence.id })
        #expect(
            newReport.baseline?.new == counted.count
                + newReport.findings.filter { $0.acceptance == nil && $0.severity < .medium }.count)
        _ = try await b.command("CONFIG", "SET", "maxmemory-policy", "noeviction")

        // The accepted difference goes away: its entry is reported resolved.
        _ = try await a.command("CONFIG", "SET", "save", "")
        let (resolved, resolvedReport) = try await gate(["--baseline", baseline])
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(resolvedReport.baseline?.resolved.map(\.id) == [persistence.id])
        #expect(try String(contentsOfFile: "\(dir)/report.md", encoding: .utf8).contains("## Resolved since the baseline"))
        _ = try await a.command("CONFIG", "SET", "save", "3600 1")

        // An acceptance past its date counts again.
        let text = try String(contentsOfFile: baseline, encoding: .utf8)
        let lapsed = text.replacingOccurrences(of: "    reason: ", with: "    expires: 2020-01-31\n    reason: ")
        try lapsed.write(toFile: baseline, atomically: true, encoding: .utf8)
        let (expired, expiredReport) = try await gate(["--baseline", baseline])
        #expect(expired.status == 1)
        #expect(expiredReport.findings.first { $0.id == persistence.id }?.acceptance?.status == .expired)
        #expect(expiredReport.baseline?.expired ?? 0 >= 1)

        // A broken baseline stops the run before it connects: exit 2 with FILE:LINE.
        try "version: 1\naccepted:\n  - id: RA-0123456789\n".write(toFile: baseline, atomically: true, encoding: .utf8)
        let broken = try await Fixtures.run(["compare", "redis://127.0.0.1:1", "redis://127.0.0.1:2", "--baseline", baseline])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("\(baseline):3: "), "\(broken.stderr)")
    }

    /// The same baseline file works for `keyspace` (and its entries for `compare` are left alone).
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func keyspaceFindingsCanBeAcceptedToo() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let connection = try await server.connect()
        _ = await connection.send(KeyspaceIntegrationTests.authKeyspace().map { RESPCommand(strings: $0) })
        await connection.close()
        let dir = try Self.directory()
        let json = "\(dir)/keyspace.json"
        let first = try await Fixtures.run([
            "keyspace", server.url, "--fail-on", "medium", "--quiet", "--json-output", json, "-o", "/dev/null",
        ])
        #expect(first.status == 1, "\(first.stderr)")
        let baseline = "\(dir)/baseline.yaml"
        try Baseline(entries: [
            BaselineEntry(
                id: "RA-0123456789", command: "compare", title: nil, category: nil, endpoints: [], scenario: nil, step: nil,
                reason: "a compare entry", expires: nil)
        ]).render().write(toFile: baseline, atomically: true, encoding: .utf8)
        let write = try await Fixtures.run(["baseline", "write", "--from", json, "--output", baseline, "--reason", "legacy keys"])
        #expect(write.status == 0, "\(write.stderr)")
        let second = try await Fixtures.run(
            [
                "keyspace", server.url, "--fail-on", "medium", "--quiet", "--baseline", baseline, "--json-output", json, "-o",
                "/dev/null",
            ])
        #expect(second.status == 0, "\(second.stderr)")
        let report = try Self.report(json)
        #expect(report.findings.allSatisfy { $0.acceptance?.status == .accepted })
        #expect(report.baseline?.resolved.isEmpty == true, "the compare entry is not this subcommand's to resolve")
        #expect(try Baseline.load(contentsOf: baseline).entries.contains { $0.command == "compare" })
    }

    /// One `baseline write` accepts the reports of several subcommands, and two reports of one
    /// subcommand together (the second does not drop what only the first found).
    @Test func severalReportsGoIntoOneBaseline() async throws {
        let dir = try Self.directory()
        let reports = [
            BaselineTests.report([BaselineTests.finding("a", .high)]),
            BaselineTests.report([BaselineTests.finding("b", .medium)]),
            BaselineTests.report([BaselineTests.finding("c", .high)], command: "inject"),
        ]
        var arguments = ["baseline", "write", "--output", "\(dir)/bl.yaml", "--reason", "known"]
        for (i, report) in reports.enumerated() {
            try JSONReport.render(report).write(toFile: "\(dir)/\(i).json", atomically: true, encoding: .utf8)
            arguments += ["--from", "\(dir)/\(i).json"]
        }
        let run = try await Fixtures.run(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("3 accepted"), "\(run.stdout)")
        let baseline = try Baseline.load(contentsOf: "\(dir)/bl.yaml")
        #expect(
            Set(baseline.entries.map { "\($0.command ?? "")/\($0.id)" })
                == Set(reports.flatMap { r in r.findings.map { "\(r.command)/\($0.id)" } }))
        let none = try await Fixtures.run(["baseline", "write", "--output", "\(dir)/bl.yaml", "--reason", "x"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("--from"))
    }

    /// Ids must not change with random variables or run namespaces, or no baseline would match twice.
    @Test(.enabled(if: Fixtures.available(.redis62, .redis70)))
    func findingIdsAreTheSameAcrossRunsWithRandomValues() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let path = try Fixtures.scenarioFile(
            """
            name: random-session
            summary: A session under a random token, its TTL set only when it has none (Redis 7).
            vars:
              token: { random: hex, length: 16 }
            steps:
              - command: [SADD, "sess:${token}", "${token}"]
              - command: [EXPIRE, "sess:${token}", 60, NX]
                on_error: continue
              - command: [SMEMBERS, "sess:${token}"]
            invariants:
              - { ttl: "sess:${token}", min: 1, severity: high, why: "a session set without TTL never expires" }
            """)
        let scenario = try ScenarioLoader.load(contentsOf: path)
        let first = try await Fixtures.compare(a, b, scenarios: [scenario])
        let second = try await Fixtures.compare(a, b, scenarios: [scenario])
        #expect(first.findings.count >= 3, "\(first.findings.map(\.title))")
        #expect(first.findings.map(\.id) == second.findings.map(\.id))
        // The evidence does differ between the runs: the ids hold despite it.
        #expect(first.findings.flatMap(\.evidence) != second.findings.flatMap(\.evidence))
    }
}
