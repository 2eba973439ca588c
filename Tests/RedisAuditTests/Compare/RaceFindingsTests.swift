import RESP
import Testing
@testable import RedisAudit

/// Findings over repeated trials of a concurrent scenario: outcomes compared, never counts.
@Suite("Race findings")
struct RaceFindingsTests {
    let scenario: Scenario

    init() throws {
        scenario = try Runs.scenario(
            """
            name: checkin
            vars: { capacity: 5 }
            steps:
              - concurrent:
                  clients: 10
                  steps:
                    - command: [GET, "count"]
                      capture: count
                    - command: [INCR, "count"]
                      if: { var: count, lt: "${capacity}" }
                      tally: admitted
            invariants:
              - { tally: admitted, max: "${capacity}", severity: critical }
            """)
    }

    private func trial(_ role: String, holds: Bool, measured: Int64, outcome: ConcurrentOutcome? = nil) -> ScenarioRun {
        var step = StepRecord(
            index: 0, step: scenario.steps[0], commands: [], failed: false, failure: nil, attempts: 1,
            retriedAfterTransportFailure: false, keyStates: [:])
        step.concurrent = outcome
        return Runs.run(
            scenario, role: role, steps: [step],
            invariants: [Runs.verdict(scenario.invariants[0], holds: holds, "\(measured) clients admitted", measured: measured)])
    }

    private var inner: [Step] {
        guard case .concurrent(let block) = scenario.steps[0].kind else { return [] }
        return block.steps
    }

    private func outcome(errors: [String: Int] = [:], sample: RESPValue? = nil, connectFailures: [String: Int] = [:])
        -> ConcurrentOutcome
    {
        let record = sample.map { reply in
            CommandRecord(
                position: 0, name: "INCR", specName: "INCR", display: [Array("INCR".utf8), Array("count".utf8)],
                outcome: .reply(reply), expectationFailure: nil, template: inner[1].commands[0])
        }
        let failed = errors.values.reduce(0, +)
        return ConcurrentOutcome(
            clients: 10, connected: 10 - connectFailures.values.reduce(0, +), connectFailures: connectFailures,
            steps: [
                InnerStepOutcome(index: 0, step: inner[0], ran: 10, skipped: 0, failed: 0, errors: [:], sample: nil),
                InnerStepOutcome(index: 1, step: inner[1], ran: 10, skipped: 0, failed: failed, errors: errors, sample: record),
            ],
            tallies: [:], commandsSent: 20, stopped: 0, connectSeconds: 0, raceSeconds: 0, wallSeconds: 0)
    }

    // MARK: Invariants

    @Test func anInvariantFailingInSomeTrialsOfOneSideNamesTheCountAndTheWorstCase() throws {
        let a = [
            trial("A", holds: false, measured: 7), trial("A", holds: true, measured: 5), trial("A", holds: false, measured: 9),
        ]
        let b = [
            trial("B", holds: true, measured: 5), trial("B", holds: true, measured: 4), trial("B", holds: true, measured: 5),
        ]
        let found = RaceFindings.invariants([a, b])
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(
            finding.title == "Invariant fails on A in 2 of 3 trials: tally admitted max ${capacity} (worst: 9 clients admitted)")
        #expect(finding.endpoints == ["A"] && finding.severity == .critical)
        #expect(finding.evidence == ["A: fails in 2 of 3 trials, worst: 9 clients admitted", "B: holds in all 3 trials"])
    }

    @Test func equalCountsOnBothSidesAreWrittenOnceAndUnequalOnesBoth() throws {
        let fail = trial("A", holds: false, measured: 6), hold = trial("A", holds: true, measured: 5)
        let failB = trial("B", holds: false, measured: 8), holdB = trial("B", holds: true, measured: 5)
        let same = try #require(RaceFindings.invariants([[fail, hold], [holdB, failB]]).first)
        #expect(same.title.hasPrefix("Invariant fails on A and B in 1 of 2 trials:"))
        let different = try #require(RaceFindings.invariants([[fail, fail], [holdB, failB]]).first)
        #expect(different.title.hasPrefix("Invariant fails on A and B in 2 of 2 and 1 of 2 trials:"))
    }

