import RESP

/// What a recorded flow's replies show of its keys before it changed them: kept in
/// ``FlowState/starting`` while discovering, so the draft's setup step can write it.
extension FlowState {
    /// The key exists or not; before the flow changed it, that is its starting state.
    mutating func reveal(_ key: [UInt8], exists: Bool) {
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
    mutating func reveal(_ key: [UInt8], string reply: RESPValue?, zeroMayBeMissing: Bool = false) {
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
    mutating func noteStartingKind(_ key: [UInt8], _ kind: KeyKind) {
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
    mutating func guessStartingKind(_ key: [UInt8], otherThan kind: KeyKind) {
        guard mode == .discovering, facts(key).modelled, facts(key).kind == nil else { return }
        starting.record(key) { s in
            guard s.kind == nil else { return }
            s.kind = kind == .string ? .set : .string
            s.kindIsGuess = true
        }
    }

    /// A TYPE reply shows the key's type.
    mutating func revealKind(_ key: [UInt8], _ kind: KeyKind) {
        guard mode == .discovering, facts(key).modelled, facts(key).kind == nil else { return }
        starting.record(key) { s in
            if s.kind == nil || s.kindIsGuess {
                s.kind = kind
                s.kindIsGuess = false
            }
        }
        update(key) { $0.kind = kind }
    }

    /// A TTL reply shows the key's TTL (what a setup step gives it with EXPIRE).
    mutating func revealTTL(_ key: [UInt8], _ ttl: TTLFact) {
        guard mode == .discovering, facts(key).modelled, !facts(key).written, facts(key).ttl == .unknown else { return }
        if case .milliseconds(let ms) = ttl { starting.record(key) { $0.ttlMilliseconds = ms } }
        update(key) { $0.ttl = ttl }
    }

    /// One member (or field) is present or not, before the flow changed it.
    mutating func reveal(_ key: [UInt8], member: [UInt8], present: Bool, kind: KeyKind, value: [UInt8]? = nil) {
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
    mutating func revealAll(
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
}
