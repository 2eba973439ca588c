/// A rule that cannot be used: what is wrong, the rule, and the accepted syntax.
public struct FaultRuleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var reason: String
    /// The rule as given, if known.
    public var rule: String?

    public init(_ reason: String, rule: String? = nil) {
        self.reason = reason
        self.rule = rule
    }

    public var description: String {
        let head = rule.map { "invalid fault rule '\($0)': \(reason)" } ?? "invalid fault rule: \(reason)"
        return head + "\n" + FaultRule.syntax
    }
}
