import RESP

/// Replays one scenario on one endpoint inside a run namespace, records every command and
/// the state of every key it touches, judges the invariants, and deletes what it created.
///
/// ```
///   step ─render ${vars}─▶ rewrite keys into namespace ─▶ send ─▶ record replies
///        ─▶ TYPE + PTTL of every key seen so far ─▶ next step ... ─▶ invariants ─▶ cleanup
/// ```
public struct ScenarioReplayer: Sendable {
    public var endpoint: Endpoint
    public var options: ConnectionOptions
    public var role: String
    public var interruption: Interruption?
    /// Where the namespace cleanup's confirmed outcome is recorded.
    public var ledger: CleanupLedger?
    /// The commands the run may send: the table's, and those learned from the endpoints.
    public var catalog: CommandCatalog
    /// The temporary ACL user the scenario's commands run as (see `RunConfinement`); nil: the
    /// endpoint's own credentials. The replay's own reads (key states, invariants, cleanup)
    /// always use the endpoint's own credentials.
    public var confinement: ConfinedUser?

    public init(
        endpoint: Endpoint, options: ConnectionOptions, role: String, interruption: Interruption? = nil,
        ledger: CleanupLedger? = nil, catalog: CommandCatalog = .table, confinement: ConfinedUser? = nil
    ) {
        self.endpoint = endpoint
        self.options = options
        self.role = role
        self.interruption = interruption
        self.ledger = ledger
        self.catalog = catalog
        self.confinement = confinement
    }

    /// Runs the scenario in `namespace` and always cleans the namespace afterwards,
    /// also when the run fails or is interrupted.
    public func run(_ scenario: Scenario, bindings: VariableBindings, namespace: Namespace) async throws -> ScenarioRun {
        var tracker = KeyTracker()
        let connection = try await RedisConnection.connect(to: endpoint, options: options)
        var session = ReplaySession(connection: connection, endpoint: endpoint, options: options)
        // Confined, the scenario's commands go on a connection of their own, as the temporary user.
        var application: ReplaySession?
        do {
            if let confinement {
                let confined = confinement.endpoint(endpoint)
                application = ReplaySession(
                    connection: try await RedisConnection.connect(to: confined, options: options), endpoint: confined,
                    options: options)
            }
            var run = try await replay(
                scenario, bindings: bindings, namespace: namespace, session: &session, application: &application,
                tracker: &tracker)
            run.confinedUser = confinement?.name
            await application?.close()
            await NamespaceCleaner.clean(keys: tracker.keys, namespace: namespace, session: &session, ledger: ledger, role: role)
            await session.close()
            return run
        } catch {
            await application?.close()
            await NamespaceCleaner.clean(keys: tracker.keys, namespace: namespace, session: &session, ledger: ledger, role: role)
            await session.close()
            throw error
        }
    }

    private func replay(
        _ scenario: Scenario, bindings: VariableBindings, namespace: Namespace,
        session: inout ReplaySession, application: inout ReplaySession?, tracker: inout KeyTracker
    ) async throws -> ScenarioRun {
        var records: [StepRecord] = []
        var abortedAt: Int?
        var lastWrite: [[UInt8]: ContinuousClock.Instant] = [:]
        var flow = ClientFlow(bindings: bindings)
        var tallies: [String: Int] = [:]
        for name in scenario.tallyNames { tallies[name] = 0 }
        for (index, step) in scenario.steps.enumerated() {
            if interruption?.isRequested == true { throw InterruptedError() }
            if case .concurrent(let block) = step.kind {
                let runner = ConcurrentRunner(
                    endpoint: confinement?.endpoint(endpoint) ?? endpoint, options: options, namespace: namespace,
                    bindings: bindings, catalog: catalog)
                let (outcome, keys) = try await runner.run(block)
                for key in keys { tracker.add(key) }
                for (name, n) in outcome.tallies { tallies[name, default: 0] += n }
                let states = try await keyStates(tracker.keys, namespace: namespace, session: &session, lastWrite: lastWrite)
                var record = StepRecord(
                    index: index, step: step, commands: [], failed: outcome.steps.contains { $0.failed > 0 }, failure: nil,
                    attempts: 1, retriedAfterTransportFailure: false, keyStates: states)
                record.concurrent = outcome
                records.append(record)
                continue
            }
            guard try flow.shouldRun(step) else {
                flow.skipped(step)
                records.append(
                    StepRecord(
                        index: index, step: step, commands: [], failed: false, failure: nil, attempts: 0,
                        retriedAfterTransportFailure: false, keyStates: records.last?.keyStates ?? [:], skipped: true))
                continue
            }
            let executor = StepExecutor(bindings: flow.bindings, namespace: namespace, catalog: catalog)
            let prepared = try await executor.prepare(step)
            for key in prepared.flatMap(\.keys) { tracker.add(key) }
            let execution: StepExecutor.Execution
            if application != nil {
                execution = try await executor.execute(step, prepared: prepared, session: &application!)
            } else {
                execution = try await executor.execute(step, prepared: prepared, session: &session)
            }
            try flow.ran(step, commands: execution.commands, failure: execution.failure)
            let stepEnd = ContinuousClock.now
            for command in prepared where command.setsTTL {
                for key in command.keys { lastWrite[key] = stepEnd }
            }
            let states = try await keyStates(tracker.keys, namespace: namespace, session: &session, lastWrite: lastWrite)
            records.append(execution.record(index: index, step: step, keyStates: states))
            if execution.stops {
                abortedAt = index
                break
            }
        }
        for (name, n) in flow.tallies { tallies[name, default: 0] += n }
        let finalKeys = try await finalState(namespace: namespace, tracker: &tracker, session: &session)
        let invariants = try await InvariantCheck.evaluate(
            scenario.invariants, bindings: bindings, tallies: tallies, namespace: namespace, session: &session)
        return ScenarioRun(
            scenario: scenario, role: role, steps: records, abortedAt: abortedAt, finalKeys: finalKeys,
            invariants: invariants, bindings: bindings.values, tallies: tallies)
    }

