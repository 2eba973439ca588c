import RESP
import Testing
@testable import RedisAudit

/// How the application reads a step's replies as a failure, and what goes on the wire for a
/// transaction (sending is exercised against servers by the replay suites).
@Suite("Step executor")
struct StepExecutorTests {
    let scenario: Scenario

    init() throws {
        scenario = try Runs.scenario(
            """
            name: steps
            steps:
              - command: [GET, "a"]
              - pipeline:
                  - command: [SET, "a", "1"]
                  - command: [EXPIRE, "a", "60"]
              - transaction:
                  - command: [INCR, "n"]
                  - command: [SADD, "s", "x"]
            """)
    }

    private func failure(_ index: Int, _ outcomes: [CommandOutcome]) -> StepFailure? {
        StepExecutor.failure(of: scenario.steps[index], commands: Runs.commands(scenario.steps[index], outcomes))
    }

    private func transactionFailure(exec: RESPValue) -> StepFailure? {
        StepExecutor.failure(of: scenario.steps[2], commands: Runs.transaction(scenario.steps[2], exec: exec))
    }

    @Test func repliesWithoutErrorsAreNoFailure() {
        #expect(failure(0, [.reply(.null)]) == nil)
        #expect(failure(1, [.reply(.simpleString("OK")), .reply(.integer(1))]) == nil)
        #expect(transactionFailure(exec: .array([.integer(1), .integer(1)])) == nil)
    }

    @Test func anErrorReplyAnywhereIsAReplyFailure() {
        #expect(failure(0, [.reply(.error("WRONGTYPE x"))]) == .reply)
        #expect(failure(1, [.reply(.simpleString("OK")), .reply(.error("ERR invalid expire time"))]) == .reply)
    }

    @Test func aLostReplyAnywhereIsATransportFailureEvenBesideAnErrorReply() {
        #expect(failure(0, [.failed(.timeout(milliseconds: 100))]) == .transport)
        #expect(failure(1, [.reply(.error("ERR x")), .failed(.connectionClosed("reset"))]) == .transport)
    }

    @Test func aDiscardedTransactionIsAReplyFailure() {
        // EXEC answers a null array when a WATCHed key changed.
        #expect(transactionFailure(exec: .nullArray) == .reply)
        #expect(transactionFailure(exec: .error("EXECABORT Transaction discarded because of previous errors.")) == .reply)
    }

    @Test func anExecWithAFailedCommandInsideIsAReplyFailure() {
        #expect(transactionFailure(exec: .array([.integer(1), .error("WRONGTYPE Operation against a key")])) == .reply)
    }

    @Test func aNullArrayOutsideATransactionIsAnOrdinaryReply() {
        #expect(failure(0, [.reply(.nullArray)]) == nil)
        #expect(failure(1, [.reply(.simpleString("OK")), .reply(.array([.error("ERR inside")]))]) == nil)
    }

    private func prepared(_ step: Step) -> [StepExecutor.PreparedCommand] {
        step.commands.map { template in
            let command = RESPCommand(arguments: template.arguments.map { Array($0.raw.utf8) })
            return StepExecutor.PreparedCommand(
                template: template, command: command, keys: [], specName: template.name, setsTTL: false)
        }
    }

    @Test func aTransactionGoesOnTheWireInsideMultiAndExec() {
        let step = scenario.steps[2]
        #expect(StepExecutor.wire(step, prepared(step)).map(\.name) == ["MULTI", "INCR", "SADD", "EXEC"])
        let pipeline = scenario.steps[1]
        #expect(StepExecutor.wire(pipeline, prepared(pipeline)).map(\.name) == ["SET", "EXPIRE"])
        #expect(StepExecutor.wire(scenario.steps[0], prepared(scenario.steps[0])).map(\.name) == ["GET"])
    }
}
