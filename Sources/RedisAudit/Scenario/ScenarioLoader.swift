import Foundation
import Yams

/// Reads scenario files (YAML) into `Scenario` values, checking everything that can be checked
/// before an endpoint is touched: the file's shape, variable references, every command the
/// command table lists (a command it does not list is looked up on the endpoints when the
/// scenario runs, see `CommandCatalog`), expectations, invariants and error policies.
///
/// Every error points at the line it is about: `login.yaml:12: undefined variable ${userid}`.
///
/// Spellings chosen where the format leaves a choice:
/// - `on_error`: `abort` (default), `continue`, `as-null`, or retry as `{ retry: N }`
///   (also accepted as the text `retry:N`), N from 1 to 100.
/// - an error reply is expected with `error: CLASS` (`error: WRONGTYPE`), or `error: any`
///   (also `error: true`) for any error.
/// - a type invariant is `{ type: KEY, is: string|list|set|zset|hash|stream }`.
/// - `{ random: hex }` makes 32 hex digits unless `length: N` (1 to 4096) says otherwise;
///   `{ random: uuid }` makes a version 4 UUID.
/// - a literal variable may use variables defined above it (`key: "rt:${userId}"`).
/// - `$${` is a literal `${`.
/// - inside `concurrent`, `${client}` is the client's 0-based index; `capture: NAME` defines
///   `${NAME}` for the client's later steps (a nil reply, or a step that did not run, as empty
///   text); `if: { var: NAME, lt: VALUE }` compares numerically when both sides are integers
///   (empty counts as 0), else as text.
public enum ScenarioLoader {
    /// Loads a scenario file, refusing one past `limits` before building what it would expand to.
    public static func load(contentsOf path: String, limits: InputLimits = .defaults) throws(ScenarioError) -> Scenario {
        try parse(yaml: InputFile.read(path, what: "scenario file", limits: limits), file: path, limits: limits)
    }

    /// Parses a scenario from YAML text; `file` is the name used in errors and reports.
    public static func parse(yaml: String, file: String, limits: InputLimits = .defaults) throws(ScenarioError) -> Scenario {
        guard let root = try YAMLDocument.parse(yaml, file: file, limits: limits).root else {
            throw ScenarioError("empty scenario file: expected name, steps, ...", at: SourceLocation(file: file, line: 1))
        }
        var reader = ScenarioReader(file: file, maxSteps: limits.maxSteps)
        var scenario = try reader.scenario(root)
        scenario.limits = limits
        // Binding the file's own values checks every size and count against the limits.
        _ = try scenario.bind()
        return scenario
    }

    /// Resolves `--scenario NAME|FILE`: a path to an existing file, else a built-in scenario's name.
    public static func resolve(_ nameOrPath: String, limits: InputLimits = .defaults) throws(ScenarioError) -> Scenario {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try load(contentsOf: nameOrPath, limits: limits)
        }
        if let scenario = try BuiltinScenarios.named(nameOrPath) {
            return scenario
        }
        let names = BuiltinScenarios.names
        let builtins =
            names.isEmpty
            ? "no built-in scenarios found; set \(BuiltinScenarios.environmentVariable) to their directory"
            : "built-in scenarios: " + names.joined(separator: ", ")
        throw ScenarioError("no scenario file or built-in scenario named '\(nameOrPath)' (\(builtins))")
    }

    /// A Yams error as `FILE:LINE: invalid YAML: problem`.
    static func yamlError(_ error: YamlError, yaml: String, file: String) -> ScenarioError {
        func located(_ message: String, _ line: Int) -> ScenarioError {
            ScenarioError("invalid YAML: " + message, at: SourceLocation(file: file, line: max(line, 1)))
        }
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(withContext(problem, context), mark.line)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { yaml.prefix($0).reduce(1) { $1 == "\n" ? $0 + 1 : $0 } } ?? 1
            return located(problem, line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return located("duplicate key \(keys)", context.mark.line)
        default:
            return located("\(error)", 1)
        }
    }
}

/// Reads one scenario file's node tree.
private struct ScenarioReader {
    let file: String
    /// Variables defined so far.
    var defined: [String] = []
    /// Inside a `concurrent` block: `client` and the names captured by earlier steps.
    var clientScope: [String]?
    /// Tallies declared by the steps read so far.
    var tallies: [String] = []
    /// `--max-steps`: counted as the steps are read, so a file of a million is not built first.
    let maxSteps: Int
    var stepsRead = 0

    init(file: String, maxSteps: Int) {
        self.file = file
        self.maxSteps = maxSteps
    }

