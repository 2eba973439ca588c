import RESP
import Testing
@testable import RedisAudit

/// How two runs of one scenario become findings, on runs built by hand: replies, pipelines,
/// TTLs, final keys, the flow, expectations and invariants.
@Suite("Scenario comparison")
struct ScenarioComparisonTests {
    static let yaml = """
        name: login
        vars:
          userId: user123
        steps:
          - command: [SET, "sess:${userId}", "v"]
          - pipeline:
              - command: [SADD, "tokens:${userId}", "t1"]
              - command: [EXPIRE, "tokens:${userId}", "604800"]
            on_error: continue
          - command: [GET, "sess:${userId}"]
        invariants:
          - exists: "sess:${userId}"
            why: "the session must be stored"
          - { ttl: "sess:${userId}", min: 1, severity: critical }
        """
    let scenario: Scenario
    let bindings = ["userId": "user123"]

    init() throws { scenario = try Runs.scenario(Self.yaml) }

    private func outcomes(_ gets: CommandOutcome, pipeline: [CommandOutcome]? = nil) -> [StepRecord] {
        [
            Runs.step(scenario, 0, [.reply(.simpleString("OK"))]),
            Runs.step(scenario, 1, pipeline ?? [.reply(.integer(1)), .reply(.integer(1))]),
            Runs.step(scenario, 2, [gets]),
        ]
    }

    private func findings(_ a: ScenarioRun, _ b: ScenarioRun, tolerance: Double = 2) -> [Finding] {
        ScenarioComparison(a: a, b: b, ttlTolerance: tolerance).findings()
    }

    private func replyFindings(a: CommandOutcome, b: CommandOutcome) -> [Finding] {
        findings(
            Runs.run(scenario, role: "A", steps: outcomes(a), bindings: bindings),
            Runs.run(scenario, role: "B", steps: outcomes(b), bindings: bindings)
        ).filter { $0.category == .replyMismatch }
    }

    // MARK: Replies

    @Test func identicalRunsHaveNoFindings() {
        let a = Runs.run(scenario, role: "A", steps: outcomes(.reply(.bulk("v"))), bindings: bindings)
        var b = a
        b.role = "B"
        #expect(findings(a, b).isEmpty)
    }

