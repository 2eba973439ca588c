import Foundation
import Yams

/// Reads one scenario file's node tree, section by section: the top level here, then
/// `ScenarioReader+Client`, `+Variables`, `+Steps`, `+Concurrent`, `+Expectations` and
/// `+Invariants`. Every value is read, and every error located, through the file's `YAMLDocument`.
struct ScenarioReader {
    /// The file being read, through which every value is read and every error located.
    let document: YAMLDocument
    /// Variables defined so far.
    var defined: [String] = []
    /// Inside a `concurrent` block: `client` and the names captured by earlier steps.
    var clientScope: [String]?
    /// Tallies declared by the steps read so far.
    var tallies: [String] = []
    /// `--max-steps`: counted as the steps are read, so a file of a million is not built first.
    let maxSteps: Int
    var stepsRead = 0

    init(document: YAMLDocument, maxSteps: Int) {
        self.document = document
        self.maxSteps = maxSteps
    }

    static let topLevelKeys = ["name", "summary", "source", "client", "vars", "steps", "invariants"]

    mutating func scenario(_ root: Node) throws(InputError) -> Scenario {
        let entries = try document.mapping(root, what: "a scenario")
        for entry in entries where !Self.topLevelKeys.contains(entry.key) {
            throw document.error(
                "unknown top-level key '\(entry.key)' (allowed: \(Self.topLevelKeys.joined(separator: ", ")))", at: entry.keyNode)
        }
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

        guard let nameNode = value("name") else {
            throw document.error("missing 'name': every scenario needs a short name", at: root)
        }
        let name = try document.string(nameNode, "name")
        guard isScenarioName(name) else {
            throw document.error("bad name '\(name)': use letters, digits, '-', '_' or '.'", at: nameNode)
        }
        let summary = try value("summary").map { node throws(InputError) in try document.string(node, "summary") } ?? ""
        let source = try value("source").map { node throws(InputError) in try document.string(node, "source") }

        let client = try value("client").map { node throws(InputError) in try self.client(node) } ?? .none

        var variables: [VariableDefinition] = []
        if let varsNode = value("vars") {
            variables = try self.variables(varsNode)
        }

        guard let stepsNode = value("steps") else {
            throw document.error("missing 'steps': a scenario needs at least one step", at: root)
        }
        let stepNodes = try document.sequence(stepsNode, "steps")
        guard !stepNodes.isEmpty else {
            throw document.error("'steps' is empty: a scenario needs at least one step", at: stepsNode)
        }
        var steps: [Step] = []
        for node in stepNodes {
            let next = try step(node)
            if case .concurrent = next.kind, next.setup {
                throw document.error("a concurrent step cannot be a setup step", at: node)
            }
            if next.setup, let last = steps.last, !last.setup {
                throw document.error("setup steps come first: this one follows a step of the flow itself", at: node)
            }
            steps.append(next)
        }
        if !steps.isEmpty, steps.allSatisfy(\.setup) {
            throw document.error("every step is a setup step: mark only the steps that prepare the flow", at: stepsNode)
        }

        var invariants: [Invariant] = []
        if let invariantsNode = value("invariants") {
            for node in try document.sequence(invariantsNode, "invariants") {
                invariants.append(try invariant(node))
            }
        }
        var scenario = Scenario(
            name: name, summary: summary, source: source, file: document.file,
            variables: variables, steps: steps, invariants: invariants)
        scenario.client = client
        return scenario
    }

    // MARK: Shared by the sections

    func isScenarioName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-", first != "." else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
    }

    func severity(_ node: Node) throws(InputError) -> Severity {
        let raw = try document.string(node, "severity")
        guard let s = Severity(rawValue: raw) else {
            throw document.error(
                "bad severity '\(raw)' (expected \(Severity.allCases.map(\.rawValue).joined(separator: ", ")))", at: node)
        }
        return s
    }

    /// A template whose references are all defined variables (plus `extra` names).
    func template(_ raw: String, _ node: Node, extra: [String] = []) throws(InputError) -> Template {
        let t = Template(raw)
        let references: [String]
        do {
            references = try t.references()
        } catch {
            throw document.error(error.message, at: node)
        }
        for name in references where !defined.contains(name) && !extra.contains(name) && !(clientScope ?? []).contains(name) {
            if name == Template.memberVariable {
                throw document.error("undefined variable ${member}: it exists only in a members_have_keys key", at: node)
            }
            if name == ConcurrentBlock.clientVariable {
                throw document.error("undefined variable ${client}: it exists only inside a concurrent block", at: node)
            }
            let known = defined.isEmpty ? "no variables are defined" : "defined: " + defined.joined(separator: ", ")
            throw document.error("undefined variable ${\(name)} (\(known))", at: node)
        }
        return t
    }
}
