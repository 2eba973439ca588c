import RESP

/// Findings over repeated runs of a concurrent scenario: how often each invariant failed on
/// each side and its worst case, commands a side refused, failures on one side only, and
/// connections that did not open. Exact counts differ from run to run by chance; only outcomes
/// are compared, so identities never carry a count.
enum RaceFindings {
    /// One finding per invariant that failed in any trial on either side.
    static func invariants(_ runs: [[ScenarioRun]]) -> [Finding] {
        let runs = runs.filter { !$0.isEmpty }
        guard let first = runs.first?.first else { return [] }
        var findings: [Finding] = []
        for (index, invariant) in first.scenario.invariants.enumerated() {
            let sides = runs.map { summarize($0, index) }
            let failing = sides.filter { $0.failed > 0 }
            guard !failing.isEmpty else { continue }
            let trials = runs.map(\.count).max() ?? 0
            let shown = failing.map { "\($0.failed) of \($0.trials)" }
            let counts = failing.count == 2 && shown[0] == shown[1] ? shown[0] : shown.joined(separator: " and ")
            var title =
                "Invariant fails on \(failing.map(\.role).joined(separator: " and ")) in \(counts) trials: \(InvariantText.describe(invariant))"
            if let worst = failing.compactMap(\.worst).first { title += " (worst: \(worst))" }
            findings.append(
                Finding(
                    identity: "invariant|\(index)", severity: invariant.severity, category: .invariant,
                    title: title, endpoints: failing.map(\.role), scenario: first.scenario.name,
                    step: "after the last step (\(Transcript.shortLocation(invariant.location))), over \(trials) trials",
                    evidence: sides.map(\.line),
                    why: invariant.why ?? "The state the scenario leaves behind breaks a rule the application relies on.",
                    fix:
                        "Make the check and the write one atomic operation (a Lua script, or WATCH/MULTI/EXEC with a retry) so concurrent requests cannot interleave between them."
                ))
        }
        return findings
    }

    /// How one side's trials came out for one invariant.
    struct Summary {
        var role: String
        var trials: Int
        var failed: Int
        /// The failing observation with the largest measured number.
        var worst: String?

        var line: String {
            failed == 0
                ? "\(role): holds in all \(trials) trials"
                : "\(role): fails in \(failed) of \(trials) trials, worst: \(worst ?? "?")"
        }
    }

    static func summarize(_ trials: [ScenarioRun], _ index: Int) -> Summary {
        let results = trials.compactMap { index < $0.invariants.count ? $0.invariants[index] : nil }
        let failing = results.filter { !$0.holds }
        let worst = failing.max { ($0.measured ?? .min) < ($1.measured ?? .min) }
        return Summary(role: trials.first?.role ?? "?", trials: results.count, failed: failing.count, worst: worst?.observation)
    }

    // MARK: Clients

    /// Error classes that mean the endpoint does not offer the command to this client.
    static func isUnsupported(_ record: CommandRecord?) -> Bool {
        guard case .reply(let reply)? = record?.outcome, case .error(let message) = reply else { return false }
        if CommandAccess.of(errorMessage: message) != nil { return true }
        // Besides what CommandAccess names, managed hosts word a disabled command their own way,
        // as an ERR. Redis's own state errors are no refusal though they read alike: OOM "command
        // not allowed when used memory > 'maxmemory'", MISCONF "commands ... are disabled".
        guard reply.errorClass == "ERR" else { return false }
        let lower = message.lowercased()
        return lower.contains("disabled") || lower.contains("not allowed")
    }

