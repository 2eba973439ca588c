import Foundation
import Testing
@testable import RedisAudit

/// Golden files: a change to the Markdown or JSON shape shows up as a diff.
/// Regenerate with `REDISAUDIT_UPDATE_GOLDEN=1 swift test --filter ReportRendering`.
@Suite("report rendering")
struct ReportRenderingTests {
    static func sample() -> AuditReport {
        var findings = FindingRanking.rank([
            Finding(
                identity: "persistence-off", severity: .info, category: .serverProfile,
                title: "Persistence is off on both endpoints", endpoints: ["A", "B"],
                evidence: ["A: rdb off, aof off", "B: rdb off, aof off"],
                why: "A restart loses all session data.", fix: "Enable RDB or AOF."),
            Finding(
                identity: "reply|1|2", severity: .high, category: .replyMismatch,
                title: "EXPIRE succeeds on B but fails on A", endpoints: ["A", "B"], scenario: "login",
                step: "step 1 (pipeline), command 3: EXPIRE (login.yaml:12)",
                evidence: [
                    "> EXPIRE sess:user123 604800 NX", "A: (error) ERR wrong number of arguments for 'expire' command",
                    "B: (integer) 1",
                ],
                why: "The session set never expires on A.", fix: "Use command forms both hosts support."),
        ])
        findings[0].scope = .difference
        findings[1].scope = .shared
        var a = ServerProfile(role: "A", endpoint: "redis://127.0.0.1:6379")
        a.engine = "Redis"; a.version = "6.2.5"; a.kind = .primary
        a.settings = [ProfileSetting(name: "maxmemory-policy", value: "noeviction"), ProfileSetting(name: "timeout", value: "0")]
        a.lua = true; a.multi = true; a.latencyP50Micros = 41; a.latencyP99Micros = 90
        a.commands = [CommandAvailability(name: "EXPIRE", available: true)]
        var b = ServerProfile(role: "B", endpoint: "rediss://app:***@cache.example.com:6380")
        b.engine = "Valkey"; b.version = "9.1.2"
        b.settings = [ProfileSetting(name: "maxmemory-policy", value: "noeviction"), ProfileSetting(name: "timeout", value: nil)]
        b.lua = true; b.multi = true; b.latencyP50Micros = 38; b.latencyP99Micros = 120
        b.refused = ["CONFIG GET"]
        let summary = ReportSummary(
            findings: findings, failOn: .severity(.high),
            endpoints: [
                EndpointSummary(role: "A", url: a.endpoint, engine: a.engine, version: a.version),
                EndpointSummary(role: "B", url: b.endpoint, engine: b.engine, version: b.version),
            ],
            scenarios: ["login"], startedAt: "2026-01-01T00:00:00Z", durationSeconds: 1.234,
            notes: [
                "Every key was written under the run namespaces `redisaudit:0000-N:`; cleanup: A: 3 keys deleted (confirmed by the server), none left; B: 3 keys deleted (confirmed by the server), none left."
            ])
        return AuditReport(
            tool: ToolInfo(version: "0.0.0-test"), command: "compare", summary: summary, findings: findings, profiles: [a, b])
    }

    static func golden(_ name: String, _ actual: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)").path
        if ProcessInfo.processInfo.environment["REDISAUDIT_UPDATE_GOLDEN"] == "1" {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            actual == expected,
            "\(name) differs from its golden file; rerun with REDISAUDIT_UPDATE_GOLDEN=1 if the change is intended")
    }

    @Test func markdownMatchesGolden() throws {
        try Self.golden("report.md", MarkdownReport.render(Self.sample()))
    }

    @Test func jsonMatchesGolden() throws {
        try Self.golden("report.json", JSONReport.render(Self.sample()))
    }

    @Test func jsonRoundTripsAndIsRanked() throws {
        let json = JSONReport.render(Self.sample())
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(json.utf8))
        #expect(decoded.schemaVersion == AuditReport.currentSchemaVersion)
        #expect(decoded.findings.map(\.severity) == [.high, .info])
        #expect(decoded.summary.verdict == .fail)
        #expect(decoded.findings[0].category == .replyMismatch)
    }

    @Test func markdownOpensWithTheVerdictAndCounts() {
        let md = MarkdownReport.render(Self.sample())
        #expect(
            md.hasPrefix(
                "# redisaudit compare report\n\n**Verdict: FAIL**: 1 finding failing the run: differences at or above `high`"))
        #expect(md.contains("| 0 | 1 | 0 | 0 | 1 |"))
        #expect(md.contains("| timeout ≠ | 0 | n/a |"))
    }

    @Test func sharedFindingsHaveTheirOwnSectionAfterTheDifferences() throws {
        let md = MarkdownReport.render(Self.sample())
        let differences = try #require(md.range(of: "## Findings"))
        let shared = try #require(md.range(of: "## Shared by both endpoints"))
        let reply = try #require(md.range(of: "### 1. [HIGH] EXPIRE succeeds on B but fails on A"))
        let persistence = try #require(md.range(of: "### 2. [INFO] Persistence is off on both endpoints"))
        #expect(differences.lowerBound < reply.lowerBound && reply.lowerBound < shared.lowerBound)
        #expect(shared.lowerBound < persistence.lowerBound)
        #expect(md.contains("1 finding shared by both endpoints"))
    }

    @Test func sharedFindingsFailOnlyAtTheirOwnThreshold() {
        var shared = Finding(
            identity: "invariant|0", severity: .critical, category: .invariant, title: "race", endpoints: ["A", "B"],
            why: "w", fix: "f")
        shared.scope = .shared
        let endpoints = [EndpointSummary(role: "A", url: "a", engine: "Redis", version: "7.0")]
        func verdict(_ failOnShared: FailThreshold) -> ReportSummary {
            ReportSummary(
                findings: [shared], failOn: .severity(.info), failOnShared: failOnShared, endpoints: endpoints, scenarios: [],
                startedAt: "", durationSeconds: 0)
        }
        #expect(verdict(.never).verdict == .pass)
        #expect(verdict(.never).failing == 0)
        #expect(verdict(.never).shared == 1)
        #expect(verdict(.severity(.high)).verdict == .fail)
        // Outside compare a finding has no scope and --fail-on alone decides.
        shared.scope = nil
        #expect(verdict(.never).verdict == .fail)
    }

    @Test func aReportOfSchemaVersion1StillReads() throws {
        var json = JSONReport.render(Self.sample())
        json = json.replacingOccurrences(of: "\"failOnShared\" : \"never\",", with: "")
            .replacingOccurrences(of: "\"shared\" : 1,", with: "")
            .replacingOccurrences(of: "\"scope\" : \"shared\",", with: "")
            .replacingOccurrences(of: "\"scope\" : \"difference\",", with: "")
        #expect(!json.contains("failOnShared") && !json.contains("scope"))
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(json.utf8))
        #expect(decoded.summary.failOnShared == .never)
        #expect(decoded.summary.shared == 0)
        #expect(decoded.findings.allSatisfy { $0.scope == nil })
    }
}
