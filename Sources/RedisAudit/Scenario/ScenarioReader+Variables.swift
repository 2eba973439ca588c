import Foundation
import Yams

/// `vars:`: literal variables (which may use the ones above them) and `{ random: hex|uuid }` generators.
extension ScenarioReader {
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
            let location = document.location(entry.keyNode)
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
}