    /// Findings from what the clients of each concurrent step were told, over all trials.
    static func clients(_ runs: [[ScenarioRun]]) -> [Finding] {
        let runs = runs.filter { !$0.isEmpty }
        guard let first = runs.first?.first else { return [] }
        let scenario = first.scenario.name
        var findings: [Finding] = []
        for record in first.steps {
            guard let outcome = record.concurrent else { continue }
            let sides = runs.map { trials in
                (
                    role: trials.first?.role ?? "?",
                    outcomes: trials.compactMap { run in
                        run.steps.first { $0.index == record.index }?.concurrent
                    }
                )
            }
            for side in sides {
                let failures = side.outcomes.reduce(into: [String: Int]()) { acc, o in
                    for (reason, n) in o.connectFailures { acc[reason, default: 0] += n }
                }
                guard !failures.isEmpty else { continue }
                let clients = side.outcomes.reduce(0) { $0 + $1.clients }
                let failed = failures.values.reduce(0, +)
                findings.append(
                    Finding(
                        identity: "concurrent|\(record.index)|connect|\(side.role)", severity: .high, category: .transport,
                        title: "\(failed) of \(clients) client connections to \(side.role) did not open",
                        endpoints: [side.role], scenario: scenario, step: Transcript.location(step: record, record: nil),
                        evidence: failures.sorted { $0.key < $1.key }.map { "\($0.value) x \($0.key)" },
                        why:
                            "Clients that cannot connect never run, so the race is smaller than the application's (and the host may refuse real users the same way).",
                        fix:
                            "Check the host's maxclients and connection rate limits, and this process's open-file limit (ulimit -n)."
                    ))
            }
            for inner in outcome.steps {
                let per = sides.map { side in
                    (
                        role: side.role,
                        errors: side.outcomes.reduce(into: [String: Int]()) { acc, o in
                            for (k, n) in o.steps[inner.index].errors { acc[k, default: 0] += n }
                        },
                        ran: side.outcomes.reduce(0) { $0 + $1.steps[inner.index].ran },
                        sample: side.outcomes.lazy.compactMap { $0.steps[inner.index].sample }.first
                    )
                }
                let location =
                    "\(Transcript.location(step: record, record: nil)), step \(inner.index + 1)\(inner.step.label.map { " \"\($0)\"" } ?? "")"
                let name = inner.step.commands.first?.name ?? inner.step.kindName
                for side in per where isUnsupported(side.sample) {
                    let failed = side.errors.values.reduce(0, +)
                    var evidence: [String] = []
                    if let sample = side.sample {
                        evidence.append(Transcript.command(sample.display))
                        evidence += Transcript.reply(side.role, sample.outcome)
                    }
                    evidence.append("\(side.role): \(failed) of \(side.ran) clients refused")
                    let denied = side.sample?.outcome.reply?.errorClass == "NOPERM"
                    findings.append(
                        Finding(
                            identity: "concurrent|\(record.index)|\(inner.index)|unsupported|\(side.role)", severity: .high,
                            category: denied ? .commandDenied : .commandUnsupported,
                            title: "\(name) is refused on \(side.role): \(side.sample?.outcome.reply?.errorClass ?? "error")",
                            endpoints: [side.role], scenario: scenario, step: location, evidence: evidence,
                            why:
                                "The application's \(name) cannot run on this host (disabled, renamed, or denied to its user by an ACL), so the code path that depends on it fails for every request.",
                            fix:
                                "Allow the command for the application's user (ACL: +@scripting for EVAL), or choose a host that offers it, before moving."
                        ))
                }
                let classes = per.map { Set($0.errors.keys) }
                guard classes.count == 2, classes[0] != classes[1], !per.contains(where: { isUnsupported($0.sample) }) else {
                    continue
                }
                findings.append(
                    Finding(
                        identity: "concurrent|\(record.index)|\(inner.index)|errors", severity: .high, category: .replyMismatch,
                        title: "\(name) fails differently on \(per[0].role) and \(per[1].role) under concurrency",
                        endpoints: per.map(\.role), scenario: scenario, step: location,
                        evidence: per.map { side in
                            side.errors.isEmpty
                                ? "\(side.role): no client failed (\(side.ran) ran)"
                                : "\(side.role): "
                                    + side.errors.sorted { $0.key < $1.key }.map { "\($0.key) for \($0.value) clients" }.joined(
                                        separator: ", ") + " (\(side.ran) ran)"
                        },
                        why: "Under the same load one host fails requests the other serves (timeouts, limits, errors).",
                        fix:
                            "Find the failing replies on that host (its limits, timeouts and errors) and make the command succeed there too."
                    ))
            }
        }
        return findings
    }
}
