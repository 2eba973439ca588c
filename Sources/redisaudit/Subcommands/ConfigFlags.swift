import ArgumentParser
import Foundation
import RedisAudit

/// `--config FILE`, or `redisaudit.yaml` in the working directory when there is one: the
/// settings a gate runs with; every command-line flag overrides them.
struct ConfigFlags: ParsableArguments {
    @Option(help: "A config file (default: ./redisaudit.yaml when it exists); command-line flags override it.")
    var config: String?

    @OptionGroup var limitFlags: InputLimitFlags

    /// The config file in force, nil when there is none; a bad file is a FILE:LINE usage error.
    func load() throws -> AuditConfig? {
        if let config {
            guard FileManager.default.fileExists(atPath: config) else {
                throw UsageError(message: "--config \(config): no such file")
            }
            return try AuditConfig.load(contentsOf: config, limits: limitFlags.limits())
        }
        guard FileManager.default.fileExists(atPath: AuditConfig.defaultFileName) else { return nil }
        return try AuditConfig.load(contentsOf: AuditConfig.defaultFileName, limits: limitFlags.limits())
    }

    /// The input limits in force: the flags, else the config file's `limits:`, else the defaults.
    func limits(_ file: AuditConfig?) -> InputLimits { limitFlags.limits(file) }
}

extension EndpointArguments {
    /// Endpoint `role` from the command line when given there, else from the config file.
    static func resolve(_ argument: String?, role: String, config: AuditConfig?) throws -> Endpoint? {
        if let argument { return try parse(argument, role: role) }
        guard let entry = role == "A" ? config?.endpointA : config?.endpointB else { return nil }
        var names = ["REDISAUDIT_PASSWORD_\(role)", "REDISAUDIT_PASSWORD"]
        if let name = entry.passwordEnvironment {
            guard ProcessInfo.processInfo.environment[name] != nil else {
                let place = entry.location?.description ?? config?.file ?? "config"
                throw UsageError(
                    message: "\(place): endpoint \(role.lowercased()) takes its password from \(name), which is not set"
                )
            }
            names = [name]
        }
        return try Endpoint.parse(entry.url, passwordEnvironment: names)
    }

    /// The usage error for an endpoint given neither on the command line nor in a config file.
    static func missing(_ what: String) -> UsageError {
        UsageError(
            message: "\(what): give it on the command line or under endpoints: in \(AuditConfig.defaultFileName) (--config FILE)")
    }
}

extension VariableOverrides {
    /// The config file's variables with the command line's on top (the last value of a name wins).
    static func merged(_ cli: [String], config: AuditConfig?) throws -> [String: String] {
        try parse((config?.variables ?? []) + cli)
    }
}

extension ScenarioSelection {
    /// The command line's scenarios, else the config file's, else every built-in one.
    static func load(_ cli: [String], config: AuditConfig?, limits: InputLimits) throws -> [Scenario] {
        try load(cli.isEmpty ? (config?.scenarios ?? []) : cli, limits: limits)
    }
}

extension ReportFlags {
    /// These flags with what they leave unsaid taken from the config file.
    func applying(_ config: AuditConfig?) -> ReportFlags {
        guard let config else { return self }
        var flags = self
        if flags.failOn == nil { flags.failOn = config.failOn }
        if flags.baseline == nil { flags.baseline = config.baseline }
        if flags.output == nil, flags.format ?? .markdown == .markdown { flags.output = config.outputs.markdown }
        if flags.jsonOutput == nil { flags.jsonOutput = config.outputs.json }
        if flags.junitOutput == nil { flags.junitOutput = config.outputs.junit }
        if flags.htmlOutput == nil { flags.htmlOutput = config.outputs.html }
        return flags
    }
}
