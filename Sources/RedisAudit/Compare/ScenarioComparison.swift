import RESP

/// Compares one scenario's runs on two endpoints: replies step by step (and command by
/// command inside pipelines), pipeline results, key TTLs after every step, the final key
/// patterns, expectations, invariants, and where the application stopped.
public struct ScenarioComparison {
    public var a: ScenarioRun
    public var b: ScenarioRun
    /// Seconds two TTLs may differ before they count as different.
    public var ttlTolerance: Double
    /// Every trial of a repeated (concurrent) scenario on each side, `a` and `b` first.
    public var trialsA: [ScenarioRun]
    public var trialsB: [ScenarioRun]
    /// How each command's reply compares: the table's flags, and those learned from the endpoints.
    public var catalog: CommandCatalog
    /// The roles whose endpoint is a cluster: keys in several slots are refused there.
    public var clusterRoles: Set<String> = []

    public init(a: ScenarioRun, b: ScenarioRun, ttlTolerance: Double, catalog: CommandCatalog = .table) {
        self.init(trialsA: [a], trialsB: [b], ttlTolerance: ttlTolerance, catalog: catalog)
    }

    /// Compares repeated runs: everything on the first trial of each side, invariants and the
    /// clients' outcomes over all of them.
    public init(trialsA: [ScenarioRun], trialsB: [ScenarioRun], ttlTolerance: Double, catalog: CommandCatalog = .table) {
        precondition(!trialsA.isEmpty && !trialsB.isEmpty, "at least one trial per side")
        self.a = trialsA[0]
        self.b = trialsB[0]
        self.trialsA = trialsA
        self.trialsB = trialsB
        self.ttlTolerance = ttlTolerance
        self.catalog = catalog
    }

    var scenario: String { a.scenario.name }
    var roles: [String] { [a.role, b.role] }

    public func findings() -> [Finding] {
        findings(access: accessFailures())
    }

    /// The findings, given this comparison's `accessFailures()` (computed once by the caller
    /// that also reports them).
    func findings(access: [AccessFailure]) -> [Finding] {
        var findings: [Finding] = []
        findings += flow()
        for (sa, sb) in zip(a.steps, b.steps) {
            findings += replies(sa, sb)
            findings += pipelineResults(sa, sb)
        }
        findings += ttls()
        findings += keyPatterns()
        findings += expectations()
        findings += trialsA.count > 1 || trialsB.count > 1 ? raceInvariants() : invariants()
        findings += RaceFindings.clients([trialsA, trialsB])
        let escapes = scriptEscapes()
        let crossSlot = crossSlotFindings()
        findings = findings.map { consequence(consequence($0, of: access), ofEscapes: escapes) }
        if !crossSlot.refused.isEmpty { findings = findings.map { consequence($0, ofCrossSlot: crossSlot.findings) } }
        return findings + escapes + crossSlot.findings
    }

    /// The scenario's transactions, scripts and multi-key commands whose keys span slots (see
    /// `CrossSlotPrediction`), and the roles whose cluster refused one of them.
    func crossSlotFindings() -> (findings: [Finding], refused: [String]) {
        let uses = CrossSlotPrediction.uses(in: a.scenario, bindings: VariableBindings(a.bindings))
        guard !uses.isEmpty else { return ([], []) }
        var refusals: [String: String] = [:]
        for run in [a, b] where clusterRoles.contains(run.role) {
            for record in run.steps.flatMap(\.commands) {
                guard case .reply(let reply) = record.outcome else { continue }
                func error(_ value: RESPValue) -> String? { if case .error(let m) = value { return m } else { return nil } }
                let message = error(reply) ?? reply.arrayElements?.compactMap(error).first
                if let message, CrossSlotPrediction.isCrossSlotRefusal(message) {
                    refusals[run.role] = "\(record.name) -> (error) \(message)"
                    break
                }
            }
        }
        let findings = CrossSlotPrediction.findings(
            uses, scenario: scenario, roles: roles, clusterRoles: clusterRoles, refusals: refusals)
        return (findings, refusals.keys.sorted())
    }

    /// A difference that follows from a cluster's CROSSSLOT refusal is the cross-slot finding's
    /// consequence, not a difference of its own: kept as info, pointing at it.
    private func consequence(_ finding: Finding, ofCrossSlot causes: [Finding]) -> Finding {
        guard let cause = causes.first else { return finding }
        return Self.demoted(
            finding, to: .info,
            because: "follows from the cluster's CROSSSLOT refusal (\(cause.step ?? "a step")); see the cluster-crossslot finding"
        )
    }

