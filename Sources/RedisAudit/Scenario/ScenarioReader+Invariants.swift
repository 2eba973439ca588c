import Foundation
import Yams

/// `invariants:`: what the final state must satisfy, one check each.
extension ScenarioReader {
    static let invariantChecks = ["exists", "missing", "ttl", "type", "members_have_keys", "value", "tally", "counts_match"]
    static let invariantModifiers = ["min", "max", "is", "severity", "why"]
    static let redisTypes = ["string", "list", "set", "zset", "hash", "stream"]

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
}