    @Test func aCommandThatFailsOnOneSideIsAHighFindingNamingThatSideAndTheStep() throws {
        let found = replyFindings(a: .reply(.bulk("v")), b: .reply(.error("WRONGTYPE Operation against a key")))
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.severity == .high)
        #expect(finding.title.contains("succeeds on A but fails on B"))
        #expect(finding.step?.hasPrefix("step 3 (command): GET (s.yaml:") == true)
        #expect(finding.evidence.contains("> GET sess:${userId}"))
        #expect(finding.evidence.contains { $0.hasPrefix("B: (error) WRONGTYPE") })
    }

    @Test func theFailingSideIsNamedWhicheverItIs() throws {
        let found = replyFindings(a: .reply(.error("WRONGTYPE Operation against a key")), b: .reply(.bulk("v")))
        #expect(try #require(found.first).title.contains("succeeds on B but fails on A"))
    }

    @Test func differentValuesAreHigh() throws {
        let finding = try #require(replyFindings(a: .reply(.bulk("v")), b: .reply(.null)).first)
        #expect(finding.severity == .high)
        #expect(finding.title == "GET returns different values")
    }

    @Test func errorsOfTheSameClassWithOtherWordsAreOnlyInformation() throws {
        let finding = try #require(
            replyFindings(a: .reply(.error("WRONGTYPE one wording")), b: .reply(.error("WRONGTYPE another wording"))).first)
        #expect(finding.severity == .info)
    }

    @Test func errorsOfDifferentClassesAreMediumAndNameBothClasses() throws {
        let finding = try #require(
            replyFindings(a: .reply(.error("WRONGTYPE Operation")), b: .reply(.error("OOM command not allowed"))).first)
        #expect(finding.severity == .medium)
        #expect(finding.title.contains("(WRONGTYPE vs OOM)"))
    }

    @Test func aLostReplyOnOneSideIsHighAndNamesThatSide() throws {
        let finding = try #require(replyFindings(a: .reply(.bulk("v")), b: .failed(.timeout(milliseconds: 500))).first)
        #expect(finding.severity == .high)
        #expect(finding.title == "GET got no reply on B")
        #expect(finding.evidence.contains { $0.hasPrefix("B: (no reply)") })
    }

    @Test func replyIdentitiesDoNotDependOnTheValues() {
        let one = replyFindings(a: .reply(.bulk("v")), b: .reply(.bulk("w")))
        let two = replyFindings(a: .reply(.bulk("x")), b: .reply(.bulk("y")))
        #expect(one.map(\.id) == two.map(\.id) && one.count == 1)
    }

    // MARK: Commands one side does not run

    @Test func anUnknownCommandIsNotAReplyMismatchAndLaterDifferencesFollowFromIt() throws {
        // B does not know the command of step 1; its GET then reads nothing.
        let a = Runs.run(scenario, role: "A", steps: outcomes(.reply(.bulk("v"))), bindings: bindings)
        var stepsB = outcomes(.reply(.null))
        stepsB[0] = Runs.step(scenario, 0, [.reply(.error("ERR unknown command 'SET', with args beginning with:"))])
        let b = Runs.run(scenario, role: "B", steps: stepsB, bindings: bindings)
        let comparison = ScenarioComparison(a: a, b: b, ttlTolerance: 2)
        let access = comparison.accessFailures()
        #expect(access.map(\.command) == ["SET"] && access.map(\.role) == ["B"] && access.first?.access == .unknown)
        let found = comparison.findings()
        #expect(!found.contains { $0.step?.contains(": SET") == true })
        let get = try #require(found.first { $0.category == .replyMismatch })
        #expect(get.severity == .low)
        #expect(get.evidence.last?.contains("follows from SET on B") == true)
    }

    @Test func behindAClosedConnectionOnlyTheFirstCommandIsTheCause() {
        let closed = CommandOutcome.failed(.connectionClosed("reset by peer"))
        var stepsB = outcomes(.reply(.bulk("v")))
        stepsB[1] = Runs.step(scenario, 1, [closed, closed])
        let comparison = ScenarioComparison(
            a: Runs.run(scenario, role: "A", steps: outcomes(.reply(.bulk("v"))), bindings: bindings),
            b: Runs.run(scenario, role: "B", steps: stepsB, bindings: bindings), ttlTolerance: 2)
        let access = comparison.accessFailures()
        #expect(access.map(\.command) == ["SADD"])
        #expect(access.first?.access == .closedConnection)
    }

    // MARK: Pipelines

    @Test func aPipelineThatFailsPartlyOnOneSideIsAHighFindingPointingAtTheCommand() throws {
        let pipeline: [CommandOutcome] = [.reply(.integer(1)), .reply(.error("ERR invalid expire time"))]
        let a = Runs.run(scenario, role: "A", steps: outcomes(.reply(.bulk("v"))), bindings: bindings)
        let b = Runs.run(scenario, role: "B", steps: outcomes(.reply(.bulk("v")), pipeline: pipeline), bindings: bindings)
        let finding = try #require(findings(a, b).first { $0.category == .pipelineResult })
        #expect(finding.severity == .high)
        #expect(finding.title.contains("(0 vs 1 failed commands)"))
        #expect(finding.evidence.contains("2. EXPIRE: A ok, B error   <- differs"))
        #expect(finding.evidence.contains("1. SADD: A ok, B ok"))
    }

    @Test func aPipelineThatFailsTheSameWayOnBothSidesIsNoPipelineFinding() {
        let pipeline: [CommandOutcome] = [.reply(.integer(1)), .reply(.error("ERR invalid expire time"))]
        let a = Runs.run(scenario, role: "A", steps: outcomes(.reply(.bulk("v")), pipeline: pipeline), bindings: bindings)
        let b = Runs.run(scenario, role: "B", steps: outcomes(.reply(.bulk("v")), pipeline: pipeline), bindings: bindings)
        #expect(findings(a, b).isEmpty)
    }

    // MARK: TTLs

    private func ttlRuns(_ a: [KeyState], _ b: [KeyState], finalA: KeyState? = nil, finalB: KeyState? = nil) -> (
        ScenarioRun, ScenarioRun
    ) {
        func steps(_ states: [KeyState]) -> [StepRecord] {
            var records = outcomes(.reply(.bulk("v")))
            for (i, state) in states.enumerated() { records[i].keyStates = ["sess:user123": state] }
            return records
        }
        let last = { (states: [KeyState], final: KeyState?) in
            (final ?? states.last).map { $0.exists ? ["sess:user123": $0] : [:] } ?? [:]
        }
        return (
            Runs.run(scenario, role: "A", steps: steps(a), finalKeys: last(a, finalA), bindings: bindings),
            Runs.run(scenario, role: "B", steps: steps(b), finalKeys: last(b, finalB), bindings: bindings)
        )
    }

    @Test func aWeekOnOneSideAndNoTTLOnTheOtherIsAHighFindingNamingTheKey() throws {
        let week = KeyState(type: "string", pttl: 604_800_000), forever = KeyState(type: "string", pttl: -1)
        let (a, b) = ttlRuns([week, week, week], [forever, forever, forever])
        let found = findings(a, b).filter { $0.category == .ttlMismatch }
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.severity == .high)
        #expect(finding.title == "TTL of sess:${userId} differs: TTL 604800.0 s on A, no TTL (-1) on B")
        #expect(finding.evidence.first == "PTTL sess:user123")
        #expect(finding.why.contains("never expires"))
        #expect(finding.occurrences == 3)
        #expect(finding.evidence.contains("differs after 3 of 3 steps"))
    }

    @Test func ttlsWithinTheToleranceAreTheSameAndBeyondItAMediumFinding() {
        let a = [KeyState(type: "string", pttl: 604_800_000)]
        let close = ttlRuns(a, [KeyState(type: "string", pttl: 604_799_000)])
        #expect(findings(close.0, close.1).isEmpty)
        let far = ttlRuns(a, [KeyState(type: "string", pttl: 604_700_000)])
        #expect(findings(far.0, far.1).map(\.severity) == [.medium])
        #expect(findings(far.0, far.1, tolerance: 200).isEmpty)
    }

    @Test func ttlsAreComparedAsTheyWereWhenWritten() {
        // B was observed 30 s later than A but set the same TTL: not a difference.
        let a = KeyState(type: "string", pttl: 600_000, pttlAtWrite: 600_000)
        let b = KeyState(type: "string", pttl: 570_000, pttlAtWrite: 600_000)
        let runs = ttlRuns([a], [b])
        #expect(findings(runs.0, runs.1).isEmpty)
        let shorter = ttlRuns([a], [KeyState(type: "string", pttl: 570_000, pttlAtWrite: 570_000)])
        #expect(findings(shorter.0, shorter.1).map(\.category) == [.ttlMismatch])
    }

    @Test func aKeyMissingOnOneSideUntilTheEndIsAKeyPatternFindingNotATTLOne() throws {
        let key = KeyState(type: "string", pttl: -1)
        let (a, b) = ttlRuns([key, key, key], [.missing, .missing, .missing])
        let found = findings(a, b)
        #expect(found.map(\.category) == [.keyPattern])
        let finding = try #require(found.first)
        #expect(finding.title == "Key sess:${userId} exists on A only")
        #expect(finding.endpoints == ["A"])
        #expect(finding.evidence == ["A: sess:${userId} (string)", "B: no such key"])
    }

    @Test func aKeyMissingOnOneSideForAWhileIsAHighTTLFinding() throws {
        let key = KeyState(type: "string", pttl: -1)
        let (a, b) = ttlRuns([key, key, key], [.missing, key, key])
        let finding = try #require(findings(a, b).first)
        #expect(finding.category == .ttlMismatch && finding.severity == .high)
        #expect(finding.occurrences == 1)
        #expect(finding.step?.hasPrefix("after step 1 (command)") == true)
    }

    @Test func ttlDifferenceIsJudgedByExistenceExpiryAndTolerance() {
        let comparison = ScenarioComparison(
            a: Runs.run(scenario, role: "A"), b: Runs.run(scenario, role: "B"), ttlTolerance: 1)
        let some = KeyState(type: "string", pttl: 10_000)
        #expect(comparison.ttlDifference(.missing, .missing) == nil)
        #expect(comparison.ttlDifference(some, .missing) == .high)
        #expect(comparison.ttlDifference(some, KeyState(type: "string", pttl: -1)) == .high)
        #expect(comparison.ttlDifference(KeyState(type: "set", pttl: -1), KeyState(type: "set", pttl: -1)) == nil)
        #expect(comparison.ttlDifference(some, KeyState(type: "string", pttl: 9_000)) == nil)
        #expect(comparison.ttlDifference(some, KeyState(type: "string", pttl: 8_999)) == .medium)
    }

    // MARK: Final keys

    @Test func aKeyOfAnotherTypeIsAHighFindingNamingBothTypes() throws {
        let a = Runs.run(scenario, role: "A", finalKeys: ["sess:user123": KeyState(type: "string", pttl: -1)], bindings: bindings)
        let b = Runs.run(scenario, role: "B", finalKeys: ["sess:user123": KeyState(type: "hash", pttl: -1)], bindings: bindings)
        let finding = try #require(findings(a, b).first)
        #expect(finding.category == .keyPattern && finding.severity == .high)
        #expect(finding.title == "Key sess:${userId} has type string on A but hash on B")
        #expect(finding.endpoints == ["A", "B"])
    }

    @Test func keysOfOnePatternAreComparedAsAPatternNotOneByOne() {
        // Different token hashes, the same pattern and type: no difference.
        let a = Runs.run(
            scenario, role: "A", finalKeys: ["rt:user123:aaaa1111": KeyState(type: "string", pttl: -1)],
            bindings: ["userId": "user123", "tokenHash": "aaaa1111"])
        let b = Runs.run(
            scenario, role: "B", finalKeys: ["rt:user123:bbbb2222": KeyState(type: "string", pttl: -1)],
            bindings: ["userId": "user123", "tokenHash": "bbbb2222"])
        #expect(findings(a, b).isEmpty)
    }

    // MARK: Flow

    @Test func stoppingOnOneSideOnlyIsAHighFlowFindingAtThatStep() throws {
        let a = Runs.run(scenario, role: "A", bindings: bindings)
        let b = Runs.run(scenario, role: "B", abortedAt: 1, bindings: bindings)
        let finding = try #require(findings(a, b).first { $0.category == .scenarioFlow })
        #expect(finding.severity == .high)
        #expect(finding.endpoints == ["B"])
        #expect(finding.title == "The application stops on B only, at step 2")
        #expect(finding.evidence == ["A: completed all 3 steps", "B: stopped at step 2 (on_error: abort)"])
    }

    @Test func stoppingAtDifferentStepsNamesTheEarlierStep() throws {
        let a = Runs.run(scenario, role: "A", abortedAt: 2, bindings: bindings)
        let b = Runs.run(scenario, role: "B", abortedAt: 0, bindings: bindings)
        let finding = try #require(findings(a, b).first { $0.category == .scenarioFlow })
        #expect(finding.title == "The application stops on A and B only, at step 1")
        #expect(findings(a, Runs.run(scenario, role: "B", abortedAt: 2, bindings: bindings)).isEmpty)
    }

    // MARK: Expectations

    private func expectationRuns(a: String?, b: String?, yaml: String? = nil) throws -> [Finding] {
        let scenario = try yaml.map { try Runs.scenario($0) } ?? self.scenario
        let reply: [CommandOutcome] = [.reply(.integer(0))]
        let steps = { (failure: String?) in [Runs.step(scenario, 0, reply, expectationFailures: [failure])] }
        return ScenarioComparison(
            a: Runs.run(scenario, role: "A", steps: steps(a)), b: Runs.run(scenario, role: "B", steps: steps(b)),
            ttlTolerance: 2
        ).findings().filter { $0.category == .expectation }
    }

    static let expectYAML = """
        name: lock
        steps:
          - command: [SETNX, "lock", "1"]
            expect: { integer: 1, severity: low }
        """

    @Test func anExpectationFailingOnOneSideIsAHighDifference() throws {
        let finding = try #require(try expectationRuns(a: nil, b: "expected 1, got 0").first)
        #expect(finding.severity == .high)
        #expect(finding.endpoints == ["B"])
        #expect(finding.scope == nil)
        #expect(finding.evidence.contains("B: expected 1, got 0"))
    }

    @Test func anExpectationFailingOnBothSidesIsSharedAndMedium() throws {
        let finding = try #require(try expectationRuns(a: "expected 1, got 0", b: "expected 1, got 0").first)
        #expect(finding.severity == .medium)
        #expect(finding.endpoints == ["A", "B"])
        #expect(finding.scope == .shared)
    }

    @Test func aDeclaredSeverityRulesSharedFailuresButNeverLowersADifference() throws {
        let both = try expectationRuns(a: "x", b: "y", yaml: Self.expectYAML)
        #expect(both.map(\.severity) == [.low])
        let one = try expectationRuns(a: "x", b: nil, yaml: Self.expectYAML)
        #expect(one.map(\.severity) == [.high])
        let critical = try expectationRuns(
            a: "x", b: nil, yaml: Self.expectYAML.replacingOccurrences(of: "severity: low", with: "severity: critical"))
        #expect(critical.map(\.severity) == [.critical])
    }

    // MARK: Invariants

    private func invariantFindings(_ a: (Bool, String), _ b: (Bool, String)) -> [Finding] {
        let results = { (verdict: (Bool, String)) in
            [
                Runs.verdict(scenario.invariants[0], holds: true, "sess:user123 exists"),
                Runs.verdict(scenario.invariants[1], holds: verdict.0, verdict.1),
            ]
        }
        return findings(
            Runs.run(scenario, role: "A", invariants: results(a), bindings: bindings),
            Runs.run(scenario, role: "B", invariants: results(b), bindings: bindings)
        ).filter { $0.category == .invariant }
    }

    @Test func anInvariantFailingOnOneSideIsADifferenceWithItsOwnSeverity() throws {
        let found = invariantFindings((true, "sess:user123 has TTL 60 s"), (false, "sess:user123 has no TTL (-1)"))
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.severity == .critical)
        #expect(finding.endpoints == ["B"])
        #expect(finding.scope == nil)
        #expect(finding.title == "Invariant fails on B: ttl sess:${userId} min 1")
        #expect(finding.evidence == ["A: holds: sess:user123 has TTL 60 s", "B: FAILS: sess:user123 has no TTL (-1)"])
        #expect(finding.step == "after the last step (s.yaml:14)")
    }

    @Test func theSameFailureOnBothSidesIsSharedAndADifferentOneIsNot() throws {
        let same = invariantFindings((false, "no TTL (-1)"), (false, "no TTL (-1)"))
        #expect(same.map(\.scope) == [.shared])
        #expect(same.first?.endpoints == ["A", "B"])
        let different = invariantFindings((false, "no TTL (-1)"), (false, "sess:user123 does not exist"))
        #expect(different.map(\.scope) == [nil])
    }

    @Test func anInvariantHoldingOnBothSidesIsNoFinding() {
        #expect(invariantFindings((true, "TTL 60 s"), (true, "TTL 61 s")).isEmpty)
    }

    @Test func invariantsOverRepeatedTrialsFailingOnBothSidesAreShared() throws {
        let failing = [
            Runs.verdict(scenario.invariants[0], holds: false, "gone"), Runs.verdict(scenario.invariants[1], holds: true, "ok"),
        ]
        let holding = [
            Runs.verdict(scenario.invariants[0], holds: true, "here"), Runs.verdict(scenario.invariants[1], holds: true, "ok"),
        ]
        let trialsA = [Runs.run(scenario, role: "A", invariants: failing), Runs.run(scenario, role: "A", invariants: holding)]
        let trialsB = [Runs.run(scenario, role: "B", invariants: holding), Runs.run(scenario, role: "B", invariants: failing)]
        let found = ScenarioComparison(trialsA: trialsA, trialsB: trialsB, ttlTolerance: 2).findings()
        let finding = try #require(found.first { $0.category == .invariant })
        #expect(finding.scope == .shared)
        #expect(finding.title.hasPrefix("Invariant fails on A and B in 1 of 2 trials"))
        let onlyA = ScenarioComparison(
            trialsA: trialsA, trialsB: [Runs.run(scenario, role: "B", invariants: holding)], ttlTolerance: 2
        ).findings()
        #expect(onlyA.first { $0.category == .invariant }?.scope == nil)
    }
}

/// Invariants as the report words them.
@Suite("Invariant text")
struct InvariantTextTests {
    @Test func everyCheckReadsAsWrittenInTheScenario() throws {
        let scenario = try Runs.scenario(
            """
            name: all
            vars: { cap: 5 }
            steps:
              - concurrent:
                  clients: 2
                  steps:
                    - command: [INCR, "n"]
                      tally: admitted
            invariants:
              - exists: "a"
              - missing: "b"
              - { ttl: "c", min: 1, max: 60 }
              - { ttl: "c", max: 60 }
              - { type: "d", is: set }
              - members_have_keys: { set: "s", key: "k:${member}" }
              - { value: "n", max: "${cap}" }
              - { tally: admitted, min: 1 }
              - counts_match: { counter: "n", set: "s" }
            """)
        #expect(
            scenario.invariants.map(InvariantText.describe) == [
                "exists a", "missing b", "ttl c min 1, max 60", "ttl c max 60", "type d is set",
                "members of s have key k:${member}", "value n max ${cap}", "tally admitted min 1",
                "counter n counts the members of s",
            ])
    }
}
