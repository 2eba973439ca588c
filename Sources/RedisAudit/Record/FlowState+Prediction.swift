import RESP

/// The replies a replay gets, as the model of a replay that starts from the starting state
/// says: an expectation is written only where the prediction is the recorded reply.
extension FlowState {
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
            let step = Self.increment(of: command)
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
