import Logging

/// Explores one scenario on one endpoint: a fault-free trial as the reference, then a trial per
/// fault point and fault kind (or one with the given rules), run as the `TrialScheduler` allows,
/// each judged against the reference; the outcome is the judged trials, their findings and the
/// coverage table.
struct ScenarioExploration: Sendable {
    let configuration: InjectConfiguration
    let endpoint: Endpoint
    let role: String
    /// The server faults the endpoint allows (empty when none are explored).
    let serverFaults: [ServerFault]
    let replayer: TrialReplayer
    let logger: Logger

    /// What exploring one scenario on one endpoint produced.
    struct Outcome {
        var judged: [InjectFindings.Judged]
        var findings: [Finding]
        var coverage: FaultCoverage?
    }

    func run(_ scenario: Scenario, bindings: VariableBindings, runID: String, part: String, progress: (Int, Int))
        async throws -> Outcome
    {
        // A concurrent block is explored as one client runs it: a fault point per command of client 0.
        let scenario = scenario.singleClient
        let role = self.role
        func namespace(_ trial: Int) -> Namespace {
            guard let namespace = Namespace(run: runID, part: "\(part)\(trial)\(role.lowercased())") else {
                preconditionFailure("generated run ids are valid namespace ids")
            }
            return namespace
        }
        let baseline = try await replayer.run(
            scenario, bindings: bindings, namespace: namespace(0), plan: TrialPlan(point: nil, fault: nil, rules: []))
        // A script the temporary user refused is the finding: the fault-free run is not the application's.
        if let confinement = replayer.confinement {
            let escapes = ScriptEscapes.findings(
                scenario: scenario.name, role: role, user: confinement.name, steps: baseline.steps)
            if !escapes.isEmpty {
                logger.info("scenario \(progress.0)/\(progress.1): \(scenario.name) on \(role): a script escaped; not explored")
                return Outcome(judged: [], findings: escapes, coverage: nil)
            }
        }
        if let problem = Self.baselineProblem(baseline) {
            logger.info("scenario \(progress.0)/\(progress.1): \(scenario.name) on \(role) fails without any fault; not explored")
            return Outcome(
                judged: [], findings: [baselineFinding(scenario, problem: problem, trial: baseline)], coverage: nil)
        }
        let plans = try plans(scenario, baseline: baseline)
        logger.info("scenario \(progress.0)/\(progress.1): \(scenario.name) on \(role): \(plans.count) trials")
        let judged = try await trials(
            plans, scenario: scenario, bindings: bindings, baseline: baseline, namespaces: plans.indices.map { namespace($0 + 1) }
        )
        let reproducer = TrialReproducer(endpoint: endpoint, trialTimeout: configuration.trialTimeout)
        let findings = InjectFindings.findings(
            judged, baseline: baseline, scenario: scenario, role: role, reproducer: reproducer)
        return Outcome(
            judged: judged, findings: findings,
            coverage: FaultCoverage(judged, scenario: scenario, role: role, reproducer: reproducer))
    }

    /// Every trial to run: each explored fault at each of its points and each allowed server
    /// fault before each non-setup step; or one trial with the given rules.
    private func plans(_ scenario: Scenario, baseline: Trial) throws -> [TrialPlan] {
        guard configuration.rules.isEmpty else { return [TrialPlan(point: nil, fault: nil, rules: configuration.rules)] }
        var plans: [TrialPlan] = []
        for fault in ExploredFault.explored(lostWrites: configuration.lostWrites, transport: endpoint.transport) {
            for point in FaultPoints.points(of: scenario, for: fault) {
                if let plan = try TrialPlan.plan(
                    fault, at: point, baseline: baseline, handshake: TrialPlan.handshake(of: replayer.application),
                    delay: replayer.delay)
                {
                    plans.append(plan)
                }
            }
        }
        // A server fault finds the application's connections by name; a REST request has none.
        for fault in serverFaults where endpoint.transport == .resp {
            for step in scenario.steps.indices where !scenario.steps[step].setup && step < baseline.steps.count {
                plans.append(TrialPlan.plan(fault, atStep: step, of: scenario))
            }
        }
        return plans
    }

    /// Runs the trials as the scheduler allows and judges each against the baseline, in plan order.
    private func trials(
        _ plans: [TrialPlan], scenario: Scenario, bindings: VariableBindings, baseline: Trial, namespaces: [Namespace]
    ) async throws -> [InjectFindings.Judged] {
        let replayer = self.replayer
        let interruption = replayer.interruption
        var judgedInOrder: [InjectFindings.Judged?] = Array(repeating: nil, count: plans.count)
        var failing = 0
        var scheduler = TrialScheduler(alone: plans.map { $0.serverFault != nil }, jobs: configuration.jobs)
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: (Int, Trial).self) { group in
            while !scheduler.isDone {
                for index in scheduler.startable() {
                    let plan = plans[index]
                    group.addTask {
                        if interruption?.isRequested == true { throw InterruptedError() }
                        return (
                            index, try await replayer.run(scenario, bindings: bindings, namespace: namespaces[index], plan: plan)
                        )
                    }
                }
                guard let (index, trial) = try await group.next() else { break }
                scheduler.finish()
                let verdict = TrialVerdict.judge(trial, baseline: baseline)
                judgedInOrder[index] = (trial, verdict)
                if verdict.outcome != .survived && verdict.outcome != .notReached { failing += 1 }
                logger.debug("\(scenario.name) on \(role): \(InjectFindings.describe(trial.plan)) -> \(verdict.summary)")
                // Every trial on a terminal (one line updated in place), every tenth elsewhere.
                let kind: ProgressEvent =
                    scheduler.isDone ? .done : scheduler.finished % 10 == 0 ? .line : .update
                let rate = ProgressEvent.rate(
                    done: scheduler.finished, total: plans.count, seconds: (ContinuousClock.now - started).seconds)
                logger.info(
                    "  trial \(scheduler.finished) of \(plans.count) on \(role), \(failing) failing so far (\(rate))",
                    metadata: kind.metadata)
            }
        }
        return judgedInOrder.compactMap { $0 }
    }

    /// Why the fault-free run cannot serve as the reference, if it cannot.
    static func baselineProblem(_ trial: Trial) -> String? {
        if let stopped = trial.abortedAt { return "the application stops at step \(stopped + 1)" }
        let failing = trial.invariants.filter { !$0.holds }
        if !failing.isEmpty {
            return failing.map { "\(InvariantText.describe($0.invariant)): \($0.observation)" }.joined(separator: "; ")
        }
        return nil
    }

    private func baselineFinding(_ scenario: Scenario, problem: String, trial: Trial) -> Finding {
        var evidence: [String] = []
        for step in trial.steps {
            for record in step.commands {
                evidence.append(Transcript.command(record.display))
                evidence += Transcript.reply(role, record.outcome)
            }
        }
        return Finding(
            identity: "inject|\(role)|baseline", severity: .high, category: .invariant,
            title: "`\(scenario.name)` fails on \(role) with no fault injected, so it was not explored: \(problem)",
            endpoints: [role], scenario: scenario.name, step: nil, evidence: evidence,
            why: "Faults are judged against the scenario's invariants; a scenario that breaks them without any fault on this "
                + "endpoint says nothing about faults (run `redisaudit compare` to see why it fails).",
            fix: "Make the scenario pass on this endpoint first (a missing command, a refused script, a different reply).")
    }
}
