/// A `concurrent` step: the same group of steps run by `clients` clients at once, each on its
/// own connection, all released together once every connection is open.
///
/// ```
///   open N connections (concurrently) ─▶ barrier ─▶ client 0: step, step, ...
///                                               ├─▶ client 1: step, step, ...
///                                               └─▶ client N-1: ...          ─▶ tallies, outcomes
/// ```
public struct ConcurrentBlock: Hashable, Sendable {
    /// How many clients run the steps; a template so `--var clients=1000` changes it.
    public var clients: Template
    /// The steps each client runs in order (`command`, `pipeline`, `transaction` or `script`).
    public var steps: [Step]
    public var location: SourceLocation

    public init(clients: Template, steps: [Step], location: SourceLocation) {
        self.clients = clients
        self.steps = steps
        self.location = location
    }

    /// The variable holding each client's 0-based index.
    public static let clientVariable = "client"
    /// The most clients one block may run.
    public static let maxClients = 10_000

    /// The client count for one run's bindings.
    public func clientCount(_ bindings: VariableBindings) throws(InputError) -> Int {
        let text = try clients.render(bindings)
        guard let n = Int(text), (1...Self.maxClients).contains(n) else {
            throw InputError(
                "concurrent clients must be a whole number from 1 to \(Self.maxClients), got '\(text)'", at: location)
        }
        return n
    }
}

/// How a client's text is compared with a value: numerically when the value is a whole number
/// and the text is one too or empty (a nil reply counts as 0, as `parseInt(x ?? '0')` does);
/// otherwise as text, so `eq: ""` tells a miss from a stored `0`.
public enum Comparison: String, Hashable, Sendable, CaseIterable {
    case lt, le, gt, ge, eq, ne

    /// True when `lhs OP rhs` holds.
    public func holds(_ lhs: String, _ rhs: String) -> Bool {
        if let b = Int64(rhs), let a = lhs.isEmpty ? 0 : Int64(lhs) { return compare(a, b) }
        return compare(lhs, rhs)
    }

    private func compare<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .lt: return a < b
        case .le: return a <= b
        case .gt: return a > b
        case .ge: return a >= b
        case .eq: return a == b
        case .ne: return a != b
        }
    }
}

/// One condition of `if: { var: NAME, lt: VALUE }` (or a list of them, all of which must hold).
public struct StepCondition: Hashable, Sendable {
    public var variable: String
    public var comparison: Comparison
    public var value: Template
    public var location: SourceLocation

    public init(variable: String, comparison: Comparison, value: Template, location: SourceLocation) {
        self.variable = variable
        self.comparison = comparison
        self.value = value
        self.location = location
    }
}

/// `tally: NAME` or `tally: { name: NAME, gt: 0 }`: counts the clients whose step ran without an
/// error reply and, with a comparison, whose reply (as text, nil as empty) satisfies it.
public struct Tally: Hashable, Sendable {
    public var name: String
    public var comparison: Comparison?
    public var value: Template?

    public init(name: String, comparison: Comparison? = nil, value: Template? = nil) {
        self.name = name
        self.comparison = comparison
        self.value = value
    }
}

/// An invariant's bound: a whole number or a template that renders to one (`"${capacity}"`).
public struct Bound: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var template: Template

    public init(_ template: Template) { self.template = template }
    public init(integerLiteral value: Int64) { self.template = Template(String(value)) }

    public var description: String { template.raw }

    /// The bound's value for one run.
    public func value(_ bindings: VariableBindings) throws(InputError) -> Int64 {
        let text = try template.render(bindings)
        guard let n = Int64(text) else {
            throw InputError("invariant bound '\(template.raw)' is '\(text)', not a whole number")
        }
        return n
    }
}

extension Scenario {
    /// True when a step runs clients concurrently.
    public var isConcurrent: Bool {
        steps.contains { if case .concurrent = $0.kind { return true } else { return false } }
    }

    /// The scenario as one client sees it: every `concurrent` block replaced by its steps, run
    /// once with `${client}` = 0. `inject` explores this form: a fault point per command of one
    /// client, not the race (which `--trials` shows).
    public var singleClient: Scenario {
        guard isConcurrent else { return self }
        var copy = self
        copy.steps = steps.flatMap { step -> [Step] in
            guard case .concurrent(let block) = step.kind else { return [step] }
            return block.steps
        }
        if !copy.variables.contains(where: { $0.name == ConcurrentBlock.clientVariable }) {
            copy.variables.insert(
                VariableDefinition(
                    name: ConcurrentBlock.clientVariable, value: .literal("0"), location: SourceLocation(file: file, line: 1)),
                at: 0)
        }
        return copy
    }

    /// Every tally name the scenario's steps declare.
    public var tallyNames: [String] {
        var names: [String] = []
        for step in steps {
            let inner: [Step]
            if case .concurrent(let block) = step.kind { inner = block.steps } else { inner = [step] }
            for s in inner { if let t = s.tally, !names.contains(t.name) { names.append(t.name) } }
        }
        return names
    }
}

extension Scenario {
    /// Binds the variables once and checks what depends on their values (each concurrent
    /// block's client count), so a bad `--var` is a usage error before anything connects.
    public func checkBindings(overrides: [String: String]) throws(InputError) {
        let known = Set(variableNames)
        let bindings = try bind(overrides: overrides.filter { known.contains($0.key) })
        for step in steps {
            if case .concurrent(let block) = step.kind { _ = try block.clientCount(bindings) }
        }
    }
}
