import NIOCore
import RESP

/// What a `concurrent` block did over all its clients: how many connected, what each inner
/// step came to, and the tallies.
public struct ConcurrentOutcome: Sendable {
    public var clients: Int
    public var connected: Int
    /// Connections that failed to open, by reason.
    public var connectFailures: [String: Int]
    public var steps: [InnerStepOutcome]
    public var tallies: [String: Int]
    /// Commands the clients sent after the barrier (retries included, handshakes not).
    public var commandsSent: Int
    /// Clients whose own steps stopped them (a step whose `on_error` stops the application).
    public var stopped: Int
    /// Seconds to open every connection.
    public var connectSeconds: Double
    /// Seconds from the barrier's release to the last client's last reply.
    public var raceSeconds: Double
    /// Seconds for the whole block: connecting, the race, closing.
    public var wallSeconds: Double

    /// Commands per second after the barrier.
    public var commandsPerSecond: Double { raceSeconds > 0 ? Double(commandsSent) / raceSeconds : 0 }

    /// `1000 of 1000 clients connected in 0.21 s; 2000 commands in 0.05 s after the barrier (40000/s); 0.30 s in all`.
    public var summary: String {
        func s(_ x: Double) -> String { String(Int((x * 1000).rounded())) + " ms" }
        return "\(connected) of \(clients) clients connected in \(s(connectSeconds)); \(commandsSent) commands in "
            + "\(s(raceSeconds)) after the barrier (\(Int(commandsPerSecond.rounded())) commands/s); \(s(wallSeconds)) in all"
    }
}

/// One step of a concurrent block over all clients.
public struct InnerStepOutcome: Sendable {
    /// 0-based position in the block.
    public var index: Int
    public var step: Step
    /// Clients that ran the step, skipped it (its `if`), and for whom it failed.
    public var ran: Int
    public var skipped: Int
    public var failed: Int
    /// Failures by error class (`NOPERM`, `ERR`), transport failures as `transport`.
    public var errors: [String: Int]
    /// The first failing command as sent (namespace stripped) with its outcome.
    public var sample: CommandRecord?
}

/// Runs a concurrent block: opens one connection per client, all at once, each under its
/// connect deadline; releases every connected client together behind a barrier; each client
/// runs the block's steps in order on its own connection, with its own variables.
///
/// Connections live on the NIO event loops (no thread per connection). A connection that does
/// not open is counted by reason and its client does not run.
struct ConcurrentRunner {
    let endpoint: Endpoint
    let options: ConnectionOptions
    let namespace: Namespace
    let bindings: VariableBindings
    /// The commands the run may send, and where their keys are.
    let catalog: CommandCatalog
    /// How each client's library retries a failed call (the scenario's `client:`).
    var client: ClientRetry = .none

    /// What one client did.
    private struct ClientResult: Sendable {
        var steps: [StepResult?]
        var tallies: [String: Int]
        var keys: [[UInt8]]
        var commands: Int
        var stopped: Bool
        /// When the client's last step ended.
        var finished: ContinuousClock.Instant?
        /// The client's connection, closed once every client is done: a client that finishes
        /// early must not spend the loop's time (and the server's) on a teardown while the
        /// others are still racing (on a cluster, one per node the client used).
        var connections: [RedisConnection] = []
    }

    private static func close(_ results: [ClientResult]) async {
        await withTaskGroup(of: Void.self) { group in
            for connection in results.flatMap(\.connections) {
                group.addTask { await connection.close() }
            }
        }
    }

    /// One step of one client; nil in `ClientResult.steps` when skipped.
    private struct StepResult: Sendable {
        var failure: String?
        var sample: CommandRecord?
    }

