import RESP

/// A key's Redis type as the flow model knows it.
enum KeyKind: String, Hashable, Sendable {
    case string, list, set, zset, hash, stream
}

/// A key's TTL as far as a flow's commands and replies tell.
enum TTLFact: Hashable, Sendable {
    /// Nothing says.
    case unknown
    /// The key has no expiry.
    case none
    /// The key was given this many milliseconds to live.
    case milliseconds(Int64)
    /// The key expires at a point in time (`EXPIREAT`), so how long it has left depends on the clock.
    case pointInTime

    /// True when the key expires.
    var expires: Bool {
        switch self {
        case .milliseconds, .pointInTime: return true
        case .unknown, .none: return false
        }
    }
}

/// What the flow model knows of one key at a point of the flow.
struct KeyFacts: Hashable, Sendable {
    /// nil: unknown.
    var exists: Bool?
    var kind: KeyKind?
    /// A string's value, when known.
    var string: [UInt8]?
    /// A set's members or a hash's fields known present, in the order they became known.
    var members: [[UInt8]] = []
    /// A hash's values by field, when known.
    var values: [[UInt8]: [UInt8]] = [:]
    /// Members or fields known absent.
    var absent: Set<[UInt8]> = []
    /// True when every member or field not in `members` is absent.
    var allKnown: Bool
    var ttl: TTLFact
    /// False once a command the model does not follow changed the key.
    var modelled = true
    /// True when the key holds, at this point of a replay, what it held at this point of the
    /// recorded flow (the flow wrote it whole, or its replies showed all it held before).
    var sameAsRecorded: Bool
    /// The flow wrote it (a command that creates or changes a key).
    var written = false
    /// The flow deleted it (and the reply, when recorded, says something was deleted).
    var deleted = false
    /// A script step named it: what the script did to it is not modelled.
    var scripted = false

    /// Whether `member` is present, when known.
    func contains(_ member: [UInt8]) -> Bool? {
        if exists == false { return false }
        if members.contains(member) { return true }
        if absent.contains(member) || allKnown { return false }
        return nil
    }

    /// The key as it is after it was deleted (or found missing).
    mutating func clear() {
        exists = false
        kind = nil
        string = nil
        members = []
        values = [:]
        absent = []
        allKnown = true
        ttl = .none
        modelled = true
    }
}

/// A small symbolic model of what a flow does to its keys, command by command, in one of two
/// modes:
///
/// - `discovering`: the recorded flow, whose starting state is unknown; a reply that shows what
///   a key held before the flow changed it (`GET` -> value, `SREM` -> 1, `TTL` -> 300) is kept in
///   ``starting``, so a replay can be set up to start from it.
/// - `replaying`: the replay, which starts from ``StartingState`` in an empty namespace, so
///   every key is known; ``predictedReply(_:)`` says what a command will get, and an expectation
///   is written only where the prediction is the recorded reply.
struct FlowState: Sendable {
    /// Which flow the model follows.
    enum Mode: Sendable {
        case discovering
        case replaying
    }

    let mode: Mode
    /// Every key the flow named, by first appearance.
    private(set) var order: [[UInt8]] = []
    private var facts: [[UInt8]: KeyFacts] = [:]
    /// What the flow's replies showed of its keys before it changed them (discovering only;
    /// `FlowState+StartingState.swift` records into it).
    var starting = StartingState()

    /// The model of a recorded flow, starting from nothing known.
    static func discovering() -> FlowState { FlowState(mode: .discovering) }

    /// The model of a replay that starts from `starting`.
    static func replaying(from starting: StartingState) -> FlowState {
        var state = FlowState(mode: .replaying)
        for key in starting.keys {
            state.note(key.key)
            var facts = KeyFacts(exists: key.exists, allKnown: true, ttl: .none, sameAsRecorded: key.complete)
            if key.exists == true {
                facts.kind = key.kind ?? .string
                switch facts.kind {
                case .string: facts.string = key.string ?? StartingState.placeholder
                case .set, .hash, .list, .zset, .stream:
                    facts.members = key.members.isEmpty ? [StartingState.placeholder] : key.members
                    if facts.kind == .hash {
                        for field in facts.members { facts.values[field] = key.values[field] ?? StartingState.placeholderValue }
                    }
                    if facts.kind != .set && facts.kind != .hash { facts.modelled = false }
                case nil: break
                }
                if let ms = key.ttlMilliseconds { facts.ttl = .milliseconds(ms) }
            } else {
                facts.clear()
            }
            state.facts[key.key] = facts
        }
        return state
    }

