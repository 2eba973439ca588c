import Foundation

/// Turns concrete keys back into the scenario's patterns (`rt:${userId}:${tokenHash}`) by
/// replacing variable values with their names.
enum KeyPatterns {
    static func pattern(of key: String, bindings: [String: String]) -> String {
        var result = key
        // Longest values first, so `user1234` is not half-replaced by `user1`; very short
        // values (a TTL digit, a flag) would match by accident and are left alone.
        for (name, value) in bindings.filter({ $0.value.count >= 3 }).sorted(by: {
            ($0.value.count, $0.key) > ($1.value.count, $1.key)
        }) {
            result = result.replacingOccurrences(of: value, with: "${\(name)}")
        }
        return result
    }

    /// Pattern -> the set of types of the keys that have it.
    static func summarize(_ keys: [String: KeyState], bindings: [String: String]) -> [String: Set<String>] {
        var patterns: [String: Set<String>] = [:]
        for (key, state) in keys { patterns[pattern(of: key, bindings: bindings), default: []].insert(state.type) }
        return patterns
    }
}
