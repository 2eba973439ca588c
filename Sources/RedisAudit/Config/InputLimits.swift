/// How much input a run accepts: the size of a file read, what its YAML may expand to through
/// aliases, and what a scenario's commands may expand to through its variables. Each is checked
/// before the thing it bounds is built, and going past one is a `FILE:LINE` usage error.
///
/// Every limit is a flag (`--max-file-bytes`, ...) and a key under `limits:` in the config file.
public struct InputLimits: Hashable, Sendable {
    /// The largest scenario, config, baseline or fault-plan file read, in bytes.
    public var maxFileBytes: Int
    /// The most aliases (`*name`) to lists and mappings one YAML document may use.
    public var maxYAMLAliases: Int
    /// The most a YAML document may weigh once its aliases are expanded: every node counts
    /// `YAMLExpansion.nodeWeight` bytes plus the bytes of its text.
    public var maxYAMLExpandedBytes: Int
    /// The largest expanded argument of one command (a variable counts where it is used).
    public var maxArgumentBytes: Int
    /// The largest expanded step: all arguments of its commands together.
    public var maxStepBytes: Int
    /// The most steps a scenario may have, counting each concurrent block's steps.
    public var maxSteps: Int
    /// The most commands one run of a scenario may send: concurrent clients × their commands,
    /// with every retry an `on_error: { retry: N }` allows.
    public var maxCommands: Int

    public init(
        maxFileBytes: Int = Self.defaults.maxFileBytes, maxYAMLAliases: Int = Self.defaults.maxYAMLAliases,
        maxYAMLExpandedBytes: Int = Self.defaults.maxYAMLExpandedBytes,
        maxArgumentBytes: Int = Self.defaults.maxArgumentBytes, maxStepBytes: Int = Self.defaults.maxStepBytes,
        maxSteps: Int = Self.defaults.maxSteps, maxCommands: Int = Self.defaults.maxCommands
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxYAMLAliases = maxYAMLAliases
        self.maxYAMLExpandedBytes = maxYAMLExpandedBytes
        self.maxArgumentBytes = maxArgumentBytes
        self.maxStepBytes = maxStepBytes
        self.maxSteps = maxSteps
        self.maxCommands = maxCommands
    }

    private init(
        file: Int, aliases: Int, expanded: Int, argument: Int, step: Int, steps: Int, commands: Int
    ) {
        maxFileBytes = file
        maxYAMLAliases = aliases
        maxYAMLExpandedBytes = expanded
        maxArgumentBytes = argument
        maxStepBytes = step
        maxSteps = steps
        maxCommands = commands
    }

    /// The defaults: generous for any real scenario, small enough that a hostile file is
    /// refused in well under a second and a few megabytes.
    public static let defaults = InputLimits(
        file: 1 << 20, aliases: 1_000, expanded: 8 << 20, argument: 16 << 20, step: 64 << 20, steps: 10_000,
        commands: 10_000_000)

    /// One limit: its flag and config key (the same words), and how to read and set it.
    public struct Setting: Sendable {
        /// `max-file-bytes`: the flag is `--max-file-bytes`, the config key `limits.max-file-bytes`.
        public let name: String
        public let help: String
        public let keyPath: WritableKeyPath<InputLimits, Int> & Sendable
    }

    /// Every limit, in the order the help and the docs list them.
    public static let settings: [Setting] = [
        Setting(
            name: "max-file-bytes", help: "Largest scenario, config, baseline or fault-plan file read", keyPath: \.maxFileBytes),
        Setting(name: "max-yaml-aliases", help: "Most YAML aliases to lists and mappings in one file", keyPath: \.maxYAMLAliases),
        Setting(
            name: "max-yaml-expanded-bytes", help: "Most a YAML file may weigh with its aliases expanded",
            keyPath: \.maxYAMLExpandedBytes),
        Setting(name: "max-argument-bytes", help: "Largest expanded command argument", keyPath: \.maxArgumentBytes),
        Setting(name: "max-step-bytes", help: "Largest expanded step (all its arguments)", keyPath: \.maxStepBytes),
        Setting(name: "max-steps", help: "Most steps in one scenario", keyPath: \.maxSteps),
        Setting(
            name: "max-commands", help: "Most commands one scenario run may send (clients × commands × retries)",
            keyPath: \.maxCommands),
    ]

    /// Each limit from `flags` (by setting name), else from `config` (the config file's
    /// `limits:`), else its default.
    public static func resolved(_ flags: [String: Int], config: [String: Int]) -> InputLimits {
        var limits = InputLimits.defaults
        for setting in settings {
            if let value = flags[setting.name] ?? config[setting.name] { limits[keyPath: setting.keyPath] = value }
        }
        return limits
    }

    /// The config file's `limits:` keys: these limits, and the reply limits of every connection.
    public static let configKeys = settings.map(\.name) + ["max-reply-bytes", "max-buffered-bytes"]
}