    /// What the model knows of `key` now.
    func facts(_ key: [UInt8]) -> KeyFacts {
        if let known = facts[key] { return known }
        switch mode {
        case .discovering: return KeyFacts(exists: nil, allKnown: false, ttl: .unknown, sameAsRecorded: false)
        case .replaying:
            var empty = KeyFacts(exists: false, allKnown: true, ttl: .none, sameAsRecorded: false)
            empty.clear()
            return empty
        }
    }

    mutating func note(_ key: [UInt8]) {
        if !order.contains(key) { order.append(key) }
    }

    mutating func update(_ key: [UInt8], _ change: (inout KeyFacts) -> Void) {
        var current = facts(key)
        note(key)
        change(&current)
        facts[key] = current
    }

    // MARK: - Following commands

    /// Follows one command of the flow; its recorded reply, when there is one, says whether a
    /// conditional write happened and (discovering) what the keys held before.
    mutating func apply(_ command: CapturedCommand) {
        let a = command.arguments
        let name = command.name
        let reply = command.reply
        let keys = Self.keys(of: a)
        for key in keys { note(key) }
        if let kind = Self.typedKind(of: command), let key = keys.first {
            if case .error(let message)? = reply, message.hasPrefix("WRONGTYPE") {
                // The key was there, of another type.
                reveal(key, exists: true)
                guessStartingKind(key, otherThan: kind)
            } else if reply?.isError != true {
                noteStartingKind(key, kind)
            }
        }
        if reply?.isError == true { return }  // an error reply changed nothing
        let ints = reply?.integerValue
        switch name {
        case "SET":
            let options = a.dropFirst(3).map { String(decoding: $0, as: UTF8.self).uppercased() }
            if options.contains("GET") { reveal(a[1], string: reply) }
            var happened = true
            if let reply, !options.contains("GET") { happened = reply != .null && reply != .nullArray }
            if options.contains("GET"), let reply {
                if options.contains("NX") { happened = reply == .null }
                if options.contains("XX") { happened = reply != .null }
            }
            if reply == nil, options.contains("NX") || options.contains("XX") { happened = true }
            if let reply, !options.contains("GET") {
                // NX answered nil: the key was there; XX answered nil: it was not.
                if options.contains("NX") { reveal(a[1], exists: reply == .null) }
                if options.contains("XX") { reveal(a[1], exists: reply != .null) }
            }
            let conditional = options.contains("NX") || options.contains("XX")
            if mode == .replaying, conditional, facts(a[1]).exists == nil { return unmodelled(keys) }
            guard happened else { return }
            var ttl: TTLFact = .none
            if options.contains("KEEPTTL") {
                ttl = facts(a[1]).exists == true ? facts(a[1]).ttl : .none
            }
            for (index, option) in options.enumerated() where index + 1 < options.count {
                let n = Int64(options[index + 1])
                switch option {
                case "EX": ttl = n.map { .milliseconds($0 * 1000) } ?? .unknown
                case "PX": ttl = n.map { .milliseconds($0) } ?? .unknown
                case "EXAT", "PXAT": ttl = .pointInTime
                default: break
                }
            }
            writeString(a[1], a[2], ttl: ttl)
        case "SETEX", "PSETEX":
            guard a.count == 4, let n = Int64(command.text(2)) else { return unmodelled(keys) }
            writeString(a[1], a[3], ttl: .milliseconds(name == "SETEX" ? n * 1000 : n))
        case "SETNX":
            if mode == .replaying, facts(a[1]).exists == nil { return unmodelled(keys) }
            if ints == 0 {
                reveal(a[1], exists: true)
                return
            }
            writeString(a[1], a[2], ttl: .none)
        case "MSET":
            for pair in stride(from: 1, to: a.count - 1, by: 2) { writeString(a[pair], a[pair + 1], ttl: .none) }
        case "GET":
            reveal(a[1], string: reply)
        case "GETSET":
            reveal(a[1], string: reply)
            writeString(a[1], a[2], ttl: .none)
        case "GETDEL":
            reveal(a[1], string: reply)
            if reply != .null { delete(a[1]) }
        case "GETEX":
            reveal(a[1], string: reply)
            guard facts(a[1]).exists != false, a.count >= 3 else { return }
            let option = command.text(2).uppercased()
            let n = a.count > 3 ? Int64(command.text(3)) : nil
            update(a[1]) { f in
                switch option {
                case "EX": f.ttl = n.map { .milliseconds($0 * 1000) } ?? .unknown
                case "PX": f.ttl = n.map { .milliseconds($0) } ?? .unknown
                case "EXAT", "PXAT": f.ttl = .pointInTime
                case "PERSIST": f.ttl = .none
                default: break
                }
            }
        case "INCR", "DECR", "INCRBY", "DECRBY":
            guard let step = Self.increment(of: command) else { return unmodelled(keys) }
            if let n = ints {
                let (before, overflow) = n.subtractingReportingOverflow(step)
                if !overflow {
                    reveal(
                        a[1], string: before == 0 ? nil : .bulkString(Array(String(before).utf8)), zeroMayBeMissing: before == 0)
                }
            }
            let current = facts(a[1])
            let before = current.exists == false ? 0 : current.string.flatMap { Int64(String(decoding: $0, as: UTF8.self)) }
            let after = ints ?? before.flatMap { $0.addingReportingOverflow(step).overflow ? nil : $0 + step }
            update(a[1]) { f in
                if f.exists != true { f.ttl = f.exists == false ? .none : f.ttl }
                f.exists = true
                f.kind = .string
                f.string = after.map { Array(String($0).utf8) }
                f.written = true
                f.deleted = false
                if after == nil { f.modelled = false }
            }
        case "DEL", "UNLINK":
            if let n = ints, keys.count == 1 {
                reveal(keys[0], exists: n == 1)
            } else if let n = ints, n == keys.count {
                for key in keys { reveal(key, exists: true) }
            } else if ints == 0 {
                for key in keys { reveal(key, exists: false) }
            }
            for key in keys {
                let wasThere = ints == nil || ints! > 0 && (keys.count == 1 || facts(key).exists != false)
                if wasThere {
                    delete(key)
                } else {
                    update(key) { f in
                        f.clear()
                        f.sameAsRecorded = true
                    }
                }
            }
        case "EXISTS":
            if let n = ints, keys.count == 1 || n == 0 || n == keys.count {
                for key in keys { reveal(key, exists: n > 0) }
            }
        case "TYPE":
            if case .simpleString(let type)? = reply {
                if type == "none" {
                    reveal(a[1], exists: false)
                } else {
                    reveal(a[1], exists: true)
                    if let kind = KeyKind(rawValue: type) { revealKind(a[1], kind) }
                }
            }
        case "TTL", "PTTL":
            guard let n = ints else { return }
            if n == -2 {
                reveal(a[1], exists: false)
            } else {
                reveal(a[1], exists: true)
                revealTTL(a[1], n == -1 ? .none : .milliseconds(name == "TTL" ? n * 1000 : n))
            }
        case "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT":
            guard a.count >= 3 else { return }
            // Whether a replay's key exists the model must know, not take from the recorded reply.
            if mode == .replaying, facts(a[1]).exists == nil { return update(a[1]) { $0.ttl = .unknown } }
            let conditional = a.count > 3
            if let n = ints {
                if n == 1 || !conditional { reveal(a[1], exists: n == 1) }
                guard n == 1 else { return }
            } else if facts(a[1]).exists == false {
                return
            }
            let amount = Int64(command.text(2))
            if (name == "EXPIRE" || name == "PEXPIRE"), let amount, amount <= 0 {
                delete(a[1])
                return
            }
            update(a[1]) { f in
                f.exists = true
                f.written = true
                switch name {
                case "EXPIRE": f.ttl = amount.map { .milliseconds($0 * 1000) } ?? .unknown
                case "PEXPIRE": f.ttl = amount.map { .milliseconds($0) } ?? .unknown
                default: f.ttl = .pointInTime
                }
            }
        case "PERSIST":
            if mode == .replaying, facts(a[1]).exists == nil { return update(a[1]) { $0.ttl = .unknown } }
            if let n = ints {
                if n == 1 { reveal(a[1], exists: true) }
                if n == 1 || facts(a[1]).exists == true { update(a[1]) { $0.ttl = .none } }
            } else if facts(a[1]).exists == true {
                update(a[1]) { $0.ttl = .none }
            }
        case "SADD", "SREM":
            guard a.count >= 3 else { return }
            let members = distinct(Array(a[2...]))
            let adding = name == "SADD"
            if let n = ints {
                // The reply counts the members that changed: it shows each one's presence only
                // when it is 0 or all of them.
                if n == 0 || n == members.count {
                    let changed = n > 0
                    for m in members { reveal(a[1], member: m, present: adding ? !changed : changed, kind: .set) }
                } else {
                    update(a[1]) { f in f.modelled = f.modelled && members.allSatisfy { m in f.contains(m) != nil } }
                }
            }
            changeMembers(a[1], members, present: adding, kind: .set)
            if reply == nil { forgetStart(a[1]) }
        case "SISMEMBER":
            if let n = ints, a.count == 3 { reveal(a[1], member: a[2], present: n == 1, kind: .set) }
        case "SMISMEMBER":
            if case .array(let flags)? = reply, flags.count == a.count - 2 {
                for (m, flag) in zip(a[2...], flags) { reveal(a[1], member: m, present: flag == .integer(1), kind: .set) }
            }
        case "SMEMBERS":
            if case .array(let elements)? = reply {
                let members = elements.compactMap { e -> [UInt8]? in
                    if case .bulkString(let b) = e { return b } else { return nil }
                }
                revealAll(a[1], members: members, kind: .set)
            }
        case "HSET", "HMSET", "HSETNX":
            guard a.count >= 4, (a.count - 2) % 2 == 0 else { return unmodelled(keys) }
            var pairs: [([UInt8], [UInt8])] = []
            for i in stride(from: 2, to: a.count - 1, by: 2) {
                pairs.removeAll { $0.0 == a[i] }
                pairs.append((a[i], a[i + 1]))
            }
            if name == "HSETNX", mode == .replaying, facts(a[1]).contains(a[2]) == nil { return unmodelled(keys) }
            if name == "HSETNX", let n = ints {
                reveal(a[1], member: a[2], present: n == 0, kind: .hash)
                if n == 0 { return }
            } else if name == "HSET", let n = ints, n == 0 || n == pairs.count {
                for (field, _) in pairs { reveal(a[1], member: field, present: n == 0, kind: .hash) }
            } else if name == "HSET", ints != nil {
                update(a[1]) { f in f.modelled = f.modelled && pairs.allSatisfy { f.contains($0.0) != nil } }
            }
            changeMembers(a[1], pairs.map(\.0), present: true, kind: .hash)
            if reply == nil { forgetStart(a[1]) }
            update(a[1]) { f in for (field, value) in pairs { f.values[field] = value } }
        case "HDEL":
            guard a.count >= 3 else { return }
            let fields = distinct(Array(a[2...]))
            if let n = ints, n == 0 || n == fields.count {
                for field in fields { reveal(a[1], member: field, present: n > 0, kind: .hash) }
            } else if ints != nil {
                update(a[1]) { f in f.modelled = f.modelled && fields.allSatisfy { f.contains($0) != nil } }
            }
            changeMembers(a[1], fields, present: false, kind: .hash)
            if reply == nil { forgetStart(a[1]) }
        case "HGET":
            guard a.count == 3, let reply else { return }
            if case .bulkString(let value) = reply {
                reveal(a[1], member: a[2], present: true, kind: .hash, value: value)
            } else if reply == .null {
                reveal(a[1], member: a[2], present: false, kind: .hash)
            }
        case "HEXISTS":
            if let n = ints, a.count == 3 { reveal(a[1], member: a[2], present: n == 1, kind: .hash) }
        case "HMGET":
            if case .array(let elements)? = reply, elements.count == a.count - 2 {
                for (field, element) in zip(a[2...], elements) {
                    if case .bulkString(let value) = element {
                        reveal(a[1], member: field, present: true, kind: .hash, value: value)
                    } else {
                        reveal(a[1], member: field, present: false, kind: .hash)
                    }
                }
            }
        case "HGETALL":
            if case .array(let elements)? = reply, elements.count % 2 == 0 {
                var fields: [[UInt8]] = []
                var values: [[UInt8]: [UInt8]] = [:]
                for i in stride(from: 0, to: elements.count, by: 2) {
                    guard case .bulkString(let field) = elements[i], case .bulkString(let value) = elements[i + 1] else { return }
                    fields.append(field)
                    values[field] = value
                }
                revealAll(a[1], members: fields, kind: .hash, values: values)
            }
        default:
            let strings = a.map { String(decoding: $0, as: UTF8.self) }
            guard case .supported(let spec) = CommandTable.lookup(strings), spec.flags.contains(.write) else { return }
            let options = Set(a.dropFirst(2).map { String(decoding: $0, as: UTF8.self).uppercased() })
            if let kind = Self.creates[name], options.isDisjoint(with: ["XX", "NOMKSTREAM"]) {
                for key in keys {
                    update(key) { f in
                        if f.exists == false { f.ttl = .none }
                        if f.exists == nil { f.ttl = .unknown }
                        f.exists = true
                        f.kind = kind
                        f.written = true
                        f.deleted = false
                        f.modelled = false
                        f.string = nil
                    }
                }
            } else {
                unmodelled(keys)
            }
        }
    }