    static let topLevelKeys = ["name", "summary", "source", "vars", "steps", "invariants"]
    /// What a step sends; a `concurrent` block of such steps is the one other kind of step.
    static let stepKinds = ["command", "pipeline", "transaction", "script"]
    static let allStepKinds = stepKinds + ["concurrent"]
    static let stepModifiers = ["expect", "on_error", "label", "setup", "checkpoint", "capture", "if", "tally"]
    static let clientModifiers = ["capture", "if", "tally"]
    static let expectKeys = ["type", "value", "integer", "set", "array", "error", "severity"]
    static let replyTypes = ["status", "error", "integer", "bulk", "nil", "nil-array", "array"]
    static let invariantChecks = ["exists", "missing", "ttl", "type", "members_have_keys", "value", "tally", "counts_match"]
    static let invariantModifiers = ["min", "max", "is", "severity", "why"]
    static let redisTypes = ["string", "list", "set", "zset", "hash", "stream"]

    // MARK: Scenario

    mutating func scenario(_ root: Node) throws(ScenarioError) -> Scenario {
        let entries = try mapping(root, "a scenario")
        for entry in entries where !Self.topLevelKeys.contains(entry.key) {
            throw fail(
                "unknown top-level key '\(entry.key)' (allowed: \(Self.topLevelKeys.joined(separator: ", ")))",
                entry.keyNode)
        }
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

        guard let nameNode = value("name") else {
            throw fail("missing 'name': every scenario needs a short name", root)
        }
        let name = try text(nameNode, "name")
        guard isScenarioName(name) else {
            throw fail("bad name '\(name)': use letters, digits, '-', '_' or '.'", nameNode)
        }
        let summary = try value("summary").map { node throws(ScenarioError) in try text(node, "summary") } ?? ""
        let source = try value("source").map { node throws(ScenarioError) in try text(node, "source") }

        var variables: [VariableDefinition] = []
        if let varsNode = value("vars") {
            variables = try self.variables(varsNode)
        }

        guard let stepsNode = value("steps") else {
            throw fail("missing 'steps': a scenario needs at least one step", root)
        }
        let stepNodes = try sequence(stepsNode, "steps")
        guard !stepNodes.isEmpty else {
            throw fail("'steps' is empty: a scenario needs at least one step", stepsNode)
        }
        var steps: [Step] = []
        for node in stepNodes {
            let next = try step(node)
            if case .concurrent = next.kind, next.setup { throw fail("a concurrent step cannot be a setup step", node) }
            if next.setup, let last = steps.last, !last.setup {
                throw fail("setup steps come first: this one follows a step of the flow itself", node)
            }
            steps.append(next)
        }
        if !steps.isEmpty, steps.allSatisfy(\.setup) {
            throw fail("every step is a setup step: mark only the steps that prepare the flow", stepsNode)
        }

        var invariants: [Invariant] = []
        if let invariantsNode = value("invariants") {
            for node in try sequence(invariantsNode, "invariants") {
                invariants.append(try invariant(node))
            }
        }
        return Scenario(
            name: name, summary: summary, source: source, file: file,
            variables: variables, steps: steps, invariants: invariants)
    }

    // MARK: Variables

    mutating func variables(_ node: Node) throws(ScenarioError) -> [VariableDefinition] {
        var result: [VariableDefinition] = []
        for entry in try mapping(node, "vars") {
            let name = entry.key
            guard Template.isVariableName(name) else {
                throw fail("bad variable name '\(name)': use letters, digits and _, not starting with a digit", entry.keyNode)
            }
            guard name != Template.memberVariable else {
                throw fail("'\(name)' is reserved: members_have_keys binds ${member} to each member of the set", entry.keyNode)
            }
            guard name != ConcurrentBlock.clientVariable else {
                throw fail("'\(name)' is reserved: a concurrent block binds ${client} to each client's index", entry.keyNode)
            }
            let location = self.location(entry.keyNode)
            let value: VariableDefinition.Value
            switch entry.value {
            case .mapping:
                value = try generator(entry.value, variable: name)
            case .scalar:
                let literal = try text(entry.value, "variable '\(name)'")
                _ = try template(literal, entry.value)
                value = .literal(literal)
            default:
                throw fail(
                    "variable '\(name)' must be a text, a number or { random: hex|uuid }", entry.value)
            }
            result.append(VariableDefinition(name: name, value: value, location: location))
            defined.append(name)
        }
        return result
    }

