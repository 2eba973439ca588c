import Foundation
import Yams

/// `expect:`: the reply a command should get (type, value, integer bounds, set, array or error).
extension ScenarioReader {
    static let expectKeys = ["type", "value", "integer", "set", "array", "error", "severity"]
    static let replyTypes = ["status", "error", "integer", "bulk", "nil", "nil-array", "array"]

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
}
