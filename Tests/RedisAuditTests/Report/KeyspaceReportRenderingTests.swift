import Foundation
import Testing
@testable import RedisAudit

/// Golden files for the keyspace report: built from a pattern index fed by the test, so the
/// table, its escaping and the findings' wording show up as a diff when they change.
@Suite("keyspace report rendering")
struct KeyspaceReportRenderingTests {
    static func sample() -> AuditReport {
        let index = KeyspaceIndex(sides: 2)
        for i in 0..<40 {
            let pttl: Int64 = i < 3 ? -1 : 604_800_000 - Int64(i) * 1000
            for side in 0..<2 {
                index.add(
                    side: side, key: Array("rt:user\(i):a\(String(repeating: "f", count: 14))\(i % 10)".utf8), type: .string,
                    pttl: side == 1 && i < 3 ? 1000 : pttl, outsidePrefix: true)
                index.add(
                    side: side, key: Array("sess:{user\(i)}".utf8), type: .set, pttl: side == 0 ? 604_800_000 : 86_400_000,
                    outsidePrefix: true)
            }
        }
        index.add(side: 0, key: Array("a|b:<weird>".utf8), type: .hash, pttl: -1, memory: 96, outsidePrefix: true)
        index.add(side: 0, key: Array("app:prod:x".utf8) + [0xFF], type: .string, pttl: 5000)
        index.add(side: 1, key: Array("app:prod:x".utf8) + [0xFF], type: .string, pttl: 5000)
        index.finish()
        let patterns = index.patterns()
        var tables: [KeyspaceEndpointTable] = []
        var findings: [Finding] = []
        for (side, role) in ["A", "B"].enumerated() {
            let rows = patterns.compactMap { entry in entry.stats[side].map { $0.row(pattern: entry.pattern) } }
            tables.append(
                KeyspaceEndpointTable(
                    role: role, dbsize: rows.reduce(0) { $0 + $1.keys }, keysScanned: rows.reduce(0) { $0 + $1.keys },
                    vanished: 0, complete: true, seconds: 0.5, memoryRefused: nil, patterns: rows))
            findings += KeyspaceFindings.findings(role: role, rows: rows, expectPrefixes: ["app:prod:"])
        }
        findings += KeyspaceComparison.findings(
            a: tables[0].patterns, b: tables[1].patterns, complete: true, tolerance: KeyspaceTolerance())
        let ranked = FindingRanking.rank(findings)
        let summary = ReportSummary(
            findings: ranked, failOn: .severity(.high),
            endpoints: [
                EndpointSummary(role: "A", url: "redis://127.0.0.1:6379/0", engine: "Redis", version: "7.0.15"),
                EndpointSummary(role: "B", url: "rediss://app:***@cache.example.com:6380/0", engine: "Valkey", version: "9.1.2"),
            ],
            scenarios: [], startedAt: "2026-01-01T00:00:00Z", durationSeconds: 2.5,
            notes: ["Read only: SCAN, TYPE and PTTL; nothing was written."])
        let section = KeyspaceSection(
            match: nil, count: 1000, sample: nil, memory: false, expectPrefixes: ["app:prod:"], endpoints: tables)
        return AuditReport(
            tool: ToolInfo(version: "0.0.0-test"), command: "keyspace", summary: summary, findings: ranked, profiles: [],
            keyspace: section)
    }

    @Test func markdownMatchesGolden() throws {
        try ReportRenderingTests.golden("keyspace.md", MarkdownReport.render(Self.sample()))
    }

    @Test func jsonMatchesGolden() throws {
        try ReportRenderingTests.golden("keyspace.json", JSONReport.render(Self.sample()))
    }

    @Test func jsonRoundTripsWithTheSection() throws {
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(JSONReport.render(Self.sample()).utf8))
        #expect(decoded.command == "keyspace")
        #expect(decoded.keyspace?.endpoints.map(\.role) == ["A", "B"])
        #expect(decoded.keyspace?.endpoints[0].patterns.first?.pattern == "rt:<id>:<hash>")
    }

    @Test func aReportWithoutTheSectionHasNoKeyspaceField() {
        #expect(!JSONReport.render(ReportRenderingTests.sample()).contains("keyspace"))
        #expect(!MarkdownReport.render(ReportRenderingTests.sample()).contains("## Keyspace"))
    }

    @Test func aPipeInAPatternDoesNotBreakTheTable() {
        let md = MarkdownReport.render(Self.sample())
        #expect(md.contains("| `a\\|b:\\<weird\\>` | 1 | hash | 1 |"), "\(md)")
        #expect(md.contains("| `app:prod:x\\xff` | 1 | string | 0 |"), "\(md)")
    }
}
