import RESP

/// Sends one step the way the application does: renders it into the run namespace, sends its
/// commands back to back (a transaction inside MULTI/EXEC), resends them as the client library
/// retries (`client:`), calls again as a `retry` policy says, and decides whether the
/// application goes on.
///
/// ```
///   step ─render ${vars}─▶ rewrite keys ─▶ send ─▶ client retries? ─▶ resend ... ─▶ failed?
///        ─retry: N─▶ send ... ─▶ stops or goes on
/// ```
struct StepExecutor {
    let bindings: VariableBindings
    let namespace: Namespace
    /// The commands the run may send, and where their keys are.
    let catalog: CommandCatalog
    /// How the application's client library retries a failed call before the step's policy sees it.
    var client: ClientRetry = .none
    /// False for a concurrent block's clients: a command's arguments are kept for the report
    /// only when it failed (the block reports counts and one failing sample, and a thousand
    /// clients would otherwise copy every argument of every command).
    var keepsArguments = true

    /// A command rendered and rewritten into the namespace, with its template.
    struct PreparedCommand {
        var template: CommandTemplate
        var command: RESPCommand
        var keys: [[UInt8]]
        var specName: String
        var setsTTL: Bool
    }

    /// What sending a step came to.
    struct Execution {
        /// The last attempt's commands (MULTI and EXEC included for a transaction).
        var commands: [CommandRecord]
        /// How the last attempt failed, if it did.
        var failure: StepFailure?
        var attempts: Int
        /// True when an earlier attempt got no reply (the command may have run before it was retried).
        var retriedAfterTransportFailure: Bool
        /// Why each attempt that was tried again failed (the client's retries and the policy's).
        var retriedFailures: [CommandOutcome] = []
        /// True when the application stops at this step.
        var stops: Bool
        /// False when the connection could not be reopened and nothing was sent.
        var reachedEndpoint = true

        func record(index: Int, step: Step, keyStates: [String: KeyState]) -> StepRecord {
            StepRecord(
                index: index, step: step, commands: commands, failed: failure != nil, failure: failure,
                attempts: attempts, retriedAfterTransportFailure: retriedAfterTransportFailure, keyStates: keyStates,
                retriedFailures: retriedFailures)
        }
    }

    /// Commands that set, replace or remove a key's TTL (most writes keep it: INCR, SADD, HSET...).
    static let ttlSetting: Set<String> = [
        "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST", "SET", "SETEX", "PSETEX", "SETNX", "GETEX",
        "GETSET", "GETDEL", "MSET", "MSETNX", "DEL", "UNLINK", "RENAME", "RENAMENX", "COPY", "RESTORE",
        "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO",
    ]

    /// The step's commands rendered and rewritten into the namespace; a command the catalog
    /// refuses is a scenario error at its line.
    func prepare(_ step: Step) async throws -> [PreparedCommand] {
        var prepared: [PreparedCommand] = []
        prepared.reserveCapacity(step.commands.count)
        for template in step.commands {
            let rewritten: NamespacedCommand
            do {
                rewritten = try await namespace.rewrite(try template.render(bindings), catalog: catalog)
            } catch let refusal as CommandRefusal {
                throw InputError(refusal.message, at: template.location)
            }
            prepared.append(
                PreparedCommand(
                    template: template, command: rewritten.command, keys: rewritten.keys, specName: rewritten.spec.name,
                    setsTTL: Self.ttlSetting.contains(rewritten.spec.name)))
        }
        return prepared
    }

    /// The commands as they go on the wire: a transaction's inside MULTI and EXEC.
    static func wire(_ step: Step, _ prepared: [PreparedCommand]) -> [RESPCommand] {
        let commands = prepared.map(\.command)
        if case .transaction = step.kind { return [RESPCommand("MULTI")] + commands + [RESPCommand("EXEC")] }
        return commands
    }

    /// Sends the step as the application calls its client library: each call is sent, and sent
    /// again as the client retries it (`client:`); a call that still fails is called again as
    /// many times as the step's `retry` policy says.
    func execute(_ step: Step, prepared: [PreparedCommand], session: inout some CommandTransport) async throws -> Execution {
        var calls = 0
        var attempts = 0
        var commands: [CommandRecord] = []
        var failure: StepFailure?
        var retriedAfterTransport = false
        var retriedFailures: [CommandOutcome] = []
        var sends = Array(repeating: 0, count: Self.wire(step, prepared).count)
        repeat {
            if failure == .transport { retriedAfterTransport = true }
            if failure != nil, let failed = commands.first(where: { $0.outcome.isFailure }) {
                retriedFailures.append(failed.outcome)
            }
            calls += 1
            let call = try await clientCall(step, prepared: prepared, sends: &sends, session: &session)
            attempts += call.attempts
            if call.retriedAfterTransportFailure { retriedAfterTransport = true }
            retriedFailures += call.retriedFailures
            commands = call.commands
            failure = Self.failure(of: step, commands: commands)
        } while failure != nil && calls <= step.onError.retries
        for i in commands.indices where i < sends.count { commands[i].sends = sends[i] }
        let stops = failure.map { step.onError.stops(after: $0) } ?? false
        return Execution(
            commands: commands, failure: failure, attempts: attempts,
            retriedAfterTransportFailure: retriedAfterTransport, retriedFailures: retriedFailures, stops: stops)
    }

