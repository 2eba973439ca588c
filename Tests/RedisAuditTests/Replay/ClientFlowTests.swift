import RESP
import Testing
@testable import RedisAudit

/// One client's logic between steps: `if`, `capture` and `tally`, as a concurrent block's
/// clients run them.
@Suite("Client flow")
struct ClientFlowTests {
    let steps: [Step]

    init() throws {
        let scenario = try Runs.scenario(
            """
            name: flow
            vars: { capacity: 50, state: open }
            steps:
              - concurrent:
                  clients: 2
                  steps:
                    - command: [GET, "count"]
                      capture: count
                    - command: [INCR, "count"]
                      if: { var: count, lt: "${capacity}" }
                      tally: admitted
                    - command: [GET, "state"]
                      if: { var: state, eq: "open" }
                      tally: { name: positive, gt: 0 }
                    - pipeline:
                        - command: [SET, "a", "1"]
                        - command: [GET, "a"]
                      capture: piped
                    - transaction:
                        - command: [INCR, "t"]
                        - command: [GET, "t"]
                      capture: committed
                      tally: { name: big, ge: 10 }
            """)
        guard case .concurrent(let block) = scenario.steps[0].kind else { throw InputError("no block") }
        steps = block.steps
    }

    private func flow(_ values: [String: String] = [:]) -> ClientFlow {
        ClientFlow(bindings: VariableBindings(["capacity": "50", "state": "open", "client": "0"].merging(values) { $1 }))
    }

    @Test func aConditionOnNumbersComparesThemAsNumbers() throws {
        // As text "9" > "50"; as numbers 9 < 50.
        #expect(try flow(["count": "9"]).shouldRun(steps[1]))
        #expect(try !flow(["count": "50"]).shouldRun(steps[1]))
        #expect(try !flow(["count": "100"]).shouldRun(steps[1]))
    }

    @Test func anEmptyCaptureCountsAsZeroAgainstANumber() throws {
        // A GET of a missing counter is nil: the application reads it as 0.
        #expect(try flow(["count": ""]).shouldRun(steps[1]))
        #expect(try flow().shouldRun(steps[1]), "a variable never captured is empty too")
    }

    @Test func aConditionOnTextComparesText() throws {
        #expect(try flow().shouldRun(steps[2]))
        #expect(try !flow(["state": "closed"]).shouldRun(steps[2]))
        #expect(try !flow(["state": ""]).shouldRun(steps[2]))
        #expect(Comparison.eq.holds("", "0") == true, "a number on the right: empty is 0")
        #expect(Comparison.eq.holds("0", "") == false, "text on the right: \"\" tells a miss from 0")
        #expect(Comparison.lt.holds("abc", "abd"))
    }

    @Test func aStepWithoutConditionsAlwaysRuns() throws {
        #expect(try flow().shouldRun(steps[0]))
    }

    @Test func aBoundThatCannotBeRenderedIsAnInputErrorAtTheCondition() throws {
        var bindings = flow().bindings
        bindings["capacity"] = nil
        let error = try #require(throws: InputError.self) { try ClientFlow(bindings: bindings).shouldRun(steps[1]) }
        #expect(error.location?.line == 10)
    }

    @Test func aCaptureStoresTheReplyTextAndANilOrErrorAsEmpty() throws {
        var client = flow()
        try client.ran(steps[0], commands: Runs.commands(steps[0], [.reply(.bulk("42"))]), failure: nil)
        #expect(client.bindings["count"] == "42")
        try client.ran(steps[0], commands: Runs.commands(steps[0], [.reply(.null)]), failure: nil)
        #expect(client.bindings["count"] == "")
        try client.ran(steps[0], commands: Runs.commands(steps[0], [.reply(.error("ERR x"))]), failure: .reply)
        #expect(client.bindings["count"] == "")
        try client.ran(steps[0], commands: Runs.commands(steps[0], [.failed(.timeout(milliseconds: 5))]), failure: .transport)
        #expect(client.bindings["count"] == "")
    }

    @Test func aSkippedStepCapturesEmpty() {
        var client = flow(["count": "7"])
        client.skipped(steps[0])
        #expect(client.bindings["count"] == "")
    }

    @Test func aPipelineCapturesItsLastReplyAndATransactionItsLastExecElement() throws {
        var client = flow()
        try client.ran(
            steps[3], commands: Runs.commands(steps[3], [.reply(.simpleString("OK")), .reply(.bulk("1"))]), failure: nil)
        #expect(client.bindings["piped"] == "1")
        try client.ran(steps[4], commands: Runs.transaction(steps[4], exec: .array([.integer(3), .bulk("3")])), failure: nil)
        #expect(client.bindings["committed"] == "3")
        try client.ran(steps[4], commands: Runs.transaction(steps[4], exec: .nullArray), failure: .reply)
        #expect(client.bindings["committed"] == "", "a discarded transaction has nothing to read")
    }

    @Test func aTallyCountsAStepThatRanWithoutFailing() throws {
        var client = flow()
        try client.ran(steps[1], commands: Runs.commands(steps[1], [.reply(.integer(1))]), failure: nil)
        #expect(client.tallies["admitted"] == 1)
        var failed = flow()
        try failed.ran(steps[1], commands: Runs.commands(steps[1], [.reply(.error("OOM x"))]), failure: .reply)
        #expect(failed.tallies == ["admitted": 0], "a tally is known, at 0, once its step ran")
        var lost = flow()
        try lost.ran(steps[1], commands: Runs.commands(steps[1], [.failed(.timeout(milliseconds: 5))]), failure: .transport)
        #expect(lost.tallies == ["admitted": 0])
    }

    @Test func aTallyWithAComparisonCountsOnlyRepliesThatSatisfyIt() throws {
        var client = flow()
        try client.ran(steps[2], commands: Runs.commands(steps[2], [.reply(.bulk("0"))]), failure: nil)
        #expect(client.tallies["positive"] == 0)
        try client.ran(steps[2], commands: Runs.commands(steps[2], [.reply(.null)]), failure: nil)
        #expect(client.tallies["positive"] == 0, "nil reads as 0")
        try client.ran(steps[2], commands: Runs.commands(steps[2], [.reply(.bulk("3"))]), failure: nil)
        #expect(client.tallies["positive"] == 1)
        var big = flow()
        try big.ran(steps[4], commands: Runs.transaction(steps[4], exec: .array([.integer(10), .bulk("10")])), failure: nil)
        #expect(big.tallies["big"] == 1, "a transaction is tallied on its last EXEC element")
    }

    @Test func theReplyReadFromATransactionWithoutAnArrayIsExecsOwn() {
        let records = Runs.transaction(steps[4], exec: .error("EXECABORT Transaction discarded"))
        #expect(ClientFlow.reply(of: steps[4], records) == .error("EXECABORT Transaction discarded"))
        #expect(ClientFlow.reply(of: steps[0], []) == nil)
    }
}
