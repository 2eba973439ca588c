import Testing
@testable import RedisAudit

/// How an observed state is judged against each kind of invariant (the reads themselves are
/// exercised against servers by the compare and inject suites).
@Suite("Invariant judging")
struct InvariantCheckTests {
    let invariants: [Invariant]

    init() throws {
        invariants = try Runs.scenario(
            """
            name: judged
            vars: { capacity: 5 }
            steps:
              - concurrent:
                  clients: 2
                  steps:
                    - command: [INCR, "n"]
                      tally: admitted
            invariants:
              - exists: "a"
              - missing: "b"
              - { ttl: "c", min: 60, max: 3600 }
              - { ttl: "c", max: 3600 }
              - { type: "d", is: set }
              - members_have_keys: { set: "s", key: "k:${member}" }
              - { value: "n", max: "${capacity}" }
              - { tally: admitted, min: 1, max: "${capacity}" }
              - counts_match: { counter: "n", set: "s" }
            """
        ).invariants
    }

    private let bindings = VariableBindings(["capacity": "5"])

    private func judge(_ index: Int, _ observed: InvariantObservation) throws -> InvariantResult {
        try InvariantCheck.judge(invariants[index], observed, bindings: bindings)
    }

    @Test func existsAndMissingAreOpposites() throws {
        #expect(try judge(0, .existence(key: "a", exists: true)).holds)
        #expect(try !judge(0, .existence(key: "a", exists: false)).holds)
        #expect(try judge(0, .existence(key: "a", exists: false)).observation == "a does not exist")
        #expect(try judge(1, .existence(key: "b", exists: false)).holds)
        #expect(try !judge(1, .existence(key: "b", exists: true)).holds)
        #expect(try judge(1, .existence(key: "b", exists: true)).observation == "b exists")
    }

    @Test func aTTLIsJudgedInWholeSecondsRoundedUpWithinItsBounds() throws {
        #expect(try judge(2, .pttl(key: "c", 60_000)).holds)
        #expect(try judge(2, .pttl(key: "c", 59_001)).holds, "59.001 s is 60 s as TTL reports it")
        #expect(try !judge(2, .pttl(key: "c", 59_000)).holds)
        #expect(try judge(2, .pttl(key: "c", 59_000)).observation == "c has TTL 59 s")
        #expect(try judge(2, .pttl(key: "c", 3_600_000)).holds)
        #expect(try !judge(2, .pttl(key: "c", 3_600_001)).holds)
    }

    @Test func aKeyWithoutExpiryFailsAMinimumButNotAMaximumAlone() throws {
        let forever = try judge(2, .pttl(key: "c", -1))
        #expect(!forever.holds)
        #expect(forever.observation == "c has no TTL (-1): it never expires")
        #expect(try judge(3, .pttl(key: "c", -1)).holds)
    }

    @Test func aMissingKeysTTLIsNotJudged() throws {
        let missing = try judge(2, .pttl(key: "c", -2))
        #expect(missing.holds)
        #expect(missing.observation == "c does not exist (TTL not judged)")
    }

    @Test func typesMustMatchExactly() throws {
        #expect(try judge(4, .type(key: "d", "set")).holds)
        let other = try judge(4, .type(key: "d", "zset"))
        #expect(!other.holds && other.observation == "d is of type zset")
    }

    @Test func everyMemberNeedsItsKeyAndTheMissingOnesAreNamed() throws {
        let all = try judge(5, .members(set: "s", count: 3, missing: []))
        #expect(all.holds && all.observation == "all 3 members of s have their key")
        let some = try judge(5, .members(set: "s", count: 3, missing: ["k:t1", "k:t3"]))
        #expect(!some.holds)
        #expect(some.observation == "2 of 3 members of s have no key: k:t1, k:t3")
        #expect(try judge(5, .members(set: "s", count: 0, missing: [])).holds, "an empty set has no member without a key")
    }

    @Test func aValueIsJudgedAgainstBoundsThatMayBeVariables() throws {
        let at = try judge(6, .integer(key: "n", 5))
        #expect(at.holds && at.measured == 5)
        let over = try judge(6, .integer(key: "n", 6))
        #expect(!over.holds)
        #expect(over.observation == "n = 6 (max 5)")
        #expect(over.measured == 6)
        let raised = try InvariantCheck.judge(
            invariants[6], .integer(key: "n", 6), bindings: VariableBindings(["capacity": "10"]))
        #expect(raised.holds && raised.observation == "n = 6 (max 10)")
    }

    @Test func aBoundThatIsNotANumberIsAnInputError() {
        #expect(throws: InputError.self) {
            try InvariantCheck.judge(invariants[6], .integer(key: "n", 1), bindings: VariableBindings(["capacity": "many"]))
        }
    }

    @Test func aTallyIsJudgedAgainstBothBounds() throws {
        #expect(try judge(7, .tally(1)).holds)
        #expect(try judge(7, .tally(5)).holds)
        let none = try judge(7, .tally(0))
        #expect(!none.holds && none.observation == "0 clients admitted (min 1, max 5)")
        let over = try judge(7, .tally(9))
        #expect(!over.holds && over.measured == 9)
    }

    @Test func aCounterMustEqualTheSetsSizeAndMeasuresTheDrift() throws {
        let equal = try judge(8, .counts(counter: "n", value: 4, set: "s", members: 4))
        #expect(equal.holds && equal.observation == "n = 4, s has 4 members")
        let drift = try judge(8, .counts(counter: "n", value: 7, set: "s", members: 4))
        #expect(!drift.holds && drift.measured == 3)
        #expect(try !judge(8, .counts(counter: "n", value: 3, set: "s", members: 4)).holds)
    }

    @Test func whatCouldNotBeReadFailsTheInvariantWithTheReason() throws {
        for index in [5, 6, 8] {
            let result = try judge(index, .unreadable("n does not hold an integer: \"abc\""))
            #expect(!result.holds)
            #expect(result.observation == "n does not hold an integer: \"abc\"")
        }
    }
}