    /// The replay's own findings (replies, TTLs, keys, flow, expectations, invariants) that follow
    /// from another finding: capped at `severity`, with the cause named in the evidence.
    private static func demoted(
        _ finding: Finding, to severity: Severity, because note: String, invariants: Bool = true
    ) -> Finding {
        var categories: Set<FindingCategory> = [
            .replyMismatch, .ttlMismatch, .keyPattern, .pipelineResult, .scenarioFlow, .expectation,
        ]
        if invariants { categories.insert(.invariant) }
        guard categories.contains(finding.category), finding.severity > severity else { return finding }
        var finding = finding
        finding.severity = severity
        finding.evidence.append(note)
        return finding
    }

    /// The scripts the temporary ACL user refused on each confined side (see `ScriptEscapes`).
    func scriptEscapes() -> [Finding] {
        [a, b].flatMap { run in
            run.confinedUser.map { ScriptEscapes.findings(scenario: scenario, role: run.role, user: $0, steps: run.steps) } ?? []
        }
    }

    /// A difference that follows from a refused script is not a difference between the hosts:
    /// the script did not run as the application's would. It is kept, low, pointing at the escape.
    private func consequence(_ finding: Finding, ofEscapes escapes: [Finding]) -> Finding {
        guard let cause = escapes.first else { return finding }
        return Self.demoted(
            finding, to: .low,
            because: "follows from the script the ACL refused (\(cause.step ?? "a script step") on "
                + "\(cause.endpoints.joined(separator: ", "))); see the script-escape finding")
    }

    // MARK: Commands one side did not run

    /// Every command one side did not run while the other did (unknown there, denied to the
    /// user, or the connection closed on it), once per step and side. Their replies are not
    /// compared: `AccessFindings` reports each command once for the whole audit.
    func accessFailures() -> [AccessFailure] {
        var failures: [AccessFailure] = []
        for (sa, sb) in zip(a.steps, b.steps) {
            for (run, mine, theirs) in [(a, sa, sb), (b, sb, sa)] {
                for (index, (record, other)) in zip(mine.commands, theirs.commands).enumerated() {
                    guard let access = CommandAccess.of(record.outcome), CommandAccess.of(other.outcome) == nil else { continue }
                    // The other side discarded the whole transaction (REST's /multi-exec): it did not run the command either.
                    if other.outcome.reply?.errorClass == "EXECABORT" { continue }
                    // The confinement's refusal is reported as a script escape, not as the host's ACL.
                    if run.confinedUser != nil, ScriptEscapes.isEscape(record) { continue }
                    // Behind a closed connection every later command of the step fails too: the first is the cause.
                    if access == .closedConnection,
                        mine.commands[..<index].contains(where: { CommandAccess.of($0.outcome) == .closedConnection })
                    {
                        continue
                    }
                    var evidence = [Transcript.command(record.display)]
                    evidence += Transcript.reply(run.role, record.outcome)
                    evidence += Transcript.reply(run.role == a.role ? b.role : a.role, other.outcome)
                    failures.append(
                        AccessFailure(
                            command: record.specName, role: run.role, access: access, scenario: scenario,
                            location: Transcript.location(step: mine, record: record), evidence: evidence))
                    if access == .closedConnection { break }
                }
            }
        }
        return failures
    }

    /// True when a command's reply difference comes from one side not running it.
    private func isAccessFailure(_ ra: CommandRecord, _ rb: CommandRecord) -> Bool {
        let ca = CommandAccess.of(ra.outcome), cb = CommandAccess.of(rb.outcome)
        return (ca == nil) != (cb == nil)
    }

    /// A finding that follows from a command one side did not run (the state it left differs,
    /// later replies differ) is capped at `low` and says so: the access finding is the cause.
    private func consequence(_ finding: Finding, of access: [AccessFailure]) -> Finding {
        guard let cause = access.first else { return finding }
        let what: String
        switch cause.access {
        case .denied: what = "is denied"
        case .closedConnection: what = "closed the connection"
        case .notCarried: what = "cannot travel over REST"
        case .unknown: what = "is not supported"
        }
        return Self.demoted(
            finding, to: .low,
            because: "follows from \(cause.command) on \(cause.role) (\(cause.location)): it \(what) there; see that finding",
            invariants: false)
    }