    private func keyStates(
        _ keys: [[UInt8]], namespace: Namespace, session: inout ReplaySession,
        lastWrite: [[UInt8]: ContinuousClock.Instant] = [:]
    ) async throws -> [String: KeyState] {
        guard !keys.isEmpty else { return [:] }
        var commands: [RESPCommand] = []
        commands.reserveCapacity(keys.count * 2)
        for key in keys {
            commands.append(RESPCommand(arguments: [Array("TYPE".utf8), key]))
            commands.append(RESPCommand(arguments: [Array("PTTL".utf8), key]))
        }
        let outcomes = try await session.send(commands)
        let observed = ContinuousClock.now
        var states: [String: KeyState] = [:]
        for (i, key) in keys.enumerated() {
            let type = outcomes[2 * i].reply?.text ?? "unknown"
            let pttl = outcomes[2 * i + 1].reply?.integerValue ?? -2
            var atWrite: Int64?
            if pttl >= 0, let written = lastWrite[key] {
                let since = observed - written
                atWrite = pttl + since.components.seconds * 1000 + since.components.attoseconds / 1_000_000_000_000_000
            }
            states[String(decoding: namespace.strip(key), as: UTF8.self)] = KeyState(type: type, pttl: pttl, pttlAtWrite: atWrite)
        }
        return states
    }

    /// Every key in the namespace after the last step: the keys the commands named, plus
    /// any other key found in the namespace (a script may create keys it was not given).
    private func finalState(namespace: Namespace, tracker: inout KeyTracker, session: inout ReplaySession) async throws
        -> [String: KeyState]
    {
        for key in try await NamespaceCleaner.scan(namespace: namespace, session: &session) { tracker.add(key) }
        let states = try await keyStates(tracker.keys, namespace: namespace, session: &session)
        return states.filter { $0.value.exists }
    }
}

/// The keys a run has touched, in first-seen order.
struct KeyTracker {
    private(set) var keys: [[UInt8]] = []
    private var seen: Set<[UInt8]> = []

    mutating func add(_ key: [UInt8]) {
        if seen.insert(key).inserted { keys.append(key) }
    }
}

/// A connection that is reopened when a transport failure closed it.
struct ReplaySession {
    private var connection: RedisConnection?
    private var lastSendFailed = false
    let endpoint: Endpoint
    let options: ConnectionOptions

    init(connection: RedisConnection, endpoint: Endpoint, options: ConnectionOptions) {
        self.connection = connection
        self.endpoint = endpoint
        self.options = options
    }

    /// Sends on the current connection, reconnecting first if the last one died or a command
    /// on it got no reply (a timed-out connection is being closed: it must not be reused, as a
    /// client library would not).
    mutating func send(_ commands: [RESPCommand]) async throws(EndpointError) -> [CommandOutcome] {
        if connection?.isActive != true || lastSendFailed {
            await connection?.close()
            connection = try await RedisConnection.connect(to: endpoint, options: options)
        }
        let outcomes = await connection!.send(commands)
        lastSendFailed = outcomes.contains { if case .failed = $0 { return true } else { return false } }
        return outcomes
    }

    mutating func close() async {
        await connection?.close()
        connection = nil
    }

    /// The connection in use, to be closed by whoever outlives the session.
    var current: RedisConnection? { connection }
}
