import Foundation
import RESP
import Testing
@testable import RedisAudit

/// compare of every built-in scenario, their concurrent blocks' hundred clients included, on a
/// single server against a real 3-primary cluster, run as a user would: the cluster's refusals
/// and nothing else, and nothing left on any node.
@Suite("compare on clusters, every built-in scenario", .timeLimit(.minutes(4)), MachineLoad.heavy)
struct ClusterCompareTests {
    static func compare(_ a: String, _ b: String, _ extra: [String] = []) async throws -> AuditReport {
        let run = try await Fixtures.run(["compare", a, b, "--format", "json", "--quiet"] + extra, timeout: 180)
        #expect(run.status == 0 || run.status == 1, "\(run.stderr)")
        return try JSONDecoder().decode(AuditReport.self, from: Data(run.stdout.utf8))
    }

    /// No run key and no temporary ACL user on any server.
    static func expectNothingLeft(on servers: [TestServer]) async throws {
        for server in servers {
            let keys = try await server.command("KEYS", "redisaudit:*")
            #expect(keys.arrayElements?.isEmpty == true, "keys left on \(server.port): \(keys)")
            let users = (try await server.command("ACL", "USERS").arrayElements ?? []).compactMap(\.text)
            #expect(!users.contains { $0.hasPrefix("redisaudit-") }, "users left on \(server.port): \(users)")
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aSingleServerAgainstAClusterReportsOnlyWhatTheClusterRefuses() async throws {
        let single = try await TestServer.start(.redis70)
        defer { single.stop() }
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }

        let report = try await Self.compare(single.url, cluster.url)
        let differences = report.findings.filter { $0.scope == .difference && $0.severity > .info }
        #expect(
            differences.allSatisfy { $0.category == .clusterCrossSlot },
            "\(differences.map { "\($0.scenario ?? ""): \($0.title)" })")
        #expect(Set(differences.compactMap(\.scenario)) == ["login-multi", "refresh-lua"])
        #expect(differences.allSatisfy { $0.severity == .high && $0.endpoints == ["B"] })
        // The hash-tagged variants are the remedy: nothing above info, on either side.
        let variants = report.findings.filter { ["login-multi-cluster", "refresh-lua-cluster"].contains($0.scenario ?? "") }
        #expect(variants.allSatisfy { $0.severity <= .info }, "\(variants.map(\.title))")
        // What follows from a refusal is kept, as info, and points at it.
        let consequences = report.findings.filter { $0.evidence.contains { $0.contains("see the cluster-crossslot finding") } }
        #expect(!consequences.isEmpty && consequences.allSatisfy { $0.severity == .info })

        let profile = try #require(report.profiles.first { $0.role == "B" })
        #expect(profile.kind == .clusterNode)
        #expect(profile.clusterNodes?.count == 3)
        #expect(profile.clusterNodes?.map(\.slots).reduce(0, +) == HashSlot.count)
        #expect(profile.settings.contains { $0.name == "cluster slots" && $0.value == "16384 of 16384 served" })
        try await Self.expectNothingLeft(on: [single] + cluster.nodes)
    }
}