    /// Invariants over repeated trials: one that fails on both sides is the same race on both
    /// hosts, a finding about the scripts (`shared`), however often it failed on each.
    private func raceInvariants() -> [Finding] {
        RaceFindings.invariants([trialsA, trialsB]).map { finding in
            var finding = finding
            if Set(finding.endpoints) == Set(roles) { finding.scope = .shared }
            return finding
        }
    }

    // MARK: Flow

    private func flow() -> [Finding] {
        guard a.abortedAt != b.abortedAt else { return [] }
        func describe(_ run: ScenarioRun) -> String {
            run.abortedAt.map { "\(run.role): stopped at step \($0 + 1) (on_error: abort)" }
                ?? "\(run.role): completed all \(run.steps.count) steps"
        }
        let stoppedOn = [a, b].filter { $0.abortedAt != nil }.map(\.role)
        let index = [a.abortedAt, b.abortedAt].compactMap { $0 }.min() ?? 0
        let step = (a.steps.count > index ? a.steps[index] : b.steps[index])
        return [
            Finding(
                identity: "flow|\(index)", severity: .high, category: .scenarioFlow,
                title: "The application stops on \(stoppedOn.joined(separator: " and ")) only, at step \(index + 1)",
                endpoints: stoppedOn, scenario: scenario, step: Transcript.location(step: step, record: nil),
                evidence: [describe(a), describe(b)],
                why:
                    "The same code takes a different path on each host: on one side the request fails where it succeeds on the other.",
                fix: "Read the reply-mismatch finding at that step; make the failing command work on both hosts.")
        ]
    }

    // MARK: Replies

    private func replies(_ sa: StepRecord, _ sb: StepRecord) -> [Finding] {
        if let discarded = discardedTransaction(sa, sb) { return [discarded] }
        var findings: [Finding] = []
        let inner = sa.listedCommands
        for (ra, rb) in zip(sa.commands, sb.commands) {
            if isAccessFailure(ra, rb) { continue }
            // A script the confinement refused did not run as the application's would: no reply to compare.
            if (a.confinedUser != nil && ScriptEscapes.isEscape(ra)) || (b.confinedUser != nil && ScriptEscapes.isEscape(rb)) {
                continue
            }
            let difference = ReplyComparison.compare(
                ra.outcome, rb.outcome, command: ra.specName, inner: inner, toleranceSeconds: ttlTolerance, catalog: catalog)
            guard difference != .none else { continue }
            let severity: Severity
            let title: String
            let why: String
            let fix: String
            switch difference {
            case .none: continue
            case .messageOnly:
                severity = .info
                title = "\(ra.name) fails with the same error class but a different message"
                why = "Only the wording differs; code that matches on the message text would notice."
                fix = "Match errors by class (the first word), not by message."
            case .errorClass:
                severity = .medium
                title =
                    "\(ra.name) fails with different errors (\(ra.outcome.reply?.errorClass ?? "?") vs \(rb.outcome.reply?.errorClass ?? "?"))"
                why = "Error handling that branches on the error class (NOSCRIPT, WRONGTYPE, ...) takes a different path."
                fix = "Handle both error classes, or make the command valid on both hosts."
            case .successVersusError:
                let failing = ra.outcome.isFailure ? a.role : b.role
                severity = .high
                title = "\(ra.name) succeeds on \(failing == a.role ? b.role : a.role) but fails on \(failing)"
                why =
                    "The application behaves differently on each host: the command's effect is missing on \(failing), and unless every reply is checked the failure goes unnoticed."
                fix =
                    "Use only command forms both hosts support (check version-specific options such as EXPIRE NX/XX/GT/LT, GETEX, SET GET), and validate every reply."
            case .value:
                severity = .high
                title = "\(ra.name) returns different values"
                why = "The application reads different data from each host for the same script, so its decisions differ."
                fix = "Find why the state or semantics differ (earlier steps, version differences) and align them."
            case .transport:
                severity = .high
                title = "\(ra.name) got no reply on \(ra.outcome.reply == nil ? a.role : b.role)"
                why = "A lost reply is an error the application must handle; here it happens on one host only."
                fix = "Check the connection (timeouts, TLS, proxies) to that host and add a command timeout with retry."
            }
            var evidence = [Transcript.command(ra.display)]
            evidence += Transcript.reply(a.role, ra.outcome)
            evidence += Transcript.reply(b.role, rb.outcome)
            findings.append(
                Finding(
                    identity: "reply|\(sa.index)|\(ra.position.map(String.init) ?? ra.name)", severity: severity,
                    category: .replyMismatch,
                    title: title, endpoints: roles, scenario: scenario, step: Transcript.location(step: sa, record: ra),
                    evidence: evidence, why: why, fix: fix))
        }
        return findings
    }

