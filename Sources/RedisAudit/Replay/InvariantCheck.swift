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
        let observed = try await observe(invariant, bindings: bindings, tallies: tallies, namespace: namespace, session: &session)
        return try judge(invariant, observed, bindings: bindings)
    }

    /// Reads what the invariant is about from the endpoint (or, for a tally, from the run's counts).
    private static func observe(
        _ invariant: Invariant, bindings: VariableBindings, tallies: [String: Int], namespace: Namespace,
        session: inout some CommandTransport
    ) async throws -> InvariantObservation {
        /// The integer at a key (missing: 0), or why there is none.
        func integer(at k: (wire: [UInt8], shown: String)) async throws -> InvariantObservation {
            let reply = try await session.send([command("GET", k.wire)])[0].reply
            switch reply {
            case .null?: return .integer(key: k.shown, 0)
            case let value?:
                guard let n = value.integerValue else {
                    return .unreadable("\(k.shown) does not hold an integer: \(value.redisCLIDescription)")
                }
                return .integer(key: k.shown, n)
            case nil: return .unreadable("GET \(k.shown) got no reply")
            }
        }
        switch invariant.check {
        case .exists(let t), .missing(let t):
            let k = try key(t, bindings, namespace)
            let exists = try await session.send([command("EXISTS", k.wire)])[0].reply?.integerValue ?? 0
            return .existence(key: k.shown, exists: exists > 0)
        case .ttl(let t, _, _):
            let k = try key(t, bindings, namespace)
            return .pttl(key: k.shown, try await session.send([command("PTTL", k.wire)])[0].reply?.integerValue ?? -2)
        case .type(let t, _):
            let k = try key(t, bindings, namespace)
            return .type(key: k.shown, try await session.send([command("TYPE", k.wire)])[0].reply?.text ?? "unknown")
        case .membersHaveKeys(let setTemplate, let keyTemplate):
            let set = try key(setTemplate, bindings, namespace)
            let reply = try await session.send([command("SMEMBERS", set.wire)])[0]
            guard let members = reply.reply?.arrayElements else {
                return .unreadable("SMEMBERS \(set.shown) failed: \(reply.reply?.redisCLIDescription ?? "no reply")")
            }
            var missing: [String] = []
            for case .bulkString(let member) in members {
                let memberBindings = bindings.adding(Template.memberVariable, String(decoding: member, as: UTF8.self))
                let k = try key(keyTemplate, memberBindings, namespace)
                let exists = try await session.send([command("EXISTS", k.wire)])[0].reply?.integerValue ?? 0
                if exists == 0 { missing.append(k.shown) }
            }
            return .members(set: set.shown, count: members.count, missing: missing)
        case .value(let t, _, _):
            let k = try key(t, bindings, namespace)
            return try await integer(at: k)
        case .tally(let name, _, _):
            return .tally(Int64(tallies[name] ?? 0))
        case .countsMatch(let counterTemplate, let setTemplate):
            let counter = try key(counterTemplate, bindings, namespace)
            let set = try key(setTemplate, bindings, namespace)
            let read = try await integer(at: counter)
            guard case .integer(_, let number) = read else { return read }
            let card = try await session.send([command("SCARD", set.wire)])[0].reply
            guard let members = card?.integerValue else {
                return .unreadable("SCARD \(set.shown) failed: \(card?.redisCLIDescription ?? "no reply")")
            }
            return .counts(counter: counter.shown, value: number, set: set.shown, members: members)
        }
    }

    /// Judges what was observed against the invariant: whether it holds, and the observation
    /// as the report words it. A bound that is a variable is read from `bindings`.
    static func judge(_ invariant: Invariant, _ observed: InvariantObservation, bindings: VariableBindings) throws
        -> InvariantResult
    {
        func result(_ holds: Bool, _ observation: String, measured: Int64? = nil) -> InvariantResult {
            InvariantResult(invariant: invariant, holds: holds, observation: observation, measured: measured)
        }
        switch (invariant.check, observed) {
        case (_, .unreadable(let problem)):
            return result(false, problem)
        case (.exists, .existence(let key, let exists)), (.missing, .existence(let key, let exists)):
            let wantExists: Bool
            if case .exists = invariant.check { wantExists = true } else { wantExists = false }
            return result(exists == wantExists, "\(key) \(exists ? "exists" : "does not exist")")
        case (.ttl(_, let min, let max), .pttl(let key, let pttl)):
            if pttl == -2 { return result(true, "\(key) does not exist (TTL not judged)") }
            if pttl == -1 {
                return result(min == nil, "\(key) has no TTL (-1): it never expires")
            }
            let seconds = (pttl + 999) / 1000
            var holds = true
            if let min, seconds < min { holds = false }
            if let max, seconds > max { holds = false }
            return result(holds, "\(key) has TTL \(seconds) s")
        case (.type(_, let expected), .type(let key, let type)):
            return result(type == expected, "\(key) is of type \(type)")
        case (.membersHaveKeys, .members(let set, let count, let missing)):
            if missing.isEmpty {
                return result(true, "all \(count) members of \(set) have their key")
            }
            return result(
                false, "\(missing.count) of \(count) members of \(set) have no key: \(missing.joined(separator: ", "))")
        case (.value(_, let min, let max), .integer(let key, let number)):
            return result(
                try within(number, min, max, bindings), "\(key) = \(number)\(boundsText(min, max, bindings))",
                measured: number)
        case (.tally(let name, let min, let max), .tally(let n)):
            return result(try within(n, min, max, bindings), "\(n) clients \(name)\(boundsText(min, max, bindings))", measured: n)
        case (.countsMatch, .counts(let counter, let number, let set, let members)):
            return result(
                number == members, "\(counter) = \(number), \(set) has \(members) members", measured: number - members)
        default:
            preconditionFailure("an observation of another kind of invariant: \(observed)")
        }
    }
}

/// What was read for one invariant, before it is judged (see `InvariantCheck.judge`).
enum InvariantObservation: Hashable, Sendable {
    /// Whether the key exists.
    case existence(key: String, exists: Bool)
    /// The key's PTTL in milliseconds: -2 missing, -1 no expiry.
    case pttl(key: String, Int64)
    /// The key's type (`unknown` without a reply).
    case type(key: String, String)
    /// How many members the set has, and the keys missing for some of them.
    case members(set: String, count: Int, missing: [String])
    /// The integer at a key (a missing key reads as 0).
    case integer(key: String, Int64)
    /// The counter's value and the number of members of the set.
    case counts(counter: String, value: Int64, set: String, members: Int64)
    /// How many clients a tally counted.
    case tally(Int64)
    /// A read that gave nothing to judge, and why: the invariant fails with it.
    case unreadable(String)
}
