import Testing
@testable import RedisAudit

/// Judged trials as findings: one per distinct failure, merged across two endpoints, and the
/// fault points where two endpoints end differently.
@Suite("Inject findings")
struct InjectFindingsTests {
    static let scenario = try! ScenarioLoader.parse(
        yaml: """
            name: lockout
            vars: { email: "ann@example.com" }
            steps:
              - command: [INCR, "lock:${email}"]
              - command: [SET, "locktime:${email}", "1"]
            invariants:
              - { exists: "locktime:${email}", why: "a lock needs its time" }
              - { missing: "other" }
            """, file: "lockout.yaml")

    static let endpoint = Endpoint(address: .tcp(host: "127.0.0.1", port: 6379))

    static func state(_ keys: [String: String]) -> NamespaceState {
        NamespaceState(keys: keys.mapValues { StoredKey(type: "string", value: $0, expires: false) })
    }

    static func trial(
        step: Int = 1, fault: ExploredFault? = .killAfter, fired: Bool = true, abortedAt: Int? = 1,
        after: [String: String] = ["lock:ann@example.com": "1"], holds: [Bool] = [false, true], timeout: Bool = false
    ) -> Trial {
        let steps = scenario.steps.enumerated().map { index, step in
            Runs.step(scenario, index, [timeout && index == 1 ? .failed(.timeout(milliseconds: 300)) : .reply(.integer(1))])
        }
        let point = FaultPoint(
            step: step, wireIndex: 0, command: scenario.steps[step].commands[0].name, position: 0,
            location: "step \(step + 1) (command) (lockout.yaml:\(5 + step))", wholeTransaction: false)
        return Trial(
            scenario: scenario, role: "A", plan: TrialPlan(point: point, fault: fault, rules: []), fired: fired, steps: steps,
            abortedAt: abortedAt, before: state([:]),
            invariantsBefore: scenario.invariants.map { Runs.verdict($0, holds: true, "held") }, checkpoints: [],
            after: state(after),
            invariants: zip(scenario.invariants, holds).map { Runs.verdict($0, holds: $1, $1 ? "holds" : "fails") },
            bindings: ["email": "ann@example.com"])
    }

    static let baseline = trial(
        fault: nil, abortedAt: nil, after: ["lock:ann@example.com": "1", "locktime:ann@example.com": "1"], holds: [true, true])

    private func judged(_ trials: [Trial]) -> [InjectFindings.Judged] {
        trials.map { ($0, TrialVerdict.judge($0, baseline: Self.baseline)) }
    }

    private func findings(_ trials: [Trial], role: String = "A") -> [Finding] {
        InjectFindings.findings(
            judged(trials), baseline: Self.baseline, scenario: Self.scenario, role: role,
            reproducer: TrialReproducer(endpoint: Self.endpoint))
    }

    @Test func trialsThatFailTheSameWayAreOneFindingCountingTheirPoints() throws {
        let found = findings([
            Self.trial(fault: .killAfter), Self.trial(fault: .killBefore), Self.trial(fault: .dropError),
            Self.trial(abortedAt: nil, after: Self.baseline.after.keys.mapValues(\.value), holds: [true, true]),
            Self.trial(fired: false),
        ])
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.category == .partialApply)
        #expect(finding.occurrences == 3)
        #expect(
            finding.evidence.first
                == "Triggered by 3 of 4 fault points on A, with client: none (no retries: a failure reaches the application):",
            "a point never reached is not counted")
        #expect(finding.title.hasSuffix(": a lock needs its time"))
        #expect(finding.step == "step 2 (command) (lockout.yaml:6)")
    }

    @Test func aFailureBreakingAnotherInvariantIsAnotherFinding() {
        let found = findings([
            Self.trial(holds: [false, true]), Self.trial(holds: [true, false]), Self.trial(holds: [false, false]),
        ])
        #expect(found.count == 3)
        #expect(Set(found.map(\.id)).count == 3)
    }

    @Test func theShortestReproducerIsTheEarliestPointAndNamesTheFault() throws {
        let finding = try #require(
            findings([Self.trial(step: 1, fault: .dropError), Self.trial(step: 0, fault: .killAfter)]).first)
        #expect(finding.step == "step 1 (command) (lockout.yaml:5)")
        #expect(
            finding.evidence.contains(
                "Shortest reproducer: steps 1 to 2 of `lockout` with kill-after at step 1 (command) (lockout.yaml:5):"))
    }

    @Test func aStepThatWaitedForTheWholeTimeoutIsAHangFindingBesideTheOthers() throws {
        let found = findings([Self.trial(fault: .delay, timeout: true)])
        let hang = try #require(found.first { $0.category == .hang })
        #expect(hang.severity == .medium)
        #expect(hang.title.contains("(300 ms)"))
        #expect(found.count == 2)
    }

    @Test func aFailureBothEndpointsShareIsReportedOnceForBoth() throws {
        let a = findings([Self.trial()], role: "A"), b = findings([Self.trial()], role: "B")
        let merged = InjectFindings.merge(a, b, roles: ("A", "B"))
        let finding = try #require(merged.first)
        #expect(merged.count == 1)
        #expect(finding.endpoints == ["A", "B"])
        #expect(finding.evidence.first == "The same on A and B; as seen on A:")
        #expect(finding.id != a[0].id && finding.id != b[0].id)
    }

    @Test func aFailureTriggeredByMorePointsOnOneSideStaysSeparate() {
        let a = findings([Self.trial()], role: "A")
        let b = findings([Self.trial(), Self.trial(fault: .killBefore)], role: "B")
        let merged = InjectFindings.merge(a, b, roles: ("A", "B"))
        #expect(merged.map(\.endpoints) == [["A"], ["B"]])
    }

    @Test func theSameFaultEndingDifferentlyIsOneParityFinding() throws {
        let a = judged([Self.trial(step: 0), Self.trial(step: 1)])
        let b = judged([
            Self.trial(step: 0, abortedAt: nil, after: Self.baseline.after.keys.mapValues(\.value), holds: [true, true]),
            Self.trial(step: 1),
        ])
        let found = InjectFindings.parity(a, b, scenario: Self.scenario, roles: ("A", "B"))
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.category == .faultParity && finding.severity == .high)
        #expect(finding.occurrences == 1)
        #expect(finding.evidence[0] == "Under the same fault, 1 fault point end differently:")
        #expect(finding.evidence[1] == "  kill-after at step 1 (command) (lockout.yaml:5): A partial-apply, B ok")
    }

    @Test func pointsNotReachedOnOneSideOrEndingAlikeAreNoParityFinding() {
        let a = judged([Self.trial(step: 0), Self.trial(step: 1)])
        let b = judged([Self.trial(step: 0, fired: false), Self.trial(step: 1)])
        #expect(InjectFindings.parity(a, b, scenario: Self.scenario, roles: ("A", "B")).isEmpty)
    }

    @Test func aPlanIsDescribedByItsFaultAndPoint() {
        #expect(InjectFindings.describe(Self.trial(fault: .dropError).plan) == "drop-error at step 2 (command) (lockout.yaml:6)")
    }

    @Test func aPartialWriteNamesWhatChangedAndWhatTheCompleteRequestAlsoChanged() {
        let stopped = Self.trial()
        #expect(
            InjectFindings.partialWrite(stopped, complete: Self.baseline.after) == "lock:${email} changed, locktime:${email} not")
        #expect(InjectFindings.partialWrite(Self.trial(after: [:]), complete: Self.baseline.after) == "")
    }
}
