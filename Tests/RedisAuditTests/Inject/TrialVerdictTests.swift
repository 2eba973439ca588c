import Testing
@testable import RedisAudit

/// The judging rules on trials built by hand: each rule, and the precedence between them.
@Suite("judging a trial")
struct TrialVerdictTests {
    static let scenario = try! ScenarioLoader.parse(
        yaml: """
            name: t
            steps:
              - command: [GET, "a"]
                on_error: as-null
              - command: [INCR, "b"]
                on_error: { retry: 1 }
            invariants:
              - { exists: "a", severity: critical }
              - { exists: "b" }
            """, file: "t.yaml")

    static func state(_ keys: [String: String]) -> NamespaceState {
        NamespaceState(keys: keys.mapValues { StoredKey(type: "string", value: $0, expires: false) })
    }

    static func result(_ index: Int, _ holds: Bool) -> InvariantResult {
        InvariantResult(invariant: scenario.invariants[index], holds: holds, observation: holds ? "holds" : "fails")
    }

    /// A trial; `failedSteps` fail with an error reply unless `transport` says otherwise.
    static func trial(
        fault: ExploredFault? = .killAfter, fired: Bool = true, abortedAt: Int? = nil, failedSteps: Set<Int> = [],
        timeout: Bool = false, retriedAfterTransport: Bool = false, resentOnce: Bool = false, retriedTimeout: Bool = false,
        before: [String: String] = [:], after: [String: String],
        holds: [Bool] = [true, true], heldBefore: [Bool] = [true, true], checkpoints: [[String: String]] = []
    ) -> Trial {
        let steps = scenario.steps.enumerated().map { index, step in
            let outcome: CommandOutcome =
                timeout && index == 0
                ? .failed(.timeout(milliseconds: 200))
                : failedSteps.contains(index) ? .reply(.error("ERR lost")) : .reply(.integer(1))
            let retried = (retriedAfterTransport || retriedTimeout) && index == 1
            var record = CommandRecord(
                position: 0, name: step.commands[0].name, specName: step.commands[0].name, display: [], outcome: outcome,
                expectationFailure: nil, template: step.commands[0])
            // A client resending only unacknowledged commands may have sent this one once.
            record.sends = retried && !resentOnce ? 2 : 1
            return StepRecord(
                index: index, step: step, commands: [record], failed: outcome.isFailure,
                failure: outcome.isFailure ? .reply : nil,
                attempts: retried ? 2 : 1,
                retriedAfterTransportFailure: retried,
                keyStates: [:],
                retriedFailures: retried
                    ? [retriedTimeout ? .failed(.timeout(milliseconds: 200)) : .failed(.connectionClosed("killed"))] : [])
        }
        let point = FaultPoint(step: 1, wireIndex: 0, command: "INCR", position: 0, location: "step 2", wholeTransaction: false)
        return Trial(
            scenario: scenario, role: "A", plan: TrialPlan(point: point, fault: fault, rules: []), fired: fired, steps: steps,
            abortedAt: abortedAt, before: state(before),
            invariantsBefore: heldBefore.enumerated().map { result($0.offset, $0.element) },
            checkpoints: checkpoints.map(state), after: state(after),
            invariants: holds.enumerated().map { result($0.offset, $0.element) },
            bindings: [:])
    }

    static let baseline = trial(fault: nil, after: ["a": "1", "b": "1"], checkpoints: [["a": "1"]])

    func judge(_ trial: Trial) -> TrialVerdict { TrialVerdict.judge(trial, baseline: Self.baseline) }

    @Test func aFaultThatNeverFiredIsNotReached() {
        #expect(judge(Self.trial(fired: false, after: [:], holds: [false, false])).outcome == .notReached)
    }

    @Test func goingOnWithABrokenInvariantIsSilentCorruption() {
        let verdict = judge(Self.trial(after: ["b": "1"], holds: [false, true]))
        #expect(verdict.outcome == .silentCorruption)
        #expect(verdict.severity == .critical)
        #expect(verdict.broken.map(\.invariant) == [Self.scenario.invariants[0]])
    }

    @Test func goingOnThroughAFailedAsNullStepIsAnErrorSwallowed() {
        let verdict = judge(Self.trial(failedSteps: [0], after: ["a": "1", "b": "1"]))
        #expect(verdict.outcome == .errorSwallowed)
        #expect(verdict.severity == .high)
        // The same, with an invariant broken too, is worse: silent corruption wins.
        #expect(judge(Self.trial(failedSteps: [0], after: ["b": "1"], holds: [false, true])).outcome == .silentCorruption)
    }

    @Test func aRetriedIncrementIsADoubleApplyOnlyWhenTheStateShowsIt() {
        #expect(judge(Self.trial(retriedAfterTransport: true, after: ["a": "1", "b": "2"])).outcome == .doubleApply)
        #expect(judge(Self.trial(retriedAfterTransport: true, after: ["a": "1", "b": "1"])).outcome == .survived)
    }

    @Test func aFaultARetryRepairedIsSurvivedAsRetried() {
        let verdict = judge(Self.trial(retriedAfterTransport: true, after: ["a": "1", "b": "1"]))
        #expect(verdict.outcome == .survived)
        #expect(verdict.summary == "retried")
        #expect(judge(Self.trial(after: ["a": "1", "b": "1"])).summary == "ok")
    }

    @Test func anIncrementSentOnceIsNoDoubleApplyWhateverTheState() {
        // Resent only what had no reply, the INCR went out once: a different state is not its doing.
        let verdict = judge(Self.trial(retriedAfterTransport: true, resentOnce: true, after: ["a": "1", "b": "2"]))
        #expect(verdict.outcome == .survived)
    }

    @Test func aTimeoutTheRetryGotPastIsStillAHang() {
        let verdict = judge(Self.trial(retriedTimeout: true, after: ["a": "1", "b": "1"]))
        #expect(verdict.hang)
        #expect(verdict.summary == "retried, hang")
    }

    @Test func aStoppedRequestIsJudgedByTheStateItLeaves() {
        #expect(
            judge(Self.trial(abortedAt: 1, before: ["a": "1"], after: ["a": "1"], holds: [true, false])).summary
                == "stopped, unchanged")
        #expect(judge(Self.trial(abortedAt: 1, after: ["a": "1", "b": "1"])).summary == "stopped, complete")
        #expect(judge(Self.trial(abortedAt: 1, after: ["a": "1"], holds: [true, false])).summary == "stopped at a checkpoint")
        let partial = judge(Self.trial(abortedAt: 1, after: ["b": "1"], holds: [false, true]))
        #expect(partial.outcome == .partialApply)
        #expect(partial.severity == .critical, "the critical invariant held before the request")
    }

    @Test func aStoppedRequestIsNotBlamedForWhatFailedBeforeIt() {
        let verdict = judge(Self.trial(abortedAt: 1, after: ["b": "1"], holds: [false, true], heldBefore: [false, true]))
        #expect(verdict.outcome == .partialApply)
        #expect(verdict.broken.isEmpty)
        #expect(verdict.severity == .high)
    }

    @Test func lostWritesAreTheirOwnVerdictAndTimeoutsAHang() {
        #expect(judge(Self.trial(fault: .dropSilent, after: ["b": "1"], holds: [false, true])).outcome == .lostWrite)
        #expect(judge(Self.trial(fault: .dropSilent, after: ["a": "1", "b": "1"])).outcome == .survived)
        let slow = judge(Self.trial(fault: .delay, timeout: true, after: ["a": "1", "b": "1"]))
        #expect(slow.hang)
        #expect(slow.summary == "error-swallowed, hang", "the slow read hit the as-null step")
    }
}