    /// Follows a script step: what it does to its keys is not modelled.
    mutating func applyScript(keys: [[UInt8]]) {
        for key in keys {
            update(key) { f in
                f.exists = nil
                f.kind = nil
                f.ttl = .unknown
                f.modelled = false
                f.scripted = true
            }
        }
    }

    /// Follows a command the replay does not send (kept as a comment): the recorded flow ran it,
    /// the replay does not, so its keys no longer hold the same on both.
    mutating func skip(_ command: CapturedCommand) {
        for key in Self.keys(of: command.arguments) {
            update(key) { f in
                f.modelled = false
                f.sameAsRecorded = false
            }
        }
    }

    /// Commands that leave their keys existing, of this type, unless given `XX` or `NOMKSTREAM`
    /// (after `SET`, `SADD` and `HSET`, which the model follows member by member).
    static let creates: [String: KeyKind] = [
        "APPEND": .string, "SETRANGE": .string, "SETBIT": .string, "INCRBYFLOAT": .string, "PFADD": .string,
        "LPUSH": .list, "RPUSH": .list, "ZADD": .zset, "ZINCRBY": .zset, "GEOADD": .zset, "HINCRBY": .hash,
        "HINCRBYFLOAT": .hash, "XADD": .stream,
    ]

    /// True for a command the command table says may change the keyspace.
    static func writes(_ command: CapturedCommand) -> Bool {
        let strings = command.arguments.map { String(decoding: $0, as: UTF8.self) }
        guard case .supported(let spec) = CommandTable.lookup(strings) else { return true }
        return spec.flags.contains(.write)
    }

