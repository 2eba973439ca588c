/// Turns judged trials into findings: one per distinct failure, not one per trial, with how many
/// fault points trigger it, the shortest reproducer, its transcript, and the fix.
enum InjectFindings {
    /// A trial with its verdict.
    typealias Judged = (trial: Trial, verdict: TrialVerdict)

    /// The findings of one scenario's exploration on one endpoint.
    static func findings(_ judged: [Judged], baseline: Trial, scenario: Scenario, role: String, reproducer: TrialReproducer)
        -> [Finding]
    {
        let reached = judged.filter { $0.verdict.outcome != .notReached }
        var groups: [String: [Judged]] = [:]
        var order: [String] = []
        for entry in reached where entry.verdict.outcome != .survived {
            let lines = entry.verdict.broken.map { String($0.invariant.location.line) }.joined(separator: ",")
            let key = "\(entry.verdict.outcome.rawValue)|\(lines)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(entry)
        }
        var findings = order.map { key in
            finding(
                for: groups[key]!, total: reached.count, baseline: baseline, scenario: scenario, role: role,
                reproducer: reproducer,
                identity: key)
        }
        let hung = reached.filter(\.verdict.hang)
        if !hung.isEmpty {
            findings.append(hangFinding(hung, total: reached.count, scenario: scenario, role: role, reproducer: reproducer))
        }
        return findings
    }

    private static func finding(
        for group: [Judged], total: Int, baseline: Trial, scenario: Scenario, role: String, reproducer: TrialReproducer,
        identity: String
    ) -> Finding {
        let sorted = group.sorted { lhs, rhs in
            let l = lhs.trial.plan.point.map { ($0.step, $0.wireIndex) } ?? (0, 0)
            let r = rhs.trial.plan.point.map { ($0.step, $0.wireIndex) } ?? (0, 0)
            if l != r { return l < r }
            if lhs.trial.plan.serverFault != rhs.trial.plan.serverFault { return rhs.trial.plan.serverFault != nil }
            return (lhs.trial.plan.fault ?? .killBefore) < (rhs.trial.plan.fault ?? .killBefore)
        }
        let first = sorted[0]
        let outcome = first.verdict.outcome
        // With the user's own rules there is no fault point: name the first command that failed,
        // or, when a retry repaired the failure, the command it sent again (a write it applied twice).
        let resent = first.trial.steps.filter { !$0.retriedFailures.isEmpty }.flatMap(\.commands).filter { $0.sends > 1 }
        let failedFirst =
            first.trial.steps.lazy.flatMap(\.commands).first { $0.outcome.isFailure }?.name
            ?? resent.first { CommandTable.spec(named: $0.specName)?.flags.contains(.nonIdempotent) ?? false }?.name
            ?? resent.first?.name
        let command =
            first.trial.plan.point.map { $0.wholeTransaction ? "MULTI/EXEC transaction" : $0.command }
            ?? failedFirst ?? "a command"
        let invariant = first.verdict.broken.first?.invariant
        let rule = invariant.map { $0.why ?? InvariantText.describe($0) } ?? ""
        let title: String
        var why: String
        let fix: String
        switch outcome {
        case .partialApply:
            let part = rule.isEmpty ? partialWrite(first.trial, complete: baseline.after) : rule
            title =
                "A failure at \(command) stops `\(scenario.name)` half-way and leaves a partial write"
                + (part.isEmpty ? "" : ": \(part)")
            why =
                "The step's commands are not atomic: the connection died after some of them ran, the application stopped with "
                + "an error, and what it wrote first stays behind without the rest (the report's pipeline non-atomicity)."
            fix =
                "Make the writes atomic (MULTI/EXEC or one Lua script), and validate every reply of a pipeline instead of "
                + "ignoring exec()'s results."
        case .silentCorruption:
            title = "`\(scenario.name)` goes on after a failed \(command) and leaves a broken state: \(rule)"
            why =
                "The application carried on as if the step had worked: its result was not checked, and the state it leaves "
                + "breaks an invariant that nothing reports."
            fix =
                "Check the step's reply (e.g. that DEL returned 1, or re-check with EXISTS) and fail or retry when it did not "
                + "succeed; do not ignore a write's result."
        case .errorSwallowed:
            title = "`\(scenario.name)` treats a failed \(command) as \"not found\""
            why =
                "A Redis error was caught and returned as null: the application cannot tell a failure from a missing key, so a "
                + "healthy user is treated as unknown (the report's error swallowing: the user is logged out)."
            fix = "Let the error propagate, or retry it; return null only for a reply that really is nil."
        case .doubleApply:
            title = "A retried \(command) is applied twice in `\(scenario.name)`" + (rule.isEmpty ? "" : ": \(rule)")
            let retrier = scenario.client.givesUp ? "the step's on_error retry" : "the client library's retry"
            why =
                "The first attempt ran on the server but its reply was lost; \(retrier) ran it again, and the command is not "
                + "idempotent."
            fix =
                "Make the retried write idempotent (SET a value instead of INCR, a Lua script that records a request id), or "
                + "check the state before retrying a write whose reply was lost."
        case .lostWrite:
            title = "A lost acknowledged \(command) breaks `\(scenario.name)`: \(rule)"
            why =
                "The host acknowledged the write and then lost it, as an asynchronous replica promoted in a failover does. No "
                + "command structure (pipeline, MULTI/EXEC, Lua) protects against that."
            fix =
                "For writes that must survive a failover, follow them with WAIT numreplicas timeout (and fail when too few "
                + "replicas acknowledged), or use a host with synchronous replication or durable writes."
        case .appliedToldFailed:
            title = "A lost response at \(command) tells `\(scenario.name)` it failed after the server ran the whole request"
            why =
                "Over REST a request is one HTTP exchange: when the response is lost or late, the server has run every "
                + "command of the request, and the SDK reports an error. The application cannot tell this from a request that "
                + "never arrived: one that gives up tells the user a write failed that happened, one that retries runs it again."
            fix =
                "Make the request safe to send twice (SET with a value, not INCR; a request id recorded in the same "
                + "/multi-exec), or read the state back before reporting a failure or retrying."
        case .survived, .notReached:
            title = "`\(scenario.name)`: \(outcome.rawValue)"
            why = ""
            fix = ""
        }
        // Every verdict depends on what the client library does with a failure: say which one.
        if !why.isEmpty { why += " Judged with \(scenario.client)." }
        let severity = group.map(\.verdict.severity).max() ?? outcome.baseSeverity
        return Finding(
            identity: "inject|\(role)|\(identity)", severity: severity, category: category(outcome), title: title,
            endpoints: [role], scenario: scenario.name, step: first.trial.plan.point?.location ?? "the given faults",
            evidence: evidence(sorted, total: total, role: role, reproducer: reproducer, client: scenario.client),
            why: why, fix: fix, occurrences: group.count)
    }

