import NIOConcurrencyHelpers
import Foundation
import Logging
import NIOCore

/// Everything `redisaudit inject` needs to know.
public struct InjectConfiguration: Sendable {
    /// One endpoint, or two to compare how each survives the same faults.
    public var endpoints: [Endpoint]
    /// Deadlines and TLS for the direct connections (and the proxies' upstream connections).
    public var connection: ConnectionOptions
    public var scenarios: [Scenario]
    /// `--var name=value` overrides.
    public var overrides: [String: String]
    /// The user's own rules; empty: explore every fault point.
    public var rules: [FaultRule]
    /// Also try silent drops (acknowledged writes lost).
    public var lostWrites: Bool
    /// The application's command timeout inside a trial; a delay fault holds a reply longer.
    public var trialTimeout: TimeAmount
    /// How many trials run at once.
    public var jobs: Int
    public var failOn: FailThreshold
    /// A shell command that restarts each endpoint (nil: no restart check), by endpoint.
    public var restartCommands: [String?]
    /// Also try the server-side faults the endpoint allows (they affect all its clients).
    public var serverFaults: Bool
    /// How many times each concurrent scenario runs with all its clients, without faults,
    /// before its commands are explored with one client.
    public var trials: Int
    /// Run scripts on an endpoint that cannot confine them (it refuses ACL SETUSER) without the
    /// static check (`--allow-unconfined-scripts`). Dangerous: such a script may touch any key.
    public var allowUnconfinedScripts: Bool

    public init(
        endpoints: [Endpoint], connection: ConnectionOptions, scenarios: [Scenario], overrides: [String: String] = [:],
        rules: [FaultRule] = [], lostWrites: Bool = false,
        trialTimeout: TimeAmount = .milliseconds(Int64(SettingDefaults.trialTimeout * 1000)),
        jobs: Int = SettingDefaults.jobs,
        failOn: FailThreshold = .severity(.high), restartCommands: [String?] = [], serverFaults: Bool = false,
        trials: Int = SettingDefaults.trials,
        allowUnconfinedScripts: Bool = false
    ) {
        self.allowUnconfinedScripts = allowUnconfinedScripts
        self.serverFaults = serverFaults
        self.trials = max(1, trials)
        self.endpoints = endpoints
        self.connection = connection
        self.scenarios = scenarios
        self.overrides = overrides
        self.rules = rules
        self.lostWrites = lostWrites
        self.trialTimeout = trialTimeout
        self.jobs = jobs
        self.failOn = failOn
        self.restartCommands = restartCommands
    }
}

/// Replays each scenario once per fault point and fault kind, each trial in a fresh namespace
/// behind a proxy of its own, judges every trial, and reports one finding per distinct failure.
///
/// ```
///   scenario ─▶ fault-free trial (baseline) ─▶ fault points × kinds ─▶ trials (in parallel)
///            ─▶ verdicts ─▶ findings per distinct failure + coverage ─▶ A vs B ─▶ report
/// ```
public struct InjectAudit: Sendable {
    public var configuration: InjectConfiguration
    public var logger: Logger
    public var interruption: Interruption?
    /// Every trial's cleanup, as the servers confirmed it.
    private let ledger = CleanupLedger()
    /// The run's temporary ACL users, once made: an interruption anywhere still deletes them.
    private let confinement = NIOLockedValueBox<RunConfinement?>(nil)

    public init(
        configuration: InjectConfiguration, logger: Logger = Logger(label: "redisaudit"), interruption: Interruption? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.interruption = interruption
    }

    /// Roles in endpoint order.
    static let roles = ["A", "B"]

    /// Runs the audit; once interrupted, whatever happens ends in ``InterruptedError`` with
    /// what the cleanup confirmed, never in a report of a half-run audit.
    public func run() async throws -> AuditReport {
        let runID = Namespace.generate().runID
        return try await Interruption.audit(
            interruption, runID: runID, endpoints: Array(zip(Self.roles, configuration.endpoints)),
            options: configuration.connection, ledger: ledger,
            confinement: confinement
        ) { try await audit(runID: runID) }
    }

