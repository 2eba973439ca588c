/// Turns two server profiles into findings: settings that differ, weighed by consequence,
/// and settings that are the same but risky for the scenarios.
public enum ProfileComparison {
    /// `reported` holds `COMMAND|ROLE` pairs the replay already reported (unknown, denied or
    /// closed on): their availability is not reported a second time.
    public static func findings(
        _ a: ServerProfile, _ b: ServerProfile, scenarioCommands: Set<String>, usesLua: Bool, usesMulti: Bool,
        reported: Set<String> = []
    ) -> [Finding] {
        var findings: [Finding] = []
        let roles = [a.role, b.role]

        for profile in [a, b] where !profile.refused.isEmpty {
            findings.append(
                Finding(
                    identity: "refused|\(profile.role)", severity: .info, category: .serverProfile,
                    title: "Endpoint \(profile.role) refuses \(profile.refused.joined(separator: ", "))",
                    endpoints: [profile.role],
                    evidence: profile.refused.map { "\(profile.role): \($0) -> refused" },
                    why: "Managed hosts often hide configuration; settings shown as n/a could not be compared.",
                    fix: "Check those settings in the host's console or documentation."))
        }

        if a.engine != b.engine || a.version != b.version {
            findings.append(
                Finding(
                    identity: "version", severity: .info, category: .serverProfile,
                    title: "Different server: \(a.serverDescription) vs \(b.serverDescription)",
                    endpoints: roles,
                    evidence: ["A: \(a.serverDescription)", "B: \(b.serverDescription)"],
                    why:
                        "Command options and replies can differ between engines and versions; the reply comparisons show whether the scenarios notice.",
                    fix: "None needed on its own; read the reply-mismatch findings, if any."))
        }

        compare("maxmemory-policy", a, b, into: &findings) { va, vb in
            let evictsA = va.map(evicts) ?? false
            let evictsB = vb.map(evicts) ?? false
            if evictsA != evictsB { return .high }
            return evictsA && evictsB ? .medium : .low
        } why: {
            "An eviction policy can delete keys (sessions, refresh tokens) under memory pressure on one side only: users are logged out on that host alone."
        } fix: {
            "Use the same maxmemory-policy on both hosts; for session data prefer noeviction (writes fail loudly instead of keys vanishing)."
        }
        compare("maxmemory", a, b, into: &findings) { _, _ in
            .low
        } why: {
            "A lower memory limit makes eviction or OOM errors happen earlier on one side."
        } fix: {
            "Size both hosts for the same working set."
        }
        compare("timeout", a, b, into: &findings) { va, vb in
            (va ?? "0") != "0" || (vb ?? "0") != "0" ? .medium : .low
        } why: {
            "A server that closes idle connections breaks clients that keep a connection open without a heartbeat (the stale-connection failure mode)."
        } fix: {
            "Enable client-side keepalive/PING and reconnect-and-retry, or set the same timeout on both hosts."
        }
        compare("maxclients", a, b, into: &findings) { _, _ in
            .low
        } why: {
            "Connection leaks (for example on hot reload) exhaust the lower limit first."
        } fix: {
            "Close clients on reload and size maxclients alike."
        }
        compare("notify-keyspace-events", a, b, into: &findings) { _, _ in
            .medium
        } why: {
            "Keyspace notifications the application subscribes to are not emitted on one side."
        } fix: {
            "Set notify-keyspace-events identically, or do not depend on it."
        }
        compare("cluster_enabled", a, b, into: &findings) { _, _ in
            // The cluster-crossslot findings name each transaction, script and command it breaks.
            .info
        } why: {
            "In cluster mode, multi-key commands, transactions and scripts fail with CROSSSLOT unless all keys share a hash "
                + "tag: the cluster-crossslot findings name each one the scenarios use."
        } fix: {
            "Put related keys under one hash tag ({userId}) or use the same topology on both sides."
        }

        let persistA = persistent(a), persistB = persistent(b)
        if let pa = persistA, let pb = persistB {
            if pa != pb {
                findings.append(
                    Finding(
                        identity: "persistence", severity: .medium, category: .serverProfile,
                        title: "Persistence differs: \(pa ? "A" : "B") saves to disk, \(pa ? "B" : "A") does not",
                        endpoints: roles,
                        evidence: [
                            "A: rdb \(a.setting("rdb") ?? "n/a"), aof \(a.setting("aof") ?? "n/a")",
                            "B: rdb \(b.setting("rdb") ?? "n/a"), aof \(b.setting("aof") ?? "n/a")",
                        ],
                        why:
                            "A restart of the host without persistence loses every session and refresh token: users are logged out on that side only.",
                        fix: "Enable RDB or AOF on the host that keeps session data, or accept logouts on restart."))
            } else if !pa {
                findings.append(
                    Finding(
                        identity: "persistence-off", severity: .info, category: .serverProfile,
                        title: "Persistence is off on both endpoints",
                        endpoints: roles,
                        evidence: [
                            "A: rdb \(a.setting("rdb") ?? "n/a"), aof \(a.setting("aof") ?? "n/a")",
                            "B: rdb \(b.setting("rdb") ?? "n/a"), aof \(b.setting("aof") ?? "n/a")",
                        ],
                        why: "The same on both sides, so not a parity problem; but a restart loses all session data.",
                        fix: "Enable RDB or AOF where session data must survive restarts.", scope: .shared))
            }
        }

        for name in scenarioCommands.sorted() {
            let availA = a.commands.first { $0.name == name }?.available
            let availB = b.commands.first { $0.name == name }?.available
            let missing = [(a.role, availA), (b.role, availB)].filter { $0.1 == false }.map(\.0)
            guard !missing.isEmpty, !missing.allSatisfy({ reported.contains("\(name)|\($0)") }) else { continue }
            findings.append(
                Finding(
                    identity: "command|\(name)", severity: .high, category: .commandUnsupported,
                    title: "\(name) is not available on \(missing.joined(separator: " and "))",
                    endpoints: missing,
                    evidence: ["COMMAND INFO \(name)", "A: \(describe(availA))", "B: \(describe(availB))"],
                    why: "The scenarios use \(name); on that host the application gets an error instead.",
                    fix: "Use a host that supports \(name), or replace it with commands both hosts support.",
                    scope: missing.count == 2 ? .shared : nil))
        }
        if usesLua { capability("Lua scripting (EVAL)", "lua", a.lua, b.lua, roles: roles, into: &findings) }
        if usesMulti { capability("MULTI/EXEC transactions", "multi", a.multi, b.multi, roles: roles, into: &findings) }
        return findings
    }