    /// The key arguments of a command, as the command table places them.
    static func keys(of arguments: [[UInt8]]) -> [[UInt8]] {
        let roles = ArgumentRole.roles(of: arguments)
        return zip(arguments, roles).compactMap { $1 == .key ? $0 : nil }
    }

    /// The type of key `command` works on (its first key), which answers WRONGTYPE on another:
    /// `SET ... GET` works on a string, any other `SET` on any key.
    static func typedKind(of command: CapturedCommand) -> KeyKind? {
        guard command.name == "SET" else { return typed[command.name] }
        let getsOldValue = command.arguments.dropFirst(3).contains { $0.lazy.map { $0 & 0xDF }.elementsEqual("GET".utf8) }
        return getsOldValue ? .string : nil
    }

    /// The type of key each command works on (its first key): it answers WRONGTYPE on another.
    static let typed: [String: KeyKind] = {
        var table: [String: KeyKind] = [:]
        let kinds: [(KeyKind, [String])] = [
            (
                .string,
                [
                    "GET", "GETSET", "GETDEL", "GETEX", "INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT", "APPEND", "STRLEN",
                    "GETRANGE", "SETRANGE", "SETBIT", "GETBIT", "PFADD",
                ]
            ),
            (.set, ["SADD", "SREM", "SISMEMBER", "SMISMEMBER", "SMEMBERS", "SCARD", "SRANDMEMBER", "SPOP"]),
            (
                .hash,
                [
                    "HSET", "HMSET", "HSETNX", "HGET", "HMGET", "HDEL", "HGETALL", "HKEYS", "HVALS", "HLEN", "HEXISTS",
                    "HINCRBY", "HINCRBYFLOAT",
                ]
            ),
            (.list, ["LPUSH", "RPUSH", "LPOP", "RPOP", "LRANGE", "LLEN", "LINDEX"]),
            (.zset, ["ZADD", "ZRANGE", "ZCARD", "ZSCORE", "ZREM", "ZINCRBY", "GEOADD"]),
            (.stream, ["XADD", "XLEN", "XRANGE"]),
        ]
        for (kind, names) in kinds { for name in names { table[name] = kind } }
        return table
    }()