    private static func hangFinding(_ hung: [Judged], total: Int, scenario: Scenario, role: String, reproducer: TrialReproducer)
        -> Finding
    {
        let sorted = hung.sorted { ($0.trial.plan.point ?? .origin) < ($1.trial.plan.point ?? .origin) }
        // The timeout of a step the client then retried is among its retried failures.
        let outcomes = sorted.first?.trial.steps.lazy.flatMap { $0.retriedFailures + $0.commands.map(\.outcome) }
        let timeout = outcomes?.compactMap { outcome -> Int64? in
            if case .failed(.timeout(let ms)) = outcome { return ms }
            return nil
        }.first
        let waited = timeout.map { "\($0) ms" } ?? "the command timeout"
        return Finding(
            identity: "inject|\(role)|hang", severity: .medium, category: .hang,
            title: "A slow reply blocks `\(scenario.name)` for the whole command timeout (\(waited))",
            endpoints: [role], scenario: scenario.name, step: sorted.first?.trial.plan.point?.location,
            evidence: evidence(sorted, total: total, role: role, reproducer: reproducer, client: scenario.client),
            why: "The step waited \(waited) for a reply that came late and then failed; without a client-side command timeout "
                + "it would wait as long as the server takes (the report's read timeout: the request hangs). Judged with "
                + "\(scenario.client).",
            fix: "Give every Redis call a timeout shorter than the request's own budget (the report's Fix #5: commandTimeout), "
                + "and decide what the step does when it fires: retry an idempotent read, fail the request otherwise.",
            occurrences: hung.count)
    }