    private static func describe(_ available: Bool?) -> String {
        switch available {
        case true?: return "available"
        case false?: return "unknown command"
        case nil: return "could not be checked"
        }
    }

    private static func capability(
        _ what: String, _ id: String, _ a: Bool?, _ b: Bool?, roles: [String], into findings: inout [Finding]
    ) {
        let missing = zip(roles, [a, b]).filter { $0.1 == false }.map(\.0)
        guard !missing.isEmpty else { return }
        findings.append(
            Finding(
                identity: "capability|\(id)", severity: .high, category: .commandUnsupported,
                title: "\(what) not working on \(missing.joined(separator: " and "))",
                endpoints: missing,
                evidence: [
                    "A: \(a.map { $0 ? "works" : "fails" } ?? "not checked")",
                    "B: \(b.map { $0 ? "works" : "fails" } ?? "not checked")",
                ],
                why: "The scenarios depend on \(what).",
                fix: "Use a host that supports \(what), or restructure the scripts.",
                scope: missing.count == roles.count ? .shared : nil))
    }

    /// True for policies that delete keys under memory pressure.
    static func evicts(_ policy: String) -> Bool {
        policy.hasPrefix("allkeys-") || policy.hasPrefix("volatile-")
    }

    /// Whether the endpoint persists data (RDB or AOF), nil if unknown.
    static func persistent(_ profile: ServerProfile) -> Bool? {
        let rdb = profile.setting("rdb"), aof = profile.setting("aof")
        if rdb == nil && aof == nil { return nil }
        return (rdb?.hasPrefix("on") ?? false) || aof == "on"
    }

    private static func compare(
        _ name: String, _ a: ServerProfile, _ b: ServerProfile, into findings: inout [Finding],
        severity: (String?, String?) -> Severity, why: () -> String, fix: () -> String
    ) {
        let va = a.setting(name), vb = b.setting(name)
        guard let va, let vb, va != vb else { return }
        findings.append(
            Finding(
                identity: "setting|\(name)", severity: severity(va, vb), category: .serverProfile,
                title: "\(name) differs: \(va.isEmpty ? "\"\"" : va) on A, \(vb.isEmpty ? "\"\"" : vb) on B",
                endpoints: [a.role, b.role],
                evidence: ["CONFIG GET \(name)", "A: \(va.isEmpty ? "\"\"" : va)", "B: \(vb.isEmpty ? "\"\"" : vb)"],
                why: why(), fix: fix()))
    }
}