    func generator(_ node: Node, variable: String) throws(ScenarioError) -> VariableDefinition.Value {
        let entries = try mapping(node, "variable '\(variable)'")
        var kind: VariableDefinition.RandomKind?
        var length: Int?
        for entry in entries {
            switch entry.key {
            case "random":
                let name = try text(entry.value, "random")
                guard let k = VariableDefinition.RandomKind(rawValue: name) else {
                    throw fail("unknown generator 'random: \(name)' (expected hex or uuid)", entry.value)
                }
                kind = k
            case "length":
                guard let n = Int(try text(entry.value, "length")), (1...4096).contains(n) else {
                    throw fail("length must be a whole number from 1 to 4096", entry.value)
                }
                length = n
            default:
                throw fail("unknown key '\(entry.key)' in variable '\(variable)' (expected random and length)", entry.keyNode)
            }
        }
        guard let kind else {
            throw fail(
                "variable '\(variable)' is a mapping without 'random': expected { random: hex, length: N } or { random: uuid }",
                node)
        }
        switch kind {
        case .hex:
            return .random(.hex, length: length ?? 32)
        case .uuid:
            guard length == nil else {
                throw fail("a uuid always has \(RandomValue.uuidLength) characters; remove 'length'", node)
            }
            return .random(.uuid, length: RandomValue.uuidLength)
        }
    }

    // MARK: Steps

    mutating func step(_ node: Node) throws(ScenarioError) -> Step {
        stepsRead += 1
        guard stepsRead <= maxSteps else { throw fail("more than \(maxSteps) steps (--max-steps)", node) }
        let entries = try mapping(node, "a step")
        let kinds = entries.filter { Self.allStepKinds.contains($0.key) }
        for entry in entries where !Self.allStepKinds.contains(entry.key) && !Self.stepModifiers.contains(entry.key) {
            if kinds.isEmpty {
                throw fail(
                    "unknown step kind '\(entry.key)' (a step is one of: \(Self.stepKinds.joined(separator: ", ")))",
                    entry.keyNode)
            }
            throw fail(
                "unknown step key '\(entry.key)' (allowed: \((Self.stepKinds + Self.stepModifiers).joined(separator: ", ")))",
                entry.keyNode)
        }
        guard let kindEntry = kinds.first else {
            throw fail("a step needs one of: \(Self.stepKinds.joined(separator: ", "))", node)
        }
        guard kinds.count == 1 else {
            throw fail(
                "a step has exactly one of \(Self.stepKinds.joined(separator: ", ")); this one has \(kinds.map(\.key).joined(separator: " and "))",
                kinds[1].keyNode)
        }
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        if kindEntry.key == "concurrent" {
            return try concurrent(node, entries: entries, kindEntry: kindEntry)
        }
        if clientScope == nil, let modifier = entries.first(where: { Self.clientModifiers.contains($0.key) }) {
            throw fail("'\(modifier.key)' applies to the steps inside a concurrent block", modifier.keyNode)
        }

        let expectNode = value("expect")
        let expect = try expectNode.map { n throws(ScenarioError) in try expectation(n) }
        let kind: Step.Kind
        switch kindEntry.key {
        case "command":
            var c = try command(kindEntry.value)
            c.expect = expect
            kind = .command(c)
        case "pipeline", "transaction":
            if let expectNode {
                throw fail(
                    "expect on a \(kindEntry.key) step: put it on the entries instead ({ command: [...], expect: {...} })",
                    expectNode)
            }
            let nodes = try sequence(kindEntry.value, kindEntry.key)
            guard !nodes.isEmpty else {
                throw fail("empty \(kindEntry.key): list its commands", kindEntry.value)
            }
            var commands: [CommandTemplate] = []
            for entry in nodes {
                commands.append(try batchEntry(entry, in: kindEntry.key))
            }
            kind = kindEntry.key == "pipeline" ? .pipeline(commands) : .transaction(commands)
        default:
            kind = .script(try script(kindEntry.value), expect: expect)
        }

        let onError = try value("on_error").map { n throws(ScenarioError) in try errorPolicy(n) } ?? .abort
        let label = try value("label").map { n throws(ScenarioError) in try text(n, "label") }
        let setup = try value("setup").map { n throws(ScenarioError) in try boolean(n, "setup") } ?? false
        let checkpoint = try value("checkpoint").map { n throws(ScenarioError) in try boolean(n, "checkpoint") } ?? false
        var step = Step(
            kind: kind, onError: onError, label: label, setup: setup, checkpoint: checkpoint, location: location(node))
        if clientScope != nil {
            for key in ["setup", "checkpoint"] {
                if let entry = entries.first(where: { $0.key == key }) {
                    throw fail(
                        "'\(key)' does not apply inside a concurrent block: mark the concurrent step instead", entry.keyNode)
                }
            }
            if let ifNode = value("if") {
                if case .sequence = ifNode {
                    for item in try sequence(ifNode, "if") { step.conditions.append(try condition(item)) }
                    if step.conditions.isEmpty { throw fail("empty if: give { var: NAME, lt: VALUE } or a list of them", ifNode) }
                } else {
                    step.conditions = [try condition(ifNode)]
                }
            }
            step.tally = try value("tally").map { n throws(ScenarioError) in try tally(n) }
            if let captureNode = value("capture") {
                let name = try text(captureNode, "capture")
                guard Template.isVariableName(name) else {
                    throw fail("bad capture name '\(name)': use letters, digits and _, not starting with a digit", captureNode)
                }
                guard !defined.contains(name), name != ConcurrentBlock.clientVariable, name != Template.memberVariable else {
                    throw fail("capture '\(name)' would hide a variable of the same name: choose another name", captureNode)
                }
                step.capture = name
                if !(clientScope ?? []).contains(name) { clientScope?.append(name) }
            }
        }
        return step
    }

