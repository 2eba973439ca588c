import Testing
@testable import RedisAudit

@Suite("fault points of a scenario")
struct FaultPointTests {
    func labels(_ scenario: String, _ fault: ExploredFault) throws -> [String] {
        let loaded = try #require(try BuiltinScenarios.named(scenario))
        return FaultPoints.points(of: loaded, for: fault).map {
            "\($0.step + 1)/\($0.wireIndex):\($0.command)\($0.wholeTransaction ? "*" : "")"
        }
    }

    @Test func everyCommandOfThePipelineAndTheTTLCheckOfLogin() throws {
        let kills = ["1/0:SETEX", "1/1:SADD", "1/2:EXPIRE", "1/3:SMEMBERS", "2/0:TTL"]
        #expect(try labels("login", .killBefore) == kills)
        #expect(try labels("login", .killAfter) == kills)
        #expect(try labels("login", .delay) == kills)
        #expect(try labels("login", .dropError) == kills)
        // Only writes can be lost silently.
        #expect(try labels("login", .dropSilent) == ["1/0:SETEX", "1/1:SADD", "1/2:EXPIRE"])
    }

    @Test func aTransactionIsHitInsideAndAtItsExecButFailsVisiblyAsAWhole() throws {
        // MULTI is wire command 0; the queued commands and EXEC can each be where the connection dies.
        #expect(
            try labels("login-multi", .killAfter) == [
                "1/1:SETEX", "1/2:SADD", "1/3:EXPIRE", "1/4:SMEMBERS", "1/5:EXEC", "2/0:TTL",
            ])
        #expect(try labels("login-multi", .dropError) == ["1/1:SETEX*", "2/0:TTL"])
        #expect(try labels("login-multi", .dropSilent) == ["1/1:SETEX*"])
    }

    @Test func setupStepsGetNoFault() throws {
        #expect(
            try labels("refresh", .killBefore) == [
                "2/0:GET", "3/0:SETEX", "4/0:SADD", "5/0:EXPIRE", "6/0:DEL", "7/0:SREM", "8/0:TTL",
            ])
        #expect(try labels("refresh-lua", .dropError) == ["2/0:EVAL", "3/0:TTL"])
        #expect(try labels("refresh-lua", .dropSilent) == ["2/0:EVAL"])
    }

    @Test func locationsNameTheStepAndTheFileLine() throws {
        let login = try #require(try BuiltinScenarios.named("login"))
        let points = FaultPoints.points(of: login, for: .killAfter)
        #expect(
            points[1].location.hasPrefix(
                "step 1 (pipeline \"store the refresh token and its session entry\"), command 2: SADD (login.yaml:"))
        #expect(points[4].location.hasPrefix("step 2 (command \"verify the token's TTL\"): TTL (login.yaml:"))
        let multi = try #require(try BuiltinScenarios.named("login-multi"))
        #expect(FaultPoints.points(of: multi, for: .dropError)[0].location.contains("the whole transaction"))
        #expect(FaultPoints.points(of: multi, for: .killBefore)[4].location.contains(", EXEC ("))
    }
}