    /// A transaction both sides discarded (EXECABORT), one naming the command it refused (RESP)
    /// and the other answering the whole request with the one error (REST's `/multi-exec`):
    /// nothing ran on either, only what the application is told differs.
    private func discardedTransaction(_ sa: StepRecord, _ sb: StepRecord) -> Finding? {
        guard case .transaction = sa.step.kind, let execA = sa.commands.last, let execB = sb.commands.last,
            execA.outcome.reply?.errorClass == "EXECABORT", execB.outcome.reply?.errorClass == "EXECABORT"
        else { return nil }
        func wholeRequest(_ step: StepRecord) -> Bool {
            step.commands.dropFirst().allSatisfy { $0.outcome.reply?.errorClass == "EXECABORT" }
        }
        let (rest, resp, respSide): (String, String, StepRecord)
        switch (wholeRequest(sa), wholeRequest(sb)) {
        case (false, true): (rest, resp, respSide) = (b.role, a.role, sa)
        case (true, false): (rest, resp, respSide) = (a.role, b.role, sb)
        default: return nil
        }
        let refused = respSide.commands.dropFirst().dropLast().filter { $0.outcome.isFailure }
        var evidence: [String] = []
        for (ra, rb) in zip(sa.commands, sb.commands) {
            evidence.append(Transcript.command(ra.display))
            evidence += Transcript.reply(a.role, ra.outcome)
            evidence += Transcript.reply(b.role, rb.outcome)
        }
        return Finding(
            identity: "discarded|\(sa.index)", severity: .low, category: .transport,
            title: "The discarded transaction names its refused command on \(resp) only: "
                + "\(rest)'s /multi-exec answers with one EXECABORT",
            endpoints: roles, scenario: scenario, step: Transcript.location(step: sa, record: nil), evidence: evidence,
            why: "Both hosts discarded the transaction, so nothing ran on either. Over RESP the server answers the command it "
                + "refused (\(refused.map(\.name).joined(separator: ", "))) and then EXEC with EXECABORT; over REST the "
                + "whole /multi-exec request gets one error, so an application that reports or drops the failing command "
                + "cannot do it after the move.",
            fix: "Handle a transaction's failure as a whole, and check its commands before queueing them (arity, "
                + "commands the host knows).")
    }

    private func pipelineResults(_ sa: StepRecord, _ sb: StepRecord) -> [Finding] {
        guard case .pipeline = sa.step.kind else { return [] }
        let pattern = { (s: StepRecord) in s.commands.map { $0.outcome.isFailure ? "error" : "ok" } }
        let pa = pattern(sa), pb = pattern(sb)
        guard pa != pb else { return [] }
        var evidence: [String] = []
        for (i, (ra, rb)) in zip(sa.commands, sb.commands).enumerated() {
            let ca = ra.outcome.isFailure ? "error" : "ok", cb = rb.outcome.isFailure ? "error" : "ok"
            evidence.append("\(i + 1). \(ra.name): \(a.role) \(ca), \(b.role) \(cb)\(ca != cb ? "   <- differs" : "")")
        }
        evidence.append("\(a.role): \(pa.count) replies, \(b.role): \(pb.count) replies")
        return [
            Finding(
                identity: "pipeline|\(sa.index)", severity: .high, category: .pipelineResult,
                title:
                    "Pipeline partially fails on one side (\(pa.filter { $0 == "error" }.count) vs \(pb.filter { $0 == "error" }.count) failed commands)",
                endpoints: roles, scenario: scenario, step: Transcript.location(step: sa, record: nil),
                evidence: evidence,
                why:
                    "A pipeline is not a transaction: the commands that succeeded stay applied. Code that does not validate each pipeline reply treats partial success as success (the report's \"Pipeline Non-Atomicity\").",
                fix:
                    "Validate every pipeline reply and fail the operation on any error, or wrap the writes in MULTI/EXEC or a Lua script."
            )
        ]
    }

    // MARK: TTLs and keys

