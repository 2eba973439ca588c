/// What an argument of a captured command is to the importer: only keys and values can become
/// variables; the name, option words and TTLs stay as written.
enum ArgumentRole: Hashable, Sendable {
    /// The command name (and a container's subcommand).
    case name
    /// An option word (`EX`, `NX`, `WITHSCORES`).
    case keyword
    /// A TTL or expiry time (`SETEX`'s seconds, `EX 60`): kept as the literal number it was.
    case ttl
    /// A key.
    case key
    /// Any other argument.
    case value
    /// A Lua script's body: code, kept as written.
    case scriptBody

    /// Option words kept as written wherever they appear outside a key.
    static let keywords: Set<String> = [
        "NX", "XX", "GT", "LT", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "GET", "CH", "INCR", "WITHSCORES", "WITHSCORE",
        "LIMIT", "MATCH", "COUNT", "TYPE", "BYSCORE", "BYLEX", "REV", "FIELDS", "PERSIST", "LEFT", "RIGHT", "BEFORE",
        "AFTER", "STORE", "ASC", "DESC", "ALPHA", "BY", "MAXLEN", "MINID", "NOMKSTREAM", "REPLACE", "ABSTTL", "IDLETIME",
        "FREQ", "STREAMS", "BLOCK", "JUSTID", "FORCE", "WEIGHTS", "AGGREGATE", "SUM", "MIN", "MAX", "WITHVALUES", "FNX",
        "FXX", "IDX", "LEN", "MINMATCHLEN", "WITHMATCHLEN", "RANK", "ID",
    ]

    /// Commands whose argument 2 is a TTL or an expiry time.
    static let ttlAtTwo: Set<String> = [
        "SETEX", "PSETEX", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "RESTORE",
    ]

    /// The role of each argument of `arguments` (a command, name first).
    static func roles(of arguments: [[UInt8]]) -> [ArgumentRole] {
        let strings = arguments.map { String(decoding: $0, as: UTF8.self) }
        let name = strings.first?.uppercased() ?? ""
        var roles = [ArgumentRole](repeating: .value, count: strings.count)
        guard !roles.isEmpty else { return roles }
        roles[0] = .name
        var nameWords = 1
        if case .supported(let spec) = CommandTable.lookup(strings) {
            nameWords = spec.nameWords
            for position in (try? CommandTable.keyPositions(of: spec, in: strings)) ?? [] where position < roles.count {
                roles[position] = .key
            }
            // The number of keys (EVAL's numkeys) says where the keys end: kept as written.
            if case .numkeys(_, let countAt) = spec.keys, countAt < roles.count { roles[countAt] = .keyword }
        }
        for index in 1..<min(nameWords, roles.count) { roles[index] = .name }
        if ttlAtTwo.contains(name), roles.count > 2 { roles[2] = .ttl }
        for index in min(nameWords, roles.count)..<roles.count where roles[index] == .value {
            let word = strings[index].uppercased()
            if keywords.contains(word) {
                roles[index] = .keyword
                if ["EX", "PX", "EXAT", "PXAT"].contains(word), index + 1 < roles.count, roles[index + 1] == .value,
                    Int64(strings[index + 1]) != nil
                {
                    roles[index + 1] = .ttl
                }
            }
        }
        return roles
    }
}