    // MARK: - Changes

    mutating func writeString(_ key: [UInt8], _ value: [UInt8], ttl: TTLFact) {
        update(key) { f in
            f.clear()
            f.exists = true
            f.kind = .string
            f.string = value
            f.ttl = ttl
            f.written = true
            f.deleted = false
            f.sameAsRecorded = true
        }
    }

    mutating func delete(_ key: [UInt8]) {
        update(key) { f in
            f.clear()
            f.deleted = true
            f.sameAsRecorded = true
        }
    }

    /// Discovering: a change without its reply hides what the key held before, so later replies
    /// about it say nothing of its starting state.
    mutating func forgetStart(_ key: [UInt8]) {
        if mode == .discovering { update(key) { $0.modelled = false } }
    }

    mutating func unmodelled(_ keys: [[UInt8]]) {
        for key in keys {
            update(key) { f in
                f.exists = nil
                f.ttl = .unknown
                f.modelled = false
                f.written = true
            }
        }
    }

    mutating func changeMembers(_ key: [UInt8], _ members: [[UInt8]], present: Bool, kind: KeyKind) {
        update(key) { f in
            if f.exists == false && present { f.ttl = .none }
            f.kind = kind
            f.written = true
            for m in members {
                if present {
                    if !f.members.contains(m) { f.members.append(m) }
                    f.absent.remove(m)
                } else {
                    f.members.removeAll { $0 == m }
                    f.values[m] = nil
                    f.absent.insert(m)
                }
            }
            if present {
                f.exists = true
                f.deleted = false
            } else if f.allKnown, f.members.isEmpty {
                let wasThere = f.exists != false
                f.clear()
                f.deleted = f.deleted || wasThere
            }
        }
    }

    func distinct(_ items: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for item in items where !out.contains(item) { out.append(item) }
        return out
    }

}

extension FlowState {
    /// Follows one step of a draft: its commands, a script's keys, or (a comment) commands the
    /// replay does not send.
    mutating func follow(_ step: DraftStep) {
        switch step {
        case .command, .pipeline, .transaction:
            for command in step.commands { apply(command) }
        case .script(_, let keys, _, _):
            applyScript(keys: keys)
        case .comment(_, let commands):
            for command in commands { skip(command) }
        }
    }
}

extension FlowState {
    /// What an INCR, DECR, INCRBY or DECRBY adds to its counter (nil: an argument that is no integer).
    static func increment(of command: CapturedCommand) -> Int64? {
        switch command.name {
        case "INCR": return 1
        case "DECR": return -1
        case "INCRBY": return Int64(command.text(2))
        default: return Int64(command.text(2)).map { -$0 }
        }
    }
}
