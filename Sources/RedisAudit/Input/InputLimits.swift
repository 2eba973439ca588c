/// How much input a run accepts: the size of a file read, what its YAML may expand to through
/// aliases, and what a scenario's commands may expand to through its variables. Each is checked
/// before the thing it bounds is built, and going past one is a `FILE:LINE` usage error.
///
/// Every limit is a flag (`--max-file-bytes`, ...) and a key under `limits:` in the config file.
public struct InputLimits: Hashable, Sendable {
    /// The largest scenario, config, baseline or fault-plan file read, in bytes.
    public var maxFileBytes: Int
    /// The most aliases (`*name`) one YAML document may use.
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
    /// with every retry an `on_error: { retry: N }` and the scenario's `client:` allow.
    public var maxCommands: Int

    /// The defaults are generous for any real scenario, and small enough that a hostile file is
    /// refused in well under a second and a few megabytes.
    public init(
        maxFileBytes: Int = 1 << 20, maxYAMLAliases: Int = 1_000, maxYAMLExpandedBytes: Int = 8 << 20,
        maxArgumentBytes: Int = 16 << 20, maxStepBytes: Int = 64 << 20, maxSteps: Int = 10_000,
        maxCommands: Int = 10_000_000
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxYAMLAliases = maxYAMLAliases
        self.maxYAMLExpandedBytes = maxYAMLExpandedBytes
        self.maxArgumentBytes = maxArgumentBytes
        self.maxStepBytes = maxStepBytes
        self.maxSteps = maxSteps
        self.maxCommands = maxCommands
    }

    /// Every limit at its default.
    public static let defaults = InputLimits()

    /// One limit: its flag and config key (the same words), and where it is kept.
    public struct Setting: Sendable {
        /// `max-file-bytes`: the flag is `--max-file-bytes`, the config key `limits.max-file-bytes`.
        public let name: String
        public let keyPath: WritableKeyPath<InputLimits, Int> & Sendable
    }

    /// Every limit, in the order the help and the docs list them.
    public static let settings: [Setting] = [
        Setting(name: "max-file-bytes", keyPath: \.maxFileBytes),
        Setting(name: "max-yaml-aliases", keyPath: \.maxYAMLAliases),
        Setting(name: "max-yaml-expanded-bytes", keyPath: \.maxYAMLExpandedBytes),
        Setting(name: "max-argument-bytes", keyPath: \.maxArgumentBytes),
        Setting(name: "max-step-bytes", keyPath: \.maxStepBytes),
        Setting(name: "max-steps", keyPath: \.maxSteps),
        Setting(name: "max-commands", keyPath: \.maxCommands),
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
