import NIOConcurrencyHelpers
import Foundation
import Logging
import RESP

/// Everything `redisaudit compare` needs to know.
public struct CompareConfiguration: Sendable {
    public var endpointA: Endpoint
    public var endpointB: Endpoint
    public var connection: ConnectionOptions
    public var scenarios: [Scenario]
    /// `--var name=value` overrides.
    public var overrides: [String: String]
    /// Seconds two TTLs may differ.
    public var ttlTolerance: Double
    public var failOn: FailThreshold
    /// The threshold for findings both endpoints share (`--fail-on-shared`).
    public var failOnShared: FailThreshold
    /// PINGs sent to measure latency.
    public var pings: Int
    /// How many times each concurrent scenario runs on each side (`--trials`).
    public var trials: Int
    /// Run scripts on an endpoint that cannot confine them (it refuses ACL SETUSER) without the
    /// static check (`--allow-unconfined-scripts`). Dangerous: such a script may touch any key.
    public var allowUnconfinedScripts: Bool

    public init(
        endpointA: Endpoint, endpointB: Endpoint, connection: ConnectionOptions, scenarios: [Scenario],
        overrides: [String: String] = [:], ttlTolerance: Double = SettingDefaults.ttlTolerance,
        failOn: FailThreshold = .severity(.high), pings: Int = 200,
        trials: Int = SettingDefaults.trials, failOnShared: FailThreshold = FailPolicy.defaultFailOnShared,
        allowUnconfinedScripts: Bool = false
    ) {
        self.allowUnconfinedScripts = allowUnconfinedScripts
        self.failOnShared = failOnShared
        self.trials = max(1, trials)
        self.endpointA = endpointA
        self.endpointB = endpointB
        self.connection = connection
        self.scenarios = scenarios
        self.overrides = overrides
        self.ttlTolerance = ttlTolerance
        self.failOn = failOn
        self.pings = pings
    }
}

/// Runs the scenarios on both endpoints with identical variable values, compares
/// everything, and returns the ranked report.
public struct CompareAudit: Sendable {
    public var configuration: CompareConfiguration
    /// Progress at `info`, per-step detail at `debug`; never the report itself.
    public var logger: Logger
    public var interruption: Interruption?
    /// Every scenario run's cleanup, as the servers confirmed it.
    private let ledger = CleanupLedger()
    /// The run's temporary ACL users, once made: an interruption anywhere still deletes them.
    private let confinement = NIOLockedValueBox<RunConfinement?>(nil)

    public init(
        configuration: CompareConfiguration, logger: Logger = Logger(label: "redisaudit"), interruption: Interruption? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.interruption = interruption
    }

    /// Runs the audit; once interrupted, whatever happens ends in ``InterruptedError`` with
    /// what the cleanup confirmed, never in a report of a half-run audit.
    public func run() async throws -> AuditReport {
        let runID = Namespace.generate().runID
        return try await Interruption.audit(
            interruption, runID: runID, endpoints: [("A", configuration.endpointA), ("B", configuration.endpointB)],
            options: configuration.connection, ledger: ledger,
            confinement: confinement
        ) { try await audit(runID: runID) }
    }

