import RESP
import Testing
@testable import RedisAudit

/// A reply judged against a step's `expect`, the expectations written as in scenario files.
@Suite("Expectation check")
struct ExpectationCheckTests {
    private func expectation(_ yaml: String) throws -> RedisAudit.Expectation {
        let scenario = try Runs.scenario(
            """
            name: e
            vars: { token: abc123 }
            steps:
              - command: [GET, "k"]
                expect: \(yaml)
            """)
        return try #require(scenario.steps[0].commands[0].expect as RedisAudit.Expectation?)
    }

    private func failure(_ yaml: String, _ reply: RESPValue) throws -> String? {
        ExpectationCheck.failure(
            of: try expectation(yaml), outcome: .reply(reply), bindings: VariableBindings(["token": "abc123"]))
    }

    @Test func noReplyFailsEveryExpectationAndSaysWhy() throws {
        let message = ExpectationCheck.failure(
            of: try expectation("{ type: status }"), outcome: .failed(.timeout(milliseconds: 250)), bindings: VariableBindings())
        #expect(message == "no reply: no reply within 250 ms (command timeout)")
    }

    @Test func anErrorReplyFailsAnExpectationOfSuccess() throws {
        #expect(try failure("{ integer: 1 }", .error("WRONGTYPE x")) == "expected success, got (error) WRONGTYPE x")
        #expect(try failure("{ type: error }", .error("WRONGTYPE x")) == nil)
    }

    @Test func anErrorClassMustMatchItsFirstWordAndAnyMatchesEvery() throws {
        #expect(try failure("{ error: WRONGTYPE }", .error("WRONGTYPE Operation")) == nil)
        #expect(try failure("{ error: wrongtype }", .error("WRONGTYPE Operation")) == nil)
        #expect(try failure("{ error: WRONGTYPE }", .error("ERR syntax")) == "expected a WRONGTYPE error, got (error) ERR syntax")
        #expect(try failure("{ error: any }", .error("ERR syntax")) == nil)
        #expect(try failure("{ error: any }", .integer(1)) == "expected an error, got (integer) 1")
    }

    @Test func theReplyTypeMustMatch() throws {
        #expect(try failure("{ type: nil }", .null) == nil)
        #expect(try failure("{ type: nil }", .bulk("x")) == "expected a reply of type nil, got bulk: \"x\"")
    }

    @Test func aValueIsComparedAsTextWithVariablesRendered() throws {
        #expect(try failure("{ value: OK }", .simpleString("OK")) == nil)
        #expect(try failure("{ value: \"${token}\" }", .bulk("abc123")) == nil)
        #expect(try failure("{ value: \"${token}\" }", .bulk("abc124")) == "expected \"abc123\", got \"abc124\"")
        #expect(try failure("{ value: \"7\" }", .integer(7)) == nil)
    }

    @Test func integerBoundsAreInclusive() throws {
        let bounds = "{ integer: { min: 604790, max: 604800 } }"
        #expect(try failure(bounds, .integer(604790)) == nil)
        #expect(try failure(bounds, .integer(604800)) == nil)
        #expect(try failure(bounds, .integer(-1)) == "expected at least 604790, got -1")
        #expect(try failure(bounds, .integer(604801)) == "expected at most 604800, got 604801")
        #expect(try failure("{ integer: 1 }", .integer(0)) != nil)
        #expect(try failure("{ integer: 1 }", .bulk("1")) == nil, "a string that parses as an integer counts")
        #expect(try failure("{ integer: 1 }", .null) == "expected an integer, got (nil)")
    }

    @Test func aSetIgnoresOrderButNotDuplicatesOrMissingMembers() throws {
        let set = "{ set: [\"${token}\", b] }"
        #expect(try failure(set, .array([.bulk("b"), .bulk("abc123")])) == nil)
        #expect(try failure(set, .array([.bulk("b")])) == "expected the set {abc123, b}, got {b}")
        #expect(try failure(set, .array([.bulk("b"), .bulk("abc123"), .bulk("b")])) != nil)
        #expect(try failure(set, .null) == "expected an array, got (nil)")
    }

    @Test func anArrayKeepsItsOrder() throws {
        #expect(try failure("{ array: [a, b] }", .array([.bulk("a"), .bulk("b")])) == nil)
        #expect(try failure("{ array: [a, b] }", .array([.bulk("b"), .bulk("a")])) == "expected [a, b], got [b, a]")
    }
}
