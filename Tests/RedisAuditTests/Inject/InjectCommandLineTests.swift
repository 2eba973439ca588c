import Foundation
import RESP
import Testing
@testable import RedisAudit

@Suite("redisaudit inject command line", .timeLimit(.minutes(2)), MachineLoad.light)
struct InjectCommandLineTests {
    @Test func badRulesAndContradictoryFlagsAreUsageErrors() async throws {
        let rule = try await Fixtures.run(["inject", "redis://127.0.0.1:1", "--fault", "kill-after:EXPIRE:when=later"])
        #expect(rule.status == 2)
        #expect(rule.stderr.contains("kill-after has no parameter 'when'"), "\(rule.stderr)")
        #expect(rule.stderr.contains("KIND[:COMMAND][:param=value,...]"))
        let both = try await Fixtures.run(["inject", "redis://127.0.0.1:1", "--explore", "--fault", "kill-after:EXPIRE"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("--explore tries every fault itself"))
        let lost = try await Fixtures.run(["inject", "redis://127.0.0.1:1", "--lost-writes", "--fault", "kill-after:EXPIRE"])
        #expect(lost.status == 2)
        let timeout = try await Fixtures.run(["inject", "redis://127.0.0.1:1", "--trial-timeout", "0"])
        #expect(timeout.status == 2)
    }

    @Test func anUnreachableEndpointIsExitThreeWithoutThePassword() async throws {
        let refusing = try TestServer.refusingPort()
        defer { refusing.release() }
        let port = refusing.port
        let run = try await Fixtures.run(["inject", "redis://default:hunter2@127.0.0.1:\(port)", "--scenario", "login"])
        #expect(run.status == 3)
        #expect(run.stderr.contains("cannot reach redis://default:***@127.0.0.1:\(port)"), "\(run.stderr)")
        #expect(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func exploringLoginFailsTheGateAndWritesTheCoverage() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let json = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-inject-\(UUID().uuidString.prefix(8)).json"
        ).path
        let run = try await Fixtures.run(
            ["inject", server.url, "--scenario", "login", "--trial-timeout", "1", "--json-output", json])
        #expect(run.status == 1, "a partial apply is high: \(run.stderr)")
        #expect(run.stdout.hasPrefix("# redisaudit inject report"))
        #expect(run.stdout.contains("## Fault coverage"))
        #expect(
            run.stdout.contains(
                "| step 1 #2: SADD | partial-apply | partial-apply | silent-corruption | stopped, complete, hang |"))
        #expect(run.stderr.contains("trial 20 of 20 on A"), "progress on stderr: \(run.stderr)")
        let report = try JSONDecoder().decode(AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(report.command == "inject")
        #expect(report.coverage?.first?.trials == 20)
        #expect(report.findings.contains { $0.category == .partialApply })
        let quietPass = try await Fixtures.run(
            ["inject", server.url, "--scenario", "login-multi", "--trial-timeout", "1", "--quiet", "--format", "json"])
        #expect(quietPass.status == 0, "login-multi has only a medium hang finding: \(quietPass.stdout)")
        #expect(quietPass.stderr.isEmpty)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func givenRulesRunEachScenarioOnceWithThem() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let run = try await Fixtures.run(
            [
                "inject", server.url, "--scenario", "refresh", "--fault", "drop:DEL:nth=1,reply=-ERR lost", "--format", "json",
                "--quiet",
            ])
        #expect(run.status == 1)
        let report = try JSONDecoder().decode(AuditReport.self, from: Data(run.stdout.utf8))
        let corruption = try #require(report.findings.first { $0.category == .silentCorruption })
        #expect(corruption.severity == .critical)
        #expect(corruption.step == "the given faults")
        #expect(report.coverage?.first?.rows.map(\.point) == ["drop:DEL:nth=1,reply=-ERR lost"])
        #expect(try await server.command("DBSIZE") == .integer(0))

        // The same rule from a plan file; a bad plan is a usage error that points at its line.
        let plan = try Fixtures.scenarioFile(
            "# the report's dropped delete\nfaults:\n  - drop:DEL:nth=1,reply=-ERR lost\n", name: "plan.yaml")
        let planned = try await Fixtures.run([
            "inject", server.url, "--scenario", "refresh", "--plan", plan, "--format", "json", "--quiet",
        ])
        #expect(planned.status == 1)
        let fromPlan = try JSONDecoder().decode(AuditReport.self, from: Data(planned.stdout.utf8))
        #expect(fromPlan.findings.map(\.id) == report.findings.map(\.id))
        let bad = try Fixtures.scenarioFile("faults:\n  - kill-after:DEL\n  - explode:GET\n", name: "plan.yaml")
        let refused = try await Fixtures.run(["inject", server.url, "--plan", bad])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("\(bad):3:"), "\(refused.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func ctrlCStopsTheExplorationAndDeletesEveryTrialNamespace() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        // Long trials (a 10 s trial timeout: a delay trial holds its reply 15 s, so the run lasts
        // well past the poll below even on a loaded machine) so the interrupt lands while trials hold keys.
        let process = try ChildProcess(
            Fixtures.binary.path, ["inject", server.url, "--scenario", "refresh", "--trial-timeout", "10", "--jobs", "8"])
        var written = false
        for _ in 0..<200 {
            if let keys = try await server.command("KEYS", "redisaudit:*").arrayElements, keys.count >= 4 {
                written = true; break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(written)
        kill(process.pid, SIGINT)
        let status = await process.finish(timeout: 30)
        #expect(status == 130, "\(process.stderr)")
        #expect(process.stderr.contains("interrupted"))
        #expect(try await server.command("KEYS", "*") == .array([]))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aFaultThatHitsTheHandshakeNamesTheRuleAndTheEndpointNotTheProxy() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        for rule in ["kill-before:PING", "kill-after:SELECT"] {
            let run = try await Fixtures.run(["inject", server.url + "/2", "--scenario", "blacklist", "--fault", rule])
            #expect(run.status == 2, "\(run.stderr)")
            #expect(
                run.stderr.contains(
                    "the fault \(rule) hit the connection handshake to A (\(server.url)/2) before any scenario command"),
                "\(run.stderr)")
            // The only address named is the endpoint's.
            let ports = run.stderr.matches(of: /127\.0\.0\.1:(\d+)/).map { String($0.output.1) }
            #expect(Set(ports) == ["\(server.port)"], "\(run.stderr)")
        }
        #expect(try await server.command("KEYS", "*") == .array([]))
    }
}
