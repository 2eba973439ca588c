import RESP

/// The one place a client's steps run: in order, each decided (`if`), rendered into the run
/// namespace, sent through a `CommandTransport` with its retry policy, remembered (`capture`,
/// `tally`), and the flow stopped where the application would stop. Compare's replay, inject's
/// trials and every client of a concurrent block run their steps here and watch them through a
/// `StepObserver`.
///
/// ```
///   step ─▶ interrupted? ─▶ willStart ─▶ if? ──no──▶ skipped
///                                         │yes
///            prepare (or the observer's commands) ─▶ willSend ─▶ execute ─▶ capture, tally
///            ─▶ ran ─▶ stops? ──yes──▶ aborted at this step
/// ```
struct StepRunner {
    let namespace: Namespace
    /// The commands the run may send, and where their keys are.
    let catalog: CommandCatalog
    /// False keeps a command's arguments only when it failed (see `StepExecutor.keepsArguments`).
    var keepsArguments = true
    /// Checked before every step: a requested stop throws `InterruptedError`.
    var interruption: Interruption?
    /// What a step whose connection cannot be reopened comes to.
    var whenUnreachable: UnreachableStep = .throwsError
    /// How the application's client library retries a failed call (the scenario's `client:`).
    var client: ClientRetry = .none

    /// What a step whose transport cannot reach the endpoint at all comes to.
    enum UnreachableStep {
        /// The error ends the run (compare: the endpoint went away).
        case throwsError
        /// The step fails as if its connection were lost, and its policy decides (inject: a
        /// `down` fault refuses the reconnection).
        case failsLikeALostConnection
        /// The step fails as if its connection were lost and the client stops (a concurrent
        /// block's client has nothing left to send on).
        case failsAndStops
    }

    init(namespace: Namespace, catalog: CommandCatalog) {
        self.namespace = namespace
        self.catalog = catalog
    }

    /// Runs `steps` for one client; returns the index of the step the application stopped at,
    /// or nil when it went on to the end.
    func run<Transport: CommandTransport, Observer: StepObserver>(
        _ steps: [Step], flow: inout ClientFlow, transport: inout Transport, observer: inout Observer
    ) async throws -> Int? {
        for (index, step) in steps.enumerated() {
            if interruption?.isRequested == true { throw InterruptedError() }
            try await observer.willStart(step, at: index, flow: flow)
            if case .concurrent(let block) = step.kind {
                try await observer.runConcurrent(block, step: step, at: index)
                continue
            }
            guard try flow.shouldRun(step) else {
                flow.skipped(step)
                try await observer.skipped(step, at: index)
                continue
            }
            var executor = StepExecutor(bindings: flow.bindings, namespace: namespace, catalog: catalog)
            executor.keepsArguments = keepsArguments
            executor.client = client
            let prepared: [StepExecutor.PreparedCommand]
            if let given = observer.commands(for: step, at: index) {
                prepared = given
            } else {
                prepared = try await executor.prepare(step)
            }
            try await observer.willSend(step, at: index, prepared: prepared)
            var execution: StepExecutor.Execution
            do {
                execution = try await executor.execute(step, prepared: prepared, session: &transport)
            } catch let error as EndpointError {
                guard whenUnreachable != .throwsError else { throw error }
                execution = executor.unreachable(step, prepared: prepared, error)
                if whenUnreachable == .failsAndStops { execution.stops = true }
            }
            // An interruption closes the connections: a step that failed because of it is not
            // the application's doing, and the run ends here as interrupted.
            if interruption?.isRequested == true { throw InterruptedError() }
            try flow.ran(step, commands: execution.commands, failure: execution.failure)
            try await observer.ran(step, at: index, prepared: prepared, execution: execution, flow: flow)
            if execution.stops { return index }
        }
        return nil
    }
}

/// What the caller of a `StepRunner` does at each point of a run: read state, record, inject a
/// fault. Every hook does nothing unless the observer implements it.
protocol StepObserver {
    /// Before the step is decided (inject reads the namespace before the first non-setup step).
    mutating func willStart(_ step: Step, at index: Int, flow: ClientFlow) async throws
    /// The step's commands when the observer already has them rendered (a concurrent block's
    /// shared step); nil lets the runner render them.
    func commands(for step: Step, at index: Int) -> [StepExecutor.PreparedCommand]?
    /// After the step's commands are rendered and before they are sent.
    mutating func willSend(_ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand]) async throws
    /// After the step ran and the flow captured and counted its reply.
    mutating func ran(
        _ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand], execution: StepExecutor.Execution,
        flow: ClientFlow) async throws
    /// A step whose `if` did not hold.
    mutating func skipped(_ step: Step, at index: Int) async throws
    /// A concurrent block: many clients at once, which only compare's replay runs.
    mutating func runConcurrent(_ block: ConcurrentBlock, step: Step, at index: Int) async throws
}

extension StepObserver {
    mutating func willStart(_ step: Step, at index: Int, flow: ClientFlow) async throws {}
    func commands(for step: Step, at index: Int) -> [StepExecutor.PreparedCommand]? { nil }
    mutating func willSend(_ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand]) async throws {}
    mutating func ran(
        _ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand], execution: StepExecutor.Execution,
        flow: ClientFlow
    ) async throws {}
    mutating func skipped(_ step: Step, at index: Int) async throws {}
    mutating func runConcurrent(_ block: ConcurrentBlock, step: Step, at index: Int) async throws {
        throw InputError("a concurrent block runs only in compare's replay")
    }
}
