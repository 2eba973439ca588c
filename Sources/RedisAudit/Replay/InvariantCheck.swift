import RESP

/// Judges a scenario's invariants against the endpoint's state, reading it directly.
enum InvariantCheck {
    static func evaluate(
        _ invariants: [Invariant], bindings: VariableBindings, tallies: [String: Int] = [:], namespace: Namespace,
        session: inout some CommandTransport
    ) async throws -> [InvariantResult] {
        var results: [InvariantResult] = []
        for invariant in invariants {
            results.append(
                try await evaluate(invariant, bindings: bindings, tallies: tallies, namespace: namespace, session: &session))
        }
        return results
    }

    /// `number` against bounds that may be variables: whether it holds and the bounds as numbers.
    private static func within(_ number: Int64, _ min: Bound?, _ max: Bound?, _ bindings: VariableBindings) throws -> Bool {
        if let min, number < (try min.value(bindings)) { return false }
        if let max, number > (try max.value(bindings)) { return false }
        return true
    }

    /// ` (max 50)`: the bounds as this run's numbers, for observations.
    private static func boundsText(_ min: Bound?, _ max: Bound?, _ bindings: VariableBindings) -> String {
        let parts = [
            min.map { "min \((try? $0.value(bindings)).map(String.init) ?? $0.description)" },
            max.map { "max \((try? $0.value(bindings)).map(String.init) ?? $0.description)" },
        ].compactMap { $0 }
        return parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))"
    }

    private static func key(_ template: Template, _ bindings: VariableBindings, _ namespace: Namespace) throws -> (
        wire: [UInt8], shown: String
    ) {
        let shown = try template.render(bindings)
        return (namespace.namespaced(Array(shown.utf8)), shown)
    }

    private static func command(_ name: String, _ key: [UInt8]) -> RESPCommand {
        RESPCommand(arguments: [Array(name.utf8), key])
    }

    static func evaluate(
        _ invariant: Invariant, bindings: VariableBindings, tallies: [String: Int] = [:], namespace: Namespace,
        session: inout some CommandTransport
    ) async throws -> InvariantResult {
        func result(_ holds: Bool, _ observation: String, measured: Int64? = nil) -> InvariantResult {
            InvariantResult(invariant: invariant, holds: holds, observation: observation, measured: measured)
        }
        /// The integer at a key (missing: 0), or why there is none.
        func integer(at k: (wire: [UInt8], shown: String)) async throws -> (value: Int64?, problem: String) {
            let reply = try await session.send([command("GET", k.wire)])[0].reply
            switch reply {
            case .null?: return (0, "")
            case let value?:
                guard let n = value.integerValue else {
                    return (nil, "\(k.shown) does not hold an integer: \(value.redisCLIDescription)")
                }
                return (n, "")
            case nil: return (nil, "GET \(k.shown) got no reply")
            }
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
            return result(
                false,
                "\(missing.count) of \(members.count) members of \(set.shown) have no key: \(missing.joined(separator: ", "))")
        case .value(let t, let min, let max):
            let k = try key(t, bindings, namespace)
            let read = try await integer(at: k)
            guard let number = read.value else { return result(false, read.problem) }
            return result(
                try within(number, min, max, bindings), "\(k.shown) = \(number)\(boundsText(min, max, bindings))",
                measured: number)
        case .tally(let name, let min, let max):
            let n = Int64(tallies[name] ?? 0)
            return result(try within(n, min, max, bindings), "\(n) clients \(name)\(boundsText(min, max, bindings))", measured: n)
        case .countsMatch(let counterTemplate, let setTemplate):
            let counter = try key(counterTemplate, bindings, namespace)
            let set = try key(setTemplate, bindings, namespace)
            let read = try await integer(at: counter)
            guard let number = read.value else { return result(false, read.problem) }
            let card = try await session.send([command("SCARD", set.wire)])[0].reply
            guard let members = card?.integerValue else {
                return result(false, "SCARD \(set.shown) failed: \(card?.redisCLIDescription ?? "no reply")")
            }
            return result(
                number == members, "\(counter.shown) = \(number), \(set.shown) has \(members) members", measured: number - members
            )
        }
    }
}