    func run(_ block: ConcurrentBlock) async throws -> (outcome: ConcurrentOutcome, keys: [[UInt8]]) {
        let count = try block.clientCount(bindings)
        FileDescriptorLimit.raiseToHardLimit()
        let clock = ContinuousClock()
        let connectStart = clock.now
        // On a cluster each client connects to the primary of its keys (the others when it needs them).
        let topology = endpoint.isCluster ? try await ClusterTopology.read(seed: endpoint, options: options) : nil
        let targets = (0..<count).map { i in
            topology.map { Self.nodes(of: block, client: i, bindings: self.bindings, topology: $0) } ?? []
        }
        let opened = await withTaskGroup(of: (Int, Result<RedisConnection, EndpointError>).self) { group in
            for i in 0..<count {
                let target = targets[i].first.map { DataNodes.node(self.endpoint, $0) } ?? self.endpoint
                group.addTask {
                    do throws(EndpointError) {
                        return (i, .success(try await RedisConnection.connect(to: target, options: options)))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            var results: [(Int, Result<RedisConnection, EndpointError>)] = []
            results.reserveCapacity(count)
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }
        }
        let connectSeconds = (clock.now - connectStart).seconds
        var failures: [String: Int] = [:]
        var connections: [(Int, RedisConnection)] = []
        for (i, result) in opened {
            switch result {
            case .success(let connection): connections.append((i, connection))
            case .failure(let error): failures[error.description, default: 0] += 1
            }
        }

        let shared = await sharedCommands(block)
        let gate = StartingGate(expected: connections.count, loops: connections.map { $0.1.eventLoop })
        let ready = connections.count
        let namespace = self.namespace
        let bindings = self.bindings
        let catalog = self.catalog
        let retry = self.client
        let results = try await withThrowingTaskGroup(of: ClientResult.self) { group in
            for (i, connection) in connections {
                // Each client runs on its connection's event loop (see EventLoopTaskExecutor).
                group.addTask(executorPreference: EventLoopTaskExecutor(connection.eventLoop)) {
                    try await Self.client(
                        i, block: block, connection: connection, topology: topology, nodes: targets[i], bindings: bindings,
                        namespace: namespace, catalog: catalog, retry: retry, shared: shared, gate: gate)
                }
            }
            var all: [ClientResult] = []
            all.reserveCapacity(ready)
            do {
                for try await result in group { all.append(result) }
            } catch {
                // The other clients end as they would; every connection is closed before the error goes on.
                while let next = await group.nextResult() { if case .success(let result) = next { all.append(result) } }
                await Self.close(all)
                throw error
            }
            return all
        }
        let lastReply = results.compactMap(\.finished).max()
        let raceSeconds = gate.releasedAt.flatMap { start in lastReply.map { ($0 - start).seconds } } ?? 0
        await Self.close(results)

        var steps = block.steps.enumerated().map { j, step in
            InnerStepOutcome(index: j, step: step, ran: 0, skipped: 0, failed: 0, errors: [:], sample: nil)
        }
        var tallies: [String: Int] = [:]
        for step in block.steps { if let t = step.tally { tallies[t.name] = 0 } }
        var keys = KeyTracker()
        var commands = 0
        var stopped = 0
        for result in results {
            for (j, step) in result.steps.enumerated() {
                guard let step else {
                    steps[j].skipped += 1
                    continue
                }
                steps[j].ran += 1
                if let failure = step.failure {
                    steps[j].failed += 1
                    steps[j].errors[failure, default: 0] += 1
                    if steps[j].sample == nil { steps[j].sample = step.sample }
                }
            }
            for (name, n) in result.tallies { tallies[name, default: 0] += n }
            for key in result.keys { keys.add(key) }
            commands += result.commands
            if result.stopped { stopped += 1 }
        }
        // A shared step's keys, once for the block, when any client ran it.
        for (j, commands) in shared.enumerated() where steps[j].ran > 0 {
            for command in commands ?? [] { for key in command.keys { keys.add(key) } }
        }
        let outcome = ConcurrentOutcome(
            clients: count, connected: ready, connectFailures: failures, steps: steps, tallies: tallies,
            commandsSent: commands, stopped: stopped, connectSeconds: connectSeconds, raceSeconds: raceSeconds,
            wallSeconds: (clock.now - connectStart).seconds)
        return (outcome, keys.keys)
    }

    /// The primaries that serve the keys a client's steps name (rendered with its `${client}`;
    /// a key built from a captured reply is not known yet), the first key's first.
    private static func nodes(of block: ConcurrentBlock, client: Int, bindings: VariableBindings, topology: ClusterTopology)
        -> [ClusterTopology.Node]
    {
        let values = bindings.adding(ConcurrentBlock.clientVariable, String(client))
        var nodes: [ClusterTopology.Node] = []
        for template in block.steps.flatMap(\.commands) {
            guard let command = try? template.render(values), let slot = ClusterRouter.keySlot(command),
                let node = topology.primary(forSlot: slot), !nodes.contains(node)
            else { continue }
            nodes.append(node)
        }
        return nodes
    }

    /// One client: its steps in order on its own connection (left open for `run` to close).
    ///
    /// The first step is decided and rendered before the client arrives at the gate, as an
    /// application has its request ready when the race starts; every later step depends on
    /// what came before and is prepared when its turn comes.
    private static func client(
        _ index: Int, block: ConcurrentBlock, connection: RedisConnection, topology: ClusterTopology?,
        nodes: [ClusterTopology.Node], bindings: VariableBindings, namespace: Namespace, catalog: CommandCatalog,
        retry: ClientRetry, shared: [[StepExecutor.PreparedCommand]?],
        gate: StartingGate
    ) async throws -> ClientResult {
        var session: EndpointTransport
        if let topology {
            var seed = connection.endpoint
            seed.isCluster = true
            var router = ClusterRouter(seed: seed, options: connection.options, topology: topology, slotOf: ClusterRouter.keySlot)
            if !router.adopt(connection) { await connection.close() }
            // The connection to each node its keys live on is open before the race: no handshake inside it.
            do {
                try await router.connect(to: nodes)
            } catch {
                await router.close()
                throw error
            }
            session = .cluster(router)
        } else {
            session = .server(ReconnectingConnection(connection))
        }
        var flow = ClientFlow(bindings: bindings.adding(ConcurrentBlock.clientVariable, String(index)))
        var observer = ClientObserver(shared: shared, gate: gate, eventLoop: connection.eventLoop)
        var runner = StepRunner(namespace: namespace, catalog: catalog)
        runner.keepsArguments = false
        runner.client = retry
        // A retry that cannot reconnect fails the call like a lost connection, and the client stops.
        runner.whenUnreachable = .failsAndStops
        let stoppedAt: Int?
        do {
            stoppedAt = try await runner.run(block.steps, flow: &flow, transport: &session, observer: &observer)
            await observer.arrive()
        } catch {
            // Every client arrives, the one whose first step cannot be rendered too, or the others would wait for ever.
            await observer.arrive()
            await session.close()
            throw error
        }
        var result = observer.result
        result.stopped = stoppedAt != nil
        result.finished = ContinuousClock.now
        result.connections = session.openConnections
        result.tallies = flow.tallies
        return result
    }

    /// What one client of the block records as its steps run, and the gate it waits at before
    /// its first step is sent.
    private struct ClientObserver: StepObserver {
        let shared: [[StepExecutor.PreparedCommand]?]
        let gate: StartingGate
        let eventLoop: any EventLoop
        var arrived = false
        var result: ClientResult

        init(shared: [[StepExecutor.PreparedCommand]?], gate: StartingGate, eventLoop: any EventLoop) {
            self.shared = shared
            self.gate = gate
            self.eventLoop = eventLoop
            result = ClientResult(
                steps: Array(repeating: nil, count: shared.count), tallies: [:], keys: [], commands: 0, stopped: false,
                finished: nil)
        }

        /// Waits at the gate once, before the client's first command.
        mutating func arrive() async {
            guard !arrived else { return }
            arrived = true
            await gate.arrive(on: eventLoop)
        }

        func commands(for step: Step, at index: Int) -> [StepExecutor.PreparedCommand]? { shared[index] }

        mutating func willSend(_ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand]) async throws {
            // A shared step's keys are the block's, counted once in `run`.
            if shared[index] == nil { result.keys += prepared.flatMap(\.keys) }
            await arrive()
        }

        mutating func skipped(_ step: Step, at index: Int) async throws { await arrive() }

        mutating func ran(
            _ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand], execution: StepExecutor.Execution,
            flow: ClientFlow
        ) async throws {
            guard execution.reachedEndpoint else {
                result.steps[index] = StepResult(failure: "transport", sample: nil)
                return
            }
            result.commands += execution.commands.map(\.sends).reduce(0, +)
            var outcome = StepResult(failure: nil, sample: nil)
            if let failure = execution.failure {
                let failing = execution.commands.first { $0.outcome.isFailure } ?? execution.commands.last
                outcome.failure = failure == .transport ? "transport" : (failing?.outcome.reply?.errorClass ?? "ERR")
                outcome.sample = failing
            }
            result.steps[index] = outcome
        }
    }

    /// Each step's commands rendered once for every client when they use neither `${client}`
    /// nor a variable the block captures (the same GET of the same key for a thousand clients);
    /// nil for a step each client renders with its own variables.
    private func sharedCommands(_ block: ConcurrentBlock) async -> [[StepExecutor.PreparedCommand]?] {
        var own: Set<String> = [ConcurrentBlock.clientVariable]
        for step in block.steps { if let name = step.capture { own.insert(name) } }
        let executor = StepExecutor(bindings: bindings, namespace: namespace, catalog: catalog)
        var shared: [[StepExecutor.PreparedCommand]?] = []
        for step in block.steps {
            let references = step.commands.flatMap(\.arguments).map { try? $0.references() }
            guard references.allSatisfy({ $0.map { own.isDisjoint(with: $0) } ?? false }) else {
                shared.append(nil)
                continue
            }
            shared.append(try? await executor.prepare(step))
        }
        return shared
    }
}
