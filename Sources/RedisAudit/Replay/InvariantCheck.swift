import RESP

/// Judges a scenario's invariants against the endpoint's state, reading it directly.
enum InvariantCheck {
    static func evaluate(
        _ invariants: [Invariant], bindings: VariableBindings, namespace: Namespace, session: inout ReplaySession
    ) async throws -> [InvariantResult] {
        var results: [InvariantResult] = []
        for invariant in invariants {
            results.append(try await evaluate(invariant, bindings: bindings, namespace: namespace, session: &session))
        }
        return results
    }

    private static func key(_ template: Template, _ bindings: VariableBindings, _ namespace: Namespace) throws -> (wire: [UInt8], shown: String) {
        let shown = try template.render(bindings)
        return (namespace.namespaced(Array(shown.utf8)), shown)
    }

    private static func command(_ name: String, _ key: [UInt8]) -> RESPCommand {
        RESPCommand(arguments: [Array(name.utf8), key])
    }

    static func evaluate(
        _ invariant: Invariant, bindings: VariableBindings, namespace: Namespace, session: inout ReplaySession
    ) async throws -> InvariantResult {
        func result(_ holds: Bool, _ observation: String) -> InvariantResult {
            InvariantResult(invariant: invariant, holds: holds, observation: observation)
        }
        switch invariant.check {
        case .exists(let t), .missing(let t):
            let k = try key(t, bindings, namespace)
            let exists = try await session.send([command("EXISTS", k.wire)])[0].reply?.integerValue ?? 0
            let wantExists: Bool
            if case .exists = invariant.check { wantExists = true } else { wantExists = false }
            return result((exists > 0) == wantExists, "\(k.shown) \(exists > 0 ? "exists" : "does not exist")")
        case .ttl(let t, let min, let max):
            let k = try key(t, bindings, namespace)
            let pttl = try await session.send([command("PTTL", k.wire)])[0].reply?.integerValue ?? -2
            if pttl == -2 { return result(true, "\(k.shown) does not exist (TTL not judged)") }
            if pttl == -1 {
                return result(min == nil, "\(k.shown) has no TTL (-1): it never expires")
            }
            let seconds = (pttl + 999) / 1000
            var holds = true
            if let min, seconds < min { holds = false }
            if let max, seconds > max { holds = false }
            return result(holds, "\(k.shown) has TTL \(seconds) s")
        case .type(let t, let expected):
            let k = try key(t, bindings, namespace)
            let type = try await session.send([command("TYPE", k.wire)])[0].reply?.text ?? "unknown"
            return result(type == expected, "\(k.shown) is of type \(type)")
        case .membersHaveKeys(let setTemplate, let keyTemplate):
            let set = try key(setTemplate, bindings, namespace)
            let reply = try await session.send([command("SMEMBERS", set.wire)])[0]
            guard let members = reply.reply?.arrayElements else {
                return result(false, "SMEMBERS \(set.shown) failed: \(reply.reply?.redisCLIDescription ?? "no reply")")
            }
            var missing: [String] = []
            for case .bulkString(let member) in members {
                let memberBindings = bindings.adding(Template.memberVariable, String(decoding: member, as: UTF8.self))
                let k = try key(keyTemplate, memberBindings, namespace)
                let exists = try await session.send([command("EXISTS", k.wire)])[0].reply?.integerValue ?? 0
                if exists == 0 { missing.append(k.shown) }
            }
            if missing.isEmpty {
                return result(true, "all \(members.count) members of \(set.shown) have their key")
            }
            return result(false, "\(missing.count) of \(members.count) members of \(set.shown) have no key: \(missing.joined(separator: ", "))")
        case .value(let t, let min, let max):
            let k = try key(t, bindings, namespace)
            let reply = try await session.send([command("GET", k.wire)])[0].reply
            let number: Int64
            switch reply {
            case .null?: number = 0
            case let value?:
                guard let n = value.integerValue else {
                    return result(false, "\(k.shown) does not hold an integer: \(value.redisCLIDescription)")
                }
                number = n
            case nil: return result(false, "GET \(k.shown) got no reply")
            }
            var holds = true
            if let min, number < min { holds = false }
            if let max, number > max { holds = false }
            return result(holds, "\(k.shown) = \(number)")
        }
    }
}
