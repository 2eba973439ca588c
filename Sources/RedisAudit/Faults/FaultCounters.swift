import NIOConcurrencyHelpers

/// How many times each rule fired, across every connection of a proxy.
public final class FaultCounters: Sendable {
    /// The rules, in the order given.
    public let rules: [FaultRule]
    private let counts: NIOLockedValueBox<[Int]>
    /// Matching commands so far over every connection, for the rules with `scope=run`.
    private let runMatches: NIOLockedValueBox<[Int]>

    public init(rules: [FaultRule]) {
        self.rules = rules
        counts = NIOLockedValueBox(Array(repeating: 0, count: rules.count))
        runMatches = NIOLockedValueBox(Array(repeating: 0, count: rules.count))
    }

    /// Counts one more command matching rule `index` in the run; returns the count so far.
    func matchedInRun(_ index: Int) -> Int {
        runMatches.withLockedValue { matches in
            matches[index] += 1
            return matches[index]
        }
    }

    /// Counts one firing of rule `index` (the lock is taken only when a fault fires).
    func fired(_ index: Int) {
        counts.withLockedValue { $0[index] += 1 }
    }

    /// Each rule with how many times it fired.
    public var snapshot: [(rule: String, fired: Int)] {
        let values = counts.withLockedValue { $0 }
        return zip(rules, values).map { ($0.text, $1) }
    }
}
