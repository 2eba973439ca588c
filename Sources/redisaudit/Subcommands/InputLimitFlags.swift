import ArgumentParser
import RedisAudit

/// `--max-file-bytes`, `--max-argument-bytes`, ...: how much input the scenario, config,
/// baseline and fault-plan files may bring; each overrides `limits:` in the config file.
struct InputLimitFlags: ParsableArguments {
    @Option(
        help:
            "Largest scenario, config, baseline or fault-plan file read, in bytes (default: \(InputLimits.defaults.maxFileBytes))."
    )
    var maxFileBytes: Int?

    @Option(help: "Most YAML aliases (*name) in one file (default: \(InputLimits.defaults.maxYAMLAliases)).")
    var maxYamlAliases: Int?

    @Option(
        help:
            "Most a YAML file may weigh with its aliases expanded, in bytes (default: \(InputLimits.defaults.maxYAMLExpandedBytes))."
    )
    var maxYamlExpandedBytes: Int?

    @Option(
        help:
            "Largest command argument once its variables are filled in, in bytes (default: \(InputLimits.defaults.maxArgumentBytes))."
    )
    var maxArgumentBytes: Int?

    @Option(help: "Largest step (all its arguments) once expanded, in bytes (default: \(InputLimits.defaults.maxStepBytes)).")
    var maxStepBytes: Int?

    @Option(help: "Most steps in one scenario (default: \(InputLimits.defaults.maxSteps)).")
    var maxSteps: Int?

    @Option(
        help:
            "Most commands one scenario run may send: concurrent clients × commands × retries (default: \(InputLimits.defaults.maxCommands))."
    )
    var maxCommands: Int?

    /// The flags given, by setting name (`max-file-bytes`).
    var given: [String: Int] {
        let values: [(String, Int?)] = [
            ("max-file-bytes", maxFileBytes), ("max-yaml-aliases", maxYamlAliases),
            ("max-yaml-expanded-bytes", maxYamlExpandedBytes), ("max-argument-bytes", maxArgumentBytes),
            ("max-step-bytes", maxStepBytes), ("max-steps", maxSteps), ("max-commands", maxCommands),
        ]
        return Dictionary(uniqueKeysWithValues: values.compactMap { name, value in value.map { (name, $0) } })
    }

    func validate() throws {
        for (name, value) in given where value < 1 {
            throw ValidationError("--\(name) must be at least 1, got \(value)")
        }
    }

    /// The limits in force: these flags, else the config file's `limits:`, else the defaults.
    func limits(_ config: AuditConfig? = nil) -> InputLimits {
        InputLimits.resolved(given, config: config?.limits ?? [:])
    }
}
