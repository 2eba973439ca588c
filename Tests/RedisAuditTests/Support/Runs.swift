import RESP
@testable import RedisAudit

/// Builds scenarios from YAML and what a replay of them recorded, by hand, for tests of the
/// decisions made on runs (comparisons, findings) without a server.
enum Runs {
    /// A scenario parsed as a file would be; the test fails on a scenario error.
    static func scenario(_ yaml: String, file: String = "s.yaml") throws -> Scenario {
        try ScenarioLoader.parse(yaml: yaml, file: file)
    }

    /// The records of a command or pipeline step's commands, one outcome per command.
    static func commands(_ step: Step, _ outcomes: [CommandOutcome]) -> [CommandRecord] {
        zip(step.commands, outcomes).enumerated().map { index, pair in
            CommandRecord(
                position: index, name: pair.0.name, specName: pair.0.name,
                display: pair.0.arguments.map { Array($0.raw.utf8) }, outcome: pair.1, expectationFailure: nil,
                template: pair.0)
        }
    }

    /// The records of a transaction step as sent: MULTI, each command queued, and EXEC's reply.
    static func transaction(_ step: Step, exec: RESPValue) -> [CommandRecord] {
        let queued = commands(step, step.commands.map { _ in .reply(.simpleString("QUEUED")) })
        func added(_ name: String, _ reply: RESPValue) -> CommandRecord {
            CommandRecord(
                position: nil, name: name, specName: name, display: [Array(name.utf8)], outcome: .reply(reply),
                expectationFailure: nil, template: nil)
        }
        return [added("MULTI", .simpleString("OK"))] + queued + [added("EXEC", exec)]
    }

    /// One step as it ran: its commands (see `commands`) and the key states after it.
    static func step(
        _ scenario: Scenario, _ index: Int, _ outcomes: [CommandOutcome], keys: [String: KeyState] = [:],
        expectationFailures: [String?] = []
    ) -> StepRecord {
        let step = scenario.steps[index]
        var records = commands(step, outcomes)
        for (i, failure) in expectationFailures.enumerated() where i < records.count { records[i].expectationFailure = failure }
        let failure = StepExecutor.failure(of: step, commands: records)
        return StepRecord(
            index: index, step: step, commands: records, failed: failure != nil, failure: failure, attempts: 1,
            retriedAfterTransportFailure: false, keyStates: keys)
    }

    /// Every step of the scenario with an `OK` reply to each command and no keys.
    static func allOK(_ scenario: Scenario) -> [StepRecord] {
        scenario.steps.indices.map { index in
            step(scenario, index, scenario.steps[index].commands.map { _ in .reply(.simpleString("OK")) })
        }
    }

    /// A run on one endpoint.
    static func run(
        _ scenario: Scenario, role: String, steps: [StepRecord]? = nil, abortedAt: Int? = nil,
        finalKeys: [String: KeyState] = [:], invariants: [InvariantResult] = [], bindings: [String: String] = [:]
    ) -> ScenarioRun {
        ScenarioRun(
            scenario: scenario, role: role, steps: steps ?? allOK(scenario), abortedAt: abortedAt, finalKeys: finalKeys,
            invariants: invariants, bindings: bindings)
    }

    /// An invariant's verdict with an observation.
    static func verdict(_ invariant: Invariant, holds: Bool, _ observation: String, measured: Int64? = nil) -> InvariantResult {
        InvariantResult(invariant: invariant, holds: holds, observation: observation, measured: measured)
    }
}
