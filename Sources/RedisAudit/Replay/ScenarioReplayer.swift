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

    public init(endpoint: Endpoint, options: ConnectionOptions, role: String, interruption: Interruption? = nil) {
        self.endpoint = endpoint
        self.options = options
        self.role = role
        self.interruption = interruption
    }

    /// Runs the scenario in `namespace` and always cleans the namespace afterwards,
    /// also when the run fails or is interrupted.
    public func run(_ scenario: Scenario, bindings: VariableBindings, namespace: Namespace) async throws -> ScenarioRun {
        var tracker = KeyTracker()
        let connection = try await RedisConnection.connect(to: endpoint, options: options)
        var session = ReplaySession(connection: connection, endpoint: endpoint, options: options)
        do {
            let run = try await replay(scenario, bindings: bindings, namespace: namespace, session: &session, tracker: &tracker)
            await NamespaceCleaner.clean(keys: tracker.keys, namespace: namespace, session: &session)
            await session.close()
            return run
        } catch {
            await NamespaceCleaner.clean(keys: tracker.keys, namespace: namespace, session: &session)
            await session.close()
            throw error
        }
    }

    private func replay(
        _ scenario: Scenario, bindings: VariableBindings, namespace: Namespace,
        session: inout ReplaySession, tracker: inout KeyTracker
    ) async throws -> ScenarioRun {
        var records: [StepRecord] = []
        var abortedAt: Int?
        var lastWrite: [[UInt8]: ContinuousClock.Instant] = [:]
        for (index, step) in scenario.steps.enumerated() {
            if interruption?.isRequested == true { throw InterruptedError() }
            let prepared = try prepare(step, bindings: bindings, namespace: namespace)
            for key in prepared.flatMap(\.keys) { tracker.add(key) }
            var attempts = 0
            var commands: [CommandRecord]
            var failed: Bool
            repeat {
                attempts += 1
                commands = try await send(step, prepared: prepared, namespace: namespace, bindings: bindings, session: &session)
                failed = StepOutcome.failed(step: step, commands: commands)
            } while failed && attempts <= retries(step.onError)
            let stepEnd = ContinuousClock.now
            for command in prepared where command.setsTTL {
                for key in command.keys { lastWrite[key] = stepEnd }
            }
            let states = try await keyStates(tracker.keys, namespace: namespace, session: &session, lastWrite: lastWrite)
            records.append(StepRecord(index: index, step: step, commands: commands, failed: failed, attempts: attempts, keyStates: states))
            if failed, step.onError == .abort || isRetry(step.onError) {
                abortedAt = index
                break
            }
        }
        let finalKeys = try await finalState(namespace: namespace, tracker: &tracker, session: &session)
        let invariants = try await InvariantCheck.evaluate(
            scenario.invariants, bindings: bindings, namespace: namespace, session: &session)
        return ScenarioRun(
            scenario: scenario, role: role, steps: records, abortedAt: abortedAt, finalKeys: finalKeys,
            invariants: invariants, bindings: bindings.values)
    }

    private func retries(_ policy: ErrorPolicy) -> Int {
        if case .retry(let n) = policy { return n }
        return 0
    }

    private func isRetry(_ policy: ErrorPolicy) -> Bool {
        if case .retry = policy { return true }
        return false
    }

    /// A command rendered and rewritten into the namespace, with its template.
    struct PreparedCommand {
        var template: CommandTemplate
        var command: RESPCommand
        var keys: [[UInt8]]
        var specName: String
        var setsTTL: Bool
    }

    /// Commands that set, replace or remove a key's TTL (most writes keep it: INCR, SADD, HSET...).
    static let ttlSetting: Set<String> = [
        "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST", "SET", "SETEX", "PSETEX", "SETNX", "GETEX",
        "GETSET", "GETDEL", "MSET", "MSETNX", "DEL", "UNLINK", "RENAME", "RENAMENX", "COPY", "RESTORE",
        "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO",
    ]

    private func prepare(_ step: Step, bindings: VariableBindings, namespace: Namespace) throws -> [PreparedCommand] {
        try step.commands.map { template in
            let rewritten = try namespace.rewrite(try template.render(bindings))
            return PreparedCommand(
                template: template, command: rewritten.command, keys: rewritten.keys, specName: rewritten.spec.name,
                setsTTL: Self.ttlSetting.contains(rewritten.spec.name))
        }
    }

    private func send(
        _ step: Step, prepared: [PreparedCommand], namespace: Namespace, bindings: VariableBindings,
        session: inout ReplaySession
    ) async throws -> [CommandRecord] {
        var wire = prepared.map(\.command)
        var positions: [Int?] = Array(prepared.indices)
        if case .transaction = step.kind {
            wire = [RESPCommand("MULTI")] + wire + [RESPCommand("EXEC")]
            positions = [nil] + positions + [nil]
        }
        let outcomes = try await session.send(wire)
        var records: [CommandRecord] = []
        records.reserveCapacity(wire.count)
        for (i, outcome) in outcomes.enumerated() {
            let position = positions[i]
            let template = position.map { prepared[$0].template }
            let stripped: CommandOutcome
            switch outcome {
            case .reply(let value): stripped = .reply(namespace.strip(value))
            case .failed: stripped = outcome
            }
            var record = CommandRecord(
                position: position, name: wire[i].name, specName: position.map { prepared[$0].specName } ?? wire[i].name,
                display: wire[i].arguments.map { namespace.strip($0) },
                outcome: stripped, expectationFailure: nil, template: template)
            if case .transaction = step.kind {
                // Inside MULTI the real reply is the EXEC element; judge expectations there.
                if let position, let exec = outcomes.last?.reply?.arrayElements, position < exec.count,
                   let expect = template?.expect {
                    record.expectationFailure = ExpectationCheck.failure(
                        of: expect, outcome: .reply(namespace.strip(exec[position])), bindings: bindings)
                }
            } else if let expect = template?.expect {
                record.expectationFailure = ExpectationCheck.failure(of: expect, outcome: stripped, bindings: bindings)
            }
            records.append(record)
        }
        return records
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
    private func finalState(namespace: Namespace, tracker: inout KeyTracker, session: inout ReplaySession) async throws -> [String: KeyState] {
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

/// Whether a step failed, by the application's reading of its replies.
enum StepOutcome {
    static func failed(step: Step, commands: [CommandRecord]) -> Bool {
        if commands.contains(where: { $0.outcome.isFailure }) { return true }
        if case .transaction = step.kind, let exec = commands.last?.outcome.reply {
            if exec == .nullArray { return true }
            if let elements = exec.arrayElements, elements.contains(where: \.isError) { return true }
        }
        return false
    }
}

/// A connection that is reopened when a transport failure closed it.
struct ReplaySession {
    private var connection: RedisConnection?
    let endpoint: Endpoint
    let options: ConnectionOptions

    init(connection: RedisConnection, endpoint: Endpoint, options: ConnectionOptions) {
        self.connection = connection
        self.endpoint = endpoint
        self.options = options
    }

    /// Sends on the current connection, reconnecting first if the last one died.
    mutating func send(_ commands: [RESPCommand]) async throws(EndpointError) -> [CommandOutcome] {
        if connection?.isActive != true {
            await connection?.close()
            connection = try await RedisConnection.connect(to: endpoint, options: options)
        }
        return await connection!.send(commands)
    }

    mutating func close() async {
        await connection?.close()
        connection = nil
    }
}