    private func audit(runID: String) async throws -> AuditReport {
        let config = configuration
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = ISO8601DateFormatter().string(from: Date())

        logger.info("connecting to A \(config.endpointA) and B \(config.endpointB)")
        async let connectA = RedisConnection.connect(to: config.endpointA, options: config.connection)
        async let connectB = RedisConnection.connect(to: config.endpointB, options: config.connection)
        let (connA, connB) = try await (connectA, connectB)
        defer {
            Task {
                await connA.close(); await connB.close()
            }
        }

        let commands = Set(config.scenarios.flatMap { $0.steps.flatMap { $0.commands.map(\.name) } })
        let usesLua = commands.contains("EVAL") || commands.contains("EVALSHA")
        let usesMulti = config.scenarios.contains {
            $0.steps.contains { if case .transaction = $0.kind { return true } else { return false } }
        }

        logger.info("reading server profiles")
        async let profileA = ServerProfiler.profile(role: "A", connection: connA, commands: Array(commands), pings: config.pings)
        async let profileB = ServerProfiler.profile(role: "B", connection: connB, commands: Array(commands), pings: config.pings)
        var profiles = await [profileA, profileB]

        // Commands the table does not list: learned from the endpoints before anything runs.
        let catalog = try await CommandCatalog.learn(
            for: config.scenarios,
            from: zip(profiles, [connA, connB]).map { profile, connection in
                (profile.role, CommandCatalog.hostLabel(role: profile.role, profile: profile), connection)
            })
        return try await withCleanup {
            let (scenarios, skipped) = try catalog.runnable(config.scenarios)

            var findings: [Finding] = []
            async let leftoversA = Leftovers.find(connection: connA)
            async let leftoversB = Leftovers.find(connection: connB)
            for (role, leftover) in await [("A", leftoversA), ("B", leftoversB)] {
                if let leftover { findings.append(leftover.finding(role: role)) }
            }
            for (role, connection) in [("A", connA), ("B", connB)] {
                if let users = await ConfinementUsers.leftoverFinding(on: connection, role: role) { findings.append(users) }
            }

            let sides = [("A", config.endpointA), ("B", config.endpointB)]
            // A cluster's slot map, read once for every replay (a MOVED still refreshes a replay's own copy).
            var topologies: [String: ClusterTopology] = [:]
            for (role, endpoint) in sides where endpoint.isCluster {
                topologies[role] = try await ClusterTopology.read(seed: endpoint, options: config.connection)
            }
            let confinement = try await RunConfinement.prepare(
                runID: runID, endpoints: sides, options: config.connection, scenarios: scenarios,
                allowUnconfined: config.allowUnconfinedScripts)
            self.confinement.withLockedValue { $0 = confinement }
            var generator = SystemRandomNumberGenerator()
            var notes = skipped
            if let learned = catalog.learnedNote { notes.append(learned) }
            var accessFailures: [AccessFailure] = []
            var redirections: [String: ClusterRedirections] = [:]
            var replays: [ScenarioReplay] = []
            do {
                for (index, scenario) in scenarios.enumerated() {
                    if interruption?.isRequested == true { throw InterruptedError() }
                    logger.info("scenario \(index + 1)/\(scenarios.count): \(scenario.name)")
                    let known = Set(scenario.variableNames)
                    let bindings = try scenario.bind(
                        overrides: config.overrides.filter { known.contains($0.key) }, using: &generator)
                    var sideA = ScenarioReplayer(
                        endpoint: config.endpointA, options: config.connection, role: "A", interruption: interruption,
                        ledger: ledger,
                        catalog: catalog, confinement: confinement.user(role: "A"))
                    var sideB = ScenarioReplayer(
                        endpoint: config.endpointB, options: config.connection, role: "B", interruption: interruption,
                        ledger: ledger,
                        catalog: catalog, confinement: confinement.user(role: "B"))
                    sideA.topology = topologies["A"]
                    sideB.topology = topologies["B"]
                    let (replayA, replayB) = (sideA, sideB)
                    // A race shows in some runs and not others: concurrent scenarios run `trials` times.
                    let trials = scenario.isConcurrent ? config.trials : 1
                    var runsA: [ScenarioRun] = []
                    var runsB: [ScenarioRun] = []
                    let trialsStarted = ContinuousClock.now
                    for trial in 0..<trials {
                        if interruption?.isRequested == true { throw InterruptedError() }
                        // One namespace per scenario, trial and side: A and B may even be two databases of one server.
                        let suffix = trial == 0 ? "" : "t\(trial + 1)"
                        guard let namespaceA = Namespace(run: runID, part: "\(index + 1)\(suffix)a"),
                            let namespaceB = Namespace(run: runID, part: "\(index + 1)\(suffix)b")
                        else { preconditionFailure("generated run ids are valid namespace ids") }
                        if scenario.isConcurrent {
                            // One side at a time: when A and B share a machine (or this one's cores), the
                            // other side's clients would change the race.
                            runsA.append(try await replayA.run(scenario, bindings: bindings, namespace: namespaceA))
                            runsB.append(try await replayB.run(scenario, bindings: bindings, namespace: namespaceB))
                        } else {
                            async let runA = replayA.run(scenario, bindings: bindings, namespace: namespaceA)
                            async let runB = replayB.run(scenario, bindings: bindings, namespace: namespaceB)
                            let (a, b) = try await (runA, runB)
                            runsA.append(a)
                            runsB.append(b)
                        }
                        if trials > 1 {
                            // Every trial on a terminal (one line updated in place), the last one elsewhere too.
                            let failing = (runsA + runsB).filter { run in run.invariants.contains { !$0.holds } }.count
                            let rate = ProgressEvent.rate(
                                done: trial + 1, total: trials, seconds: (ContinuousClock.now - trialsStarted).seconds)
                            let runs = "\(failing) run\(failing == 1 ? "" : "s")"
                            logger.info(
                                "  trial \(trial + 1) of \(trials) of \(scenario.name) on A and B, \(runs) with a failing invariant so far (\(rate))",
                                metadata: (trial + 1 == trials ? ProgressEvent.done : .update).metadata)
                        }
                    }
                    for run in runsA + runsB {
                        redirections[run.role, default: ClusterRedirections()] =
                            redirections[run.role, default: ClusterRedirections()] + run.redirections
                    }
                    let (a, b) = (runsA[0], runsB[0])
                    for run in [a, b] {
                        for record in run.steps {
                            guard let outcome = record.concurrent else { continue }
                            notes.append("`\(scenario.name)` step \(record.index + 1) on \(run.role): \(outcome.summary).")
                        }
                    }
                    var comparison = ScenarioComparison(
                        trialsA: runsA, trialsB: runsB, ttlTolerance: config.ttlTolerance, catalog: catalog)
                    comparison.clusterRoles = Set(sides.filter { $0.1.isCluster }.map(\.0))
                    let access = comparison.accessFailures()
                    accessFailures += access
                    let scenarioFindings = comparison.findings(access: access)
                    logger.debug(
                        "\(scenario.name): \(a.steps.count) steps on A, \(b.steps.count) on B, \(scenarioFindings.count) findings"
                    )
                    findings += scenarioFindings
                    replays.append(comparison.sideBySide())
                }
            } catch {
                await confinement.release(endpoints: sides, options: config.connection)
                throw confinement.ending(interruption?.isRequested == true ? InterruptedError() : error)
            }
            await confinement.release(endpoints: sides, options: config.connection)
            notes.insert(ledger.note(roles: ["A", "B"], namespaces: "`redisaudit:\(runID)-*:`"), at: 0)
            notes.insert(confinement.note(roles: ["A", "B"], allowedUnconfined: config.allowUnconfinedScripts), at: 1)
            findings += ledger.findings(roles: ["A", "B"])
            findings += ClusterFindings.redirections(redirections)
            findings += ClusterFindings.mixedVersions(profiles)
            findings += confinement.findings(roles: ["A", "B"])
            findings += await AccessFindings.findings(accessFailures, profiles: &profiles, asking: [connA, connB])
            // Commands of the built-in scenarios that were not run (no endpoint knows them) are no difference.
            let ranCommands = Set(scenarios.flatMap { $0.steps.flatMap { $0.commands.map(\.name) } })
            findings += ProfileComparison.findings(
                profiles[0], profiles[1], scenarioCommands: ranCommands, usesLua: usesLua, usesMulti: usesMulti,
                reported: Set(accessFailures.map { "\($0.command)|\($0.role)" }))

            // Whatever its producer did not mark as shared by both endpoints is a difference.
            for index in findings.indices where findings[index].scope == nil { findings[index].scope = .difference }
            let ranked = FindingRanking.rank(findings)
            let seconds = (clock.now - started).seconds
            let summary = ReportSummary(
                findings: ranked, failOn: config.failOn, failOnShared: config.failOnShared,
                endpoints: profiles.map {
                    EndpointSummary(role: $0.role, url: $0.endpoint, engine: $0.engine, version: $0.version)
                },
                scenarios: config.scenarios.map(\.name), startedAt: startedAt, durationSeconds: seconds,
                notes: notes)
            return AuditReport(
                tool: ToolInfo(), command: "compare", summary: summary, findings: ranked, profiles: profiles, replays: replays)
        } cleanup: {
            await catalog.close()
        }
    }
}
