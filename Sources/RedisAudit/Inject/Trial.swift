import NIOCore
import RESP

/// One run of a scenario with faults injected: what the application was told, where it
/// stopped, and the endpoint's state before the flow and after the faults settled.
public struct Trial: Sendable {
    public var scenario: Scenario
    /// `A` or `B`.
    public var role: String
    public var plan: TrialPlan
    /// True when at least one of the plan's rules fired (a point never reached leaves it false).
    public var fired: Bool
    public var steps: [StepRecord]
    /// The step where the application stopped, if it did.
    public var abortedAt: Int?
    /// The namespace after the setup steps (empty without setup steps).
    public var before: NamespaceState
    /// The invariants as they stood at that point: a fault breaks only those that held.
    public var invariantsBefore: [InvariantResult]
    /// The namespace after each checkpoint step the trial completed.
    public var checkpoints: [NamespaceState]
    /// The namespace once the faults settled, read directly from the endpoint.
    public var after: NamespaceState
    public var invariants: [InvariantResult]
    /// The variable values used (the same in every trial of a scenario).
    public var bindings: [String: String]
    /// How the application reached the endpoint: over REST a fault strikes a whole request.
    public var transport = Endpoint.Transport.resp

    /// True when the application went on to the end.
    public var wentOn: Bool { abortedAt == nil }
}

/// Runs trials: the scenario's commands go through a fault proxy of the trial's own, the state
/// is read on a direct connection, and the namespace is deleted afterwards (see `NamespaceCleaner`).
///
/// ```
///   application ──▶ FaultProxy (the trial's rules) ──▶ endpoint ◀── observer (direct):
///                                                       state after setup, after settling,
///                                                       invariants, cleanup
/// ```
struct TrialReplayer: Sendable {
    let endpoint: Endpoint
    let role: String
    /// Deadlines for the observer's connection (and the proxy's upstream connections).
    let options: ConnectionOptions
    /// The application's command timeout inside a trial.
    let trialTimeout: TimeAmount
    /// Checked between steps: a stopped run still cleans the trial's namespace.
    var interruption: Interruption? = nil
    /// Where the namespace cleanup's confirmed outcome is recorded.
    var ledger: CleanupLedger? = nil
    /// The commands the trial may send: the table's, and those learned from the endpoints.
    var catalog: CommandCatalog = .table
    /// The temporary ACL user the application's connections authenticate as, through the proxy
    /// (see `RunConfinement`); the observer keeps the endpoint's own credentials.
    var confinement: ConfinedUser? = nil

    /// The endpoint as the application reaches it (before the proxy is put in between). Over
    /// REST the token is the credential, so no ACL user stands in for it.
    var application: Endpoint { endpoint.transport == .rest ? endpoint : (confinement?.endpoint(endpoint) ?? endpoint) }
    /// How long a delay fault holds a reply: beyond the trial timeout.
    var delay: TimeAmount { trialTimeout + .milliseconds(max(100, trialTimeout.nanoseconds / 2_000_000)) }

    /// Runs one trial; with `keepKeys` the namespace is left for the caller to read and delete.
    func run(
        _ scenario: Scenario, bindings: VariableBindings, namespace: Namespace, plan: TrialPlan, keepKeys: Bool = false
    ) async throws -> Trial {
        // A REST request is one HTTP exchange: its faults strike in the transport (`RESTFaultHook`), not in a proxy.
        let proxy: FaultProxy? =
            endpoint.transport == .rest
            ? nil
            : try await FaultProxy.start(
                FaultProxyConfiguration(
                    listenHost: "127.0.0.1", listenPort: 0, upstream: endpoint, options: options, rules: plan.rules))
        var observer = TrialObserver(
            scenario: scenario.singleClient, bindings: bindings, namespace: namespace, plan: plan,
            session: try await EndpointTransport.open(to: endpoint, options: options))
        do {
            let trial = try await replay(
                observer.scenario, bindings: bindings, namespace: namespace, proxy: proxy, observer: &observer)
            if !keepKeys {
                await NamespaceCleaner.clean(
                    keys: observer.tracker.keys, namespace: namespace, session: &observer.session, ledger: ledger, role: role)
            }
            await observer.session.close()
            return trial
        } catch {
            await proxy?.stop()
            await NamespaceCleaner.clean(
                keys: observer.tracker.keys, namespace: namespace, session: &observer.session, ledger: ledger, role: role)
            await observer.session.close()
            throw error
        }
    }