    private func ttls() -> [Finding] {
        var findings: [Finding] = []
        var keys: [String] = []
        for step in a.steps { for key in step.keyStates.keys.sorted() where !keys.contains(key) { keys.append(key) } }
        for key in keys {
            var firstStep: StepRecord?
            var first: (KeyState, KeyState)?
            var worst: Severity?
            var count = 0
            for (sa, sb) in zip(a.steps, b.steps) {
                let ka = sa.keyStates[key] ?? .missing, kb = sb.keyStates[key] ?? .missing
                guard let severity = ttlDifference(ka, kb) else { continue }
                // Existence that differs to the end is reported as a key-pattern finding.
                if ka.exists != kb.exists, (a.finalKeys[key] != nil) != (b.finalKeys[key] != nil) { continue }
                count += 1
                if first == nil { first = (ka, kb); firstStep = sa }
                worst = max(worst ?? severity, severity)
            }
            guard let (ka, kb) = first, let step = firstStep, let severity = worst else { continue }
            let pattern = KeyPatterns.pattern(of: key, bindings: a.bindings)
            findings.append(
                Finding(
                    identity: "ttl|\(pattern)", severity: severity, category: .ttlMismatch,
                    title: "TTL of \(pattern) differs: \(ka.ttlDescription) on \(a.role), \(kb.ttlDescription) on \(b.role)",
                    endpoints: roles, scenario: scenario, step: "after " + Transcript.location(step: step, record: nil),
                    evidence: [
                        "PTTL \(key)", "\(a.role): \(ka.ttlDescription)", "\(b.role): \(kb.ttlDescription)",
                        "differs after \(count) of \(min(a.steps.count, b.steps.count)) steps",
                    ],
                    why: ka.pttl == -1 || kb.pttl == -1
                        ? "A key without TTL never expires: sessions or tokens stay valid forever on one host (the report's TTL -1 bug)."
                        : "Keys expire at different times on each host, so users are logged out earlier on one of them.",
                    fix:
                        "Set the TTL in the same command that writes the key (SET ... EX, SETEX) or in MULTI/EXEC, and check the TTL reply.",
                    occurrences: count))
        }
        return findings
    }

    /// The severity of a TTL difference between two key states, nil if within tolerance.
    func ttlDifference(_ ka: KeyState, _ kb: KeyState) -> Severity? {
        if ka.exists != kb.exists { return .high }
        if !ka.exists { return nil }
        if (ka.pttl == -1) != (kb.pttl == -1) { return .high }
        if ka.pttl == -1 { return nil }
        let ta = ka.pttlAtWrite ?? ka.pttl, tb = kb.pttlAtWrite ?? kb.pttl
        return abs(Double(ta - tb)) / 1000 > ttlTolerance ? .medium : nil
    }

    private func keyPatterns() -> [Finding] {
        var findings: [Finding] = []
        let pa = KeyPatterns.summarize(a.finalKeys, bindings: a.bindings)
        let pb = KeyPatterns.summarize(b.finalKeys, bindings: b.bindings)
        for pattern in Set(pa.keys).union(pb.keys).sorted() {
            let ta = pa[pattern], tb = pb[pattern]
            if ta == tb { continue }
            let onlyOn = ta == nil ? b.role : (tb == nil ? a.role : nil)
            let title: String
            if let onlyOn {
                title = "Key \(pattern) exists on \(onlyOn) only"
            } else {
                title =
                    "Key \(pattern) has type \(ta!.sorted().joined(separator: ",")) on \(a.role) but \(tb!.sorted().joined(separator: ",")) on \(b.role)"
            }
            findings.append(
                Finding(
                    identity: "pattern|\(pattern)", severity: .high, category: .keyPattern,
                    title: title, endpoints: onlyOn.map { [$0] } ?? roles, scenario: scenario, step: "after the last step",
                    evidence: [
                        "\(a.role): \(ta.map { "\(pattern) (\($0.sorted().joined(separator: ",")))" } ?? "no such key")",
                        "\(b.role): \(tb.map { "\(pattern) (\($0.sorted().joined(separator: ",")))" } ?? "no such key")",
                    ],
                    why: "After the same script the hosts hold different data: a lookup that succeeds on one fails on the other.",
                    fix: "Follow the reply-mismatch or flow findings of this scenario to the command that made the difference."))
        }
        return findings
    }

    // MARK: Expectations and invariants

