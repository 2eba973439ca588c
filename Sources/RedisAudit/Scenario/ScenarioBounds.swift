/// What a scenario's commands expand to, worked out by arithmetic over its templates and the
/// sizes of its variables' values, before any value is built: a variable repeating another ten
/// times, ten levels deep, is refused at its definition instead of being rendered.
///
/// ```
///   sizes of the variables (overrides, literals, generators)  ─▶ each ≤ max-argument-bytes
///   size of each argument, of each step                       ─▶ max-argument-bytes, max-step-bytes
///   steps, and commands per run (clients × commands × tries)  ─▶ max-steps, max-commands
/// ```
///
/// A value captured inside a concurrent block counts as empty here; the reply it comes from
/// is bounded by `--max-reply-bytes`.
enum ScenarioBounds {
    /// The size of every variable's value, in file order, with `overrides` in place of their
    /// definitions; throws at the definition of the first one past `max-argument-bytes`.
    static func variableSizes(
        _ scenario: Scenario, overrides: [String: String], limits: InputLimits
    ) throws(InputError) -> [String: Int] {
        var sizes: [String: Int] = [:]
        for variable in scenario.variables {
            let size: Int?
            if let value = overrides[variable.name] {
                size = value.utf8.count
            } else {
                switch variable.value {
                case .literal(let text): size = Self.size(of: Template(text), sizes)
                case .random(_, let length): size = length
                }
            }
            guard let size, size <= limits.maxArgumentBytes else {
                throw InputError(
                    "variable '\(variable.name)' expands to \(shown(size)), more than --max-argument-bytes (\(limits.maxArgumentBytes))",
                    at: variable.location)
            }
            sizes[variable.name] = size
        }
        return sizes
    }

    /// Checks the steps against the limits with the run's values bound.
    static func checkSteps(_ scenario: Scenario, bindings: VariableBindings, limits: InputLimits) throws(InputError) {
        var sizes = bindings.values.mapValues(\.utf8.count)
        sizes[ConcurrentBlock.clientVariable] = String(ConcurrentBlock.maxClients - 1).utf8.count
        var stepCount = 0
        var commands = 0
        func count(_ step: Step) throws(InputError) {
            stepCount += 1
            guard stepCount <= limits.maxSteps else {
                throw InputError("more than \(limits.maxSteps) steps (--max-steps)", at: step.location)
            }
        }
        func add(_ n: Int, at location: SourceLocation) throws(InputError) {
            let (sum, overflow) = commands.addingReportingOverflow(n)
            guard !overflow, sum <= limits.maxCommands else {
                throw InputError(
                    "one run would send more than \(limits.maxCommands) commands (--max-commands): clients × commands × retries",
                    at: location)
            }
            commands = sum
        }
        for step in scenario.steps {
            try count(step)
            if case .concurrent(let block) = step.kind {
                var perClient = 0
                for inner in block.steps {
                    try count(inner)
                    let (sum, overflow) = perClient.addingReportingOverflow(
                        try checkStep(inner, sizes, limits, client: scenario.client))
                    perClient = overflow ? Int.max : sum
                }
                let clients = (try? block.clientCount(bindings)) ?? 1
                let (total, overflow) = perClient.multipliedReportingOverflow(by: clients)
                try add(overflow ? Int.max : total, at: step.location)
            } else {
                try add(try checkStep(step, sizes, limits, client: scenario.client), at: step.location)
            }
        }
    }

    /// Checks one step's sizes and returns how many commands it may send, the step's and the
    /// client's retries included.
    private static func checkStep(_ step: Step, _ sizes: [String: Int], _ limits: InputLimits, client: ClientRetry)
        throws(InputError) -> Int
    {
        let commands: [(arguments: [Template], location: SourceLocation)]
        switch step.kind {
        case .command(let c): commands = [(c.arguments, c.location)]
        case .pipeline(let list): commands = list.map { ($0.arguments, $0.location) }
        case .transaction(let list): commands = list.map { ($0.arguments, $0.location) }
        case .script(let call, _): commands = [([Template("EVALSHA"), call.body] + call.keys + call.args, call.location)]
        case .concurrent: commands = []
        }
        var stepSize = 0
        for command in commands {
            for argument in command.arguments {
                let size = Self.size(of: argument, sizes)
                guard let size, size <= limits.maxArgumentBytes else {
                    throw InputError(
                        "an argument expands to \(shown(size)), more than --max-argument-bytes (\(limits.maxArgumentBytes))",
                        at: command.location)
                }
                stepSize += size
                guard stepSize <= limits.maxStepBytes else {
                    throw InputError(
                        "this step expands to more than --max-step-bytes (\(limits.maxStepBytes))", at: step.location)
                }
            }
        }
        var sent = commands.count
        if case .transaction = step.kind { sent += 2 }
        if case .retry(let n) = step.onError { sent *= n + 1 }
        return sent * (client.retries + 1)
    }

    /// The template's rendered size in bytes, nil past `Int.max`; a variable without a size
    /// (a value captured at run time, `${member}`) counts as empty.
    static func size(of template: Template, _ sizes: [String: Int]) -> Int? {
        guard let pieces = try? template.pieces() else { return template.raw.utf8.count }
        var total = 0
        for piece in pieces {
            let part: Int
            switch piece {
            case .literal(let text): part = text.utf8.count
            case .variable(let name): part = sizes[name] ?? 0
            }
            let (sum, overflow) = total.addingReportingOverflow(part)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    private static func shown(_ size: Int?) -> String { size.map { "\($0) bytes" } ?? "more than \(Int.max) bytes" }
}
