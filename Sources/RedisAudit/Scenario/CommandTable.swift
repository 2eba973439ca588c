/// What redisaudit knows about a Redis command, in the spirit of `COMMAND INFO`: its arity,
/// where its keys are, and how its reply behaves.
///
/// Scenarios may only send commands listed here: a command whose keys cannot be located
/// cannot be confined to the run's namespace, so it is never sent.
public struct CommandSpec: Hashable, Sendable {
    /// The command name, upper-cased; container commands include the subcommand (`OBJECT IDLETIME`).
    public let name: String
    /// Redis convention: the number of arguments including the name (and subcommand);
    /// negative means "at least that many".
    public let arity: Int
    /// Where the keys are.
    public let keys: KeySpec
    public let flags: CommandFlags
    /// Options that make the command reach outside the run's namespace (`COPY ... DB n`);
    /// a command carrying one is refused.
    public let forbiddenOptions: [String]

    public init(name: String, arity: Int, keys: KeySpec, flags: CommandFlags, forbiddenOptions: [String] = []) {
        self.name = name
        self.arity = arity
        self.keys = keys
        self.flags = flags
        self.forbiddenOptions = forbiddenOptions
    }

    /// Number of words in `name` (2 for container commands such as `CONFIG GET`).
    public var nameWords: Int { name.split(separator: " ").count }

    /// The arity as a phrase about arguments after the name: "exactly 3", "at least 1".
    var arityPhrase: String {
        let words = nameWords
        if arity >= 0 {
            let n = arity - words
            return "exactly \(n) argument\(n == 1 ? "" : "s")"
        }
        let n = -arity - words
        return "at least \(n) argument\(n == 1 ? "" : "s")"
    }
}

/// Where a command's keys are. Positions count the command name as 0.
public enum KeySpec: Hashable, Sendable {
    /// The command touches no key (PING, TIME, SCRIPT LOAD).
    case none
    /// Keys from `first` to `last` every `step` arguments; a negative `last` counts from the end
    /// (-1 is the last argument, -2 the one before it).
    case range(first: Int, last: Int, step: Int)
    /// Keys at the `fixed` positions, then as many keys as the integer at `countAt` says,
    /// right after it (EVAL, ZUNIONSTORE, LMPOP, ...).
    case numkeys(fixed: [Int], countAt: Int)
    /// XREAD and XREADGROUP: after the `STREAMS` keyword, the first half of the remaining
    /// arguments are keys, the second half their IDs.
    case streams
    /// KEYS: the argument at this position is a glob over key names.
    case pattern(at: Int)
    /// SCAN: the glob after `MATCH` is over key names; SCAN without MATCH is refused.
    case scanMatch
}

/// How a command and its reply behave.
public struct CommandFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// May modify the keyspace.
    public static let write = CommandFlags(rawValue: 1 << 0)
    /// Only reads.
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    /// The reply is expected to differ between endpoints or runs (random members, clocks, IDs).
    public static let nondeterministic = CommandFlags(rawValue: 1 << 2)
    /// The reply is an unordered collection; compare it as a set.
    public static let setReply = CommandFlags(rawValue: 1 << 3)
    /// The reply is a duration or time that drifts while the scenario runs; compare it with a tolerance.
    public static let ttlReply = CommandFlags(rawValue: 1 << 4)
    /// Running the command twice does not leave the same state as running it once:
    /// a retry after a lost reply may double-apply it.
    public static let nonIdempotent = CommandFlags(rawValue: 1 << 5)
    /// A flat list of field/value pairs (HGETALL): compare as a set of pairs.
    public static let pairReply = CommandFlags(rawValue: 1 << 6)
    /// `[cursor, elements]` (SCAN family): the cursor is implementation-defined,
    /// the elements unordered.
    public static let scanReply = CommandFlags(rawValue: 1 << 7)
    /// May block the connection waiting for data.
    public static let blocking = CommandFlags(rawValue: 1 << 8)
}

/// Why a command cannot be sent: unknown, refused, or the wrong shape.
public struct CommandRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// The command name as given, upper-cased.
    public var command: String
    public var message: String

    public init(command: String, message: String) {
        self.command = command
        self.message = message
    }

    public var description: String { message }
}