    private func expectations() -> [Finding] {
        var findings: [Finding] = []
        let maxSteps = max(a.steps.count, b.steps.count)
        for index in 0..<maxSteps {
            let sa = index < a.steps.count ? a.steps[index] : nil
            let sb = index < b.steps.count ? b.steps[index] : nil
            let count = max(sa?.commands.count ?? 0, sb?.commands.count ?? 0)
            for c in 0..<count {
                let ra = sa.flatMap { c < $0.commands.count ? $0.commands[c] : nil }
                let rb = sb.flatMap { c < $0.commands.count ? $0.commands[c] : nil }
                let fa = ra?.expectationFailure, fb = rb?.expectationFailure
                guard fa != nil || fb != nil, let record = ra ?? rb, let step = sa ?? sb else { continue }
                let failing = [fa.map { _ in a.role }, fb.map { _ in b.role }].compactMap { $0 }
                let declared = record.template?.expect?.severity
                let severity: Severity = failing.count == 2 ? (declared ?? .medium) : max(declared ?? .high, .high)
                var evidence = [Transcript.command(record.display)]
                if let ra { evidence += Transcript.reply(a.role, ra.outcome) }
                if let rb { evidence += Transcript.reply(b.role, rb.outcome) }
                if let fa { evidence.append("\(a.role): \(fa)") }
                if let fb { evidence.append("\(b.role): \(fb)") }
                findings.append(
                    Finding(
                        identity: "expect|\(index)|\(record.position.map(String.init) ?? record.name)", severity: severity,
                        category: .expectation,
                        title: "Expectation on \(record.name) fails on \(failing.joined(separator: " and "))",
                        endpoints: failing, scenario: scenario, step: Transcript.location(step: step, record: record),
                        evidence: evidence,
                        why: failing.count == 2
                            ? "The script's own assumption about this reply does not hold on either host."
                            : "The script's assumption holds on one host only: code written against one host misbehaves on the other.",
                        fix: "Make the command behave as the application expects on both hosts, or correct the expectation.",
                        // Failing on both: the script's own assumption, not a difference between the hosts.
                        scope: failing.count == 2 ? .shared : nil))
            }
        }
        return findings
    }

    private func invariants() -> [Finding] {
        var findings: [Finding] = []
        for (index, (ia, ib)) in zip(a.invariants, b.invariants).enumerated() {
            guard !ia.holds || !ib.holds else { continue }
            let failing = [ia.holds ? nil : a.role, ib.holds ? nil : b.role].compactMap { $0 }
            let invariant = ia.invariant
            // The same failure on both hosts is about the script: the same observation, or for a
            // race (whose numbers differ from run to run by chance) failing on both sides at all.
            // Failing differently, or on one side only, is a difference.
            let same = ia.observation == ib.observation || a.scenario.isConcurrent
            findings.append(
                Finding(
                    identity: "invariant|\(index)", severity: invariant.severity, category: .invariant,
                    title: "Invariant fails on \(failing.joined(separator: " and ")): \(InvariantText.describe(invariant))",
                    endpoints: failing, scenario: scenario,
                    step: "after the last step (\(Transcript.shortLocation(invariant.location)))",
                    evidence: [
                        "\(a.role): \(ia.holds ? "holds" : "FAILS"): \(ia.observation)",
                        "\(b.role): \(ib.holds ? "holds" : "FAILS"): \(ib.observation)",
                    ],
                    why: invariant.why ?? "The state the scenario leaves behind breaks a rule the application relies on.",
                    fix: "Make the writes that establish this rule atomic (MULTI/EXEC or a Lua script) and check their replies.",
                    scope: failing.count == 2 && same ? .shared : nil))
        }
        return findings
    }
}

/// Human-readable text of an invariant, as written in scenario files.
enum InvariantText {
    static func describe(_ invariant: Invariant) -> String {
        func bounds<T: CustomStringConvertible>(_ min: T?, _ max: T?) -> String {
            [min.map { "min \($0)" }, max.map { "max \($0)" }].compactMap { $0 }.joined(separator: ", ")
        }
        switch invariant.check {
        case .exists(let k): return "exists \(k)"
        case .missing(let k): return "missing \(k)"
        case .ttl(let k, let min, let max): return "ttl \(k) \(bounds(min, max))"
        case .type(let k, let t): return "type \(k) is \(t)"
        case .membersHaveKeys(let set, let key): return "members of \(set) have key \(key)"
        case .value(let k, let min, let max): return "value \(k) \(bounds(min, max))"
        case .tally(let name, let min, let max): return "tally \(name) \(bounds(min, max))"
        case .countsMatch(let counter, let set): return "counter \(counter) counts the members of \(set)"
        }
    }
}
