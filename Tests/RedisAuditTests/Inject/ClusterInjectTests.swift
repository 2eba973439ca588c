import Foundation
import Testing
@testable import RedisAudit

/// inject on a real 3-primary cluster, through the cluster-aware fault proxy: for scenarios
/// whose keys share a slot, every fault ends as it does on a single server, and nothing is left
/// on any node.
@Suite("inject on clusters", .timeLimit(.minutes(3)), MachineLoad.light)
struct ClusterInjectTests {
    static func inject(_ url: String, _ scenarios: [String]) async throws -> AuditReport {
        let run = try await Fixtures.run(
            ["inject", url, "--format", "json", "--quiet"] + scenarios.flatMap { ["--scenario", $0] }, timeout: 180)
        #expect(run.status == 0 || run.status == 1, "\(run.stderr)")
        return try JSONDecoder().decode(AuditReport.self, from: Data(run.stdout.utf8))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func scenariosWhoseKeysShareASlotEndAsOnASingleServer() async throws {
        let single = try await TestServer.start(.redis70)
        defer { single.stop() }
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }
        let scenarios = ["login-multi-cluster", "refresh-lua-cluster"]

        let onSingle = try await Self.inject(single.url, scenarios)
        let onCluster = try await Self.inject(cluster.url, scenarios)
        #expect(
            Set(onCluster.findings.map(\.id)) == Set(onSingle.findings.map(\.id)),
            "single: \(onSingle.findings.map(\.title)) cluster: \(onCluster.findings.map(\.title))")
        // Every fault point, every kind of fault, the same outcome; each trial reached its fault
        // point through the proxy (a fault that never fired would show as not reached).
        // (The trials' transcripts name each run's own keys and ports; their outcomes must match.)
        func outcomes(_ report: AuditReport) -> [FaultCoverage]? {
            report.coverage?.map { table in
                var table = table
                table.rows = table.rows.map { FaultCoverage.Row(point: $0.point, outcomes: $0.outcomes) }
                return table
            }
        }
        #expect(outcomes(onCluster) == outcomes(onSingle))
        #expect(onCluster.coverage?.allSatisfy { $0.notReached == 0 && $0.trials > 0 } == true)
        #expect(!onCluster.findings.contains { $0.category == .cluster }, "no redirection reaches the trials")
        for server in [single] + cluster.nodes {
            #expect(try await server.command("KEYS", "redisaudit:*").arrayElements?.isEmpty == true, "\(server.port)")
        }
    }
}
