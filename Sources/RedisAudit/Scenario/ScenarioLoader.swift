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
    public static func load(contentsOf path: String, limits: InputLimits = .defaults) throws(InputError) -> Scenario {
        try parse(yaml: InputFile.read(path, what: "scenario file", limits: limits), file: path, limits: limits)
    }

    /// Parses a scenario from YAML text; `file` is the name used in errors and reports.
    public static func parse(yaml: String, file: String, limits: InputLimits = .defaults) throws(InputError) -> Scenario {
        let document = try YAMLDocument.parse(yaml, file: file, limits: limits)
        guard let root = document.root else {
            throw InputError("empty scenario file: expected name, steps, ...", at: SourceLocation(file: file, line: 1))
        }
        var reader = ScenarioReader(document: document, maxSteps: limits.maxSteps)
        var scenario = try reader.scenario(root)
        scenario.limits = limits
        // Binding the file's own values checks every size and count against the limits.
        _ = try scenario.bind()
        return scenario
    }

    /// Resolves `--scenario NAME|FILE`: a path to an existing file, else a built-in scenario's name.
    public static func resolve(_ nameOrPath: String, limits: InputLimits = .defaults) throws(InputError) -> Scenario {
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
        throw InputError("no scenario file or built-in scenario named '\(nameOrPath)' (\(builtins))")
    }
}