/// The commands redisaudit will send, and the ones it refuses.
public enum CommandTable {
    /// The result of looking a command up by name.
    public enum Lookup: Hashable, Sendable {
        case supported(CommandSpec)
        /// Known and refused on purpose, with the reason.
        case refused(String)
        /// Not in the table.
        case unknown
    }

    /// Looks up a command by its arguments (name first); container commands
    /// (`OBJECT`, `CONFIG`, `CLIENT`, ...) are looked up with their subcommand.
    public static func lookup(_ arguments: [String]) -> Lookup {
        guard let first = arguments.first else { return .unknown }
        let name = first.uppercased()
        if let reason = refusedCommands[name] { return .refused(reason) }
        if containers.contains(name) {
            guard arguments.count >= 2 else {
                if let reason = refusedWithoutSubcommand[name] { return .refused(reason) }
                return .refused("\(name) needs a subcommand")
            }
            let full = name + " " + arguments[1].uppercased()
            if let spec = specs[full] { return .supported(spec) }
            if let reason = refusedCommands[full] { return .refused(reason) }
            if let reason = refusedWithoutSubcommand[name] { return .refused(reason) }
            return .refused("\(full) is not supported: redisaudit cannot locate its keys, so it will not send it")
        }
        if let spec = specs[name] { return .supported(spec) }
        return .unknown
    }

    /// The spec of a supported command by its full name (`SET`, `OBJECT IDLETIME`).
    public static func spec(named name: String) -> CommandSpec? { specs[name.uppercased()] }

    /// Every supported command, sorted by name.
    public static var all: [CommandSpec] { specs.values.sorted { $0.name < $1.name } }

    /// Checks that a command can be sent: known, not refused, the right number of arguments,
    /// no forbidden option, and its keys can be located. Returns its spec.
    public static func check(_ arguments: [[UInt8]]) throws(CommandRefusal) -> CommandSpec {
        try check(strings: arguments.map { String(decoding: $0, as: UTF8.self) })
    }

    /// `check(_:)` on text arguments.
    public static func check(strings arguments: [String]) throws(CommandRefusal) -> CommandSpec {
        guard let first = arguments.first, !first.isEmpty else {
            throw CommandRefusal(command: "", message: "empty command")
        }
        let name = first.uppercased()
        let spec: CommandSpec
        switch lookup(arguments) {
        case .supported(let s): spec = s
        case .refused(let reason): throw CommandRefusal(command: name, message: reason)
        case .unknown:
            throw CommandRefusal(
                command: name,
                message: "unknown command \(name): redisaudit cannot locate its keys, so it will not send it")
        }
        let count = arguments.count
        if spec.arity >= 0 ? count != spec.arity : count < -spec.arity {
            throw CommandRefusal(
                command: spec.name,
                message: "wrong number of arguments for \(spec.name): it takes \(spec.arityPhrase), "
                    + "got \(count - spec.nameWords)")
        }
        for argument in arguments.dropFirst(spec.nameWords) {
            let option = argument.uppercased()
            if spec.forbiddenOptions.contains(option) {
                throw CommandRefusal(
                    command: spec.name,
                    message: "\(spec.name) with \(option) is refused: it reaches outside the run's namespace")
            }
        }
        _ = try keyPositions(of: spec, in: arguments)
        return spec
    }