    /// `concurrent: { clients: N, steps: [...] }`: the group of steps every client runs.
    mutating func concurrent(
        _ node: Node, entries: [(key: String, keyNode: Node, value: Node)], kindEntry: (key: String, keyNode: Node, value: Node)
    ) throws(ScenarioError) -> Step {
        guard clientScope == nil else {
            throw fail("a concurrent block cannot contain another concurrent block", kindEntry.keyNode)
        }
        for entry in entries where entry.key != "concurrent" && entry.key != "label" {
            throw fail(
                "'\(entry.key)' does not apply to a concurrent step (allowed: label; put on_error, expect, capture, if and tally on its steps)",
                entry.keyNode)
        }
        var clients: Template?
        var stepNodes: [Node]?
        for entry in try mapping(kindEntry.value, "concurrent") {
            switch entry.key {
            case "clients":
                let t = try template(try text(entry.value, "clients"), entry.value)
                if t.isLiteral, Int(t.raw).map({ (1...ConcurrentBlock.maxClients).contains($0) }) != true {
                    throw fail(
                        "clients must be a whole number from 1 to \(ConcurrentBlock.maxClients), or a variable (\"${clients}\")",
                        entry.value)
                }
                clients = t
            case "steps":
                stepNodes = try sequence(entry.value, "concurrent steps")
                if stepNodes?.isEmpty == true { throw fail("a concurrent block needs at least one step", entry.value) }
            default:
                throw fail("unknown key '\(entry.key)' in concurrent (allowed: clients, steps)", entry.keyNode)
            }
        }
        guard let clients, let stepNodes else {
            throw fail("concurrent needs clients and steps: { clients: \"${clients}\", steps: [...] }", kindEntry.value)
        }
        clientScope = [ConcurrentBlock.clientVariable]
        defer { clientScope = nil }
        var steps: [Step] = []
        for stepNode in stepNodes {
            steps.append(try step(stepNode))
            if let t = steps.last?.tally, !tallies.contains(t.name) { tallies.append(t.name) }
        }
        let label = try entries.first { $0.key == "label" }.map { e throws(ScenarioError) in try text(e.value, "label") }
        let block = ConcurrentBlock(clients: clients, steps: steps, location: location(kindEntry.value))
        return Step(kind: .concurrent(block), label: label, location: location(node))
    }

    /// `if: { var: NAME, lt: VALUE }` (one of lt, le, gt, ge, eq, ne).
    func condition(_ node: Node) throws(ScenarioError) -> StepCondition {
        let ops = Comparison.allCases.map(\.rawValue).joined(separator: ", ")
        var variable: String?
        var comparison: (Comparison, Template)?
        for entry in try mapping(node, "if") {
            if entry.key == "var" {
                let name = try text(entry.value, "var")
                guard (clientScope ?? []).contains(name) || defined.contains(name) else {
                    throw fail(
                        "if: undefined variable '\(name)' (capture it in an earlier step of the block, or define it in vars)",
                        entry.value)
                }
                variable = name
            } else if let op = Comparison(rawValue: entry.key) {
                guard comparison == nil else { throw fail("if takes one comparison (\(ops))", entry.keyNode) }
                comparison = (op, try template(try text(entry.value, entry.key), entry.value))
            } else {
                throw fail("unknown key '\(entry.key)' in if (allowed: var and one of \(ops))", entry.keyNode)
            }
        }
        guard let variable, let comparison else {
            throw fail("if needs var and one comparison: { var: count, lt: \"${capacity}\" } (\(ops))", node)
        }
        return StepCondition(variable: variable, comparison: comparison.0, value: comparison.1, location: location(node))
    }

    /// `tally: NAME` or `tally: { name: NAME, gt: 0 }`.
    func tally(_ node: Node) throws(ScenarioError) -> Tally {
        func checkedName(_ n: Node) throws(ScenarioError) -> String {
            let name = try text(n, "tally name")
            guard Template.isVariableName(name) else {
                throw fail("bad tally name '\(name)': use letters, digits and _, not starting with a digit", n)
            }
            return name
        }
        if case .scalar = node { return Tally(name: try checkedName(node)) }
        var tally = Tally(name: "")
        for entry in try mapping(node, "tally") {
            if entry.key == "name" {
                tally.name = try checkedName(entry.value)
            } else if let op = Comparison(rawValue: entry.key), tally.comparison == nil {
                tally.comparison = op
                tally.value = try template(try text(entry.value, entry.key), entry.value)
            } else {
                throw fail("unknown key '\(entry.key)' in tally (allowed: name and one of lt, le, gt, ge, eq, ne)", entry.keyNode)
            }
        }
        guard !tally.name.isEmpty else { throw fail("tally needs a name: { name: admitted, gt: 0 }", node) }
        return tally
    }

