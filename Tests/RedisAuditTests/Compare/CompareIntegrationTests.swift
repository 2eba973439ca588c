import Foundation
import RESP
import Testing
@testable import RedisAudit

@Suite("compare against real servers", .timeLimit(.minutes(2)), MachineLoad.light)
struct CompareIntegrationTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func twoRedis70ServersHaveNoFindingAboveInfo() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        // The race scenarios (checkin-capacity, stats-stampede) fail on every server by design:
        // ConcurrencyIntegrationTests covers them.
        let sequential = try BuiltinScenarios.all().filter { !$0.isConcurrent }
        let report = try await Fixtures.compare(a, b, scenarios: sequential)
        let serious = report.findings.filter { $0.severity > .info }
        #expect(serious.isEmpty, "\(serious.map { "\($0.severity) \($0.title)" })")
        #expect(report.summary.verdict == .pass)
        #expect(report.summary.scenarios.count == sequential.count)
        #expect(report.profiles.map(\.engine) == ["Redis", "Redis"])
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func redis70AndValkey91RunEveryBuiltinScenario() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.valkey91)
        defer { a.stop(); b.stop() }
        let report = try await Fixtures.compare(a, b, scenarios: try BuiltinScenarios.all())
        #expect(report.profiles[0].engine == "Redis")
        #expect(report.profiles[1].engine == "Valkey")
        #expect(report.profiles[1].version.hasPrefix("9.1"))
        #expect(report.findings.contains { $0.category == .serverProfile && $0.title.contains("Different server") })
        // The commands Redis 7.0 does not know (DELIFEQ, HSETEX, ...) are their own command-unsupported
        // findings; their error replies are that difference, not another one.
        let unsupported = Set(
            report.findings.filter { $0.category == .commandUnsupported }.compactMap { $0.title.split(separator: " ").first })
        let replies = report.findings.filter {
            $0.category == .replyMismatch && $0.severity > .info
                && !unsupported.contains($0.title.split(separator: " ").first ?? "")
        }
        #expect(replies.isEmpty, "\(replies.map(\.title))")
    }

    static let expireNX = """
        name: expire-nx
        summary: Set a session set's TTL only when it has none, as Redis 7 allows.
        vars:
          userId: user42
        steps:
          - command: [SADD, "sess:${userId}", "token1"]
          - command: [EXPIRE, "sess:${userId}", 60, NX]
            on_error: continue
        invariants:
          - { ttl: "sess:${userId}", min: 1, severity: high, why: "a session set without TTL never expires" }
        """

    @Test(.enabled(if: Fixtures.available(.redis62, .redis70)))
    func redis62AgainstRedis70FlagsExpireNX() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let scenario = try ScenarioLoader.load(contentsOf: try Fixtures.scenarioFile(Self.expireNX))
        let report = try await Fixtures.compare(a, b, scenarios: [scenario])
        let mismatch = try #require(report.findings.first { $0.category == .replyMismatch })
        #expect(mismatch.severity >= .high)
        #expect(mismatch.step?.hasPrefix("step 2 (command): EXPIRE") == true, "\(mismatch.step ?? "")")
        #expect(mismatch.evidence.contains("> EXPIRE sess:user42 60 NX"), "\(mismatch.evidence)")
        #expect(mismatch.evidence.contains { $0.hasPrefix("A: (error) ERR") })
        #expect(mismatch.evidence.contains("B: (integer) 1"))
        // The lost EXPIRE leaves the set without TTL on 6.2 only.
        let ttl = try #require(report.findings.first { $0.category == .ttlMismatch })
        #expect(ttl.severity == .high)
        #expect(ttl.title.contains("sess:${userId}"))
        let invariant = try #require(report.findings.first { $0.category == .invariant })
        #expect(invariant.endpoints == ["A"])
        #expect(report.summary.verdict == .fail)
        #expect(report.profiles[0].version.hasPrefix("6.2"))
        // No key of the run is left on either server.
        #expect(try await a.command("DBSIZE") == .integer(0))
        #expect(try await b.command("DBSIZE") == .integer(0))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func anEvictionPolicyOnOneSideIsHigh() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(
            .redis70, extraArguments: ["--maxmemory-policy", "allkeys-lru", "--maxmemory", "64mb"])
        defer { a.stop(); b.stop() }
        let scenario = try #require(try BuiltinScenarios.named("login"))
        let report = try await Fixtures.compare(a, b, scenarios: [scenario])
        let policy = try #require(report.findings.first { $0.title.hasPrefix("maxmemory-policy differs") })
        #expect(policy.severity == .high)
        #expect(policy.title.contains("noeviction on A, allkeys-lru on B"))
        let memory = try #require(report.findings.first { $0.title.hasPrefix("maxmemory differs") })
        #expect(memory.severity == .low)
    }
}

/// A managed host hides its configuration: compare says so and carries on.
@Suite("compare against a host that refuses CONFIG and INFO", .timeLimit(.minutes(2)), MachineLoad.light)
struct RestrictedHostTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func refusedConfigAndInfoAreInfoFindingsNotFailures() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        try await b.command("ACL", "SETUSER", "app", "on", ">app-secret", "~*", "+@all", "-config", "-info", "-command")
        var options = Fixtures.options
        options.clientName = nil
        let configuration = CompareConfiguration(
            endpointA: a.endpoint, endpointB: try Endpoint.parse("redis://app:app-secret@127.0.0.1:\(b.port)"),
            connection: options, scenarios: [try #require(try BuiltinScenarios.named("login"))], pings: 5)
        let report = try await CompareAudit(configuration: configuration).run()
        let refused = try #require(report.findings.first { $0.title.hasPrefix("Endpoint B refuses") })
        #expect(refused.severity == .info)
        #expect(refused.title.contains("CONFIG GET"))
        #expect(refused.title.contains("INFO server"))
        #expect(report.profiles[1].setting("maxmemory-policy") == nil)
        #expect(report.profiles[1].commands.allSatisfy { $0.available == nil })
        #expect(report.findings.filter { $0.severity > .info }.isEmpty, "\(report.findings.map(\.title))")
        #expect(!JSONReport.render(report).contains("app-secret"))
        #expect(!MarkdownReport.render(report).contains("app-secret"))
    }
}