    /// The positions of the key arguments of a command (and, for KEYS and SCAN, of its pattern).
    /// Throws when the keys cannot be located (bad numkeys, SCAN without MATCH, ...).
    public static func keyPositions(of spec: CommandSpec, in arguments: [String]) throws(CommandRefusal) -> [Int] {
        let count = arguments.count
        func refuse(_ message: String) -> CommandRefusal {
            CommandRefusal(command: spec.name, message: message)
        }
        switch spec.keys {
        case .none:
            return []
        case .range(let first, let last, let step):
            let end = last < 0 ? count + last : last
            guard first < count, end >= first else { return [] }
            guard end < count else {
                throw refuse(
                    "wrong number of arguments for \(spec.name): it takes \(spec.arityPhrase), got \(count - spec.nameWords)")
            }
            if step > 1, (end - first + 1) % step != 0 {
                throw refuse("wrong number of arguments for \(spec.name): its arguments come in groups of \(step)")
            }
            return Array(stride(from: first, through: end, by: step))
        case .numkeys(let fixed, let countAt):
            guard countAt < count else {
                throw refuse(
                    "wrong number of arguments for \(spec.name): it takes \(spec.arityPhrase), got \(count - spec.nameWords)")
            }
            guard let n = Int(arguments[countAt]), n >= 0 else {
                throw refuse("\(spec.name) needs a number of keys at argument \(countAt), got '\(arguments[countAt])'")
            }
            guard countAt + n < count else {
                throw refuse(
                    "\(spec.name) says \(n) key\(n == 1 ? "" : "s") but has only \(count - countAt - 1) argument\(count - countAt - 1 == 1 ? "" : "s") after the count"
                )
            }
            return fixed + Array((countAt + 1)..<(countAt + 1 + n))
        case .streams:
            var i = 1
            let isGroupRead = spec.name == "XREADGROUP"
            while i < count {
                switch arguments[i].uppercased() {
                case "STREAMS":
                    let rest = count - i - 1
                    guard rest > 0, rest % 2 == 0 else {
                        throw refuse("\(spec.name) STREAMS needs as many IDs as keys")
                    }
                    return Array((i + 1)...(i + rest / 2))
                case "COUNT", "BLOCK": i += 2
                case "NOACK" where isGroupRead: i += 1
                case "GROUP" where isGroupRead: i += 3
                default:
                    throw refuse("\(spec.name): unexpected argument '\(arguments[i])' before STREAMS")
                }
            }
            throw refuse("\(spec.name) without STREAMS: redisaudit cannot locate its keys")
        case .pattern(let at):
            guard at < count else { throw refuse("\(spec.name) needs a pattern") }
            return [at]
        case .scanMatch:
            guard let at = scanMatchPosition(arguments) else {
                throw refuse("SCAN without MATCH is refused: it would list keys outside the run's namespace; add MATCH pattern")
            }
            return [at]
        }
    }

    /// The position of the pattern after `MATCH` in a SCAN command, or nil.
    static func scanMatchPosition(_ arguments: [String]) -> Int? {
        var i = 2
        var found: Int?
        while i + 1 < arguments.count {
            if arguments[i].uppercased() == "MATCH" { found = i + 1 }
            i += 2
        }
        return found
    }

    // MARK: - The table

    /// Commands looked up with their subcommand.
    static let containers: Set<String> = [
        "OBJECT", "MEMORY", "CONFIG", "CLIENT", "SCRIPT", "XGROUP", "XINFO", "FUNCTION", "CLUSTER", "ACL",
        "DEBUG",
    ]

    /// Refusals that apply to every subcommand not listed in `specs`.
    static let refusedWithoutSubcommand: [String: String] = [
        "OBJECT": "OBJECT is refused without a key-taking subcommand (ENCODING, IDLETIME, FREQ, REFCOUNT)",
        "CONFIG": "CONFIG is refused except CONFIG GET: it changes the server for everyone",
        "CLIENT":
            "CLIENT is refused except CLIENT ID, GETNAME, SETNAME, NO-EVICT and NO-TOUCH (which act on the caller's own connection): the others act on other connections or the whole server",
        "SCRIPT": "SCRIPT is refused except SCRIPT LOAD and SCRIPT EXISTS",
        "FUNCTION": "FUNCTION is refused (only FCALL is supported): it changes the server's function libraries for everyone",
        "CLUSTER": "CLUSTER is refused: it changes or inspects the cluster, not the run's keys",
        "ACL": "ACL is refused: it changes the server's users",
        "DEBUG": "DEBUG is refused: it can crash or reconfigure the server",
        "MEMORY": "MEMORY is refused except MEMORY USAGE",
        "XGROUP": "this XGROUP subcommand is not supported",
        "XINFO": "this XINFO subcommand is not supported",
    ]

