import Foundation
import NIOCore
import Testing
@testable import RedisAudit

/// The command that repeats one trial: it pastes into a shell as it is, names a scenario the way
/// `--scenario` finds it, carries the trial timeout it ran with, and never the password.
@Suite("trial reproducer")
struct TrialReproducerTests {
    static let plan = TrialPlan(point: nil, fault: .killAfter, rules: [try! FaultRule.parse("kill-after:SADD:nth=1,scope=run")])

    @Test func aBuiltInScenarioByNameTheDefaultTimeoutLeftOut() throws {
        let login = try #require(try BuiltinScenarios.named("login"))
        let command = TrialReproducer(endpoint: try Endpoint.parse("redis://127.0.0.1:6379")).command(Self.plan, scenario: login)
        #expect(command == "redisaudit inject redis://127.0.0.1:6379 --scenario login --fault kill-after:SADD:nth=1,scope=run")
    }

    @Test func aScenarioFileByItsQuotedPathWithTheTimeoutAndThePasswordFromTheEnvironment() async throws {
        let path = try Fixtures.scenarioFile(
            """
            name: mine
            summary: One SADD.
            steps:
              - command: [SADD, "s", "m"]
            """, name: "my scenario.yaml")
        let scenario = try ScenarioLoader.load(contentsOf: path)
        var endpoint = try Endpoint.parse("rediss://app@cache.example.com:6380/2")
        endpoint.password = "s3cret"
        let plan = TrialPlan(
            point: nil, fault: .dropError, rules: [try FaultRule.parse("drop:SADD:nth=1,scope=run,reply=-ERR it's gone")])
        let command = try #require(
            TrialReproducer(endpoint: endpoint, trialTimeout: .milliseconds(200)).command(plan, scenario: scenario))
        #expect(
            command == "REDISAUDIT_PASSWORD=\"$REDIS_PASSWORD\" redisaudit inject rediss://app@cache.example.com:6380/2 "
                + "--scenario '\(path)' --trial-timeout 0.2 --fault 'drop:SADD:nth=1,scope=run,reply=-ERR it'\\''s gone'")
        #expect(!command.contains("s3cret") && !command.contains("***"))
        // The shell reads the words back as they were.
        let echoed = try await Fixtures.run(
            ["-c", "printf '%s\\n' " + command.split(separator: " ", maxSplits: 1)[1]], executable: "/bin/sh")
        let words = echoed.stdout.split(separator: "\n").map(String.init)
        #expect(words.contains(path) && words.contains("drop:SADD:nth=1,scope=run,reply=-ERR it's gone"), "\(words)")
    }

    @Test func aServerFaultHasNoRuleToRepeatIt() throws {
        let login = try #require(try BuiltinScenarios.named("login"))
        let plan = TrialPlan.plan(.pause, atStep: 0, of: login)
        #expect(TrialReproducer(endpoint: try Endpoint.parse("redis://127.0.0.1:6379")).command(plan, scenario: login) == nil)
    }
}