/// compare and clean on real 3-primary clusters: two clusters of different engines give the
/// same findings run after run, a slot in migration is followed through ASK, and clean finds
/// run keys on every node.
@Suite("compare and clean on clusters", .timeLimit(.minutes(3)), MachineLoad.light)
struct ClusterCompareStabilityTests {
    /// The built-in scenarios without a concurrent block (those race a hundred clients).
    static func sequentialBuiltins() throws -> [String] {
        try BuiltinScenarios.all().filter { !$0.isConcurrent }.flatMap { ["--scenario", $0.name] }
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func twoClustersOfDifferentEnginesGiveTheSameFindingsEveryRun() async throws {
        let redis = try await TestCluster.start(.redis70)
        defer { redis.stop() }
        let valkey = try await TestCluster.start(.valkey91)
        defer { valkey.stop() }

        var ids: [Set<String>] = []
        for _ in 0..<3 {
            let report = try await ClusterCompareTests.compare(redis.url, valkey.url, try Self.sequentialBuiltins())
            ids.append(Set(report.findings.map(\.id)))
            // Both refuse the same cross-slot remedies: a finding about the scripts, not the hosts.
            let crossSlot = report.findings.filter { $0.category == .clusterCrossSlot }
            #expect(Set(crossSlot.compactMap(\.scenario)) == ["login-multi", "refresh-lua"])
            #expect(crossSlot.allSatisfy { $0.scope == .shared })
            // The real differences: the engines' command sets, and the servers themselves.
            let differences = report.findings.filter { $0.scope == .difference && $0.severity > .info }
            #expect(differences.allSatisfy { $0.category == .commandUnsupported }, "\(differences.map(\.title))")
            #expect(report.findings.contains { $0.title == "Different server: Redis 7.0.15 vs Valkey 9.1.2" })
            #expect(!report.findings.contains { $0.category == .cluster }, "no redirection on a stable cluster")
        }
        #expect(
            ids[0] == ids[1] && ids[1] == ids[2], "\(ids[0].symmetricDifference(ids[1])) \(ids[1].symmetricDifference(ids[2]))")
        try await ClusterCompareTests.expectNothingLeft(on: redis.nodes + valkey.nodes)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aSlotInMigrationIsFollowedThroughAskAndReported() async throws {
        let single = try await TestServer.start(.redis70)
        defer { single.stop() }
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }
        // The namespaced key keeps the slot of `migrating:key`: put that slot into migration.
        let slot = HashSlot.of("migrating:key")
        let source = cluster.owner(of: slot)
        let target = try #require(cluster.nodes.first { $0.port != source.port })
        let sourceID = try #require(try await source.command("CLUSTER", "MYID").text)
        let targetID = try #require(try await target.command("CLUSTER", "MYID").text)
        #expect(try await target.command("CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID) == .simpleString("OK"))
        #expect(try await source.command("CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID) == .simpleString("OK"))
        let file = try Fixtures.scenarioFile(
            """
            name: migrating
            steps:
              - command: [SET, "migrating:key", "v"]
                expect: { type: status, value: OK }
              - command: [GET, "migrating:key"]
                expect: { value: v }
            """)

        let report = try await ClusterCompareTests.compare(single.url, cluster.url, ["--scenario", file])
        let redirected = try #require(report.findings.first { $0.category == .cluster && $0.endpoints == ["B"] })
        #expect(redirected.severity == .info)
        let followed = try #require(redirected.evidence.first)
        #expect(!followed.hasPrefix("followed: 0 MOVED, 0 ASK"), "\(followed)")
        #expect(followed.contains("ASK"))
        // Through ASK the scenario ran as on the single server.
        #expect(!report.findings.contains { $0.severity > .info && $0.scope == .difference }, "\(report.findings.map(\.title))")
        try await ClusterCompareTests.expectNothingLeft(on: [single] + cluster.nodes)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func cleanFindsAndDeletesRunKeysOnEveryNode() async throws {
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }
        // A killed run's keys, one on each node, and an application key that must stay.
        var keys: [String] = []
        for (i, node) in cluster.nodes.enumerated() {
            let key = try #require(
                (0..<500).lazy.map { "redisaudit:0123456789ab-\(i + 1):{\($0)}:k" }.first {
                    cluster.owner(of: HashSlot.of($0)).port == node.port
                })
            #expect(try await node.command("SET", key, "v") == .simpleString("OK"))
            keys.append(key)
        }
        #expect(
            try await cluster.owner(of: HashSlot.of("redisaudit:config")).command("SET", "redisaudit:config", "x")
                == .simpleString("OK"))

        let dry = try await Fixtures.run(["clean", cluster.url, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        for key in keys { #expect(dry.stdout.contains(key) || dry.stderr.contains(key), "\(key): \(dry.stdout)") }
        let clean = try await Fixtures.run(["clean", cluster.url])
        #expect(clean.status == 0, "\(clean.stdout) \(clean.stderr)")
        for key in keys {
            #expect(try await cluster.owner(of: HashSlot.of(key)).command("EXISTS", key) == .integer(0), "\(key)")
        }
        #expect(
            try await cluster.owner(of: HashSlot.of("redisaudit:config")).command("EXISTS", "redisaudit:config") == .integer(1))
    }
}
