/// Which faults an inject run applies, once the command line, the config file's `inject:`
/// section and the defaults are merged: given rules (the command line's, else the file's unless
/// `--explore` asks for the exploration) run each scenario once with them; no rules explore
/// every fault point, with the lost-write and server-fault kinds when asked for.
public struct FaultSelection: Sendable {
    public var rules: [FaultRule]
    public var lostWrites: Bool
    public var serverFaults: Bool

    /// A plan file's rules, then the rule strings, as `--plan` and `--fault` (and the config
    /// file's `inject.plan` and `inject.faults`) give them.
    public static func rules(faults: [String], plan: String?, limits: InputLimits = .defaults) throws -> [FaultRule] {
        let planned = try plan.map { path throws(InputError) in try FaultPlan.load(contentsOf: path, limits: limits) } ?? []
        return try planned + faults.map { rule throws(FaultRuleError) in try FaultRule.parse(rule) }
    }

    /// Merges the command line (`given` nil when it names no rule) over the config file's settings.
    public static func resolve(
        given: [FaultRule]?, explore: Bool, lostWrites: Bool?, serverFaults: Bool?,
        settings: AuditConfig.InjectSettings, limits: InputLimits = .defaults
    ) throws -> FaultSelection {
        var rules = given ?? []
        if given == nil && !explore {
            rules = try Self.rules(faults: settings.faults, plan: settings.plan, limits: limits)
        }
        // The exploration's own kinds mean nothing beside given rules.
        return FaultSelection(
            rules: rules,
            lostWrites: lostWrites ?? (rules.isEmpty ? settings.lostWrites ?? false : false),
            serverFaults: serverFaults ?? (rules.isEmpty ? settings.serverFaults ?? false : false))
    }
}
