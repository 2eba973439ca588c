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
    /// The cluster's slot map when the endpoint is a cluster and the audit read it already (each
    /// replay then starts without reading it again); nil: read from the seed when needed.
    public var topology: ClusterTopology?

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
        // The replay's own reads (key states, invariants, cleanup) go on a connection of their own,
        // with the endpoint's credentials; the scenario's commands go on the application's, as the
        // temporary user when the run is confined.
        var observer = ReplayObserver(
            replayer: self, bindings: bindings, namespace: namespace,
            session: try await EndpointTransport.open(to: endpoint, options: options, topology: topology))
        var application: EndpointTransport?
        do {
            application = try await EndpointTransport.open(
                to: confinement?.endpoint(endpoint) ?? endpoint, options: options, topology: topology)
            var run = try await replay(
                scenario, bindings: bindings, namespace: namespace, application: &application!, observer: &observer)
            run.confinedUser = confinement?.name
            run.redirections = application!.redirections + observer.session.redirections
            await application?.close()
            await NamespaceCleaner.clean(
                keys: observer.tracker.keys, namespace: namespace, session: &observer.session, ledger: ledger, role: role)
            await observer.session.close()
            return run
        } catch {
            await application?.close()
            await NamespaceCleaner.clean(
                keys: observer.tracker.keys, namespace: namespace, session: &observer.session, ledger: ledger, role: role)
            await observer.session.close()
            throw error
        }
    }

    private func replay(
        _ scenario: Scenario, bindings: VariableBindings, namespace: Namespace,
        application: inout EndpointTransport, observer: inout ReplayObserver
    ) async throws -> ScenarioRun {
        var runner = StepRunner(namespace: namespace, catalog: catalog)
        runner.interruption = interruption
        runner.client = scenario.client
        observer.client = scenario.client
        var flow = ClientFlow(bindings: bindings)
        for name in scenario.tallyNames { observer.tallies[name] = 0 }
        let abortedAt = try await runner.run(scenario.steps, flow: &flow, transport: &application, observer: &observer)
        var tallies = observer.tallies
        for (name, n) in flow.tallies { tallies[name, default: 0] += n }
        let finalKeys = try await observer.finalState()
        let invariants = try await InvariantCheck.evaluate(
            scenario.invariants, bindings: bindings, tallies: tallies, namespace: namespace, session: &observer.session)
        return ScenarioRun(
            scenario: scenario, role: role, steps: observer.records, abortedAt: abortedAt, finalKeys: finalKeys,
            invariants: invariants, bindings: bindings.values, tallies: tallies)
    }
}

/// What compare's replay records as its steps run: each step with the TYPE and PTTL of every key
/// seen so far, read on the replay's own connection, and the concurrent blocks it runs itself.
private struct ReplayObserver: StepObserver {
    let replayer: ScenarioReplayer
    let bindings: VariableBindings
    let namespace: Namespace
    /// The replay's own connection, with the endpoint's credentials.
    var session: EndpointTransport
    var tracker = KeyTracker()
    var records: [StepRecord] = []
    /// The concurrent blocks' tallies (a single client's are the flow's).
    var tallies: [String: Int] = [:]
    /// When each key last had its TTL set, to tell the TTL at the write from the TTL read later.
    var lastWrite: [[UInt8]: ContinuousClock.Instant] = [:]
    /// How the application's client library retries: every client of a concurrent block too.
    var client: ClientRetry = .none

    init(replayer: ScenarioReplayer, bindings: VariableBindings, namespace: Namespace, session: EndpointTransport) {
        self.replayer = replayer
        self.bindings = bindings
        self.namespace = namespace
        self.session = session
    }

    mutating func runConcurrent(_ block: ConcurrentBlock, step: Step, at index: Int) async throws {
        var runner = ConcurrentRunner(
            endpoint: replayer.confinement?.endpoint(replayer.endpoint) ?? replayer.endpoint, options: replayer.options,
            namespace: namespace, bindings: bindings, catalog: replayer.catalog)
        runner.client = client
        let (outcome, keys) = try await runner.run(block)
        for key in keys { tracker.add(key) }
        for (name, n) in outcome.tallies { tallies[name, default: 0] += n }
        var record = StepRecord(
            index: index, step: step, commands: [], failed: outcome.steps.contains { $0.failed > 0 }, failure: nil,
            attempts: 1, retriedAfterTransportFailure: false, keyStates: try await keyStates(tracker.keys))
        record.concurrent = outcome
        records.append(record)
    }

    mutating func skipped(_ step: Step, at index: Int) async throws {
        records.append(
            StepRecord(
                index: index, step: step, commands: [], failed: false, failure: nil, attempts: 0,
                retriedAfterTransportFailure: false, keyStates: records.last?.keyStates ?? [:], skipped: true))
    }

    mutating func willSend(_ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand]) async throws {
        for key in prepared.flatMap(\.keys) { tracker.add(key) }
    }

    mutating func ran(
        _ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand], execution: StepExecutor.Execution,
        flow: ClientFlow
    ) async throws {
        let stepEnd = ContinuousClock.now
        for command in prepared where command.setsTTL {
            for key in command.keys { lastWrite[key] = stepEnd }
        }
        records.append(execution.record(index: index, step: step, keyStates: try await keyStates(tracker.keys)))
    }

    private mutating func keyStates(_ keys: [[UInt8]]) async throws -> [String: KeyState] {
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
    mutating func finalState() async throws -> [String: KeyState] {
        for key in try await NamespaceCleaner.scan(namespace: namespace, session: &session) { tracker.add(key) }
        lastWrite = [:]
        return try await keyStates(tracker.keys).filter { $0.value.exists }
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