    /// What one call of the client library came to, with the client's own retries.
    private struct ClientCall {
        var commands: [CommandRecord]
        var attempts: Int
        var retriedAfterTransportFailure: Bool
        var retriedFailures: [CommandOutcome]
    }

    /// One call: sent, then, while it fails in a way the client retries and retries are left,
    /// the client waits its backoff, reconnects (the transport does) and resends the step whole
    /// or only its unacknowledged commands. `sends` counts how often each wire command went out.
    private func clientCall(
        _ step: Step, prepared: [PreparedCommand], sends: inout [Int], session: inout some CommandTransport
    ) async throws -> ClientCall {
        let all = Array(Self.wire(step, prepared).indices)
        var call = ClientCall(commands: [], attempts: 0, retriedAfterTransportFailure: false, retriedFailures: [])
        var retries = 0
        while true {
            var resent = all
            if client.resend == .unacknowledged, !call.commands.isEmpty {
                if case .transaction = step.kind {
                    // A transaction's replies come with EXEC: the client sends all of it again.
                } else {
                    resent = call.commands.indices.filter {
                        call.commands[$0].outcome.reply == nil || client.retries(call.commands[$0].outcome)
                    }
                }
            }
            do {
                let sent = try await send(step, prepared: prepared, only: resent == all ? nil : resent, session: &session)
                if resent == all {
                    call.commands = sent
                } else {
                    for (j, i) in resent.enumerated() { call.commands[i] = sent[j] }
                }
                for i in resent { sends[i] += 1 }
            } catch let error as EndpointError {
                // The connection could not be opened again: the client library sees a connection error.
                guard case .unreachable = error, client.on.contains(.connectionLost), retries < client.retries else {
                    throw error
                }
                call.attempts += 1
                retries += 1
                call.retriedFailures.append(.failed(.connectionClosed(error.description)))
                try await wait(beforeRetry: retries)
                continue
            }
            call.attempts += 1
            guard retries < client.retries, client.retries(call.commands) else { return call }
            if call.commands.contains(where: { if case .failed = $0.outcome { return true } else { return false } }) {
                call.retriedAfterTransportFailure = true
            }
            if let failed = call.commands.first(where: { client.retries($0.outcome) }) {
                call.retriedFailures.append(failed.outcome)
            }
            retries += 1
            try await wait(beforeRetry: retries)
        }
    }

    /// The client's backoff before its `n`-th retry.
    private func wait(beforeRetry n: Int) async throws {
        guard let backoff = client.backoff else { return }
        let milliseconds = backoff.milliseconds(beforeRetry: n, random: Double.random(in: 0..<1))
        if milliseconds > 0 { try await Task.sleep(nanoseconds: UInt64(milliseconds * 1_000_000)) }
    }

    /// The step as it fails when its connection cannot be opened again: every command without a
    /// reply, judged by the policy as a lost connection.
    func unreachable(_ step: Step, prepared: [PreparedCommand], _ error: EndpointError) -> Execution {
        let commands = prepared.enumerated().map { i, command in
            CommandRecord(
                position: i, name: command.command.name, specName: command.specName,
                display: command.command.arguments.map { namespace.strip($0) },
                outcome: .failed(.connectionClosed(error.description)), expectationFailure: nil, template: command.template)
        }
        return Execution(
            commands: commands, failure: .transport, attempts: 1, retriedAfterTransportFailure: false,
            stops: step.onError.stops(after: .transport), reachedEndpoint: false)
    }

    /// How a step failed by the application's reading of its replies: a lost connection or
    /// timeout anywhere is a transport failure, else an error reply (or a transaction that
    /// was discarded or had a failing command) is a reply failure.
    static func failure(of step: Step, commands: [CommandRecord]) -> StepFailure? {
        if commands.contains(where: { if case .failed = $0.outcome { return true } else { return false } }) {
            return .transport
        }
        if commands.contains(where: { $0.outcome.isFailure }) { return .reply }
        if case .transaction = step.kind, let exec = commands.last?.outcome.reply {
            if exec == .nullArray { return .reply }
            if let elements = exec.arrayElements, elements.contains(where: \.isError) { return .reply }
        }
        return nil
    }

    /// Sends the step's commands (only those at `subset`, a pipeline's positions, when given)
    /// and records what came back.
    private func send(_ step: Step, prepared: [PreparedCommand], only subset: [Int]? = nil, session: inout some CommandTransport)
        async throws -> [CommandRecord]
    {
        var wire = Self.wire(step, prepared)
        var positions: [Int?] = Array(prepared.indices)
        if case .transaction = step.kind { positions = [nil] + positions + [nil] }
        if let subset {
            wire = subset.map { wire[$0] }
            positions = subset.map { positions[$0] }
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
                display: [], outcome: stripped, expectationFailure: nil, template: template)
            if case .transaction = step.kind {
                // Inside MULTI the real reply is the EXEC element; judge expectations there.
                if let position, let exec = outcomes.last?.reply?.arrayElements, position < exec.count,
                    let expect = template?.expect
                {
                    record.expectationFailure = ExpectationCheck.failure(
                        of: expect, outcome: .reply(namespace.strip(exec[position])), bindings: bindings)
                }
            } else if let expect = template?.expect {
                record.expectationFailure = ExpectationCheck.failure(of: expect, outcome: stripped, bindings: bindings)
            }
            if keepsArguments || record.outcome.isFailure || record.expectationFailure != nil {
                record.display = wire[i].arguments.map { namespace.strip($0) }
            }
            records.append(record)
        }
        return records
    }
}
