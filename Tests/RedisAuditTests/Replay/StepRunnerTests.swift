import RESP
import Testing
@testable import RedisAudit

/// The step runner's own logic, with a transport that answers from a script: which steps run,
/// what the observer sees and in which order, retries, stops and unreachable endpoints. What a
/// real server answers is covered by the replay, inject and concurrent suites.
@Suite("step runner")
struct StepRunnerTests {
    /// A transport that answers each batch from a list of scripted answers and records what it was sent.
    struct ScriptedTransport: CommandTransport {
        enum Answer {
            case replies([RESPValue])
            case lost
            case unreachable
        }

        var answers: [Answer]
        var sent: [[String]] = []

        mutating func send(_ commands: [RESPCommand]) async throws(EndpointError) -> [CommandOutcome] {
            let answer = answers.isEmpty ? .replies([]) : answers.removeFirst()
            switch answer {
            case .unreachable:
                throw .unreachable(endpoint: "scripted", reason: "refused")
            case .lost:
                sent.append(commands.map(\.name))
                return commands.map { _ in .failed(.connectionClosed("lost")) }
            case .replies(let values):
                sent.append(commands.map(\.name))
                return commands.indices.map { i in .reply(i < values.count ? values[i] : .simpleString("OK")) }
            }
        }

        mutating func close() async {}

        /// The step runner never asks for nodes; a scripted transport has none.
        mutating func eachNode<T>(_ body: (inout ReconnectingConnection) async throws -> T) async throws -> [T] {
            throw EndpointError.unreachable(endpoint: "scripted", reason: "no nodes")
        }
    }

    /// Remembers every hook call as one line.
    struct Journal: StepObserver {
        var lines: [String] = []

