/// The state a recorded flow started from, as far as its replies show it: the keys it read (or
/// changed, and the reply said how) before writing them. A replay starts in an empty namespace,
/// so the draft's `setup: true` step writes these first; then the flow's replies recur.
///
/// `GET k` -> value gives `SET k value`; `SREM s m` -> 1 or `SISMEMBER s m` -> 1 gives
/// `SADD s m`; `HGET h f` -> value gives `HSET h f value`; `DEL k` -> 1 gives a placeholder value
/// of the type the flow uses the key as; `TTL k` -> 300 gives `EXPIRE k 300`.
struct StartingState: Hashable, Sendable {
    /// What one key held when the flow started.
    struct Key: Hashable, Sendable {
        var key: [UInt8]
        /// nil: no reply said.
        var exists: Bool?
        var kind: KeyKind?
        /// True when `kind` only stands for "not the type a command that got WRONGTYPE works on".
        var kindIsGuess = false
        var string: [UInt8]?
        /// A set's members or a hash's fields, in the order the replies showed them.
        var members: [[UInt8]] = []
        var values: [[UInt8]: [UInt8]] = [:]
        var ttlMilliseconds: Int64?
        /// True when the replies showed all it held (a string's value, a set's every member, or
        /// that it was missing).
        var complete = false

        /// True when the key and all it held are UTF-8 text, which a scenario can write.
        var isText: Bool {
            ([key] + (string.map { [$0] } ?? []) + members + Array(values.values)).allSatisfy {
                String(validating: $0, as: UTF8.self) != nil
            }
        }
    }

    /// The keys, in the order the flow's replies showed them.
    private(set) var recorded: [Key] = []

    /// The keys a setup step can write: those that are text (a key or value that is not stays
    /// out, and the replies about it are checked for their type only).
    var keys: [Key] { recorded.filter(\.isText) }

    /// The value that stands for what a reply did not show (a key that existed, a member of a
    /// set whose members no reply listed).
    static let placeholder = Array("placeholder".utf8)
    /// The value of a hash field whose value no reply showed.
    static let placeholderValue = Array("1".utf8)

    /// Changes what is known of `key`'s starting state.
    mutating func record(_ key: [UInt8], _ change: (inout Key) -> Void) {
        if let index = recorded.firstIndex(where: { $0.key == key }) {
            change(&recorded[index])
        } else {
            var new = Key(key: key)
            change(&new)
            recorded.append(new)
        }
    }

    /// The commands that write the starting state into an empty namespace: one per key that
    /// existed, then its TTL.
    var setupCommands: [[[UInt8]]] {
        var commands: [[[UInt8]]] = []
        for key in keys where key.exists == true {
            let k = key.key
            let members = key.members.isEmpty ? [Self.placeholder] : key.members
            switch key.kind ?? .string {
            case .string: commands.append([Array("SET".utf8), k, key.string ?? Self.placeholder])
            case .set: commands.append([Array("SADD".utf8), k] + members)
            case .hash:
                commands.append(
                    [Array("HSET".utf8), k] + members.flatMap { [$0, key.values[$0] ?? Self.placeholderValue] })
            case .list: commands.append([Array("RPUSH".utf8), k] + members)
            case .zset: commands.append([Array("ZADD".utf8), k] + members.flatMap { [Array("0".utf8), $0] })
            case .stream: commands.append([Array("XADD".utf8), k, Array("*".utf8), Self.placeholder, Array("1".utf8)])
            }
            if let ms = key.ttlMilliseconds, ms > 0 {
                commands.append(
                    ms % 1000 == 0
                        ? [Array("EXPIRE".utf8), k, Array(String(ms / 1000).utf8)]
                        : [Array("PEXPIRE".utf8), k, Array(String(ms).utf8)])
            }
        }
        return commands
    }
}