    /// The application's connection through the trial's proxy. A failure names the endpoint,
    /// never the proxy's internal port; when a rule fired during the handshake, it names the
    /// rule: a rule that targets PING, AUTH, HELLO, SELECT or CLIENT stops every connection
    /// before the scenario starts, which is a mistake in the rules, not a finding.
    private func connectThrough(_ proxy: FaultProxy?, as through: Endpoint, options: ConnectionOptions, rules: [String])
        async throws -> RedisConnection
    {
        do {
            return try await RedisConnection.connect(to: through, options: options)
        } catch {
            let reason: String
            switch error {
            case .unreachable(_, let why), .refused(_, let why): reason = why
            default: reason = error.description
            }
            let fired =
                proxy?.counters.snapshot.filter { $0.fired > 0 }.map(\.rule)
                ?? ((options.restFaults?.fired ?? 0) > 0 ? rules : [])
            guard !fired.isEmpty else { throw EndpointError.unreachable(endpoint: endpoint.description, reason: reason) }
            throw InputError(
                "the fault \(fired.joined(separator: ", ")) hit the connection handshake to \(role) (\(endpoint)) before any "
                    + "scenario command (\(reason)): a rule that targets PING, AUTH, HELLO, SELECT or CLIENT fires on every "
                    + "connection's handshake; target the scenario's commands, or skip the handshake with nth=")
        }
    }

    /// Runs the scenario (concurrent blocks as one client sees them, `Scenario.singleClient`)
    /// through the proxy, then judges what the faults left once they settled.
    private func replay(
        _ scenario: Scenario, bindings: VariableBindings, namespace: Namespace, proxy: FaultProxy?,
        observer: inout TrialObserver
    ) async throws -> Trial {
        let plan = observer.plan
        var through = application
        if let proxy {
            through = Endpoint(
                address: .tcp(host: "127.0.0.1", port: proxy.port), tls: false, username: application.username,
                password: application.password, database: endpoint.database)
            // In front of a cluster the proxy is one too (a listener per primary, addresses rewritten).
            through.isCluster = endpoint.isCluster
        }
        // No CLIENT SETNAME under proxy rules: the handshake is what TrialPlan counts. A server
        // fault finds the application's connections by their name instead.
        let clientName = "redisaudit-trial-\(namespace.runID)"
        var appOptions = ConnectionOptions(
            connectTimeout: options.connectTimeout, commandTimeout: trialTimeout,
            clientName: plan.serverFault == nil ? nil : clientName)
        appOptions.tls = options.tls
        let restFaults = proxy == nil ? RESTFaultHook(rules: plan.rules) : nil
        appOptions.restFaults = restFaults
        if let fault = plan.serverFault {
            observer.serverFault = ServerFaultInjection(
                fault: fault, control: try await RedisConnection.connect(to: endpoint, options: options), duration: delay,
                clientName: clientName)
        }
        let first = try await connectThrough(proxy, as: through, options: appOptions, rules: plan.reproducer)
        var application: EndpointTransport
        if through.isCluster {
            // The topology, read through the proxy, names its listeners.
            do {
                application = try await EndpointTransport.wrap(first)
            } catch {
                await first.close()
                throw error
            }
            await first.close()
        } else {
            application = .server(ReconnectingConnection(connection: first, endpoint: through, options: appOptions))
        }
        var flow = ClientFlow(
            bindings: bindings.adding(ConcurrentBlock.clientVariable, bindings[ConcurrentBlock.clientVariable] ?? "0"))
        var runner = StepRunner(namespace: namespace, catalog: catalog)
        runner.interruption = interruption
        runner.client = scenario.client
        // The proxy refused the reconnection (a `down` fault): the call fails like a lost connection.
        runner.whenUnreachable = .failsLikeALostConnection
        let abortedAt: Int?
        do {
            abortedAt = try await runner.run(scenario.steps, flow: &flow, transport: &application, observer: &observer)
        } catch {
            await application.close()
            await observer.serverFault?.control.close()
            throw error
        }
        await application.close()
        // Judge only what the faults leave once nothing is held or in flight any more.
        await observer.pending?.settle()
        await observer.serverFault?.control.close()
        _ = await proxy?.settle(timeout: delay + options.connectTimeout)
        await proxy?.stop()
        let fired =
            (proxy?.counters.snapshot.contains { $0.fired > 0 } ?? false) || (restFaults.map { $0.fired > 0 } ?? false)
            || observer.pending != nil
        let after = try await NamespaceState.read(namespace: namespace, known: observer.tracker.keys, session: &observer.session)
        let invariants = try await InvariantCheck.evaluate(
            scenario.invariants, bindings: bindings, tallies: flow.tallies, namespace: namespace, session: &observer.session)
        return Trial(
            scenario: scenario, role: role, plan: plan, fired: fired, steps: observer.records, abortedAt: abortedAt,
            before: observer.before, invariantsBefore: observer.invariantsBefore, checkpoints: observer.checkpoints,
            after: after, invariants: invariants, bindings: bindings.values, transport: endpoint.transport)
    }
}