    private func audit(runID: String) async throws -> AuditReport {
        let config = configuration
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let roles = Array(Self.roles.prefix(config.endpoints.count))

        var profiles: [ServerProfile] = []
        var findings: [Finding] = []
        var serverFaults: [[ServerFault]] = []
        var hostAnswers: [HostAnswers] = []
        let commands = Set(config.scenarios.flatMap { $0.steps.flatMap { $0.commands.map(\.name) } })
        for (role, endpoint) in zip(roles, config.endpoints) {
            logger.info("connecting to \(role) \(endpoint)")
            let connection = try await RedisConnection.connect(to: endpoint, options: config.connection)
            profiles.append(
                await ServerProfiler.profile(role: role, connection: connection, commands: Array(commands), pings: 20))
            if let leftover = await Leftovers.find(connection: connection) { findings.append(leftover.finding(role: role)) }
            if let users = await ConfinementUsers.leftoverFinding(on: connection, role: role) { findings.append(users) }
            // Commands the table does not list: learned from the endpoints before anything runs.
            hostAnswers.append(
                await HostAnswers.ask(
                    CommandCatalog.unlisted(in: config.scenarios), role: role,
                    host: CommandCatalog.hostLabel(role: role, profile: profiles[profiles.count - 1]), connection: connection))
            var allowed: [ServerFault] = []
            if config.serverFaults && config.rules.isEmpty {
                for (fault, refusal) in await ServerFault.probe(connection).sorted(by: { $0.key < $1.key }) {
                    if let refusal {
                        findings.append(ServerFault.skipped(fault, role: role, refusal: refusal))
                    } else {
                        allowed.append(fault)
                    }
                }
            }
            serverFaults.append(allowed)
            await connection.close()
        }
        let catalog = try CommandCatalog(scenarios: config.scenarios, answers: hostAnswers)
        return try await withCleanup {
            let (scenarios, skipped) = try catalog.runnable(config.scenarios)

            let sides = Array(zip(roles, config.endpoints))
            let confinement = try await RunConfinement.prepare(
                runID: runID, endpoints: sides, options: config.connection, scenarios: scenarios,
                allowUnconfined: config.allowUnconfinedScripts)
            self.confinement.withLockedValue { $0 = confinement }
            var generator = SystemRandomNumberGenerator()
            var coverage: [FaultCoverage] = []
            var trialCount = 0
            var bound: [(Scenario, VariableBindings)] = []
            var restarts: [(role: String, lost: Int)] = []
            do {
                for (index, scenario) in scenarios.enumerated() {
                    if interruption?.isRequested == true { throw InterruptedError() }
                    let known = Set(scenario.variableNames)
                    let bindings = try scenario.bind(
                        overrides: config.overrides.filter { known.contains($0.key) }, using: &generator)
                    bound.append((scenario, bindings))
                    if scenario.isConcurrent {
                        findings += try await race(
                            scenario, bindings: bindings, roles: roles, runID: runID, part: "\(index + 1)r", catalog: catalog,
                            confinement: confinement)
                    }
                    // Both endpoints are explored at once, each with its own trials and namespaces.
                    let allowed = serverFaults
                    let explorations = try await withThrowingTaskGroup(of: (Int, ScenarioExploration.Outcome).self) { group in
                        for (i, (role, endpoint)) in zip(roles, config.endpoints).enumerated() {
                            let exploration = ScenarioExploration(
                                configuration: config, endpoint: endpoint, role: role, serverFaults: allowed[i],
                                replayer: TrialReplayer(
                                    endpoint: endpoint, role: role, options: config.connection, trialTimeout: config.trialTimeout,
                                    interruption: interruption, ledger: ledger, catalog: catalog,
                                    confinement: confinement.user(role: role)),
                                logger: logger)
                            group.addTask {
                                let explored = try await exploration.run(
                                    scenario, bindings: bindings, runID: runID, part: "\(index + 1)t",
                                    progress: (index + 1, scenarios.count))
                                return (i, explored)
                            }
                        }
                        var results: [(Int, ScenarioExploration.Outcome)] = []
                        for try await result in group { results.append(result) }
                        return results.sorted { $0.0 < $1.0 }.map(\.1)
                    }
                    let judgedByRole = explorations.map(\.judged)
                    let findingsByRole = explorations.map(\.findings)
                    trialCount += explorations.reduce(0) { $0 + $1.judged.count + 1 }
                    coverage += explorations.compactMap(\.coverage)
                    if judgedByRole.count == 2 {
                        findings += InjectFindings.merge(findingsByRole[0], findingsByRole[1], roles: (roles[0], roles[1]))
                        findings += InjectFindings.parity(
                            judgedByRole[0], judgedByRole[1], scenario: scenario, roles: (roles[0], roles[1]))
                    } else {
                        findings += findingsByRole.flatMap { $0 }
                    }
                }

                for (i, (role, endpoint)) in zip(roles, config.endpoints).enumerated() {
                    guard i < config.restartCommands.count, let command = config.restartCommands[i] else { continue }
                    if interruption?.isRequested == true { throw InterruptedError() }
                    logger.info("restarting \(role) with the restart command, then checking what survived")
                    let check = RestartCheck(
                        endpoint: endpoint, role: role, command: command, options: config.connection,
                        trialTimeout: config.trialTimeout,
                        catalog: catalog, ledger: ledger, confinement: confinement.user(role: role))
                    let survivals = try await check.run(bound, runID: runID)
                    let lost = survivals.reduce(0) { $0 + $1.lost.count }
                    restarts.append((role, lost))
                    if let finding = RestartCheck.finding(survivals, role: role, profile: profiles.first { $0.role == role }) {
                        findings.append(finding)
                    }
                }
            } catch {
                await confinement.release(endpoints: sides, options: config.connection)
                throw confinement.ending(interruption?.isRequested == true ? InterruptedError() : error)
            }
            await confinement.release(endpoints: sides, options: config.connection)
            if restarts.count == 2, (restarts[0].lost == 0) != (restarts[1].lost == 0) {
                let keeps = restarts.first { $0.lost == 0 }!.role
                let loses = restarts.first { $0.lost > 0 }!.role
                findings.append(
                    Finding(
                        identity: "restart|parity", severity: .high, category: .faultParity,
                        title: "\(keeps) keeps the scenarios' keys across a restart, \(loses) loses them",
                        endpoints: [keeps, loses], scenario: nil, step: "after the restart command",
                        evidence: restarts.map { "\($0.role): \($0.lost) keys lost" },
                        why:
                            "The same restart that the current host survives logs every user out on the other: moving hosts changes durability.",
                        fix:
                            "Give \(loses) the persistence \(keeps) has (appendonly / RDB), or plan for an empty cache after every restart."
                    ))
            }

            findings += ledger.findings(roles: roles)
            findings += confinement.findings(roles: roles)
            let ranked = FindingRanking.rank(findings)
            let seconds = (clock.now - started).seconds
            let mode = config.rules.isEmpty ? "explored every fault point" : "applied the given fault rules"
            let summary = ReportSummary(
                findings: ranked, failOn: config.failOn,
                endpoints: profiles.map {
                    EndpointSummary(role: $0.role, url: $0.endpoint, engine: $0.engine, version: $0.version)
                },
                scenarios: config.scenarios.map(\.name), startedAt: startedAt, durationSeconds: seconds,
                notes: [
                    "\(trialCount) trials \(mode); each ran in its own namespace behind its own fault proxy.",
                    ledger.note(roles: roles, namespaces: "`redisaudit:\(runID)-*:`"),
                    confinement.note(roles: roles, allowedUnconfined: config.allowUnconfinedScripts),
                ] + skipped + [catalog.learnedNote].compactMap { $0 })
            return AuditReport(
                tool: ToolInfo(), command: "inject", summary: summary, findings: ranked, profiles: profiles, coverage: coverage)
        } cleanup: {
            await catalog.close()
        }
    }

