import Foundation

/// Reads scenario files (YAML) into `Scenario` values, checking everything that can be checked
/// before an endpoint is touched: the file's shape, variable references, every command the
/// command table lists (a command it does not list is looked up on the endpoints when the
/// scenario runs, see `CommandCatalog`), expectations, invariants and error policies.
///
/// Every error points at the line it is about: `login.yaml:12: undefined variable ${userid}`.
///
/// Spellings chosen where the format leaves a choice:
/// - `on_error`: `abort` (default), `continue`, `as-null`, or retry as `{ retry: N }`
///   (also accepted as the text `retry:N`), N from 1 to 100.
/// - `client`: a preset (`none`, the default, or `redis-py`), or `{ preset, retries, on,
///   backoff, resend }` with `retries` from 0 to 100, `on` a list of `connection-lost`,
///   `timeout` and error classes (capitals), `backoff` `none` or `{ base_ms, cap_ms }` (0 to
///   60000, cap not below base), `resend` `whole` or `unacknowledged`.
/// - an error reply is expected with `error: CLASS` (`error: WRONGTYPE`), or `error: any`
///   (also `error: true`) for any error.
/// - a type invariant is `{ type: KEY, is: string|list|set|zset|hash|stream }`.
/// - `{ random: hex }` makes 32 hex digits unless `length: N` (1 to 4096) says otherwise;
///   `{ random: uuid }` makes a version 4 UUID.
/// - a literal variable may use variables defined above it (`key: "rt:${userId}"`).
/// - `$${` is a literal `${`.
/// - inside `concurrent`, `${client}` is the client's 0-based index; `capture: NAME` defines
///   `${NAME}` for the client's later steps (a nil reply, or a step that did not run, as empty
///   text); `if: { var: NAME, lt: VALUE }` compares numerically when both sides are integers
///   (empty counts as 0), else as text.
public enum ScenarioLoader {
    /// Loads a scenario file, refusing one past `limits` before building what it would expand to.
    public static func load(contentsOf path: String, limits: InputLimits = .defaults) throws(InputError) -> Scenario {
        try parse(yaml: InputFile.read(path, what: "scenario file", limits: limits), file: path, limits: limits)
    }

    /// Parses a scenario from YAML text; `file` is the name used in errors and reports.
    public static func parse(yaml: String, file: String, limits: InputLimits = .defaults) throws(InputError) -> Scenario {
        let document = try YAMLDocument.parse(yaml, file: file, limits: limits)
        guard let root = document.root else {
            throw InputError("empty scenario file: expected name, steps, ...", at: SourceLocation(file: file, line: 1))
        }
        var reader = ScenarioReader(document: document, maxSteps: limits.maxSteps)
        var scenario = try reader.scenario(root)
        scenario.limits = limits
        // Binding the file's own values checks every size and count against the limits.
        _ = try scenario.bind()
        return scenario
    }

    /// Resolves `--scenario NAME|FILE`: a path to an existing file, else a built-in scenario's name.
    public static func resolve(_ nameOrPath: String, limits: InputLimits = .defaults) throws(InputError) -> Scenario {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try load(contentsOf: nameOrPath, limits: limits)
        }
        if let scenario = try BuiltinScenarios.named(nameOrPath) {
            return scenario
        }
        let names = BuiltinScenarios.names
        let builtins =
            names.isEmpty
            ? "no built-in scenarios found; set \(BuiltinScenarios.environmentVariable) to their directory"
            : "built-in scenarios: " + names.joined(separator: ", ")
        throw InputError("no scenario file or built-in scenario named '\(nameOrPath)' (\(builtins))")
    }
}
