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
    /// What the flow's replies showed of its keys before it changed them (discovering only).
    private(set) var starting = StartingState()

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

    private mutating func note(_ key: [UInt8]) {
        if !order.contains(key) { order.append(key) }
    }

    private mutating func update(_ key: [UInt8], _ change: (inout KeyFacts) -> Void) {
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
                guessStartingKind(key, notting: kind)
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
            let step: Int64? =
                switch name {
                case "INCR": 1
                case "DECR": -1
                case "INCRBY": Int64(command.text(2))
                default: Int64(command.text(2)).map { -$0 }
                }
            guard let step else { return unmodelled(keys) }
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

    // MARK: - Changes

    private mutating func writeString(_ key: [UInt8], _ value: [UInt8], ttl: TTLFact) {
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

    private mutating func delete(_ key: [UInt8]) {
        update(key) { f in
            f.clear()
            f.deleted = true
            f.sameAsRecorded = true
        }
    }

    /// Discovering: a change without its reply hides what the key held before, so later replies
    /// about it say nothing of its starting state.
    private mutating func forgetStart(_ key: [UInt8]) {
        if mode == .discovering { update(key) { $0.modelled = false } }
    }

    private mutating func unmodelled(_ keys: [[UInt8]]) {
        for key in keys {
            update(key) { f in
                f.exists = nil
                f.ttl = .unknown
                f.modelled = false
                f.written = true
            }
        }
    }

    private mutating func changeMembers(_ key: [UInt8], _ members: [[UInt8]], present: Bool, kind: KeyKind) {
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

    private func distinct(_ items: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for item in items where !out.contains(item) { out.append(item) }
        return out
    }

    // MARK: - What replies show (discovering)

    /// The key exists or not; before the flow changed it, that is its starting state.
    private mutating func reveal(_ key: [UInt8], exists: Bool) {
        guard mode == .discovering, facts(key).modelled, facts(key).exists == nil else { return }
        starting.record(key) { s in
            s.exists = exists
            if !exists { s.complete = true }
        }
        update(key) { f in
            if exists { f.exists = true } else { f.clear() }
        }
    }

    /// A string reply shows the value (nil reply: the key is missing).
    private mutating func reveal(_ key: [UInt8], string reply: RESPValue?, zeroMayBeMissing: Bool = false) {
        guard mode == .discovering, let reply else { return }
        if zeroMayBeMissing { return }
        switch reply {
        case .null: reveal(key, exists: false)
        case .bulkString(let value):
            guard facts(key).modelled, facts(key).string == nil, !facts(key).written else { return }
            starting.record(key) { s in
                s.exists = true
                s.kind = .string
                s.string = value
                s.complete = true
            }
            update(key) { f in
                f.exists = true
                f.kind = .string
                f.string = value
            }
        default: break
        }
    }

    /// A typed command that worked on a key whose starting state the flow has not changed: if
    /// the key existed, it was of that type (a placeholder standing for it must be too).
    private mutating func noteStartingKind(_ key: [UInt8], _ kind: KeyKind) {
        // A key the flow wrote has its type (EXPIRE and the like keep it).
        guard mode == .discovering, facts(key).modelled, facts(key).kind == nil, facts(key).exists != false else { return }
        starting.record(key) { s in
            if s.kind == nil || s.kindIsGuess {
                s.kind = kind
                s.kindIsGuess = false
            }
        }
        if facts(key).exists == true { update(key) { $0.kind = kind } }
    }

    /// A command of type `kind` got WRONGTYPE on a key whose type no reply showed: it stands as
    /// a key of another type until a reply shows which.
    private mutating func guessStartingKind(_ key: [UInt8], notting kind: KeyKind) {
        guard mode == .discovering, facts(key).modelled, facts(key).kind == nil else { return }
        starting.record(key) { s in
            guard s.kind == nil else { return }
            s.kind = kind == .string ? .set : .string
            s.kindIsGuess = true
        }
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

    private mutating func revealKind(_ key: [UInt8], _ kind: KeyKind) {
        guard mode == .discovering, facts(key).modelled, facts(key).kind == nil else { return }
        starting.record(key) { s in
            if s.kind == nil || s.kindIsGuess {
                s.kind = kind
                s.kindIsGuess = false
            }
        }
        update(key) { $0.kind = kind }
    }

    private mutating func revealTTL(_ key: [UInt8], _ ttl: TTLFact) {
        guard mode == .discovering, facts(key).modelled, !facts(key).written, facts(key).ttl == .unknown else { return }
        if case .milliseconds(let ms) = ttl { starting.record(key) { $0.ttlMilliseconds = ms } }
        update(key) { $0.ttl = ttl }
    }

    /// One member (or field) is present or not, before the flow changed it.
    private mutating func reveal(_ key: [UInt8], member: [UInt8], present: Bool, kind: KeyKind, value: [UInt8]? = nil) {
        guard mode == .discovering, facts(key).modelled else { return }
        let known = facts(key).contains(member)
        if known == nil {
            if present {
                starting.record(key) { s in
                    s.exists = true
                    s.kind = s.kind ?? kind
                    s.members.append(member)
                    if let value { s.values[member] = value }
                }
            }
            update(key) { f in
                if present {
                    f.members.append(member)
                    f.exists = true
                    f.kind = f.kind ?? kind
                } else {
                    f.absent.insert(member)
                }
            }
        }
        if present, let value, facts(key).values[member] == nil {
            starting.record(key) { $0.values[member] = value }
            update(key) { $0.values[member] = value }
        }
    }

    /// Every member (or field) of the key: those the flow did not add were there before it.
    private mutating func revealAll(
        _ key: [UInt8], members: [[UInt8]], kind: KeyKind, values: [[UInt8]: [UInt8]] = [:]
    ) {
        guard mode == .discovering, facts(key).modelled else { return }
        let before = facts(key)
        // A member the flow removed cannot be listed, nor can a listed one be missing.
        guard members.allSatisfy({ before.contains($0) != false }), before.members.allSatisfy(members.contains) else {
            update(key) { $0.modelled = false }
            return
        }
        for member in members where before.contains(member) == nil {
            reveal(key, member: member, present: true, kind: kind, value: values[member])
        }
        for (member, value) in values where facts(key).values[member] == nil {
            update(key) { $0.values[member] = value }
        }
        // Unless the flow emptied the key before, the members it did not add are all it held.
        if !before.allKnown {
            starting.record(key) { s in
                s.complete = true
                if members.isEmpty, s.members.isEmpty { s.exists = s.exists ?? false }
                if s.exists == true { s.kind = s.kind ?? kind }
            }
        }
        update(key) { f in
            f.allKnown = true
            if members.isEmpty { f.clear() }
        }
    }

    // MARK: - Predictions (replaying)

    /// The reply the replay will get for `command` at this point, when the model can say
    /// (nil: it cannot). A TTL is predicted as the TTL the key was given.
    func predictedReply(_ command: CapturedCommand) -> RESPValue? {
        let a = command.arguments
        let name = command.name
        let keys = Self.keys(of: a)
        guard mode == .replaying else { return nil }
        // Whether a key exists the model knows also after commands whose effect on what the
        // key holds it does not follow (RPUSH); replies that depend on what it holds need that.
        let existenceOnly: Set<String> = [
            "DEL", "UNLINK", "EXISTS", "TYPE", "TTL", "PTTL", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST",
            "SETEX", "PSETEX", "MSET", "SETNX", "SET", "GET", "GETSET", "GETDEL", "GETEX",
        ]
        if let kind = Self.typedKind(of: command), let key = keys.first, facts(key).exists == true,
            let actual = facts(key).kind, actual != kind
        {
            return .error("WRONGTYPE Operation against a key holding the wrong kind of value")
        }
        guard existenceOnly.contains(name) || keys.allSatisfy({ facts($0).modelled }) else { return nil }
        func exists(_ key: [UInt8]) -> Bool? { facts(key).exists }
        func count(_ flags: [Bool?]) -> RESPValue? {
            flags.contains(nil) ? nil : .integer(Int64(flags.filter { $0 == true }.count))
        }
        switch name {
        case "SET":
            let options = a.dropFirst(3).map { String(decoding: $0, as: UTF8.self).uppercased() }
            guard !options.contains("GET") else { return stringReply(a[1]) }
            if options.contains("NX") { return exists(a[1]).map { $0 ? .null : .simpleString("OK") } }
            if options.contains("XX") { return exists(a[1]).map { $0 ? .simpleString("OK") : .null } }
            return .simpleString("OK")
        case "SETEX", "PSETEX", "MSET": return .simpleString("OK")
        case "SETNX": return exists(a[1]).map { .integer($0 ? 0 : 1) }
        case "GET", "GETSET", "GETDEL", "GETEX": return stringReply(a[1])
        case "INCR", "DECR", "INCRBY", "DECRBY":
            let f = facts(a[1])
            let before = f.exists == false ? 0 : f.string.flatMap { Int64(String(decoding: $0, as: UTF8.self)) }
            let step: Int64? =
                switch name {
                case "INCR": 1
                case "DECR": -1
                case "INCRBY": Int64(command.text(2))
                default: Int64(command.text(2)).map { -$0 }
                }
            guard let before, let step, !before.addingReportingOverflow(step).overflow else { return nil }
            return .integer(before + step)
        case "DEL", "UNLINK", "EXISTS":
            return count(keys.map(exists))
        case "TYPE":
            guard let e = exists(a[1]) else { return nil }
            return e ? facts(a[1]).kind.map { .simpleString($0.rawValue) } : .simpleString("none")
        case "TTL", "PTTL":
            let f = facts(a[1])
            guard let e = f.exists else { return nil }
            if !e { return .integer(-2) }
            switch f.ttl {
            case .none: return .integer(-1)
            case .milliseconds(let ms): return .integer(name == "TTL" ? (ms + 500) / 1000 : ms)
            case .unknown, .pointInTime: return nil
            }
        case "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST":
            guard a.count == (name == "PERSIST" ? 2 : 3), let e = exists(a[1]) else { return nil }
            if name == "PERSIST" {
                guard e else { return .integer(0) }
                return facts(a[1]).ttl == .unknown ? nil : .integer(facts(a[1]).ttl.expires ? 1 : 0)
            }
            return .integer(e ? 1 : 0)
        case "SADD", "SREM", "HDEL":
            guard a.count >= 3 else { return nil }
            let f = facts(a[1])
            let flags = distinct(Array(a[2...])).map { m in f.contains(m).map { name == "SADD" ? !$0 : $0 } }
            return count(flags)
        case "HSET":
            guard a.count >= 4 else { return nil }
            let f = facts(a[1])
            let fields = distinct(stride(from: 2, to: a.count - 1, by: 2).map { a[$0] })
            return count(fields.map { field in f.contains(field).map { !$0 } })
        case "HSETNX": return facts(a[1]).contains(a[2]).map { .integer($0 ? 0 : 1) }
        case "HMSET": return .simpleString("OK")
        case "SISMEMBER", "HEXISTS":
            return facts(a[1]).contains(a[2]).map { .integer($0 ? 1 : 0) }
        case "SMISMEMBER":
            let f = facts(a[1])
            let flags = a.dropFirst(2).map { f.contains($0) }
            if flags.contains(nil) { return nil }
            return .array(flags.map { .integer($0 == true ? 1 : 0) })
        case "HGET":
            let f = facts(a[1])
            guard let present = f.contains(a[2]) else { return nil }
            return present ? f.values[a[2]].map { .bulkString($0) } : .null
        case "HMGET":
            let f = facts(a[1])
            var elements: [RESPValue] = []
            for field in a.dropFirst(2) {
                guard let present = f.contains(field) else { return nil }
                if present {
                    guard let value = f.values[field] else { return nil }
                    elements.append(.bulkString(value))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        case "SMEMBERS", "HKEYS":
            let f = facts(a[1])
            guard f.allKnown else { return nil }
            return .array(f.members.map { .bulkString($0) })
        case "SCARD", "HLEN":
            let f = facts(a[1])
            guard f.allKnown else { return nil }
            return .integer(Int64(f.members.count))
        case "HGETALL":
            let f = facts(a[1])
            guard f.allKnown else { return nil }
            var elements: [RESPValue] = []
            for field in f.members {
                guard let value = f.values[field] else { return nil }
                elements += [.bulkString(field), .bulkString(value)]
            }
            return .array(elements)
        default:
            return nil
        }
    }

    private func stringReply(_ key: [UInt8]) -> RESPValue? {
        let f = facts(key)
        guard let exists = f.exists else { return nil }
        if !exists { return .null }
        guard f.kind == .string, let value = f.string else { return nil }
        return .bulkString(value)
    }

    /// True when the replay's keys of `command` hold what the recorded flow's held, so any reply
    /// it got recurs (unless the command is nondeterministic).
    func keysSameAsRecorded(_ command: CapturedCommand) -> Bool {
        Self.keys(of: command.arguments).allSatisfy { facts($0).sameAsRecorded }
    }

    /// The replay got (or will get) another reply than the recorded one for `command`: its keys
    /// no longer hold the same, and the model, which followed the recorded reply, no longer knows them.
    mutating func distrust(_ command: CapturedCommand) {
        for key in Self.keys(of: command.arguments) {
            update(key) { f in
                f.exists = nil
                f.ttl = .unknown
                f.sameAsRecorded = false
                f.modelled = false
            }
        }
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
