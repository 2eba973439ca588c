import ArgumentParser
import Foundation
import NIOCore
import RedisAudit

/// `redisaudit inject ENDPOINT [ENDPOINT_B]`: replay scenarios with faults injected and judge the state they leave.
struct Inject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay scenarios with faults injected at every point, and judge the state each fault leaves.",
        discussion: """
            Without --fault or --plan, every command of every scenario (each pipeline command, each command of a \
            transaction and its EXEC, each script) is tried with kill-before, kill-after, drop-error and a delay \
            beyond the trial timeout, one trial each, in a fresh namespace behind a fault proxy of the trial's own; \
            --lost-writes adds drop-silent, --server-faults the server-side faults. With --fault, each scenario runs \
            once with those rules. Each trial is judged by what the application did (went on or stopped, after the \
            retries of the client library its scenario's client: names, none by default) and the state read directly \
            from the endpoint: silent corruption, error swallowed as not-found, double apply, partial apply, hang, or \
            survived.

            Example: redisaudit inject redis://127.0.0.1:6379 --scenario login --scenario refresh
            """
    )

    @Argument(help: "The endpoint to inject faults against; default: endpoints.a of the config file.")
    var endpoint: String?

    @Argument(
        help:
            "A second endpoint: the same exploration runs there too, and differences are findings (default: endpoints.b of the config file)."
    )
    var endpointB: String?

    @Option(
        name: .customLong("scenario"), help: "A built-in scenario name or a scenario file (repeatable; default: all built-in).")
    var scenarios: [String] = []

    @Option(name: .customLong("var"), help: "Override a scenario variable: name=value (repeatable).")
    var variables: [String] = []

    /// With rules, each scenario runs once with them instead of being explored.
    @OptionGroup var faultRules: FaultRuleFlags

    @Flag(help: "Try every fault kind at every fault point (the default when no --fault or --plan is given).")
    var explore = false

    @Flag(
        inversion: .prefixedNo, help: "Also try drop-silent: acknowledged writes that are lost, as in a failover (default: off).")
    var lostWrites: Bool?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Also try server-side faults where the host allows them (CLIENT PAUSE, DEBUG SLEEP, CLIENT KILL); they affect every client of the endpoint (default: off)."
    )
    var serverFaults: Bool?

    @OptionGroup var scripts: ScriptConfinementFlags

    @Option(
        help:
            "Seconds the application waits for a reply inside a trial; a delay fault holds a reply longer (default: \(SettingDefaults.shown(SettingDefaults.trialTimeout)))."
    )
    var trialTimeout: Double?

    @Option(help: "How many trials run at once (default: \(SettingDefaults.jobs)).")
    var jobs: Int?

    @Option(
        help:
            "Run each concurrent scenario this many times with all its clients (no fault) and report how often each invariant failed (default: \(SettingDefaults.trials))."
    )
    var trials: Int?

    @Option(help: "A shell command that restarts the endpoint; afterwards each scenario's keys are checked.")
    var restartCommand: String?

    @Option(help: "The same for the second endpoint.")
    var restartCommandB: String?

    @OptionGroup var connection: ConnectionFlags
    @OptionGroup var report: ReportFlags
    @OptionGroup var config: ConfigFlags

    func validate() throws {
        _ = try VariableOverrides.parse(variables)
        let given = faultRules.given
        guard !(explore && given) else {
            throw ValidationError("--explore tries every fault itself; leave out --fault and --plan, or --explore")
        }
        guard !(lostWrites == true && given) else {
            throw ValidationError("--lost-writes belongs to the exploration; it cannot be combined with --fault or --plan")
        }
        guard !(serverFaults == true && given) else {
            throw ValidationError("--server-faults belongs to the exploration; it cannot be combined with --fault or --plan")
        }
        try NumberOption.check(trialTimeout, "--trial-timeout", in: 0.001...60, unit: " seconds")
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be between 1 and 64") }
        if let trials, !(1...1000).contains(trials) { throw ValidationError("--trials must be from 1 to 1000, got \(trials)") }
    }

    func run() async throws {
        let file = try config.load()
        guard let a = try EndpointArguments.resolve(endpoint, role: "A", config: file) else {
            throw EndpointArguments.missing("inject needs an endpoint")
        }
        let b = try EndpointArguments.resolve(endpointB, role: "B", config: file)
        guard restartCommandB == nil || b != nil else { throw UsageError(message: "--restart-command-b needs a second endpoint") }
        let loaded = try ScenarioSelection.load(scenarios, config: file, limits: config.limits(file))
        try VariableOverrides.check(try VariableOverrides.parse(variables), against: loaded)
        let overrides = try VariableOverrides.merged(variables, config: file)
        for scenario in loaded { try scenario.checkBindings(overrides: overrides) }
        let limits = config.limits(file)
        let settings = file?.inject ?? AuditConfig.InjectSettings()
        let faults = try FaultSelection.resolve(
            given: faultRules.given ? try faultRules.rules(limits: limits) : nil, explore: explore, lostWrites: lostWrites,
            serverFaults: serverFaults, settings: settings, limits: limits)
        let report = self.report.applying(file)
        let configuration = InjectConfiguration(
            endpoints: [a, b].compactMap { $0 }, connection: connection.options(file), scenarios: loaded, overrides: overrides,
            rules: faults.rules, lostWrites: faults.lostWrites,
            trialTimeout: .milliseconds(Int64((trialTimeout ?? settings.trialTimeout ?? SettingDefaults.trialTimeout) * 1000)),
            jobs: jobs ?? settings.jobs ?? SettingDefaults.jobs, failOn: report.threshold,
            restartCommands: [restartCommand, restartCommandB],
            serverFaults: faults.serverFaults, trials: trials ?? settings.trials ?? SettingDefaults.trials,
            allowUnconfinedScripts: scripts.allowUnconfined(config: settings.allowUnconfinedScripts))
        try await report.run { logger, interruption in
            var configuration = configuration
            configuration.endpoints = try await EndpointArguments.inspect(
                configuration.endpoints, for: .replay, options: configuration.connection)
            return try await InjectAudit(configuration: configuration, logger: logger, interruption: interruption).run()
        }
    }
}
