/// Which commands a rule hits: a command name, the N-th match on a connection, a probability.
public struct FaultTarget: Sendable, Hashable {
    /// Only commands with this (upper-cased) name; nil: every command.
    public var command: String?
    /// Only the N-th matching command (on each connection, or in the run, as `scope` says).
    public var nth: Int?
    /// What `nth` counts over.
    public var scope: FaultScope
    /// Each matching command with this probability.
    public var probability: Double?
    /// Seed of the random numbers behind `probability` and jitter.
    public var seed: UInt64

    /// A target built in code; `command` is upper-cased.
    public init(
        command: String?, nth: Int? = nil, scope: FaultScope = .connection, probability: Double? = nil, seed: UInt64 = 0
    ) {
        self.command = command?.uppercased()
        self.nth = nth
        self.scope = scope
        self.probability = probability
        self.seed = seed
    }

    init(command: String?, parameters: [String: String]) throws(FaultRuleError) {
        self.command = command
        if let text = parameters["nth"] {
            guard let n = Int(text), n >= 1 else { throw FaultRuleError("nth must be a whole number from 1 (got '\(text)')") }
            nth = n
        }
        if let text = parameters["scope"] {
            guard let value = FaultScope(rawValue: text) else {
                throw FaultRuleError("scope must be connection or run (got '\(text)')")
            }
            scope = value
        } else {
            scope = .connection
        }
        if let text = parameters["probability"] {
            guard let p = Double(text), p >= 0, p <= 1 else {
                throw FaultRuleError("probability must be a number from 0 to 1 (got '\(text)')")
            }
            probability = p
        }
        if let text = parameters["seed"] {
            guard let s = UInt64(text) else { throw FaultRuleError("seed must be a non-negative whole number (got '\(text)')") }
            seed = s
        } else {
            seed = UInt64.random(in: 0...UInt64.max)
        }
    }
}
