/// Findings about one endpoint's patterns: keys that missed their EXPIRE, patterns that
/// perhaps should expire, keys outside the expected prefixes.
public enum KeyspaceFindings {
    /// Words in a pattern that suggest its keys are meant to expire.
    static let expiringWords: Set<String> = [
        "sess", "session", "sessions", "token", "tokens", "rt", "refresh", "jwt", "otp", "nonce", "csrf", "lock", "locks",
        "locktime", "lockout", "mutex", "lease", "cache", "cached", "caches", "tmp", "temp", "ttl", "expire", "expiring",
        "ratelimit", "rate", "throttle", "rl", "bl", "blacklist", "blocklist", "denylist", "revoked", "reset", "verify",
        "verification", "confirm", "magic", "idempotency", "idem", "dedup", "presence", "online", "heartbeat", "challenge",
    ]

    /// The literal words of a pattern, lower-cased, placeholders left out.
    static func words(of pattern: String) -> [String] {
        var text = ""
        var inPlaceholder = false
        var escaped = false
        for c in pattern {
            if escaped { escaped = false; text.append(c); continue }
            if c == "\\" { escaped = true; continue }
            if c == "<" { inPlaceholder = true; text.append(" "); continue }
            if c == ">" && inPlaceholder { inPlaceholder = false; continue }
            if !inPlaceholder { text.append(c) }
        }
        return text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// The expiring words a pattern's name contains (`sess`, `token`, `lock`, `cache`, ...).
    static func expiryHints(_ pattern: String) -> [String] {
        words(of: pattern).filter { word in
            expiringWords.contains(word)
                || ["session", "token", "lock", "cache", "throttle", "ratelimit"].contains { word.hasPrefix($0) }
        }
    }

    /// TTL findings and prefix findings for one endpoint's rows.
    public static func findings(role: String, rows: [KeyspacePatternRow], expectPrefixes: [String]) -> [Finding] {
        var findings: [Finding] = []
        for row in rows {
            let withTTL = row.keys - row.withoutTTL
            if row.withoutTTL > 0 && withTTL > row.withoutTTL {
                findings.append(partlyWithoutTTL(role: role, row: row))
            } else if row.withoutTTL == row.keys && row.keys > 0 {
                let hints = expiryHints(row.pattern)
                if !hints.isEmpty { findings.append(neverExpires(role: role, row: row, hints: hints)) }
            }
        }
        let outside = rows.filter { ($0.outsidePrefix ?? 0) > 0 }
        if !expectPrefixes.isEmpty && !outside.isEmpty {
            findings.append(outsidePrefixes(role: role, rows: outside, prefixes: expectPrefixes))
        }
        return findings
    }

    /// A pattern needs this many keys before all of them in one hash slot is a finding: a few
    /// keys sharing a tag (one user's keys, kept together for MULTI) are what tags are for.
    public static let hotSlotMinimumKeys = 1000

    /// On a cluster: patterns of at least ``hotSlotMinimumKeys`` keys that all hash to one slot.
    public static func hotSlots(role: String, rows: [KeyspacePatternRow]) -> [Finding] {
        rows.compactMap { row in
            guard row.keys >= hotSlotMinimumKeys, row.slots == 1, let slot = row.slot else { return nil }
            return hotSlot(role: role, row: row, slot: slot)
        }
    }

    /// The hash tag of a key as the report shows it (`{42}`), nil when it has none.
    static func hashTag(_ key: String) -> String? {
        guard let open = key.firstIndex(of: "{"), let close = key[key.index(after: open)...].firstIndex(of: "}"),
            close > key.index(after: open)
        else { return nil }
        return String(key[open...close])
    }

    private static func hotSlot(role: String, row: KeyspacePatternRow, slot: Int) -> Finding {
        let example = row.examples.first
        let tag = example.flatMap(hashTag)
        let node = row.busiestNode.map { " on \($0)" } ?? ""
        var evidence = [
            "\(role): all \(KeyspaceMarkdown.grouped(row.keys)) keys of \(row.pattern) hash to slot \(slot)\(node)"
                + (tag.map { ": every key carries the hash tag \($0), and only the tag is hashed" } ?? "")
        ]
        for key in row.examples {
            evidence += ["> CLUSTER KEYSLOT \(key)"] + Transcript.reply(role, .reply(.integer(Int64(slot))))
        }
        let cause = tag.map { "the hash tag `\($0)`" } ?? "their hash tag"
        return Finding(
            identity: "hot-slot|\(row.pattern)|\(role)", severity: .medium, category: .clusterHotSlot,
            title: "All \(KeyspaceMarkdown.grouped(row.keys)) keys of `\(row.pattern)` sit in one hash slot (\(slot)) on \(role)",
            endpoints: [role], evidence: evidence,
            why: "Redis Cluster hashes only the text between `{` and `}` when a key has one, so \(cause) sends every key of "
                + "this pattern to slot \(slot): one node stores and serves all of them, adding shards or resharding cannot "
                + "spread them, and that node's memory, CPU and network are the pattern's limit while the others idle.",
            fix: "Keep a hash tag to the keys that must meet in one MULTI, Lua script or multi-key command, and make it vary "
                + "with them (`user:{<id>}:...`, one slot per user) instead of one constant; drop the tag where no multi-key "
                + "command needs it, and move the existing keys (rename them) so they spread over the slots.",
            occurrences: row.keys)
    }

    /// `> PTTL key` and `A: (integer) -1` for each example key, as the report's redis-cli checks read.
    private static func noTTLTranscript(_ keys: some Sequence<String>, role: String) -> [String] {
        keys.flatMap { key in ["> PTTL \(key)"] + Transcript.reply(role, .reply(.integer(-1))) }
    }

    private static func partlyWithoutTTL(role: String, row: KeyspacePatternRow) -> Finding {
        var evidence = [
            "\(role): \(row.withoutTTL) of \(row.keys) keys of \(row.pattern) have no TTL; the other \(row.keys - row.withoutTTL) expire "
                + "(remaining TTL \(KeyspaceMarkdown.duration(row.ttlMinSeconds)) to \(KeyspaceMarkdown.duration(row.ttlMaxSeconds)), "
                + "median \(KeyspaceMarkdown.duration(row.ttlMedianSeconds)))"
        ]
        evidence += noTTLTranscript(row.examplesWithoutTTL, role: role)
        return Finding(
            identity: "partly-without-ttl|\(row.pattern)|\(role)", severity: .high, category: .ttlMissing,
            title: "\(row.withoutTTL) of \(row.keys) keys of `\(row.pattern)` never expire on \(role)", endpoints: [role],
            evidence: evidence,
            why:
                "Most keys of this pattern expire, so the application means them to; the ones without a TTL (TTL -1) were written "
                + "by a code path that missed its EXPIRE (a pipeline whose EXPIRE failed or was dropped, a SET that reset the TTL, "
                + "a PERSIST). They live until deleted: stale sessions and tokens stay valid, and memory grows.",
            fix:
                "Set the TTL in the command that writes the key (SET ... EX, SETEX, or SET ... KEEPTTL on updates) or in the same "
                + "MULTI/EXEC, check the EXPIRE reply, and give the listed keys a TTL (or delete them).",
            occurrences: row.withoutTTL)
    }

    private static func neverExpires(role: String, row: KeyspacePatternRow, hints: [String]) -> Finding {
        var evidence = [
            "\(role): none of the \(row.keys) keys of \(row.pattern) has a TTL; its name has "
                + hints.map { "'\($0)'" }.joined(separator: ", ")
        ]
        evidence += noTTLTranscript(row.examplesWithoutTTL.prefix(3), role: role)
        return Finding(
            identity: "never-expires|\(row.pattern)|\(role)", severity: .medium, category: .ttlMissing,
            title: "Should `\(row.pattern)` expire? None of its \(row.keys) keys has a TTL on \(role)", endpoints: [role],
            evidence: evidence,
            why: "Sessions, tokens, locks and caches usually expire. If these should, every EXPIRE was lost and they pile up "
                + "(a lock that never expires blocks for good); if they are meant to last, this is not a problem.",
            fix: "If they should expire, set the TTL when writing them (SET ... EX, SETEX) and give the existing keys one; "
                + "otherwise ignore this finding.",
            occurrences: row.keys)
    }

    private static func outsidePrefixes(role: String, rows: [KeyspacePatternRow], prefixes: [String]) -> Finding {
        let total = rows.reduce(0) { $0 + ($1.outsidePrefix ?? 0) }
        var evidence = [
            "\(role): \(KeyspaceMarkdown.count(total, "key")) start\(total == 1 ? "s" : "") with none of "
                + prefixes.map { "'\($0)'" }.joined(separator: ", ")
        ]
        for row in rows.prefix(20) {
            let example = row.examples.first.map { ", e.g. \($0)" } ?? ""
            evidence.append("  \(row.pattern): \(KeyspaceMarkdown.count(row.outsidePrefix ?? 0, "key"))\(example)")
        }
        if rows.count > 20 { evidence.append("  ... \(rows.count - 20) more patterns") }
        return Finding(
            identity: "outside-prefix|\(role)", severity: .medium, category: .keyPrefix,
            title:
                "\(KeyspaceMarkdown.count(total, "key")) in \(KeyspaceMarkdown.count(rows.count, "pattern")) lack\(total == 1 ? "s" : "") the expected prefix on \(role)",
            endpoints: [role], evidence: evidence,
            why: "Keys without an environment or application prefix collide when dev, staging and production (or two "
                + "applications) share one server: one environment reads, overwrites or deletes the other's data.",
            fix: "Build every key from one prefix such as `app:env:` (for example `checkin:prod:participant:id:42`), "
                + "and migrate or delete the listed patterns.",
            occurrences: total)
    }
}
