import RESP

/// The keys of a run namespace as read directly from the endpoint: each key's type, value and
/// whether it expires. Two states are equal when they hold the same keys with the same types,
/// values and expiry (remaining TTLs run down, so only their presence is compared).
public struct NamespaceState: Hashable, Sendable {
    /// By key, namespace stripped.
    public var keys: [String: StoredKey]

    public init(keys: [String: StoredKey] = [:]) { self.keys = keys }

    public static let empty = NamespaceState()

    public var isEmpty: Bool { keys.isEmpty }

    /// One line per key, sorted: `sess:user123 (set, no TTL) = {9f2c...}`.
    public var lines: [String] {
        guard !keys.isEmpty else { return ["(no keys)"] }
        return keys.keys.sorted().map { key in "\(Transcript.argument(Array(key.utf8))) \(keys[key]!.summary)" }
    }

    /// What differs from `other`, key by key: `sess:user123: set, no TTL (was: missing)`.
    public func differences(from other: NamespaceState) -> [String] {
        var lines: [String] = []
        for key in Set(keys.keys).union(other.keys.keys).sorted() {
            let now = keys[key]
            let then = other.keys[key]
            guard now != then else { continue }
            let shown = Transcript.argument(Array(key.utf8))
            lines.append("\(shown): \(now?.summary ?? "missing") (was: \(then?.summary ?? "missing"))")
        }
        return lines
    }

    /// Reads every key of the namespace (found with SCAN, plus `known` keys) with TYPE, PTTL
    /// and a type-specific read of its value, pipelined.
    static func read(namespace: Namespace, known: [[UInt8]] = [], session: inout some CommandTransport) async throws
        -> NamespaceState
    {
        var keys = KeyTracker()
        for key in known { keys.add(key) }
        for key in try await NamespaceCleaner.scan(namespace: namespace, session: &session) { keys.add(key) }
        guard !keys.keys.isEmpty else { return .empty }
        var probes: [RESPCommand] = []
        for key in keys.keys {
            probes.append(RESPCommand(arguments: [Array("TYPE".utf8), key]))
            probes.append(RESPCommand(arguments: [Array("PTTL".utf8), key]))
        }
        let probed = try await session.send(probes)
        var present: [(key: [UInt8], type: String, pttl: Int64)] = []
        for (i, key) in keys.keys.enumerated() {
            let type = probed[2 * i].reply?.text ?? "none"
            let pttl = probed[2 * i + 1].reply?.integerValue ?? -2
            if type != "none", pttl != -2 { present.append((key, type, pttl)) }
        }
        let values = try await session.send(present.map { valueRead(key: $0.key, type: $0.type) })
        var state = NamespaceState()
        for (entry, value) in zip(present, values) {
            let shown = String(decoding: namespace.strip(entry.key), as: UTF8.self)
            let rendered = value.reply.map { render(namespace.strip($0), type: entry.type) } ?? "(unreadable)"
            state.keys[shown] = StoredKey(type: entry.type, value: rendered, expires: entry.pttl >= 0)
        }
        return state
    }

    private static func valueRead(key: [UInt8], type: String) -> RESPCommand {
        func command(_ words: String...) -> RESPCommand {
            RESPCommand(arguments: [Array(words[0].utf8), key] + words.dropFirst().map { Array($0.utf8) })
        }
        switch type {
        case "string": return command("GET")
        case "list": return command("LRANGE", "0", "-1")
        case "set": return command("SMEMBERS")
        case "zset": return command("ZRANGE", "0", "-1", "WITHSCORES")
        case "hash": return command("HGETALL")
        case "stream": return command("XLEN")
        default: return command("TYPE")
        }
    }

    /// A value as comparable text: sets and hashes sorted, so member order does not count.
    private static func render(_ value: RESPValue, type: String) -> String {
        let elements = (value.arrayElements ?? []).map { $0.text ?? $0.redisCLIDescription }
        switch type {
        case "string": return value.text ?? value.redisCLIDescription
        case "list": return "[" + elements.joined(separator: ", ") + "]"
        case "set": return "{" + elements.sorted().joined(separator: ", ") + "}"
        case "zset", "hash":
            var pairs: [String] = []
            var index = 0
            while index + 1 < elements.count {
                pairs.append(elements[index] + (type == "hash" ? "=" : ":") + elements[index + 1])
                index += 2
            }
            return "{" + (type == "hash" ? pairs.sorted() : pairs).joined(separator: ", ") + "}"
        case "stream": return "\(value.integerValue ?? 0) entries"
        default: return value.redisCLIDescription
        }
    }
}

/// One key as a state snapshot records it.
public struct StoredKey: Hashable, Sendable {
    public var type: String
    /// The value as comparable text (see `NamespaceState.read`).
    public var value: String
    /// True when the key has a TTL.
    public var expires: Bool

    public init(type: String, value: String, expires: Bool) {
        self.type = type
        self.value = value
        self.expires = expires
    }

    /// `(set, no TTL) = {a, b}`, the value shortened.
    public var summary: String {
        let shown = value.count > 60 ? String(value.prefix(57)) + "..." : value
        return "(\(type), \(expires ? "TTL" : "no TTL")) = \(shown)"
    }
}
