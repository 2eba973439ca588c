/// A `--plan` file: fault rules in the one rule syntax, as YAML.
///
///     # what the checkout service should survive
///     faults:
///       - kill-after:EXPIRE
///       - drop:DEL:reply=-ERR lost
public enum FaultPlan {
    /// The plan file's only key.
    static let topLevelKeys = ["faults"]

    /// Loads a plan file; errors say `FILE:LINE: what`.
    public static func load(contentsOf path: String, limits: InputLimits = .defaults) throws(InputError) -> [FaultRule] {
        try parse(YAMLDocument.load(contentsOf: path, what: "fault plan", limits: limits))
    }

    /// Parses a plan from YAML text; `file` is the name used in errors.
    public static func parse(yaml: String, file: String) throws(InputError) -> [FaultRule] {
        try parse(YAMLDocument.parse(yaml, file: file))
    }

    private static func parse(_ document: YAMLDocument) throws(InputError) -> [FaultRule] {
        guard document.root?.mapping != nil else {
            throw document.error("a fault plan is a mapping: faults: [RULE, ...]", at: document.root)
        }
        var rules: [FaultRule] = []
        for (_, _, value) in try document.mapping(document.root, accepted: topLevelKeys, what: nil) {
            if value.null != nil { continue }
            guard let entries = value.sequence else {
                throw document.error("faults must be a list of rules: faults: [RULE, ...]", at: value)
            }
            for entry in entries {
                guard let text = entry.scalar?.string else {
                    throw document.error("a fault is one rule string, KIND[:COMMAND][:param=value,...]", at: entry)
                }
                do throws(FaultRuleError) {
                    rules.append(try FaultRule.parse(text))
                } catch {
                    throw document.error("invalid fault rule '\(text)': \(error.reason)", at: entry)
                }
            }
        }
        return rules
    }
}
