import Foundation
import NIOCore
import RESP
import Testing
@testable import RedisAudit

/// inject judges a trial with the scenario's `client:`: a fault the client's retry repairs is
/// survived ("retried"), a retry that applies a write twice is a double apply, and the findings
/// say which client behaviour they were judged with.
@Suite("inject with a client that retries", .timeLimit(.minutes(3)), MachineLoad.light)
struct ClientRetryInjectTests {
    /// The built-in login with `client`, under one kill before the session set's EXPIRE.
    static func login(_ client: ClientRetry) throws -> Scenario {
        var scenario = try #require(try BuiltinScenarios.named("login"))
        scenario.client = client
        return scenario
    }

    static func inject(_ server: TestServer, _ scenario: Scenario, rule: String) async throws -> AuditReport {
        let configuration = InjectConfiguration(
            endpoints: [server.endpoint], connection: Fixtures.options, scenarios: [scenario],
            rules: [try FaultRule.parse(rule)], trialTimeout: .milliseconds(1000), jobs: 1)
        return try await InjectAudit(configuration: configuration).run()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func withAClientThatGivesUpTheKilledLoginPipelineIsAPartialApply() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let report = try await Self.inject(server, try Self.login(.none), rule: "kill-before:EXPIRE:nth=1,scope=run")
        let partial = try #require(report.findings.first { $0.category == .partialApply })
        #expect(partial.title.hasSuffix("a session set without TTL never expires"))
        #expect(partial.why.hasSuffix("Judged with client: none (no retries: a failure reaches the application)."))
        #expect(
            partial.evidence.first?.hasSuffix("on A, with client: none (no retries: a failure reaches the application):") == true)
        #expect(report.coverage?.first?.rows.first?.outcomes == ["partial-apply"])
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func withRedisPyTheKilledLoginPipelineIsRetriedAndSurvives() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let report = try await Self.inject(server, try Self.login(.redisPy), rule: "kill-before:EXPIRE:nth=1,scope=run")
        let broken: Set<FindingCategory> = [.silentCorruption, .partialApply, .errorSwallowed, .doubleApply]
        #expect(!report.findings.contains { broken.contains($0.category) }, "\(report.findings.map(\.title))")
        let coverage = try #require(report.coverage?.first)
        #expect(coverage.rows.first?.outcomes == ["retried"])
        #expect(coverage.survived == 1)
        // The coverage table in the report shows it.
        #expect(MarkdownReport.render(report).contains("| retried |"), "\(MarkdownReport.render(report))")
        #expect(try await server.command("DBSIZE") == .integer(0))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aWholePipelineResentAfterALostReplyIncrementsTwice() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let file = try Fixtures.scenarioFile(
            """
            name: failed-login
            client: redis-py
            vars:
              user: u1
            steps:
              - pipeline:
                  - [INCR, "attempts:${user}"]
                  - [EXPIRE, "attempts:${user}", 900]
            invariants:
              - { value: "attempts:${user}", max: 1, why: "one failed login counts once" }
            """)
        let scenario = try ScenarioLoader.load(contentsOf: file)
        let report = try await Self.inject(server, scenario, rule: "kill-after:INCR:nth=1,scope=run")
        let double = try #require(report.findings.first { $0.category == .doubleApply })
        #expect(double.title == "A retried INCR is applied twice in `failed-login`: one failed login counts once")
        #expect(double.why.contains("the client library's retry ran it again"))
        #expect(
            double.why.hasSuffix(
                "Judged with client: redis-py (10 retries on connection-lost, timeout, LOADING; backoff 10 ms to 1000 ms with "
                    + "jitter; a pipeline or transaction resent whole)."))
        #expect(double.evidence.contains { $0.hasPrefix("  attempts:u1 (string, TTL) = 2") })
        #expect(double.evidence.contains { $0.hasPrefix("(step 1 was sent again after: A: (no reply) connection closed") })
        #expect(report.coverage?.first?.rows.first?.outcomes == ["double-apply"])
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func resendingOnlyTheUnacknowledgedCommandsDoesNotSaveAWriteWhoseReplyWasLost() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        // The INCR ran and its reply was lost: it is unacknowledged, and resent all the same.
        let file = try Fixtures.scenarioFile(
            """
            name: failed-login
            client: { preset: redis-py, resend: unacknowledged }
            steps:
              - pipeline:
                  - [SET, "user:u1", "Ann"]
                  - [INCR, "attempts:u1"]
            invariants:
              - { value: "attempts:u1", max: 1 }
            """)
        let report = try await Self.inject(
            server, try ScenarioLoader.load(contentsOf: file), rule: "kill-after:INCR:nth=1,scope=run")
        #expect(report.coverage?.first?.rows.first?.outcomes == ["double-apply"])
        // Killed before the INCR reached the server, the resent INCR runs once: the retry repairs it.
        let repaired = try await Self.inject(
            server, try ScenarioLoader.load(contentsOf: file), rule: "kill-before:INCR:nth=1,scope=run")
        #expect(repaired.coverage?.first?.rows.first?.outcomes == ["retried"])
        #expect(!repaired.findings.contains { $0.category == .doubleApply })
    }
}
