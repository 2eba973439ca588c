import Foundation
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

    @Test func theIdentityIsPerCategoryAndScenarioAndIgnoresEverythingShown() {
        let ttl = Finding(
            identity: "reply|0|2", severity: .high, category: .ttlMismatch, title: "t", endpoints: ["A"], scenario: "login",
            why: "w", fix: "f")
        #expect(ttl.id != finding("reply|0|2", .high).id)
        let evidence = Finding(
            identity: "reply|0|2", severity: .low, category: .replyMismatch, title: "other", endpoints: ["B"],
            scenario: "login", step: "step 9", evidence: ["> GET x"], why: "x", fix: "y", occurrences: 7, scope: .shared)
        #expect(evidence.id == finding("reply|0|2", .high).id)
    }

    @Test func idsAreTenLowercaseHexDigitsAfterThePrefix() {
        for identity in ["", "a", "reply|12|EXPIRE", String(repeating: "z", count: 500)] {
            let id = finding(identity, .info).id
            #expect(id.count == 13)
            #expect(id.dropFirst(3).allSatisfy { "0123456789abcdef".contains($0) })
        }
    }

    @Test func rankingKeepsProductionOrderAmongEqualsAndLosesNothing() {
        let input = (0..<20).map { finding("f\($0)", $0 % 2 == 0 ? .medium : .high, occurrences: $0 % 3 == 0 ? 2 : 1) }
        let ranked = FindingRanking.rank(input)
        #expect(Set(ranked.map(\.title)) == Set(input.map(\.title)) && ranked.count == input.count)
        for (x, y) in zip(ranked, ranked.dropFirst()) {
            #expect(x.severity >= y.severity)
            if x.severity == y.severity {
                #expect(x.occurrences >= y.occurrences)
                if x.occurrences == y.occurrences {
                    #expect(input.firstIndex(of: x)! < input.firstIndex(of: y)!)
                }
            }
        }
        #expect(FindingRanking.rank([]).isEmpty)
    }

    @Test func anAcceptedFindingNeverFailsTheRunButAnExpiredOneDoes() {
        var accepted = finding("x", .critical)
        accepted.acceptance = Acceptance(status: .accepted, reason: "known")
        #expect(!FailThreshold.severity(.info).isMet(by: accepted))
        var expired = accepted
        expired.acceptance = Acceptance(status: .expired, reason: "known", expires: "2020-01-01")
        #expect(FailThreshold.severity(.critical).isMet(by: expired))
    }

    @Test func sharedFindingsAreJudgedByTheirOwnThresholdWhichDefaultsToNever() {
        var shared = finding("x", .critical)
        shared.scope = .shared
        var difference = finding("y", .low)
        difference.scope = .difference
        let policy = FailPolicy(failOn: .severity(.low))
        #expect(!policy.isMet(by: shared))
        #expect(policy.isMet(by: difference))
        #expect(policy.isMet(by: finding("z", .low)), "outside compare a finding has no scope and counts as a difference")
        let strict = FailPolicy(failOn: .never, failOnShared: .severity(.high))
        #expect(strict.isMet(by: shared))
        #expect(!strict.isMet(by: difference))
    }

    @Test func thresholdsAreWrittenAndReadAsTheirText() throws {
        for threshold in [FailThreshold.never] + Severity.allCases.map(FailThreshold.severity) {
            #expect(FailThreshold(threshold.description) == threshold)
            let data = try JSONEncoder().encode([threshold])
            #expect(String(decoding: data, as: UTF8.self) == "[\"\(threshold.description)\"]")
            #expect(try JSONDecoder().decode([FailThreshold].self, from: data) == [threshold])
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([FailThreshold].self, from: Data(#"["severe"]"#.utf8)) }
    }

    @Test func findingsSurviveAJSONRoundTrip() throws {
        var original = finding("reply|0|2", .high, occurrences: 3)
        original.scope = .shared
        original.acceptance = Acceptance(status: .accepted, reason: "r", expires: "2030-01-01")
        let decoded = try JSONDecoder().decode(Finding.self, from: JSONEncoder().encode(original))
        #expect(decoded == original)
        #expect(FindingCategory(rawValue: "ttl-mismatch") == .ttlMismatch)
    }
}