/// Reads one scenario file's node tree.
private struct ScenarioReader {
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
        return Scenario(
            name: name, summary: summary, source: source, file: document.file,
            variables: variables, steps: steps, invariants: invariants)
    }

    // MARK: Variables

    mutating func variables(_ node: Node) throws(InputError) -> [VariableDefinition] {
        var result: [VariableDefinition] = []
        for entry in try document.mapping(node, what: "vars") {
            let name = entry.key
            guard Template.isVariableName(name) else {
                throw document.error(
                    "bad variable name '\(name)': use letters, digits and _, not starting with a digit", at: entry.keyNode)
            }
            guard name != Template.memberVariable else {
                throw document.error(
                    "'\(name)' is reserved: members_have_keys binds ${member} to each member of the set", at: entry.keyNode)
            }
            guard name != ConcurrentBlock.clientVariable else {
                throw document.error(
                    "'\(name)' is reserved: a concurrent block binds ${client} to each client's index", at: entry.keyNode)
            }
            let location = self.location(entry.keyNode)
            let value: VariableDefinition.Value
            switch entry.value {
            case .mapping:
                value = try generator(entry.value, variable: name)
            case .scalar:
                let literal = try document.string(entry.value, "variable '\(name)'")
                _ = try template(literal, entry.value)
                value = .literal(literal)
            default:
                throw document.error(
                    "variable '\(name)' must be a text, a number or { random: hex|uuid }", at: entry.value)
            }
            result.append(VariableDefinition(name: name, value: value, location: location))
            defined.append(name)
        }
        return result
    }

    func generator(_ node: Node, variable: String) throws(InputError) -> VariableDefinition.Value {
        let entries = try document.mapping(node, what: "variable '\(variable)'")
        var kind: VariableDefinition.RandomKind?
        var length: Int?
        for entry in entries {
            switch entry.key {
            case "random":
                let name = try document.string(entry.value, "random")
                guard let k = VariableDefinition.RandomKind(rawValue: name) else {
                    throw document.error("unknown generator 'random: \(name)' (expected hex or uuid)", at: entry.value)
                }
                kind = k
            case "length":
                length = try document.integer(entry.value, "length", in: 1...4096)
            default:
                throw document.error(
                    "unknown key '\(entry.key)' in variable '\(variable)' (expected random and length)", at: entry.keyNode)
            }
        }
        guard let kind else {
            throw document.error(
                "variable '\(variable)' is a mapping without 'random': expected { random: hex, length: N } or { random: uuid }",
                at: node)
        }
        switch kind {
        case .hex:
            return .random(.hex, length: length ?? 32)
        case .uuid:
            guard length == nil else {
                throw document.error("a uuid always has \(RandomValue.uuidLength) characters; remove 'length'", at: node)
            }
            return .random(.uuid, length: RandomValue.uuidLength)
        }
    }

    // MARK: Steps

    mutating func step(_ node: Node) throws(InputError) -> Step {
        stepsRead += 1
        guard stepsRead <= maxSteps else { throw document.error("more than \(maxSteps) steps (--max-steps)", at: node) }
        let entries = try document.mapping(node, what: "a step")
        let kinds = entries.filter { Self.allStepKinds.contains($0.key) }
        for entry in entries where !Self.allStepKinds.contains(entry.key) && !Self.stepModifiers.contains(entry.key) {
            if kinds.isEmpty {
                throw document.error(
                    "unknown step kind '\(entry.key)' (a step is one of: \(Self.stepKinds.joined(separator: ", ")))",
                    at: entry.keyNode)
            }
            throw document.error(
                "unknown step key '\(entry.key)' (allowed: \((Self.stepKinds + Self.stepModifiers).joined(separator: ", ")))",
                at: entry.keyNode)
        }
        guard let kindEntry = kinds.first else {
            throw document.error("a step needs one of: \(Self.stepKinds.joined(separator: ", "))", at: node)
        }
        guard kinds.count == 1 else {
            throw document.error(
                "a step has exactly one of \(Self.stepKinds.joined(separator: ", ")); this one has \(kinds.map(\.key).joined(separator: " and "))",
                at: kinds[1].keyNode)
        }
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        if kindEntry.key == "concurrent" {
            return try concurrent(node, entries: entries, kindEntry: kindEntry)
        }
        if clientScope == nil, let modifier = entries.first(where: { Self.clientModifiers.contains($0.key) }) {
            throw document.error("'\(modifier.key)' applies to the steps inside a concurrent block", at: modifier.keyNode)
        }

        let expectNode = value("expect")
        let expect = try expectNode.map { n throws(InputError) in try expectation(n) }
        let kind: Step.Kind
        switch kindEntry.key {
        case "command":
            var c = try command(kindEntry.value)
            c.expect = expect
            kind = .command(c)
        case "pipeline", "transaction":
            if let expectNode {
                throw document.error(
                    "expect on a \(kindEntry.key) step: put it on the entries instead ({ command: [...], expect: {...} })",
                    at: expectNode)
            }
            let nodes = try document.sequence(kindEntry.value, kindEntry.key)
            guard !nodes.isEmpty else {
                throw document.error("empty \(kindEntry.key): list its commands", at: kindEntry.value)
            }
            var commands: [CommandTemplate] = []
            for entry in nodes {
                commands.append(try batchEntry(entry, in: kindEntry.key))
            }
            kind = kindEntry.key == "pipeline" ? .pipeline(commands) : .transaction(commands)
        default:
            kind = .script(try script(kindEntry.value), expect: expect)
        }

        let onError = try value("on_error").map { n throws(InputError) in try errorPolicy(n) } ?? .abort
        let label = try value("label").map { n throws(InputError) in try document.string(n, "label") }
        let setup = try value("setup").map { n throws(InputError) in try document.flag(n, "setup") } ?? false
        let checkpoint = try value("checkpoint").map { n throws(InputError) in try document.flag(n, "checkpoint") } ?? false
        var step = Step(
            kind: kind, onError: onError, label: label, setup: setup, checkpoint: checkpoint, location: document.location(node))
        if clientScope != nil {
            for key in ["setup", "checkpoint"] {
                if let entry = entries.first(where: { $0.key == key }) {
                    throw document.error(
                        "'\(key)' does not apply inside a concurrent block: mark the concurrent step instead", at: entry.keyNode)
                }
            }
            if let ifNode = value("if") {
                if case .sequence = ifNode {
                    for item in try document.sequence(ifNode, "if") { step.conditions.append(try condition(item)) }
                    if step.conditions.isEmpty {
                        throw document.error("empty if: give { var: NAME, lt: VALUE } or a list of them", at: ifNode)
                    }
                } else {
                    step.conditions = [try condition(ifNode)]
                }
            }
            step.tally = try value("tally").map { n throws(InputError) in try tally(n) }
            if let captureNode = value("capture") {
                let name = try document.string(captureNode, "capture")
                guard Template.isVariableName(name) else {
                    throw document.error(
                        "bad capture name '\(name)': use letters, digits and _, not starting with a digit", at: captureNode)
                }
                guard !defined.contains(name), name != ConcurrentBlock.clientVariable, name != Template.memberVariable else {
                    throw document.error(
                        "capture '\(name)' would hide a variable of the same name: choose another name", at: captureNode)
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

    /// A pipeline or transaction entry: `[..]` or `{ command: [..], expect: {..} }`.
    func batchEntry(_ node: Node, in kind: String) throws(InputError) -> CommandTemplate {
        switch node {
        case .sequence:
            return try command(node)
        case .mapping:
            let entries = try document.mapping(node, what: "a \(kind) entry")
            for entry in entries where entry.key != "command" && entry.key != "expect" {
                throw document.error(
                    "unknown key '\(entry.key)' in a \(kind) entry (allowed: command, expect)", at: entry.keyNode)
            }
            guard let commandNode = entries.first(where: { $0.key == "command" })?.value else {
                throw document.error("a \(kind) entry written as a mapping needs 'command'", at: node)
            }
            var c = try command(commandNode)
            if let expectNode = entries.first(where: { $0.key == "expect" })?.value {
                c.expect = try expectation(expectNode)
            }
            return c
        default:
            throw document.error(
                "a \(kind) entry is a command list [NAME, arg, ...] or { command: [...], expect: {...} }", at: node)
        }
    }

    /// A command list: checked against the command table on its text as written, when the table lists it.
    func command(_ node: Node) throws(InputError) -> CommandTemplate {
        guard case .sequence = node else {
            throw document.error("a command is a list: [NAME, arg, ...]", at: node)
        }
        let items = try document.sequence(node, "a command")
        guard !items.isEmpty else {
            throw document.error("empty command", at: node)
        }
        var arguments: [Template] = []
        for item in items {
            guard case .scalar = item else {
                throw document.error("command arguments must be texts or numbers, not lists or mappings", at: item)
            }
            arguments.append(try template(try document.string(item, "a command argument"), item))
        }
        guard arguments[0].isLiteral else {
            throw document.error("the command name must be written out, not taken from a variable", at: items[0])
        }
        let name = arguments[0].raw.uppercased()
        if CommandTable.containers.contains(name), arguments.count > 1, !arguments[1].isLiteral {
            throw document.error("the \(name) subcommand must be written out, not taken from a variable", at: items[1])
        }
        if ["MULTI", "EXEC", "DISCARD"].contains(name) {
            throw document.error("\(name) is sent by the replay around a 'transaction:' step; do not write it", at: node)
        }
        // A command the table does not list is learned from the endpoints when the scenario runs
        // (`CommandCatalog`); the table checks every other command now.
        if CommandTable.lookup(arguments.map(\.raw)) != .unknown {
            do {
                _ = try CommandTable.check(strings: arguments.map(\.raw))
            } catch {
                throw document.error(error.message, at: node)
            }
        }
        return CommandTemplate(arguments: arguments, location: document.location(node))
    }

    func script(_ node: Node) throws(InputError) -> ScriptCall {
        let entries = try document.mapping(node, what: "script")
        var body: Template?
        var keys: [Template] = []
        var args: [Template] = []
        for entry in entries {
            switch entry.key {
            case "lua":
                body = try template(try document.string(entry.value, "lua"), entry.value)
            case "keys", "args":
                var list: [Template] = []
                for item in try document.sequence(entry.value, entry.key) {
                    guard case .scalar = item else {
                        throw document.error("script \(entry.key) must be texts or numbers", at: item)
                    }
                    list.append(try template(try document.string(item, "a script \(entry.key) item"), item))
                }
                if entry.key == "keys" { keys = list } else { args = list }
            default:
                throw document.error("unknown key '\(entry.key)' in script (allowed: lua, keys, args)", at: entry.keyNode)
            }
        }
        guard let body else {
            throw document.error("script needs 'lua': the script's body", at: node)
        }
        return ScriptCall(body: body, keys: keys, args: args, location: document.location(node))
    }

    func errorPolicy(_ node: Node) throws(InputError) -> ErrorPolicy {
        let allowed = "expected abort, continue, as-null, or { retry: N }"
        func retries(_ raw: String, _ at: Node) throws(InputError) -> ErrorPolicy {
            guard let n = YAMLDocument.wholeNumber(raw.trimmingCharacters(in: .whitespaces)), (1...100).contains(n) else {
                throw document.error("bad retry count '\(raw)': a whole number from 1 to 100", at: at)
            }
            return .retry(Int(n))
        }
        switch node {
        case .scalar:
            let value = try document.string(node, "on_error")
            switch value {
            case "abort": return .abort
            case "continue": return .continue
            case "as-null": return .asNull
            default:
                if value.hasPrefix("retry:") {
                    return try retries(String(value.dropFirst("retry:".count)), node)
                }
                throw document.error("bad on_error '\(value)': \(allowed)", at: node)
            }
        case .mapping:
            let entries = try document.mapping(node, what: "on_error")
            guard entries.count == 1, entries[0].key == "retry" else {
                throw document.error("bad on_error: \(allowed)", at: node)
            }
            return try retries(try document.string(entries[0].value, "retry"), entries[0].value)
        default:
            throw document.error("bad on_error: \(allowed)", at: node)
        }
    }

    // MARK: Expectations

    func expectation(_ node: Node) throws(InputError) -> Expectation {
        let entries = try document.mapping(node, what: "expect")
        guard !entries.isEmpty else {
            throw document.error("empty expect: give type, value, integer, set, array or error", at: node)
        }
        var e = Expectation(location: document.location(node))
        for entry in entries {
            let v = entry.value
            switch entry.key {
            case "type":
                let t = try document.string(v, "type")
                guard Self.replyTypes.contains(t) else {
                    throw document.error("bad reply type '\(t)' (expected \(Self.replyTypes.joined(separator: ", ")))", at: v)
                }
                e.type = t
            case "value":
                guard case .scalar = v else { throw document.error("expect value must be a text or a number", at: v) }
                e.value = try template(try document.string(v, "value"), v)
            case "integer":
                switch v {
                case .scalar:
                    let n = try document.integer(v, "integer")
                    e.integerMin = n
                    e.integerMax = n
                case .mapping:
                    (e.integerMin, e.integerMax) = try bounds(v, "integer")
                default:
                    throw document.error("expect integer is a number or { min: N, max: M }", at: v)
                }
            case "set", "array":
                var list: [Template] = []
                for item in try document.sequence(v, entry.key) {
                    guard case .scalar = item else {
                        throw document.error("expect \(entry.key) elements must be texts or numbers", at: item)
                    }
                    list.append(try template(try document.string(item, "an element"), item))
                }
                if entry.key == "set" { e.set = list } else { e.array = list }
            case "error":
                e.errorClass = try errorClass(v)
            case "severity":
                e.severity = try severity(v)
            default:
                throw document.error(
                    "unknown expect key '\(entry.key)' (allowed: \(Self.expectKeys.joined(separator: ", ")))", at: entry.keyNode)
            }
        }
        let hasContent = e.value != nil || e.integerMin != nil || e.integerMax != nil || e.set != nil || e.array != nil
        if e.errorClass != nil {
            if let t = e.type, t != "error" {
                throw document.error("expect says both error and type \(t)", at: node)
            }
            if hasContent {
                throw document.error("an expected error has no value, integer, set or array to compare", at: node)
            }
        }
        if let t = e.type {
            if (t == "nil" || t == "nil-array") && hasContent {
                throw document.error("a \(t) reply has no value, integer, set or array to compare", at: node)
            }
            if (e.set != nil || e.array != nil) && t != "array" {
                throw document.error("set and array compare array replies, but type is \(t)", at: node)
            }
            if (e.integerMin != nil || e.integerMax != nil) && !["integer", "bulk", "status"].contains(t) {
                throw document.error("integer bounds apply to integer, bulk or status replies, but type is \(t)", at: node)
            }
        }
        if e.set != nil && e.array != nil {
            throw document.error("expect has both set and array: choose one", at: node)
        }
        if e.type == nil && e.errorClass == nil && !hasContent {
            throw document.error("expect has only a severity: give type, value, integer, set, array or error", at: node)
        }
        return e
    }

    func errorClass(_ node: Node) throws(InputError) -> String {
        guard case .scalar(let scalar) = node else {
            throw document.error("expect error is an error class (WRONGTYPE) or any", at: node)
        }
        let value = scalar.string
        if value == "any" || (scalar.style == .plain && YAMLDocument.flagValue(value) == true) {
            return ""
        }
        if scalar.style == .plain && YAMLDocument.flagValue(value) == false {
            throw document.error("'error: false' is not an expectation; omit 'error' or give a reply type", at: node)
        }
        let cls = value.uppercased()
        guard !cls.isEmpty,
            cls.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" })
        else {
            throw document.error("bad error class '\(value)': one word such as WRONGTYPE, or any", at: node)
        }
        return cls
    }

    // MARK: Invariants

    func invariant(_ node: Node) throws(InputError) -> Invariant {
        let entries = try document.mapping(node, what: "an invariant")
        let checks = entries.filter { Self.invariantChecks.contains($0.key) }
        for entry in entries where !Self.invariantChecks.contains(entry.key) && !Self.invariantModifiers.contains(entry.key) {
            throw document.error(
                "unknown invariant key '\(entry.key)' (checks: \(Self.invariantChecks.joined(separator: ", ")); with min, max, is, severity, why)",
                at: entry.keyNode)
        }
        guard let checkEntry = checks.first else {
            throw document.error("an invariant needs one of: \(Self.invariantChecks.joined(separator: ", "))", at: node)
        }
        guard checks.count == 1 else {
            throw document.error(
                "an invariant checks one thing; this one has \(checks.map(\.key).joined(separator: " and ")): write one invariant each",
                at: checks[1].keyNode)
        }
        func value(_ key: String) -> (keyNode: Node, value: Node)? {
            entries.first { $0.key == key }.map { ($0.keyNode, $0.value) }
        }
        func disallow(_ keys: [String]) throws(InputError) {
            for key in keys {
                if let pair = value(key) {
                    throw document.error("'\(key)' does not apply to a \(checkEntry.key) invariant", at: pair.keyNode)
                }
            }
        }
        func keyTemplate() throws(InputError) -> Template {
            guard case .scalar = checkEntry.value else {
                throw document.error("\(checkEntry.key) takes a key: { \(checkEntry.key): \"key\" }", at: checkEntry.value)
            }
            return try template(try document.string(checkEntry.value, checkEntry.key), checkEntry.value)
        }
        func optionalInteger(_ key: String) throws(InputError) -> Int64? {
            try value(key).map { pair throws(InputError) in try document.integer(pair.value, key) }
        }
        func bound(_ key: String) throws(InputError) -> Bound? {
            guard let pair = value(key) else { return nil }
            let raw = try document.string(pair.value, key)
            if YAMLDocument.wholeNumber(raw) != nil { return Bound(Template(raw)) }
            let t = try template(raw, pair.value)
            guard !t.isLiteral else { throw document.error("\(key) must be a whole number, got '\(raw)'", at: pair.value) }
            return Bound(t)
        }
        func bounds() throws(InputError) -> (Bound?, Bound?) {
            let min = try bound("min")
            let max = try bound("max")
            guard min != nil || max != nil else {
                throw document.error("a \(checkEntry.key) invariant needs min, max or both", at: node)
            }
            if let a = min.flatMap({ YAMLDocument.wholeNumber($0.template.raw) }),
                let b = max.flatMap({ YAMLDocument.wholeNumber($0.template.raw) }), a > b
            {
                throw document.error("min \(a) is greater than max \(b)", at: node)
            }
            return (min, max)
        }
        func minMax() throws(InputError) -> (Int64?, Int64?) {
            let min = try optionalInteger("min")
            let max = try optionalInteger("max")
            guard min != nil || max != nil else {
                throw document.error("a \(checkEntry.key) invariant needs min, max or both", at: node)
            }
            if let min, let max, min > max {
                throw document.error("min \(min) is greater than max \(max)", at: node)
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
            let name = try document.string(checkEntry.value, "tally")
            guard tallies.contains(name) else {
                let known = tallies.isEmpty ? "no step declares a tally" : "declared: " + tallies.joined(separator: ", ")
                throw document.error(
                    "unknown tally '\(name)' (\(known)); add 'tally: \(name)' to a step of a concurrent block",
                    at: checkEntry.value)
            }
            let (min, max) = try bounds()
            check = .tally(name, min: min, max: max)
        case "counts_match":
            try disallow(["min", "max", "is"])
            var counterNode: Node?
            var setNode: Node?
            for entry in try document.mapping(checkEntry.value, what: "counts_match") {
                switch entry.key {
                case "counter": counterNode = entry.value
                case "set": setNode = entry.value
                default:
                    throw document.error("unknown key '\(entry.key)' in counts_match (allowed: counter, set)", at: entry.keyNode)
                }
            }
            guard let counterNode, let setNode else {
                throw document.error(
                    "counts_match needs counter and set: { counter: \"count:${sessionId}\", set: \"checkins:${sessionId}\" }",
                    at: checkEntry.value)
            }
            check = .countsMatch(
                counter: try template(try document.string(counterNode, "counter"), counterNode),
                set: try template(try document.string(setNode, "set"), setNode))
        case "type":
            try disallow(["min", "max"])
            let key = try keyTemplate()
            guard let isNode = value("is")?.value else {
                throw document.error("a type invariant needs 'is': { type: KEY, is: set }", at: node)
            }
            let type = try document.string(isNode, "is")
            guard Self.redisTypes.contains(type) else {
                throw document.error("bad type '\(type)' (expected \(Self.redisTypes.joined(separator: ", ")))", at: isNode)
            }
            check = .type(key, type)
        default:
            try disallow(["min", "max", "is"])
            let inner = try document.mapping(checkEntry.value, what: "members_have_keys")
            var setNode: Node?
            var keyNode: Node?
            for entry in inner {
                switch entry.key {
                case "set": setNode = entry.value
                case "key": keyNode = entry.value
                default:
                    throw document.error("unknown key '\(entry.key)' in members_have_keys (allowed: set, key)", at: entry.keyNode)
                }
            }
            guard let setNode, let keyNode else {
                throw document.error(
                    "members_have_keys needs set and key: { set: \"sess:${userId}\", key: \"rt:${userId}:${member}\" }",
                    at: checkEntry.value)
            }
            let set = try template(try document.string(setNode, "set"), setNode)
            let key = try template(try document.string(keyNode, "key"), keyNode, extra: [Template.memberVariable])
            guard (try? key.references())?.contains(Template.memberVariable) == true else {
                throw document.error("members_have_keys key must use ${member}, the set's member", at: keyNode)
            }
            check = .membersHaveKeys(set: set, key: key)
        }
        let severity = try value("severity").map { pair throws(InputError) in try self.severity(pair.value) } ?? .high
        let why = try value("why").map { pair throws(InputError) in try document.string(pair.value, "why") }
        return Invariant(check: check, severity: severity, why: why, location: document.location(node))
    }

    // MARK: Node helpers

    func isScenarioName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-", first != "." else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
    }

    func bounds(_ node: Node, _ what: String) throws(InputError) -> (Int64?, Int64?) {
        var min: Int64?
        var max: Int64?
        for entry in try document.mapping(node, what: what) {
            switch entry.key {
            case "min": min = try document.integer(entry.value, "min")
            case "max": max = try document.integer(entry.value, "max")
            default: throw document.error("unknown key '\(entry.key)' in \(what) (allowed: min, max)", at: entry.keyNode)
            }
        }
        guard min != nil || max != nil else {
            throw document.error("\(what) bounds need min, max or both", at: node)
        }
        if let min, let max, min > max {
            throw document.error("min \(min) is greater than max \(max)", at: node)
        }
        return (min, max)
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
