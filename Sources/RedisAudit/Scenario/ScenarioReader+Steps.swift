import Foundation
import Yams

/// `steps:`: each step's kind (command, pipeline, transaction, script), its commands, checked
/// against the command table, and its modifiers (`on_error`, `label`, `setup`, ...).
extension ScenarioReader {
    /// What a step sends; a `concurrent` block of such steps is the one other kind of step.
    static let stepKinds = ["command", "pipeline", "transaction", "script"]
    static let allStepKinds = stepKinds + ["concurrent"]
    static let stepModifiers = ["expect", "on_error", "label", "setup", "checkpoint", "capture", "if", "tally"]
    static let clientModifiers = ["capture", "if", "tally"]

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
}