    @Test func identitiesCarryNoCounts() {
        let one = RaceFindings.invariants([[trial("A", holds: false, measured: 6)], [trial("B", holds: true, measured: 1)]])
        let two = RaceFindings.invariants([
            [trial("A", holds: false, measured: 60), trial("A", holds: false, measured: 70)],
            [trial("B", holds: true, measured: 1)],
        ])
        #expect(one.map(\.id) == two.map(\.id) && one.count == 1)
    }

    @Test func invariantsHoldingEverywhereAreNoFindings() {
        #expect(
            RaceFindings.invariants([[trial("A", holds: true, measured: 5)], [trial("B", holds: true, measured: 5)]]).isEmpty)
        #expect(RaceFindings.invariants([[], []]).isEmpty)
    }

    // MARK: Clients

    @Test func refusalsAreRecognisedByTheirWordingNotOtherErrors() {
        func record(_ message: String) -> CommandRecord {
            CommandRecord(
                position: 0, name: "EVAL", specName: "EVAL", display: [], outcome: .reply(.error(message)),
                expectationFailure: nil, template: nil)
        }
        #expect(RaceFindings.isUnsupported(record("ERR unknown command 'EVAL', with args beginning with:")))
        #expect(RaceFindings.isUnsupported(record("NOPERM User app has no permissions to run the 'eval' command")))
        #expect(RaceFindings.isUnsupported(record("ERR scripting is disabled on this host")))
        #expect(RaceFindings.isUnsupported(record("ERR command not allowed here")))
        #expect(!RaceFindings.isUnsupported(record("WRONGTYPE Operation against a key")))
        // Redis's own state errors say nothing of the command: the memory limit, a failing disk.
        #expect(!RaceFindings.isUnsupported(record("OOM command not allowed when used memory > 'maxmemory'.")))
        #expect(
            !RaceFindings.isUnsupported(
                record(
                    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
                        + "Commands that may modify the data set are disabled")))
        #expect(!RaceFindings.isUnsupported(nil))
    }

    @Test func connectionsThatDidNotOpenAreATransportFindingForThatSide() throws {
        let a = [trial("A", holds: true, measured: 5, outcome: outcome(connectFailures: ["ECONNREFUSED": 3, "timeout": 1]))]
        let b = [trial("B", holds: true, measured: 5, outcome: outcome())]
        let found = RaceFindings.clients([a, b])
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.category == .transport && finding.endpoints == ["A"])
        #expect(finding.title == "4 of 10 client connections to A did not open")
        #expect(finding.evidence == ["3 x ECONNREFUSED", "1 x timeout"])
    }

    @Test func aCommandRefusedOnOneSideIsUnsupportedOrDeniedNotAMismatch() throws {
        let refused = outcome(errors: ["ERR": 10], sample: .error("ERR unknown command 'INCR'"))
        let found = RaceFindings.clients([
            [trial("A", holds: true, measured: 5, outcome: outcome())],
            [trial("B", holds: true, measured: 5, outcome: refused)],
        ])
        #expect(found.map(\.category) == [.commandUnsupported])
        #expect(found.first?.endpoints == ["B"])
        #expect(found.first?.evidence.last == "B: 10 of 10 clients refused")
        let denied = outcome(errors: ["NOPERM": 10], sample: .error("NOPERM no permissions"))
        let acl = RaceFindings.clients([
            [trial("A", holds: true, measured: 5, outcome: denied)], [trial("B", holds: true, measured: 5, outcome: outcome())],
        ])
        #expect(acl.map(\.category) == [.commandDenied])
    }

    @Test func differentErrorClassesUnderLoadAreAMismatchAndTheSameOnesAreNot() throws {
        let oom = outcome(errors: ["OOM": 4], sample: .error("OOM command not allowed when used memory > 'maxmemory'"))
        let found = RaceFindings.clients([
            [trial("A", holds: true, measured: 5, outcome: outcome())],
            [trial("B", holds: true, measured: 5, outcome: oom)],
        ])
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.category == .replyMismatch && finding.severity == .high)
        #expect(finding.evidence == ["A: no client failed (10 ran)", "B: OOM for 4 clients (10 ran)"])
        let busy = outcome(errors: ["BUSY": 2], sample: .error("BUSY script"))
        let busier = outcome(errors: ["BUSY": 7], sample: .error("BUSY script"))
        #expect(
            RaceFindings.clients([
                [trial("A", holds: true, measured: 5, outcome: busy)], [trial("B", holds: true, measured: 5, outcome: busier)],
            ]).isEmpty)
    }
}
