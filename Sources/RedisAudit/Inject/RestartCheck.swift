import NIOCore

/// A real restart: every scenario runs once without faults and keeps its keys, the user's
/// `--restart-command` restarts the endpoint, and the keys are read again. With persistence
/// off they are gone: a finding about the endpoint, with its persistence settings.
struct RestartCheck: Sendable {
    let endpoint: Endpoint
    let role: String
    let command: String
    let options: ConnectionOptions
    let trialTimeout: TimeAmount
    /// The commands the scenarios may send.
    let catalog: CommandCatalog
    /// Where the namespace cleanups' confirmed outcomes are recorded.
    var ledger: CleanupLedger? = nil
    /// The temporary ACL user the scenarios' commands run as.
    var confinement: ConfinedUser? = nil

    /// What one scenario's keys did across the restart.
    struct Survival: Sendable {
        var scenario: String
        var before: NamespaceState
        var after: NamespaceState
        /// Keys gone or changed.
        var lost: [String] { before.keys.keys.sorted().filter { after.keys[$0] != before.keys[$0] } }
    }

    func run(_ scenarios: [(Scenario, VariableBindings)], runID: String) async throws -> [Survival] {
        let replayer = TrialReplayer(
            endpoint: endpoint, role: role, options: options, trialTimeout: trialTimeout, ledger: ledger, catalog: catalog,
            confinement: confinement)
        var written: [(scenario: Scenario, namespace: Namespace, state: NamespaceState)] = []
        for (index, (scenario, bindings)) in scenarios.enumerated() {
            guard let namespace = Namespace(run: runID, part: "restart\(index + 1)\(role.lowercased())") else { continue }
            let trial = try await replayer.run(
                scenario, bindings: bindings, namespace: namespace, plan: TrialPlan(point: nil, fault: nil, rules: []),
                keepKeys: true)
            written.append((scenario, namespace, trial.after))
        }
        var failure: Error?
        do {
            try await ShellCommand.run(command, timeout: .seconds(120))
        } catch {
            failure = error
        }
        // Wait for the endpoint to answer again (it may take a while to load its data).
        var session: ReconnectingConnection?
        let deadline = ContinuousClock.now + .seconds(60)
        while session == nil {
            do {
                session = ReconnectingConnection(
                    connection: try await RedisConnection.connect(to: endpoint, options: options), endpoint: endpoint,
                    options: options)
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw EndpointError.unreachable(
                        endpoint: endpoint.description, reason: "not back within 60 s of the restart command (\(error))")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        var observer = session!
        var survivals: [Survival] = []
        for entry in written {
            let after = try await NamespaceState.read(
                namespace: entry.namespace, known: entry.state.keys.keys.map { entry.namespace.namespaced(Array($0.utf8)) },
                session: &observer)
            survivals.append(Survival(scenario: entry.scenario.name, before: entry.state, after: after))
            await NamespaceCleaner.clean(
                keys: entry.state.keys.keys.map { entry.namespace.namespaced(Array($0.utf8)) }, namespace: entry.namespace,
                session: &observer, ledger: ledger, role: role)
        }
        await observer.close()
        if let failure { throw failure }
        return survivals
    }

    /// The finding: keys lost across the restart (high), or none.
    static func finding(_ survivals: [Survival], role: String, profile: ServerProfile?) -> Finding? {
        let total = survivals.reduce(0) { $0 + $1.before.keys.count }
        let lost = survivals.flatMap { s in s.lost.map { (s.scenario, $0) } }
        guard !lost.isEmpty else { return nil }
        var evidence = ["\(lost.count) of \(total) keys written by the scenarios are gone or changed after the restart:"]
        for (scenario, key) in lost.prefix(12) { evidence.append("  \(scenario): \(key)") }
        if lost.count > 12 { evidence.append("  ... and \(lost.count - 12) more") }
        if let profile {
            evidence.append("rdb: \(profile.setting("rdb") ?? "n/a"), aof: \(profile.setting("aof") ?? "n/a")")
        }
        return Finding(
            identity: "restart|\(role)", severity: .high, category: .durability,
            title: "A restart of \(role) loses \(lost.count) of the \(total) keys the scenarios wrote",
            endpoints: [role], scenario: nil, step: "after the restart command",
            evidence: evidence,
            why: "Every session, token and lock stored before a restart is gone after it: users are logged out and locks lift "
                + "(the report's restart test case, observed rather than assumed).",
            fix: "Turn on persistence (appendonly yes with appendfsync everysec, or RDB snapshots) or use a host that persists, "
                + "and make the application survive an empty cache where it cannot.",
            occurrences: lost.count)
    }
}