        mutating func willStart(_ step: Step, at index: Int, flow: ClientFlow) async throws { lines.append("start \(index)") }
        mutating func skipped(_ step: Step, at index: Int) async throws { lines.append("skipped \(index)") }
        mutating func willSend(_ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand]) async throws {
            lines.append("send \(index) " + prepared.map(\.command.name).joined(separator: ","))
        }
        mutating func ran(
            _ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand], execution: StepExecutor.Execution,
            flow: ClientFlow
        ) async throws {
            let failure = execution.failure.map { " \($0)" } ?? ""
            lines.append(
                "ran \(index) attempts=\(execution.attempts)\(failure)\(execution.reachedEndpoint ? "" : " unreachable")")
        }
    }

    static let namespace = Namespace(run: "0123456789ab", part: "t")!

    static func scenario(_ steps: String) throws -> Scenario {
        try ScenarioLoader.parse(yaml: "name: t\nsteps:\n" + steps, file: "t.yaml")
    }

    /// The steps of a one-client concurrent block, where `capture`, `if` and `tally` are written.
    static func clientSteps(_ steps: String) throws -> Scenario {
        let indented = steps.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
        let block = try scenario("  - concurrent:\n      clients: 1\n      steps:\n" + indented + "\n")
        guard case .concurrent(let inner) = block.steps[0].kind else { throw InputError("not a concurrent block") }
        var scenario = block
        scenario.steps = inner.steps
        return scenario
    }

    func run(
        _ scenario: Scenario, answers: [ScriptedTransport.Answer], configure: (inout StepRunner) -> Void = { _ in }
    ) async throws -> (stoppedAt: Int?, journal: [String], sent: [[String]], flow: ClientFlow) {
        var runner = StepRunner(namespace: Self.namespace, catalog: .table)
        configure(&runner)
        var transport = ScriptedTransport(answers: answers)
        var journal = Journal()
        var flow = ClientFlow(bindings: VariableBindings())
        let stoppedAt = try await runner.run(scenario.steps, flow: &flow, transport: &transport, observer: &journal)
        return (stoppedAt, journal.lines, transport.sent, flow)
    }

    @Test func aCapturedReplyDecidesTheNextStepAndTheObserverSeesEachPointInOrder() async throws {
        let scenario = try Self.clientSteps(
            """
              - { command: [GET, count], capture: count }
              - { command: [INCR, count], if: { var: count, lt: 5 } }
              - { command: [SET, full, "1"], if: { var: count, ge: 5 } }
            """)
        let result = try await run(scenario, answers: [.replies([.bulk("7")])])
        #expect(result.stoppedAt == nil)
        #expect(result.sent == [["GET"], ["SET"]])
        #expect(
            result.journal == [
                "start 0", "send 0 GET", "ran 0 attempts=1", "start 1", "skipped 1", "start 2", "send 2 SET", "ran 2 attempts=1",
            ])
        #expect(result.flow.bindings["count"] == "7")
    }

    @Test func anErrorReplyStopsTheFlowUnlessThePolicySaysContinue() async throws {
        let steps = try Self.scenario(
            """
              - command: [INCR, a]
              - command: [INCR, b]
            """)
        let stopped = try await run(steps, answers: [.replies([.error("ERR boom")])])
        #expect(stopped.stoppedAt == 0)
        #expect(stopped.sent == [["INCR"]])

        let going = try Self.scenario(
            """
              - { command: [INCR, a], on_error: continue }
              - command: [INCR, b]
            """)
        let wentOn = try await run(going, answers: [.replies([.error("ERR boom")])])
        #expect(wentOn.stoppedAt == nil)
        #expect(wentOn.sent == [["INCR"], ["INCR"]])
        #expect(wentOn.journal.contains("ran 0 attempts=1 reply"))
    }

    @Test func aRetryPolicySendsTheStepAgainAfterALostConnection() async throws {
        let steps = try Self.scenario(
            """
              - { transaction: [[SET, k, v], [EXPIRE, k, "10"]], on_error: { retry: 2 } }
            """)
        let result = try await run(
            steps,
            answers: [
                .lost,
                .replies([
                    .simpleString("OK"), .simpleString("QUEUED"), .simpleString("QUEUED"),
                    .array([.simpleString("OK"), .integer(1)]),
                ]),
            ])
        #expect(result.stoppedAt == nil)
        #expect(result.sent == [["MULTI", "SET", "EXPIRE", "EXEC"], ["MULTI", "SET", "EXPIRE", "EXEC"]])
        #expect(result.journal.last == "ran 0 attempts=2")
    }

    @Test func anUnreachableEndpointThrowsFailsTheStepOrStopsTheClientAsConfigured() async throws {
        let steps = try Self.scenario(
            """
              - { command: [INCR, a], on_error: as-null }
              - command: [INCR, b]
            """)
        await #expect(throws: EndpointError.self) { _ = try await run(steps, answers: [.unreachable]) }

        let lost = try await run(steps, answers: [.unreachable]) { $0.whenUnreachable = .failsLikeALostConnection }
        #expect(lost.stoppedAt == nil, "the step's own policy (as-null) decides")
        #expect(lost.journal.contains("ran 0 attempts=1 transport unreachable"))
        #expect(lost.sent == [["INCR"]], "the next step is sent")

        let stops = try await run(steps, answers: [.unreachable]) { $0.whenUnreachable = .failsAndStops }
        #expect(stops.stoppedAt == 0)
        #expect(stops.sent.isEmpty)
    }

    @Test func aRequestedStopEndsTheRunBeforeTheNextStep() async throws {
        let steps = try Self.scenario("  - command: [INCR, a]\n")
        let interruption = Interruption()
        interruption.request()
        await #expect(throws: InterruptedError.self) {
            _ = try await run(steps, answers: []) { $0.interruption = interruption }
        }
    }

    @Test func keysAreSentInsideTheNamespace() async throws {
        let steps = try Self.scenario("  - command: [SET, \"user:1\", v]\n")
        var runner = StepRunner(namespace: Self.namespace, catalog: .table)
        runner.keepsArguments = true
        var transport = ScriptedTransport(answers: [])
        var flow = ClientFlow(bindings: VariableBindings())
        /// Keeps the wire arguments of the first batch.
        struct Wire: StepObserver {
            var keys: [String] = []
            mutating func willSend(_ step: Step, at index: Int, prepared: [StepExecutor.PreparedCommand]) async throws {
                keys += prepared.flatMap(\.keys).map { String(decoding: $0, as: UTF8.self) }
            }
        }
        var wire = Wire()
        _ = try await runner.run(steps.steps, flow: &flow, transport: &transport, observer: &wire)
        #expect(wire.keys == [Self.namespace.namespaced("user:1")])
        #expect(wire.keys.allSatisfy { $0.hasPrefix(Self.namespace.prefix) })
    }
}