    /// A pipeline or transaction entry: `[..]` or `{ command: [..], expect: {..} }`.
    func batchEntry(_ node: Node, in kind: String) throws(ScenarioError) -> CommandTemplate {
        switch node {
        case .sequence:
            return try command(node)
        case .mapping:
            let entries = try mapping(node, "a \(kind) entry")
            for entry in entries where entry.key != "command" && entry.key != "expect" {
                throw fail("unknown key '\(entry.key)' in a \(kind) entry (allowed: command, expect)", entry.keyNode)
            }
            guard let commandNode = entries.first(where: { $0.key == "command" })?.value else {
                throw fail("a \(kind) entry written as a mapping needs 'command'", node)
            }
            var c = try command(commandNode)
            if let expectNode = entries.first(where: { $0.key == "expect" })?.value {
                c.expect = try expectation(expectNode)
            }
            return c
        default:
            throw fail("a \(kind) entry is a command list [NAME, arg, ...] or { command: [...], expect: {...} }", node)
        }
    }

    /// A command list: checked against the command table on its text as written, when the table lists it.
    func command(_ node: Node) throws(ScenarioError) -> CommandTemplate {
        guard case .sequence = node else {
            throw fail("a command is a list: [NAME, arg, ...]", node)
        }
        let items = try sequence(node, "a command")
        guard !items.isEmpty else {
            throw fail("empty command", node)
        }
        var arguments: [Template] = []
        for item in items {
            guard case .scalar = item else {
                throw fail("command arguments must be texts or numbers, not lists or mappings", item)
            }
            arguments.append(try template(try text(item, "a command argument"), item))
        }
        guard arguments[0].isLiteral else {
            throw fail("the command name must be written out, not taken from a variable", items[0])
        }
        let name = arguments[0].raw.uppercased()
        if CommandTable.containers.contains(name), arguments.count > 1, !arguments[1].isLiteral {
            throw fail("the \(name) subcommand must be written out, not taken from a variable", items[1])
        }
        if ["MULTI", "EXEC", "DISCARD"].contains(name) {
            throw fail("\(name) is sent by the replay around a 'transaction:' step; do not write it", node)
        }
        // A command the table does not list is learned from the endpoints when the scenario runs
        // (`CommandCatalog`); the table checks every other command now.
        if CommandTable.lookup(arguments.map(\.raw)) != .unknown {
            do {
                _ = try CommandTable.check(strings: arguments.map(\.raw))
            } catch {
                throw fail(error.message, node)
            }
        }
        return CommandTemplate(arguments: arguments, location: location(node))
    }

    func script(_ node: Node) throws(ScenarioError) -> ScriptCall {
        let entries = try mapping(node, "script")
        var body: Template?
        var keys: [Template] = []
        var args: [Template] = []
        for entry in entries {
            switch entry.key {
            case "lua":
                body = try template(try text(entry.value, "lua"), entry.value)
            case "keys", "args":
                var list: [Template] = []
                for item in try sequence(entry.value, entry.key) {
                    guard case .scalar = item else {
                        throw fail("script \(entry.key) must be texts or numbers", item)
                    }
                    list.append(try template(try text(item, "a script \(entry.key) item"), item))
                }
                if entry.key == "keys" { keys = list } else { args = list }
            default:
                throw fail("unknown key '\(entry.key)' in script (allowed: lua, keys, args)", entry.keyNode)
            }
        }
        guard let body else {
            throw fail("script needs 'lua': the script's body", node)
        }
        return ScriptCall(body: body, keys: keys, args: args, location: location(node))
    }

    func errorPolicy(_ node: Node) throws(ScenarioError) -> ErrorPolicy {
        let allowed = "expected abort, continue, as-null, or { retry: N }"
        func retries(_ raw: String, _ at: Node) throws(ScenarioError) -> ErrorPolicy {
            guard let n = Int(raw.trimmingCharacters(in: .whitespaces)), (1...100).contains(n) else {
                throw fail("bad retry count '\(raw)': a whole number from 1 to 100", at)
            }
            return .retry(n)
        }
        switch node {
        case .scalar:
            let value = try text(node, "on_error")
            switch value {
            case "abort": return .abort
            case "continue": return .continue
            case "as-null": return .asNull
            default:
                if value.hasPrefix("retry:") {
                    return try retries(String(value.dropFirst("retry:".count)), node)
                }
                throw fail("bad on_error '\(value)': \(allowed)", node)
            }
        case .mapping:
            let entries = try mapping(node, "on_error")
            guard entries.count == 1, entries[0].key == "retry" else {
                throw fail("bad on_error: \(allowed)", node)
            }
            return try retries(try text(entries[0].value, "retry"), entries[0].value)
        default:
            throw fail("bad on_error: \(allowed)", node)
        }
    }