    /// The points that trigger it, the shortest reproducer and its transcript.
    private static func evidence(_ sorted: [Judged], total: Int, role: String, reproducer: TrialReproducer, client: ClientRetry)
        -> [String]
    {
        var lines = ["Triggered by \(sorted.count) of \(total) fault points on \(role), with \(client):"]
        for entry in sorted.prefix(8) {
            lines.append("  \(describe(entry.trial.plan)) -> \(entry.verdict.summary)")
        }
        if sorted.count > 8 { lines.append("  ... and \(sorted.count - 8) more") }
        let first = sorted[0]
        let trial = first.trial
        let lastStep = trial.plan.point.map { max($0.step, trial.abortedAt ?? $0.step) } ?? (trial.steps.count - 1)
        lines.append("")
        lines.append("Shortest reproducer: steps 1 to \(lastStep + 1) of `\(trial.scenario.name)` with \(describe(trial.plan)):")
        if let command = reproducer.command(trial.plan, scenario: trial.scenario) {
            lines.append("  " + command)
        }
        lines.append("")
        lines += transcript(trial, verdict: first.verdict, role: role)
        return lines
    }

    /// One trial as it ran: each command and its reply, where the application stopped or that it
    /// went on, the state before and after, and the invariants that fail.
    static func transcript(_ trial: Trial, verdict: TrialVerdict, role: String) -> [String] {
        var lines: [String] = []
        for step in trial.steps {
            for failure in step.retriedFailures {
                lines.append(
                    "(step \(step.index + 1) was sent again after: \(Transcript.reply(role, failure).joined(separator: " ")))")
            }
            for record in step.commands {
                lines.append(Transcript.command(record.display))
                lines += Transcript.reply(role, record.outcome)
            }
        }
        if let stopped = trial.abortedAt, stopped < trial.steps.count {
            let step = trial.steps[stopped]
            let how = step.failure == .transport ? "no reply" : "an error reply"
            lines.append("The application stopped at step \(stopped + 1): \(how), on_error: \(step.step.onError.name).")
        } else {
            let absorbed = trial.steps.filter(\.failed).map { "step \($0.index + 1) (on_error: \($0.step.onError.name))" }
            lines.append(
                "The application went on to the end"
                    + (absorbed.isEmpty ? "." : ", past the failure of " + absorbed.joined(separator: ", ") + "."))
        }
        if trial.steps.contains(where: \.step.setup) {
            lines.append("State after the setup steps:")
            lines += trial.before.lines.map { "  " + $0 }
        }
        lines.append("State once the fault settled:")
        lines += trial.after.lines.map { "  " + $0 }
        if !trial.wentOn {
            let changed = trial.after.differences(from: trial.before)
            if !changed.isEmpty {
                lines.append("Changed by the stopped request:")
                lines += changed.map { "  " + $0 }
            }
        }
        if !verdict.failing.isEmpty {
            lines.append("Failing invariants:")
            for result in verdict.failing {
                lines.append(
                    "  \(InvariantText.describe(result.invariant)) (\(Transcript.shortLocation(result.invariant.location))): \(result.observation)"
                )
            }
        }
        return lines
    }

    /// `lock:${email} changed, locktime:${email} not`: which of the keys the complete request
    /// changes the stopped one changed, as the scenario's key patterns.
    static func partialWrite(_ trial: Trial, complete: NamespaceState) -> String {
        let keys = Set(trial.before.keys.keys).union(trial.after.keys.keys).union(complete.keys.keys)
        let changed = keys.filter { trial.after.keys[$0] != trial.before.keys[$0] }
        let needed = keys.filter { complete.keys[$0] != trial.before.keys[$0] }
        func patterns(_ keys: Set<String>) -> String {
            Set(keys.map { KeyPatterns.pattern(of: $0, bindings: trial.bindings) }).sorted().joined(separator: ", ")
        }
        let written = changed.intersection(needed)
        let missing = needed.subtracting(changed)
        guard !written.isEmpty, !missing.isEmpty else { return "" }
        return "\(patterns(written)) changed, \(patterns(missing)) not"
    }

    /// `kill-after at step 1 (pipeline), command 2: SADD (login.yaml:15)`.
    static func describe(_ plan: TrialPlan) -> String {
        if let server = plan.serverFault, let point = plan.point { return "\(server.rawValue) before \(point.location)" }
        guard let fault = plan.fault, let point = plan.point else {
            return plan.rules.map(\.text).joined(separator: " + ")
        }
        return "\(fault.rawValue) at \(point.location)"
    }

