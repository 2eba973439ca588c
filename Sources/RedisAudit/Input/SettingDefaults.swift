import NIOCore

/// Every setting's default, declared once: the flags' help, the config file's absent keys and
/// the configurations all take them from here.
public enum SettingDefaults {
    /// `--connect-timeout`, seconds.
    public static let connectTimeout = 5.0
    /// `--command-timeout`, seconds.
    public static let commandTimeout = 5.0
    /// `compare --ttl-tolerance`, seconds.
    public static let ttlTolerance = 2.0
    /// `compare --trials` and `inject --trials`.
    public static let trials = 1
    /// `inject --trial-timeout`, seconds.
    public static let trialTimeout = 0.5
    /// `inject --jobs`.
    public static let jobs = 8
    /// `keyspace --count` (SCAN COUNT).
    public static let scanCount = 1000
    /// `keyspace --ttl-ratio`.
    public static let ttlRatio = 1.5
    /// `keyspace --count-tolerance`.
    public static let countTolerance = 0.1
    /// `proxy --event-loops`: one thread per core, as haproxy's `nbthread` defaults to.
    public static let proxyEventLoops = max(1, min(64, System.coreCount))

    /// A default as the help text shows it: `5`, `0.5`.
    public static func shown(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}