    // MARK: Expectations

    func expectation(_ node: Node) throws(ScenarioError) -> Expectation {
        let entries = try mapping(node, "expect")
        guard !entries.isEmpty else {
            throw fail("empty expect: give type, value, integer, set, array or error", node)
        }
        var e = Expectation(location: location(node))
        for entry in entries {
            let v = entry.value
            switch entry.key {
            case "type":
                let t = try text(v, "type")
                guard Self.replyTypes.contains(t) else {
                    throw fail("bad reply type '\(t)' (expected \(Self.replyTypes.joined(separator: ", ")))", v)
                }
                e.type = t
            case "value":
                guard case .scalar = v else { throw fail("expect value must be a text or a number", v) }
                e.value = try template(try text(v, "value"), v)
            case "integer":
                switch v {
                case .scalar:
                    let n = try integer(v, "integer")
                    e.integerMin = n
                    e.integerMax = n
                case .mapping:
                    (e.integerMin, e.integerMax) = try bounds(v, "integer")
                default:
                    throw fail("expect integer is a number or { min: N, max: M }", v)
                }
            case "set", "array":
                var list: [Template] = []
                for item in try sequence(v, entry.key) {
                    guard case .scalar = item else {
                        throw fail("expect \(entry.key) elements must be texts or numbers", item)
                    }
                    list.append(try template(try text(item, "an element"), item))
                }
                if entry.key == "set" { e.set = list } else { e.array = list }
            case "error":
                e.errorClass = try errorClass(v)
            case "severity":
                e.severity = try severity(v)
            default:
                throw fail(
                    "unknown expect key '\(entry.key)' (allowed: \(Self.expectKeys.joined(separator: ", ")))", entry.keyNode)
            }
        }
        let hasContent = e.value != nil || e.integerMin != nil || e.integerMax != nil || e.set != nil || e.array != nil
        if e.errorClass != nil {
            if let t = e.type, t != "error" {
                throw fail("expect says both error and type \(t)", node)
            }
            if hasContent {
                throw fail("an expected error has no value, integer, set or array to compare", node)
            }
        }
        if let t = e.type {
            if (t == "nil" || t == "nil-array") && hasContent {
                throw fail("a \(t) reply has no value, integer, set or array to compare", node)
            }
            if (e.set != nil || e.array != nil) && t != "array" {
                throw fail("set and array compare array replies, but type is \(t)", node)
            }
            if (e.integerMin != nil || e.integerMax != nil) && !["integer", "bulk", "status"].contains(t) {
                throw fail("integer bounds apply to integer, bulk or status replies, but type is \(t)", node)
            }
        }
        if e.set != nil && e.array != nil {
            throw fail("expect has both set and array: choose one", node)
        }
        if e.type == nil && e.errorClass == nil && !hasContent {
            throw fail("expect has only a severity: give type, value, integer, set, array or error", node)
        }
        return e
    }

    func errorClass(_ node: Node) throws(ScenarioError) -> String {
        guard case .scalar(let scalar) = node else {
            throw fail("expect error is an error class (WRONGTYPE) or any", node)
        }
        let value = scalar.string
        if value == "any" || (scalar.style == .plain && node.bool == true) {
            return ""
        }
        if scalar.style == .plain && node.bool == false {
            throw fail("'error: false' is not an expectation; omit 'error' or give a reply type", node)
        }
        let cls = value.uppercased()
        guard !cls.isEmpty,
            cls.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" })
        else {
            throw fail("bad error class '\(value)': one word such as WRONGTYPE, or any", node)
        }
        return cls
    }

    // MARK: Invariants