/// What a trial records as its steps run: the namespace before the first non-setup step and
/// after each checkpoint, read directly from the endpoint, and the server fault started at the
/// plan's step.
private struct TrialObserver: StepObserver {
    let scenario: Scenario
    let bindings: VariableBindings
    let namespace: Namespace
    let plan: TrialPlan
    /// The direct connection the state is read on, with the endpoint's own credentials.
    var session: EndpointTransport
    var tracker = KeyTracker()
    var records: [StepRecord] = []
    var before = NamespaceState.empty
    var invariantsBefore: [InvariantResult] = []
    var checkpoints: [NamespaceState] = []
    /// The plan's server fault, ready to begin at its step.
    var serverFault: ServerFaultInjection?
    /// The server fault once begun.
    var pending: ServerFaultInjection.Pending?

    init(scenario: Scenario, bindings: VariableBindings, namespace: Namespace, plan: TrialPlan, session: EndpointTransport) {
        self.scenario = scenario
        self.bindings = bindings
        self.namespace = namespace
        self.plan = plan
        self.session = session
    }

    mutating func willStart(_ step: Step, at index: Int, flow: ClientFlow) async throws {
        guard !step.setup, index == 0 || scenario.steps[index - 1].setup else { return }
        before = try await NamespaceState.read(namespace: namespace, known: tracker.keys, session: &session)
        invariantsBefore = try await InvariantCheck.evaluate(
            scenario.invariants, bindings: bindings, tallies: flow.tallies, namespace: namespace, session: &session)
    }

    mutating func skipped(_ step: Step, at index: Int) async throws {
        records.append(
            StepRecord(
                index: index, step: step, commands: [], failed: false, failure: nil, attempts: 0,
                retriedAfterTransportFailure: false, keyStates: [:], skipped: true))
    }

    mutating func willSend(_ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand]) async throws {
        for key in prepared.flatMap(\.keys) { tracker.add(key) }
        if let serverFault, index == plan.point?.step { pending = await serverFault.begin() }
    }

    mutating func ran(
        _ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand], execution: StepExecutor.Execution,
        flow: ClientFlow
    ) async throws {
        records.append(execution.record(index: index, step: step, keyStates: [:]))
        if !execution.stops, step.checkpoint {
            checkpoints.append(try await NamespaceState.read(namespace: namespace, known: tracker.keys, session: &session))
        }
    }
}
