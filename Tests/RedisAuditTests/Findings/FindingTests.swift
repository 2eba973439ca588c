import Testing
@testable import RedisAudit

@Suite("Findings and ranking")
struct FindingTests {
    private func finding(_ identity: String, _ severity: Severity, occurrences: Int = 1, scenario: String? = "login") -> Finding {
        Finding(
            identity: identity, severity: severity, category: .replyMismatch, title: identity,
            endpoints: ["A", "B"], scenario: scenario, why: "w", fix: "f", occurrences: occurrences)
    }

    @Test func idsAreStableAndDependOnIdentityOnly() {
        let one = finding("reply|0|2", .high)
        var two = finding("reply|0|2", .medium)
        two.title = "another title with another value 9f2c"
        #expect(one.id == two.id)
        #expect(one.id.hasPrefix("RA-") && one.id.count == 13)
        #expect(finding("reply|0|3", .high).id != one.id)
        #expect(finding("reply|0|2", .high, scenario: "refresh").id != one.id)
    }

    @Test func rankingIsSeverityThenOccurrencesThenProductionOrder() {
        let input = [
            finding("a", .info), finding("b", .high), finding("c", .critical),
            finding("d", .high, occurrences: 3), finding("e", .high), finding("f", .low),
        ]
        let ranked = FindingRanking.rank(input).map(\.title)
        #expect(ranked == ["c", "d", "b", "e", "f", "a"])
    }

    @Test func thresholds() {
        #expect(FailThreshold("high")!.isMet(by: finding("x", .critical)))
        #expect(FailThreshold("high")!.isMet(by: finding("x", .high)))
        #expect(!FailThreshold("high")!.isMet(by: finding("x", .medium)))
        #expect(!FailThreshold("never")!.isMet(by: finding("x", .critical)))
        #expect(FailThreshold("info")!.isMet(by: finding("x", .info)))
        #expect(FailThreshold("bogus") == nil)
    }

    @Test func summaryCountsEverySeverity() {
        let findings = [finding("a", .high), finding("b", .info), finding("c", .info)]
        let summary = ReportSummary(
            findings: findings, failOn: .severity(.high), endpoints: [], scenarios: [],
            startedAt: "t", durationSeconds: 0)
        #expect(summary.verdict == .fail)
        #expect(summary.failing == 1)
        #expect(Severity.allCases.map { summary.counts[$0] } == [0, 1, 0, 0, 2])
        let passing = ReportSummary(
            findings: findings, failOn: .severity(.critical), endpoints: [], scenarios: [],
            startedAt: "t", durationSeconds: 0)
        #expect(passing.verdict == .pass)
    }
}