    func invariant(_ node: Node) throws(ScenarioError) -> Invariant {
        let entries = try mapping(node, "an invariant")
        let checks = entries.filter { Self.invariantChecks.contains($0.key) }
        for entry in entries where !Self.invariantChecks.contains(entry.key) && !Self.invariantModifiers.contains(entry.key) {
            throw fail(
                "unknown invariant key '\(entry.key)' (checks: \(Self.invariantChecks.joined(separator: ", ")); with min, max, is, severity, why)",
                entry.keyNode)
        }
        guard let checkEntry = checks.first else {
            throw fail("an invariant needs one of: \(Self.invariantChecks.joined(separator: ", "))", node)
        }
        guard checks.count == 1 else {
            throw fail(
                "an invariant checks one thing; this one has \(checks.map(\.key).joined(separator: " and ")): write one invariant each",
                checks[1].keyNode)
        }
        func value(_ key: String) -> (keyNode: Node, value: Node)? {
            entries.first { $0.key == key }.map { ($0.keyNode, $0.value) }
        }
        func disallow(_ keys: [String]) throws(ScenarioError) {
            for key in keys {
                if let pair = value(key) {
                    throw fail("'\(key)' does not apply to a \(checkEntry.key) invariant", pair.keyNode)
                }
            }
        }
        func keyTemplate() throws(ScenarioError) -> Template {
            guard case .scalar = checkEntry.value else {
                throw fail("\(checkEntry.key) takes a key: { \(checkEntry.key): \"key\" }", checkEntry.value)
            }
            return try template(try text(checkEntry.value, checkEntry.key), checkEntry.value)
        }
        func optionalInteger(_ key: String) throws(ScenarioError) -> Int64? {
            try value(key).map { pair throws(ScenarioError) in try integer(pair.value, key) }
        }
        func bound(_ key: String) throws(ScenarioError) -> Bound? {
            guard let pair = value(key) else { return nil }
            let raw = try text(pair.value, key)
            if Int64(raw) != nil { return Bound(Template(raw)) }
            let t = try template(raw, pair.value)
            guard !t.isLiteral else { throw fail("\(key) must be a whole number, got '\(raw)'", pair.value) }
            return Bound(t)
        }
        func bounds() throws(ScenarioError) -> (Bound?, Bound?) {
            let min = try bound("min")
            let max = try bound("max")
            guard min != nil || max != nil else {
                throw fail("a \(checkEntry.key) invariant needs min, max or both", node)
            }
            if let a = min.flatMap({ Int64($0.template.raw) }), let b = max.flatMap({ Int64($0.template.raw) }), a > b {
                throw fail("min \(a) is greater than max \(b)", node)
            }
            return (min, max)
        }
        func minMax() throws(ScenarioError) -> (Int64?, Int64?) {
            let min = try optionalInteger("min")
            let max = try optionalInteger("max")
            guard min != nil || max != nil else {
                throw fail("a \(checkEntry.key) invariant needs min, max or both", node)
            }
            if let min, let max, min > max {
                throw fail("min \(min) is greater than max \(max)", node)
            }
            return (min, max)
        }

        let check: Invariant.Check
        switch checkEntry.key {
        case "exists", "missing":
            try disallow(["min", "max", "is"])
            let key = try keyTemplate()
            check = checkEntry.key == "exists" ? .exists(key) : .missing(key)
        case "ttl":
            try disallow(["is"])
            let key = try keyTemplate()
            let (min, max) = try minMax()
            check = .ttl(key, min: min, max: max)
        case "value":
            try disallow(["is"])
            let key = try keyTemplate()
            let (min, max) = try bounds()
            check = .value(key, min: min, max: max)
        case "tally":
            try disallow(["is"])
            let name = try text(checkEntry.value, "tally")
            guard tallies.contains(name) else {
                let known = tallies.isEmpty ? "no step declares a tally" : "declared: " + tallies.joined(separator: ", ")
                throw fail(
                    "unknown tally '\(name)' (\(known)); add 'tally: \(name)' to a step of a concurrent block", checkEntry.value)
            }
            let (min, max) = try bounds()
            check = .tally(name, min: min, max: max)
        case "counts_match":
            try disallow(["min", "max", "is"])
            var counterNode: Node?
            var setNode: Node?
            for entry in try mapping(checkEntry.value, "counts_match") {
                switch entry.key {
                case "counter": counterNode = entry.value
                case "set": setNode = entry.value
                default: throw fail("unknown key '\(entry.key)' in counts_match (allowed: counter, set)", entry.keyNode)
                }
            }
            guard let counterNode, let setNode else {
                throw fail(
                    "counts_match needs counter and set: { counter: \"count:${sessionId}\", set: \"checkins:${sessionId}\" }",
                    checkEntry.value)
            }
            check = .countsMatch(
                counter: try template(try text(counterNode, "counter"), counterNode),
                set: try template(try text(setNode, "set"), setNode))
        case "type":
            try disallow(["min", "max"])
            let key = try keyTemplate()
            guard let isNode = value("is")?.value else {
                throw fail("a type invariant needs 'is': { type: KEY, is: set }", node)
            }
            let type = try text(isNode, "is")
            guard Self.redisTypes.contains(type) else {
                throw fail("bad type '\(type)' (expected \(Self.redisTypes.joined(separator: ", ")))", isNode)
            }
            check = .type(key, type)
        default:
            try disallow(["min", "max", "is"])
            let inner = try mapping(checkEntry.value, "members_have_keys")
            var setNode: Node?
            var keyNode: Node?
            for entry in inner {
                switch entry.key {
                case "set": setNode = entry.value
                case "key": keyNode = entry.value
                default:
                    throw fail("unknown key '\(entry.key)' in members_have_keys (allowed: set, key)", entry.keyNode)
                }
            }
            guard let setNode, let keyNode else {
                throw fail(
                    "members_have_keys needs set and key: { set: \"sess:${userId}\", key: \"rt:${userId}:${member}\" }",
                    checkEntry.value)
            }
            let set = try template(try text(setNode, "set"), setNode)
            let key = try template(try text(keyNode, "key"), keyNode, extra: [Template.memberVariable])
            guard (try? key.references())?.contains(Template.memberVariable) == true else {
                throw fail("members_have_keys key must use ${member}, the set's member", keyNode)
            }
            check = .membersHaveKeys(set: set, key: key)
        }
        let severity = try value("severity").map { pair throws(ScenarioError) in try self.severity(pair.value) } ?? .high
        let why = try value("why").map { pair throws(ScenarioError) in try text(pair.value, "why") }
        return Invariant(check: check, severity: severity, why: why, location: location(node))
    }