    /// Findings of one scenario on two endpoints, with a failure both have (the same title and
    /// the same number of fault points) reported once for both.
    static func merge(_ a: [Finding], _ b: [Finding], roles: (String, String)) -> [Finding] {
        var rest = b
        var merged: [Finding] = []
        for finding in a {
            guard
                let i = rest.firstIndex(where: {
                    $0.category == finding.category && $0.title == finding.title && $0.occurrences == finding.occurrences
                })
            else {
                merged.append(finding)
                continue
            }
            rest.remove(at: i)
            var both = finding
            both.endpoints = [roles.0, roles.1]
            both.id = Finding.stableID(
                category: finding.category, identity: "inject|both|\(finding.title)", scenario: finding.scenario)
            both.evidence = ["The same on \(roles.0) and \(roles.1); as seen on \(roles.0):"] + finding.evidence
            merged.append(both)
        }
        return merged + rest
    }

    /// Where the same fault ends differently on two endpoints.
    static func parity(_ a: [Judged], _ b: [Judged], scenario: Scenario, roles: (String, String)) -> [Finding] {
        func key(_ plan: TrialPlan) -> String {
            "\(plan.fault?.rawValue ?? plan.serverFault?.rawValue ?? "")|\(plan.point?.location ?? plan.reproducer.joined())"
        }
        let onB = Dictionary(b.map { (key($0.trial.plan), $0) }, uniquingKeysWith: { first, _ in first })
        var differing: [(Judged, Judged)] = []
        for entry in a {
            guard let other = onB[key(entry.trial.plan)] else { continue }
            let outcomes = (entry.verdict.outcome, other.verdict.outcome)
            guard outcomes.0 != .notReached, outcomes.1 != .notReached, outcomes.0 != outcomes.1 else { continue }
            differing.append((entry, other))
        }
        guard !differing.isEmpty else { return [] }
        var evidence = ["Under the same fault, \(differing.count) fault point\(differing.count == 1 ? "" : "s") end differently:"]
        for (x, y) in differing.prefix(12) {
            evidence.append("  \(describe(x.trial.plan)): \(roles.0) \(x.verdict.summary), \(roles.1) \(y.verdict.summary)")
        }
        if differing.count > 12 { evidence.append("  ... and \(differing.count - 12) more") }
        let first = differing[0]
        evidence.append("")
        evidence.append("\(roles.0) once the fault settled:")
        evidence += first.0.trial.after.lines.map { "  " + $0 }
        evidence.append("\(roles.1) once the fault settled:")
        evidence += first.1.trial.after.lines.map { "  " + $0 }
        let title: String
        let why: String
        let fix: String
        if first.0.trial.transport != first.1.trial.transport {
            let (tcp, rest) = first.0.trial.transport == .rest ? (roles.1, roles.0) : (roles.0, roles.1)
            title = "`\(scenario.name)` fails differently over TCP (\(tcp)) and over REST (\(rest)) under the same faults"
            why =
                "Over TCP a pipeline is commands on one connection: a dropped connection cuts it between two commands, "
                + "and what ran first stays (a partial apply). Over REST the pipeline is one HTTP request: it is lost "
                + "whole before the server sees it, or runs whole and loses its response, so the client is told it "
                + "failed after everything was applied. Moving between the SDKs trades one failure for the other."
            fix =
                "Make the step atomic (MULTI/EXEC, /multi-exec or a script) so TCP cannot split it, and safe to send "
                + "twice (or read back before retrying) so a lost REST response cannot mislead the application."
        } else {
            title = "`\(scenario.name)` survives the same faults differently on \(roles.0) and \(roles.1)"
            why =
                "A failure the application survives on one host corrupts or loses its state on the other: moving hosts changes "
                + "what a dropped connection or a lost reply costs."
            fix =
                "Read the two endpoints' findings for this scenario; fix the scenario's weak step on both, and compare the "
                + "hosts' persistence and replication settings."
        }
        return [
            Finding(
                identity: "inject|parity", severity: .high, category: .faultParity, title: title,
                endpoints: [roles.0, roles.1], scenario: scenario.name, step: first.0.trial.plan.point?.location,
                evidence: evidence, why: why, fix: fix, occurrences: differing.count)
        ]
    }

    static func category(_ outcome: TrialOutcome) -> FindingCategory {
        switch outcome {
        case .silentCorruption: return .silentCorruption
        case .errorSwallowed: return .errorSwallowed
        case .doubleApply: return .doubleApply
        case .partialApply: return .partialApply
        case .lostWrite: return .lostWrite
        case .appliedToldFailed: return .appliedToldFailed
        case .survived, .notReached: return .transport
        }
    }
}

extension FaultPoint {
    /// Sorts before every real point (for trials with the user's own rules).
    static let origin = FaultPoint(step: -1, wireIndex: -1, command: "", position: nil, location: "", wholeTransaction: false)
}
