import ArgumentParser
import Foundation
import RedisAudit

/// `redisaudit compare A B`: replay the scenarios on both endpoints and report differences.
struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay scenarios on two endpoints and report every difference, ranked.",
        discussion: """
            Endpoints: redis://[user[:password]@]host[:port][/db], rediss://... (TLS), unix:///path.sock[?db=N],
            redis+sentinel://[user@]host:port[,host:port...]/master (the primary the Sentinels name),
            upstash+https://host[:port] (Upstash's REST API; upstash+http:// for a local rest-gateway; the token
            is the password).
            Keep passwords out of shell history: leave them out of the URL and set
            REDISAUDIT_PASSWORD_A / REDISAUDIT_PASSWORD_B (or REDISAUDIT_PASSWORD for both).

            Settings (endpoints too) can come from redisaudit.yaml in the working directory or --config FILE; \
            flags override them. Known differences go in a baseline (redisaudit baseline write) given with --baseline.

            Example: redisaudit compare redis://127.0.0.1:6379 rediss://default@cache.example.com:6380 --scenario login
            """
    )

    @Argument(help: "Endpoint A (the current host); default: endpoints.a of the config file.")
    var endpointA: String?

    @Argument(help: "Endpoint B (the new host); default: endpoints.b of the config file.")
    var endpointB: String?

    @Option(
        name: .customLong("scenario"), help: "A built-in scenario name or a scenario file (repeatable; default: all built-in).")
    var scenarios: [String] = []

    @Option(name: .customLong("var"), help: "Override a scenario variable: name=value (repeatable).")
    var variables: [String] = []

    @Option(
        help:
            "Seconds two TTLs may differ before they count as different (default: \(SettingDefaults.shown(SettingDefaults.ttlTolerance)))."
    )
    var ttlTolerance: Double?

    @Option(
        help:
            "Run each concurrent scenario this many times on each side and report how often each invariant failed (default: \(SettingDefaults.trials))."
    )
    var trials: Int?

    @Option(
        help: ArgumentHelp(
            "Fail on findings both endpoints share at or above this severity: critical, high, medium, low, info or never (default: never).",
            discussion:
                "A finding with the same outcome on both endpoints (the same invariant failing the same way, the same race) is about the scripts, not the move; it is reported in its own section and fails the run only at or above this threshold."
        ))
    var failOnShared: String?

    @OptionGroup var scripts: ScriptConfinementFlags

    @OptionGroup var connection: ConnectionFlags
    @OptionGroup var report: ReportFlags
    @OptionGroup var config: ConfigFlags

    func validate() throws {
        try NumberOption.check(ttlTolerance, "--ttl-tolerance", in: 0...86_400, unit: " seconds")
        if let trials, !(1...1000).contains(trials) { throw ValidationError("--trials must be from 1 to 1000, got \(trials)") }
        _ = try VariableOverrides.parse(variables)
        if let failOnShared, FailThreshold(failOnShared) == nil {
            throw ValidationError(
                "--fail-on-shared must be one of critical, high, medium, low, info, never (got '\(failOnShared)')")
        }
    }

    func run() async throws {
        let file = try config.load()
        guard let a = try EndpointArguments.resolve(endpointA, role: "A", config: file) else {
            throw EndpointArguments.missing("compare needs endpoint A")
        }
        guard let b = try EndpointArguments.resolve(endpointB, role: "B", config: file) else {
            throw EndpointArguments.missing("compare needs endpoint B")
        }
        let loaded = try ScenarioSelection.load(scenarios, config: file, limits: config.limits(file))
        try VariableOverrides.check(try VariableOverrides.parse(variables), against: loaded)
        let overrides = try VariableOverrides.merged(variables, config: file)
        for scenario in loaded { try scenario.checkBindings(overrides: overrides) }
        let report = self.report.applying(file)
        let configuration = CompareConfiguration(
            endpointA: a, endpointB: b, connection: connection.options(file), scenarios: loaded,
            overrides: overrides, ttlTolerance: ttlTolerance ?? file?.compare.ttlTolerance ?? SettingDefaults.ttlTolerance,
            failOn: report.threshold,
            trials: trials ?? file?.compare.trials ?? SettingDefaults.trials,
            failOnShared: (failOnShared ?? file?.compare.failOnShared).flatMap(FailThreshold.init)
                ?? FailPolicy.defaultFailOnShared,
            allowUnconfinedScripts: scripts.allowUnconfined(config: file?.compare.allowUnconfinedScripts))
        try await report.run { logger, interruption in
            var configuration = configuration
            let endpoints = try await EndpointArguments.inspect(
                [configuration.endpointA, configuration.endpointB], for: .replay, options: configuration.connection)
            (configuration.endpointA, configuration.endpointB) = (endpoints[0], endpoints[1])
            return try await CompareAudit(configuration: configuration, logger: logger, interruption: interruption).run()
        }
    }
}

/// Parsing `--var name=value` and checking the names exist.
enum VariableOverrides {
    static func parse(_ pairs: [String]) throws -> [String: String] {
        do {
            return try VariableBindings.parseOverrides(pairs)
        } catch {
            throw ValidationError("--var: \(error.message)")
        }
    }

    static func check(_ overrides: [String: String], against scenarios: [Scenario]) throws {
        let known = Set(scenarios.flatMap { $0.variables.map(\.name) })
        for name in overrides.keys.sorted() where !known.contains(name) {
            throw UsageError(
                message:
                    "--var \(name): no selected scenario has a variable named '\(name)' (known: \(known.sorted().joined(separator: ", ")))"
            )
        }
    }
}

/// Resolving `--scenario NAME|FILE` arguments.
enum ScenarioSelection {
    static func load(_ references: [String], limits: InputLimits) throws -> [Scenario] {
        if references.isEmpty { return try BuiltinScenarios.all() }
        return try references.map { try ScenarioLoader.resolve($0, limits: limits) }
    }
}
