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
            once with those rules. Each trial is judged by what the application did (went on or stopped) and the state \
            read directly from the endpoint: silent corruption, error swallowed as not-found, double apply, partial \
            apply, hang, or survived.

            Example: redisaudit inject redis://127.0.0.1:6379 --scenario login --scenario refresh
            """
    )

    @Argument(help: "The endpoint to inject faults against.")
    var endpoint: String

    @Argument(help: "A second endpoint: the same exploration runs there too, and differences are findings.")
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

    @Flag(help: "Also try drop-silent: acknowledged writes that are lost, as in a failover.")
    var lostWrites = false

    @Flag(
        help:
            "Also try server-side faults where the host allows them (CLIENT PAUSE, DEBUG SLEEP, CLIENT KILL); they affect every client of the endpoint."
    )
    var serverFaults = false

    @Option(help: "Seconds the application waits for a reply inside a trial; a delay fault holds a reply longer.")
    var trialTimeout: Double = 0.5

    @Option(help: "How many trials run at once.")
    var jobs: Int = 8

    @Option(
        help:
            "Run each concurrent scenario this many times with all its clients (no fault) and report how often each invariant failed."
    )
    var trials: Int = 1

    @Option(help: "A shell command that restarts the endpoint; afterwards each scenario's keys are checked.")
    var restartCommand: String?

    @Option(help: "The same for the second endpoint.")
    var restartCommandB: String?

    @OptionGroup var connection: ConnectionFlags
    @OptionGroup var report: ReportFlags

    func validate() throws {
        _ = try VariableOverrides.parse(variables)
        let given = faultRules.given
        guard !(explore && given) else {
            throw ValidationError("--explore tries every fault itself; leave out --fault and --plan, or --explore")
        }
        guard !(lostWrites && given) else {
            throw ValidationError("--lost-writes belongs to the exploration; it cannot be combined with --fault or --plan")
        }
        guard !(serverFaults && given) else {
            throw ValidationError("--server-faults belongs to the exploration; it cannot be combined with --fault or --plan")
        }
        guard trialTimeout > 0, trialTimeout <= 60 else {
            throw ValidationError("--trial-timeout must be between 0 and 60 seconds")
        }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
        guard (1...1000).contains(trials) else { throw ValidationError("--trials must be from 1 to 1000, got \(trials)") }
        guard restartCommandB == nil || endpointB != nil else {
            throw ValidationError("--restart-command-b needs a second endpoint")
        }
    }

    func run() async throws {
        let endpoints = try EndpointArguments.parse(endpoint, endpointB)
        let loaded = try ScenarioSelection.load(scenarios)
        let overrides = try VariableOverrides.parse(variables)
        try VariableOverrides.check(overrides, against: loaded)
        let rules = try faultRules.rules()
        let configuration = InjectConfiguration(
            endpoints: endpoints, connection: connection.options, scenarios: loaded, overrides: overrides, rules: rules,
            lostWrites: lostWrites, trialTimeout: .milliseconds(Int64(trialTimeout * 1000)), jobs: jobs,
            failOn: report.threshold, restartCommands: [restartCommand, restartCommandB], serverFaults: serverFaults,
            trials: trials)
        try await report.run { logger, interruption in
            try await InjectAudit(configuration: configuration, logger: logger, interruption: interruption).run()
        }
    }
}