    /// Commands refused by name, with the reason shown to the user.
    static let refusedCommands: [String: String] = {
        var r: [String: String] = [:]
        let everyKey = "it acts on every key of the server, not just the run's namespace"
        r["FLUSHALL"] = "FLUSHALL is refused: \(everyKey)"
        r["FLUSHDB"] = "FLUSHDB is refused: \(everyKey)"
        r["SWAPDB"] = "SWAPDB is refused: \(everyKey)"
        r["SHUTDOWN"] = "SHUTDOWN is refused: it stops the server"
        r["SELECT"] = "SELECT is refused: the run's namespace lives in the connection's database"
        r["MOVE"] = "MOVE is refused: it moves a key out of the run's database"
        r["MIGRATE"] = "MIGRATE is refused: it moves keys to another server"
        r["MONITOR"] = "MONITOR is refused: it turns the connection into a feed of every client's commands"
        for name in ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"] {
            r[name] = "\(name) is refused: it turns the connection into a pub/sub connection"
        }
        r["REPLICAOF"] = "REPLICAOF is refused: it changes the server's replication"
        r["SLAVEOF"] = "SLAVEOF is refused: it changes the server's replication"
        for name in ["SAVE", "BGSAVE", "BGREWRITEAOF"] {
            r[name] = "\(name) is refused: it acts on the server's persistence, not the run's keys"
        }
        r["FAILOVER"] = "FAILOVER is refused: it changes the server's replication"
        r["RESET"] = "RESET is refused: it resets the connection the replay depends on"
        r["QUIT"] = "QUIT is refused: it closes the connection the replay depends on"
        r["HELLO"] = "HELLO is refused: the replay negotiates the protocol itself"
        r["AUTH"] = "AUTH is refused: give credentials in the endpoint URL"
        r["RANDOMKEY"] = "RANDOMKEY is refused: it returns keys outside the run's namespace"
        r["SCRIPT FLUSH"] = "SCRIPT FLUSH is refused: it removes every client's cached scripts"
        r["SCRIPT KILL"] = "SCRIPT KILL is refused: it acts on other clients' scripts"
        r["GEORADIUS"] = "GEORADIUS is refused: its STORE options cannot be located; use GEOSEARCH"
        r["GEORADIUSBYMEMBER"] = "GEORADIUSBYMEMBER is refused: its STORE options cannot be located; use GEOSEARCH"
        r["SORT"] = "SORT is refused: its BY and GET patterns read keys redisaudit cannot locate"
        r["SORT_RO"] = "SORT_RO is refused: its BY and GET patterns read keys redisaudit cannot locate"
        r["PUBLISH"] = "PUBLISH is refused: channels are not namespaced"
        r["SPUBLISH"] = "SPUBLISH is refused: channels are not namespaced"
        return r
    }()

    static let specs: [String: CommandSpec] = {
        var t: [String: CommandSpec] = [:]
        func add(
            _ name: String, _ arity: Int, _ keys: KeySpec, _ flags: CommandFlags, forbidden: [String] = []
        ) {
            precondition(t[name] == nil, "duplicate command \(name)")
            t[name] = CommandSpec(name: name, arity: arity, keys: keys, flags: flags, forbiddenOptions: forbidden)
        }
        let key1: KeySpec = .range(first: 1, last: 1, step: 1)
        let key2: KeySpec = .range(first: 2, last: 2, step: 1)
        let keys1to2: KeySpec = .range(first: 1, last: 2, step: 1)
        let allKeys: KeySpec = .range(first: 1, last: -1, step: 1)
        let keysButLast: KeySpec = .range(first: 1, last: -2, step: 1)
        let pairs: KeySpec = .range(first: 1, last: -1, step: 2)
        let w: CommandFlags = .write
        let r: CommandFlags = .readonly
        let wn: CommandFlags = [.write, .nonIdempotent]

        // Strings and counters
        add("GET", 2, key1, r)
        add("SET", -3, key1, w)
        add("SETEX", 4, key1, w)
        add("PSETEX", 4, key1, w)
        add("SETNX", 3, key1, w)
        add("GETEX", -2, key1, w)
        add("GETDEL", 2, key1, w)
        add("GETSET", 3, key1, w)
        add("MGET", -2, allKeys, r)
        add("MSET", -3, pairs, w)
        add("MSETNX", -3, pairs, w)
        add("STRLEN", 2, key1, r)
        add("SETRANGE", 4, key1, w)
        add("GETRANGE", 4, key1, r)
        add("SUBSTR", 4, key1, r)
        add("APPEND", 3, key1, wn)
        add("INCR", 2, key1, wn)
        add("DECR", 2, key1, wn)
        add("INCRBY", 3, key1, wn)
        add("DECRBY", 3, key1, wn)
        add("INCRBYFLOAT", 3, key1, wn)
        add("LCS", -3, keys1to2, r)
        // Bits and HyperLogLog
        add("SETBIT", 4, key1, w)
        add("GETBIT", 3, key1, r)
        add("BITCOUNT", -2, key1, r)
        add("BITPOS", -3, key1, r)
        add("BITOP", -4, .range(first: 2, last: -1, step: 1), w)
        add("BITFIELD", -2, key1, wn)
        add("BITFIELD_RO", -2, key1, r)
        add("PFADD", -2, key1, w)
        add("PFCOUNT", -2, allKeys, r)
        add("PFMERGE", -2, allKeys, w)
        // Keys and expiry
        add("DEL", -2, allKeys, w)
        add("UNLINK", -2, allKeys, w)
        add("EXISTS", -2, allKeys, r)
        add("TOUCH", -2, allKeys, r)
        add("TYPE", 2, key1, r)
        add("RENAME", 3, keys1to2, w)
        add("RENAMENX", 3, keys1to2, w)
        add("COPY", -3, keys1to2, w, forbidden: ["DB"])
        add("PERSIST", 2, key1, w)
        add("EXPIRE", -3, key1, w)
        add("PEXPIRE", -3, key1, w)
        add("EXPIREAT", -3, key1, w)
        add("PEXPIREAT", -3, key1, w)
        add("TTL", 2, key1, [.readonly, .ttlReply])
        add("PTTL", 2, key1, [.readonly, .ttlReply])
        add("EXPIRETIME", 2, key1, [.readonly, .ttlReply])
        add("PEXPIRETIME", 2, key1, [.readonly, .ttlReply])
        add("DUMP", 2, key1, [.readonly, .nondeterministic])
        add("RESTORE", -4, key1, w)
        add("KEYS", 2, .pattern(at: 1), [.readonly, .setReply])
        add("SCAN", -2, .scanMatch, [.readonly, .setReply, .scanReply])
        add("DBSIZE", 1, .none, [.readonly, .nondeterministic])
        add("OBJECT ENCODING", 3, key2, r)
        add("OBJECT IDLETIME", 3, key2, [.readonly, .ttlReply])
        add("OBJECT FREQ", 3, key2, [.readonly, .nondeterministic])
        add("OBJECT REFCOUNT", 3, key2, [.readonly, .nondeterministic])
        add("MEMORY USAGE", -3, key2, [.readonly, .nondeterministic])
        // Hashes
        add("HSET", -4, key1, w)
        add("HSETNX", 4, key1, w)
        add("HMSET", -4, key1, w)
        add("HGET", 3, key1, r)
        add("HMGET", -3, key1, r)
        add("HDEL", -3, key1, w)
        add("HEXISTS", 3, key1, r)
        add("HLEN", 2, key1, r)
        add("HSTRLEN", 3, key1, r)
        add("HINCRBY", 4, key1, wn)
        add("HINCRBYFLOAT", 4, key1, wn)
        add("HGETALL", 2, key1, [.readonly, .setReply, .pairReply])
        add("HKEYS", 2, key1, [.readonly, .setReply])
        add("HVALS", 2, key1, [.readonly, .setReply])
        add("HRANDFIELD", -2, key1, [.readonly, .nondeterministic])
        add("HSCAN", -3, key1, [.readonly, .setReply, .scanReply])
        // Sets
        add("SADD", -3, key1, w)
        add("SREM", -3, key1, w)
        add("SISMEMBER", 3, key1, r)
        add("SMISMEMBER", -3, key1, r)
        add("SCARD", 2, key1, r)
        add("SMEMBERS", 2, key1, [.readonly, .setReply])
        add("SMOVE", 4, keys1to2, w)
        add("SPOP", -2, key1, [.write, .nonIdempotent, .nondeterministic])
        add("SRANDMEMBER", -2, key1, [.readonly, .nondeterministic])
        add("SINTER", -2, allKeys, [.readonly, .setReply])
        add("SUNION", -2, allKeys, [.readonly, .setReply])
        add("SDIFF", -2, allKeys, [.readonly, .setReply])
        add("SINTERSTORE", -3, allKeys, w)
        add("SUNIONSTORE", -3, allKeys, w)
        add("SDIFFSTORE", -3, allKeys, w)
        // SINTERCARD (Redis 7.0+) is learned from the endpoints: COMMAND INFO calls it a read whose keys follow a count.
        add("SSCAN", -3, key1, [.readonly, .setReply, .scanReply])
        // Sorted sets
        add("ZADD", -4, key1, w)
        add("ZREM", -3, key1, w)
        add("ZSCORE", 3, key1, r)
        add("ZMSCORE", -3, key1, r)
        add("ZINCRBY", 4, key1, wn)
        add("ZCARD", 2, key1, r)
        add("ZCOUNT", 4, key1, r)
        add("ZLEXCOUNT", 4, key1, r)
        add("ZRANK", -3, key1, r)
        add("ZREVRANK", -3, key1, r)
        add("ZRANGE", -4, key1, r)
        add("ZREVRANGE", -4, key1, r)
        add("ZRANGEBYSCORE", -4, key1, r)
        add("ZREVRANGEBYSCORE", -4, key1, r)
        add("ZRANGEBYLEX", -4, key1, r)
        add("ZREVRANGEBYLEX", -4, key1, r)
        add("ZRANGESTORE", -5, keys1to2, w)
        add("ZPOPMIN", -2, key1, wn)
        add("ZPOPMAX", -2, key1, wn)
        add("BZPOPMIN", -3, keysButLast, [.write, .nonIdempotent, .blocking])
        add("BZPOPMAX", -3, keysButLast, [.write, .nonIdempotent, .blocking])
        add("ZREMRANGEBYSCORE", 4, key1, w)
        add("ZREMRANGEBYRANK", 4, key1, wn)
        add("ZREMRANGEBYLEX", 4, key1, w)
        add("ZRANDMEMBER", -2, key1, [.readonly, .nondeterministic])
        add("ZUNIONSTORE", -4, .numkeys(fixed: [1], countAt: 2), w)
        add("ZINTERSTORE", -4, .numkeys(fixed: [1], countAt: 2), w)
        add("ZDIFFSTORE", -4, .numkeys(fixed: [1], countAt: 2), w)
        add("ZUNION", -3, .numkeys(fixed: [], countAt: 1), r)
        add("ZINTER", -3, .numkeys(fixed: [], countAt: 1), r)
        add("ZDIFF", -3, .numkeys(fixed: [], countAt: 1), r)
        add("ZINTERCARD", -3, .numkeys(fixed: [], countAt: 1), r)
        add("ZMPOP", -4, .numkeys(fixed: [], countAt: 1), wn)
        add("BZMPOP", -5, .numkeys(fixed: [], countAt: 2), [.write, .nonIdempotent, .blocking])
        add("ZSCAN", -3, key1, [.readonly, .setReply, .scanReply])
        // Lists
        add("LPUSH", -3, key1, wn)
        add("RPUSH", -3, key1, wn)
        add("LPUSHX", -3, key1, wn)
        add("RPUSHX", -3, key1, wn)
        add("LINSERT", 5, key1, wn)
        add("LPOP", -2, key1, wn)
        add("RPOP", -2, key1, wn)
        add("LLEN", 2, key1, r)
        add("LRANGE", 4, key1, r)
        add("LINDEX", 3, key1, r)
        add("LSET", 4, key1, w)
        add("LREM", 4, key1, wn)
        add("LTRIM", 4, key1, wn)
        add("LPOS", -3, key1, r)
        add("LMOVE", 5, keys1to2, wn)
        add("RPOPLPUSH", 3, keys1to2, wn)
        add("LMPOP", -4, .numkeys(fixed: [], countAt: 1), wn)
        add("BLPOP", -3, keysButLast, [.write, .nonIdempotent, .blocking])
        add("BRPOP", -3, keysButLast, [.write, .nonIdempotent, .blocking])
        add("BLMOVE", 6, keys1to2, [.write, .nonIdempotent, .blocking])
        add("BRPOPLPUSH", 4, keys1to2, [.write, .nonIdempotent, .blocking])
        add("BLMPOP", -5, .numkeys(fixed: [], countAt: 2), [.write, .nonIdempotent, .blocking])
        // Streams
        add("XADD", -5, key1, [.write, .nonIdempotent, .nondeterministic])
        add("XLEN", 2, key1, r)
        add("XRANGE", -4, key1, r)
        add("XREVRANGE", -4, key1, r)
        add("XDEL", -3, key1, w)
        add("XTRIM", -4, key1, w)
        add("XREAD", -4, .streams, [.readonly, .blocking])
        add("XREADGROUP", -7, .streams, [.write, .nonIdempotent, .blocking])
        add("XACK", -4, key1, w)
        add("XPENDING", -3, key1, r)
        add("XCLAIM", -6, key1, [.write, .nondeterministic])
        add("XAUTOCLAIM", -6, key1, [.write, .nondeterministic])
        add("XGROUP CREATE", -5, key2, w)
        add("XGROUP DESTROY", 4, key2, w)
        add("XGROUP CREATECONSUMER", 5, key2, w)
        add("XGROUP DELCONSUMER", 5, key2, w)
        add("XGROUP SETID", -5, key2, w)
        add("XINFO STREAM", -3, key2, [.readonly, .nondeterministic])
        add("XINFO GROUPS", 3, key2, [.readonly, .nondeterministic])
        add("XINFO CONSUMERS", 4, key2, [.readonly, .nondeterministic])
        // Geo
        add("GEOADD", -5, key1, w)
        add("GEOPOS", -2, key1, r)
        add("GEODIST", -4, key1, r)
        add("GEOHASH", -2, key1, r)
        add("GEOSEARCH", -7, key1, r)
        add("GEOSEARCHSTORE", -8, keys1to2, w)
        // Scripting and functions
        add("EVAL", -3, .numkeys(fixed: [], countAt: 2), wn)
        add("EVALSHA", -3, .numkeys(fixed: [], countAt: 2), wn)
        add("EVAL_RO", -3, .numkeys(fixed: [], countAt: 2), r)
        add("EVALSHA_RO", -3, .numkeys(fixed: [], countAt: 2), r)
        add("FCALL", -3, .numkeys(fixed: [], countAt: 2), wn)
        add("FCALL_RO", -3, .numkeys(fixed: [], countAt: 2), r)
        add("SCRIPT LOAD", 3, .none, [])
        add("SCRIPT EXISTS", -3, .none, r)
        // Transactions
        add("MULTI", 1, .none, [])
        add("EXEC", 1, .none, [])
        add("DISCARD", 1, .none, [])
        add("WATCH", -2, allKeys, r)
        add("UNWATCH", 1, .none, [])
        // Connection and server
        add("PING", -1, .none, [])
        add("ECHO", 2, .none, [])
        add("TIME", 1, .none, [.readonly, .nondeterministic])
        add("INFO", -1, .none, [.readonly, .nondeterministic])
        add("CONFIG GET", -3, .none, r)
        add("CLIENT ID", 2, .none, [.readonly, .nondeterministic])
        add("CLIENT GETNAME", 2, .none, r)
        add("CLIENT SETNAME", 3, .none, [])
        // The caller's own connection: not evicted, or not touching the keys it reads.
        add("CLIENT NO-EVICT", 3, .none, [])
        add("CLIENT NO-TOUCH", 3, .none, [])
        // Replication acknowledgements: no key; blocks until the replicas (or the AOF) confirm or the timeout.
        add("WAIT", 3, .none, .blocking)
        add("WAITAOF", 4, .none, .blocking)
        return t
    }()
}
