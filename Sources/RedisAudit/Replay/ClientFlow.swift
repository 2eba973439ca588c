import RESP

/// One client's application logic between steps: whether a step runs (`if`), what it remembers
/// (`capture`) and what it counts (`tally`), with its own variables.
struct ClientFlow: Sendable {
    /// The scenario's bindings plus `${client}` and every captured value so far.
    var bindings: VariableBindings
    /// Clients counted per tally name (0 or 1 for a single client).
    var tallies: [String: Int] = [:]

    init(bindings: VariableBindings) {
        self.bindings = bindings
    }

    /// True when every condition of the step's `if` holds for this client (a step without `if` always runs).
    func shouldRun(_ step: Step) throws(InputError) -> Bool {
        for condition in step.conditions {
            let lhs = bindings[condition.variable] ?? ""
            let rhs: String
            do {
                rhs = try condition.value.render(bindings)
            } catch {
                throw InputError(error.message, at: condition.location)
            }
            if !condition.comparison.holds(lhs, rhs) { return false }
        }
        return true
    }

    /// A step that did not run: its capture is empty, as a nil reply would be.
    mutating func skipped(_ step: Step) {
        if let name = step.capture { bindings[name] = "" }
    }

    /// A step that ran: captures its reply and counts it in its tally.
    mutating func ran(_ step: Step, commands: [CommandRecord], failure: StepFailure?) throws(InputError) {
        let reply = Self.reply(of: step, commands)
        let text = reply.flatMap { $0.isError ? nil : $0.text } ?? ""
        if let name = step.capture { bindings[name] = text }
        guard let tally = step.tally else { return }
        tallies[tally.name, default: 0] += 0
        guard failure == nil, reply?.isError != true else { return }
        if let comparison = tally.comparison, let value = tally.value {
            guard comparison.holds(text, try value.render(bindings)) else { return }
        }
        tallies[tally.name, default: 0] += 1
    }

    /// The reply the application reads from a step: the command's, a pipeline's last, a
    /// transaction's last EXEC element.
    static func reply(of step: Step, _ commands: [CommandRecord]) -> RESPValue? {
        if case .transaction = step.kind {
            guard let exec = commands.last?.outcome.reply else { return nil }
            return exec.arrayElements?.last ?? exec
        }
        return commands.last?.outcome.reply
    }
}