    // MARK: Node helpers

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: max(node.mark?.line ?? 1, 1))
    }

    func fail(_ message: String, _ node: Node) -> ScenarioError {
        ScenarioError(message, at: location(node))
    }

    func isScenarioName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-", first != "." else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
    }

    /// A mapping's entries in file order; keys must be texts.
    func mapping(_ node: Node, _ what: String) throws(ScenarioError) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let m) = node else {
            throw fail("\(what) must be a mapping (key: value)", node)
        }
        var result: [(key: String, keyNode: Node, value: Node)] = []
        for (k, v) in m {
            guard case .scalar(let scalar) = k else {
                throw fail("keys in \(what) must be plain names", k)
            }
            result.append((scalar.string, k, v))
        }
        return result
    }

    func sequence(_ node: Node, _ what: String) throws(ScenarioError) -> [Node] {
        guard case .sequence(let s) = node else {
            throw fail("\(what) must be a list", node)
        }
        return Array(s)
    }

    /// A scalar's text as written (`604800` stays `604800`); an empty or null plain scalar is an error.
    func text(_ node: Node, _ what: String) throws(ScenarioError) -> String {
        guard case .scalar(let scalar) = node else {
            throw fail("\(what) must be a text or a number, not a list or mapping", node)
        }
        if scalar.style == .plain || scalar.style == .any, scalar.string.isEmpty || scalar.string == "~" {
            throw fail("\(what) has no value", node)
        }
        return scalar.string
    }

    func boolean(_ node: Node, _ what: String) throws(ScenarioError) -> Bool {
        switch try text(node, what) {
        case "true", "yes": return true
        case "false", "no": return false
        case let other: throw fail("\(what) is true or false, not '\(other)'", node)
        }
    }

    func integer(_ node: Node, _ what: String) throws(ScenarioError) -> Int64 {
        let raw = try text(node, what)
        guard let n = Int64(raw) else {
            throw fail("\(what) must be a whole number, got '\(raw)'", node)
        }
        return n
    }

    func bounds(_ node: Node, _ what: String) throws(ScenarioError) -> (Int64?, Int64?) {
        var min: Int64?
        var max: Int64?
        for entry in try mapping(node, what) {
            switch entry.key {
            case "min": min = try integer(entry.value, "min")
            case "max": max = try integer(entry.value, "max")
            default: throw fail("unknown key '\(entry.key)' in \(what) (allowed: min, max)", entry.keyNode)
            }
        }
        guard min != nil || max != nil else {
            throw fail("\(what) bounds need min, max or both", node)
        }
        if let min, let max, min > max {
            throw fail("min \(min) is greater than max \(max)", node)
        }
        return (min, max)
    }

    func severity(_ node: Node) throws(ScenarioError) -> Severity {
        let raw = try text(node, "severity")
        guard let s = Severity(rawValue: raw) else {
            throw fail(
                "bad severity '\(raw)' (expected \(Severity.allCases.map(\.rawValue).joined(separator: ", ")))", node)
        }
        return s
    }

    /// A template whose references are all defined variables (plus `extra` names).
    func template(_ raw: String, _ node: Node, extra: [String] = []) throws(ScenarioError) -> Template {
        let t = Template(raw)
        let references: [String]
        do {
            references = try t.references()
        } catch {
            throw fail(error.message, node)
        }
        for name in references where !defined.contains(name) && !extra.contains(name) && !(clientScope ?? []).contains(name) {
            if name == Template.memberVariable {
                throw fail("undefined variable ${member}: it exists only in a members_have_keys key", node)
            }
            if name == ConcurrentBlock.clientVariable {
                throw fail("undefined variable ${client}: it exists only inside a concurrent block", node)
            }
            let known = defined.isEmpty ? "no variables are defined" : "defined: " + defined.joined(separator: ", ")
            throw fail("undefined variable ${\(name)} (\(known))", node)
        }
        return t
    }
}