    /// Runs a concurrent scenario `trials` times with all its clients on every endpoint (no
    /// fault: the race is the fault) and reports how often each invariant failed.
    private func race(
        _ scenario: Scenario, bindings: VariableBindings, roles: [String], runID: String, part: String, catalog: CommandCatalog,
        confinement: RunConfinement
    ) async throws -> [Finding] {
        let config = configuration
        var runs: [[ScenarioRun]] = []
        for (role, endpoint) in zip(roles, config.endpoints) {
            let replayer = ScenarioReplayer(
                endpoint: endpoint, options: config.connection, role: role, interruption: interruption, ledger: ledger,
                catalog: catalog, confinement: confinement.user(role: role))
            var trials: [ScenarioRun] = []
            for trial in 0..<config.trials {
                if interruption?.isRequested == true { throw InterruptedError() }
                guard let namespace = Namespace(run: runID, part: "\(part)\(trial + 1)\(role.lowercased())") else {
                    preconditionFailure("generated run ids are valid namespace ids")
                }
                trials.append(try await replayer.run(scenario, bindings: bindings, namespace: namespace))
            }
            logger.info("\(scenario.name) on \(role): \(config.trials) concurrent trials, then fault points with one client")
            runs.append(trials)
        }
        return RaceFindings.invariants(runs) + RaceFindings.clients(runs)
    }
}
