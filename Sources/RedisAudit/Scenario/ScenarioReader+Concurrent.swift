import Foundation
import Yams

/// `concurrent:` blocks and what only their steps take: `${client}`, `capture`, `if` and `tally`.
extension ScenarioReader {
    /// `concurrent: { clients: N, steps: [...] }`: the group of steps every client runs.
    mutating func concurrent(
        _ node: Node, entries: [(key: String, keyNode: Node, value: Node)], kindEntry: (key: String, keyNode: Node, value: Node)
    ) throws(InputError) -> Step {
        guard clientScope == nil else {
            throw document.error("a concurrent block cannot contain another concurrent block", at: kindEntry.keyNode)
        }
        for entry in entries where entry.key != "concurrent" && entry.key != "label" {
            throw document.error(
                "'\(entry.key)' does not apply to a concurrent step (allowed: label; put on_error, expect, capture, if and tally on its steps)",
                at: entry.keyNode)
        }
        var clients: Template?
        var stepNodes: [Node]?
        for entry in try document.mapping(kindEntry.value, what: "concurrent") {
            switch entry.key {
            case "clients":
                let t = try template(try document.string(entry.value, "clients"), entry.value)
                if t.isLiteral,
                    YAMLDocument.wholeNumber(t.raw).map({ (1...Int64(ConcurrentBlock.maxClients)).contains($0) }) != true
                {
                    throw document.error(
                        "clients must be a whole number from 1 to \(ConcurrentBlock.maxClients), or a variable (\"${clients}\")",
                        at: entry.value)
                }
                clients = t
            case "steps":
                stepNodes = try document.sequence(entry.value, "concurrent steps")
                if stepNodes?.isEmpty == true {
                    throw document.error("a concurrent block needs at least one step", at: entry.value)
                }
            default:
                throw document.error("unknown key '\(entry.key)' in concurrent (allowed: clients, steps)", at: entry.keyNode)
            }
        }
        guard let clients, let stepNodes else {
            throw document.error(
                "concurrent needs clients and steps: { clients: \"${clients}\", steps: [...] }", at: kindEntry.value)
        }
        clientScope = [ConcurrentBlock.clientVariable]
        defer { clientScope = nil }
        var steps: [Step] = []
        for stepNode in stepNodes {
            steps.append(try step(stepNode))
            if let t = steps.last?.tally, !tallies.contains(t.name) { tallies.append(t.name) }
        }
        let label = try entries.first { $0.key == "label" }.map { e throws(InputError) in try document.string(e.value, "label") }
        let block = ConcurrentBlock(clients: clients, steps: steps, location: document.location(kindEntry.value))
        return Step(kind: .concurrent(block), label: label, location: document.location(node))
    }

    /// `if: { var: NAME, lt: VALUE }` (one of lt, le, gt, ge, eq, ne).
    func condition(_ node: Node) throws(InputError) -> StepCondition {
        let ops = Comparison.allCases.map(\.rawValue).joined(separator: ", ")
        var variable: String?
        var comparison: (Comparison, Template)?
        for entry in try document.mapping(node, what: "if") {
            if entry.key == "var" {
                let name = try document.string(entry.value, "var")
                guard (clientScope ?? []).contains(name) || defined.contains(name) else {
                    throw document.error(
                        "if: undefined variable '\(name)' (capture it in an earlier step of the block, or define it in vars)",
                        at: entry.value)
                }
                variable = name
            } else if let op = Comparison(rawValue: entry.key) {
                guard comparison == nil else { throw document.error("if takes one comparison (\(ops))", at: entry.keyNode) }
                comparison = (op, try template(try document.string(entry.value, entry.key), entry.value))
            } else {
                throw document.error("unknown key '\(entry.key)' in if (allowed: var and one of \(ops))", at: entry.keyNode)
            }
        }
        guard let variable, let comparison else {
            throw document.error("if needs var and one comparison: { var: count, lt: \"${capacity}\" } (\(ops))", at: node)
        }
        return StepCondition(variable: variable, comparison: comparison.0, value: comparison.1, location: document.location(node))
    }

    /// `tally: NAME` or `tally: { name: NAME, gt: 0 }`.
    func tally(_ node: Node) throws(InputError) -> Tally {
        func checkedName(_ n: Node) throws(InputError) -> String {
            let name = try document.string(n, "tally name")
            guard Template.isVariableName(name) else {
                throw document.error("bad tally name '\(name)': use letters, digits and _, not starting with a digit", at: n)
            }
            return name
        }
        if case .scalar = node { return Tally(name: try checkedName(node)) }
        var tally = Tally(name: "")
        for entry in try document.mapping(node, what: "tally") {
            if entry.key == "name" {
                tally.name = try checkedName(entry.value)
            } else if let op = Comparison(rawValue: entry.key), tally.comparison == nil {
                tally.comparison = op
                tally.value = try template(try document.string(entry.value, entry.key), entry.value)
            } else {
                throw document.error(
                    "unknown key '\(entry.key)' in tally (allowed: name and one of lt, le, gt, ge, eq, ne)", at: entry.keyNode)
            }
        }
        guard !tally.name.isEmpty else { throw document.error("tally needs a name: { name: admitted, gt: 0 }", at: node) }
        return tally
    }
}
