import Foundation
import RESP
import Testing
@testable import RedisAudit

/// Every subcommand checks what its endpoints are before it does any work, run as a user would:
/// twemproxy, a replica, a Sentinel and a cluster node, each answered with one sentence and the
/// documented exit code, or a run through them.
@Suite("endpoint roles on the command line", .timeLimit(.minutes(3)), MachineLoad.light)
struct EndpointRoleCommandLineTests {
    @Test(.enabled(if: Fixtures.available(.redis70) && EndpointRoleTests.twemproxyAvailable))
    func compareRunsThroughTwemproxyAndKeyspaceSaysWhatItCannotDo() async throws {
        let redis = try await TestServer.start(.redis70)
        defer { redis.stop() }
        let proxy = try await TestTwemproxy.start(inFrontOf: redis)
        defer { proxy.stop() }
        let other = try await TestServer.start(.redis70)
        defer { other.stop() }

        let compare = try await Fixtures.run(
            ["compare", proxy.url, other.url, "--scenario", "login", "--scenario", "login-multi", "--format", "json", "--quiet"])
        #expect(compare.status == 0 || compare.status == 1, "\(compare.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any])
        let profiles = try #require(json["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["kind"] as? String } == ["proxy", "primary"])
        #expect(profiles[0]["engine"] as? String == "unknown")
        // twemproxy drops the connection on MULTI: one finding that says so, and the replay went on.
        #expect(compare.status == 1, "\(compare.stderr)")
        let findings = try #require(json["findings"] as? [[String: Any]])
        let multi = try #require(
            findings.first { ($0["title"] as? String) == "A closed the connection on MULTI" },
            "\(findings.map { $0["title"] ?? "" })")
        #expect(multi["category"] as? String == "command-unsupported")
        #expect(multi["scope"] as? String == "difference")
        #expect(!findings.contains { ($0["category"] as? String) == "transport" })
        #expect(!findings.contains { ($0["title"] as? String)?.contains("got no reply") == true })
        #expect(try await redis.command("KEYS", "redisaudit:*") == .array([]), "cleaned through the proxy")

        let keyspace = try await Fixtures.run(["keyspace", proxy.url])
        #expect(keyspace.status == 3, "\(keyspace.stderr)")
        #expect(
            keyspace.stderr.contains(
                "\(proxy.url) is a proxy that refuses SCAN and DBSIZE, so keyspace cannot list its keys: point keyspace at each Redis server behind the proxy instead."
            ), "\(keyspace.stderr)")
        #expect(!keyspace.stderr.contains("closed by peer"))

        let clean = try await Fixtures.run(["clean", proxy.url])
        #expect(clean.status == 3, "\(clean.stderr)")
        #expect(
            clean.stderr.contains("\(proxy.url) is a proxy that refuses SCAN, so clean cannot list its keys"), "\(clean.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func keyspaceLearnsTheEngineFromHELLOWhenINFOIsDenied() async throws {
        let redis = try await TestServer.start(.redis70)
        defer { redis.stop() }
        try await redis.command("ACL", "SETUSER", "u", "on", ">pw", "~*", "&*", "+@all", "-info")
        let run = try await Fixtures.run(
            ["keyspace", "redis://u@127.0.0.1:\(redis.port)", "--format", "json", "--quiet", "--fail-on", "never"],
            environment: ["REDISAUDIT_PASSWORD": "pw"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let endpoints = try #require((json["summary"] as? [String: Any])?["endpoints"] as? [[String: Any]])
        #expect(endpoints.first?["engine"] as? String == "Redis", "\(endpoints)")
        #expect((endpoints.first?["version"] as? String)?.hasPrefix("7.") == true, "\(endpoints)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aReplicaAsBStopsCompareBeforeAnythingIsWritten() async throws {
        let a = try await TestServer.start(.redis70)
        defer { a.stop() }
        let primary = try await TestServer.start(.redis70)
        defer { primary.stop() }
        let replica = try await TestServer.startReplica(of: primary)
        defer { replica.stop() }
        try await a.command("SET", "app:config", "v1")

        let run = try await Fixtures.run(["compare", a.url, replica.url, "--scenario", "login"])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "\(replica.url) is a read-only replica of 127.0.0.1:\(primary.port), and the run writes to it (under its own namespace): point at its primary \(primary.url) instead."
            ), "\(run.stderr)")
        #expect(run.stdout.isEmpty, "no report: \(run.stdout)")
        #expect(try await a.command("DBSIZE") == .integer(1))
        #expect(try await a.command("GET", "app:config") == .bulk("v1"))

        // inject writes to every side it is given, clean deletes: both stop on the replica too.
        let inject = try await Fixtures.run(["inject", a.url, replica.url, "--scenario", "login"])
        #expect(inject.status == 3, "\(inject.stderr)")
        #expect(inject.stderr.contains("\(replica.url) is a read-only replica"), "\(inject.stderr)")
        let clean = try await Fixtures.run(["clean", replica.url])
        #expect(clean.status == 3, "\(clean.stderr)")
        #expect(
            clean.stderr.contains("clean deletes keys on it: point at its primary \(primary.url) instead."), "\(clean.stderr)")
        #expect(try await a.command("DBSIZE") == .integer(1))

        // Reading a replica is fine: keyspace scans it.
        let keyspace = try await Fixtures.run(["keyspace", replica.url, "--quiet", "--fail-on", "never"])
        #expect(keyspace.status == 0, "\(keyspace.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aSentinelURLReachesThePrimaryForCompareKeyspaceAndTheProxy() async throws {
        let primary = try await TestServer.start(.redis70)
        defer { primary.stop() }
        let other = try await TestServer.start(.redis70)
        defer { other.stop() }
        let sentinel = try await TestServer.startSentinel(monitoring: primary)
        defer { sentinel.stop() }
        let url = "redis+sentinel://127.0.0.1:\(sentinel.port)/mymaster"
        try await primary.command("SET", "app:marker", "1")

        let compare = try await Fixtures.run(["compare", other.url, url, "--scenario", "login", "--format", "json", "--quiet"])
        #expect(compare.status == 0 || compare.status == 1, "\(compare.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any])
        let profiles = try #require(json["profiles"] as? [[String: Any]])
        #expect(profiles.last?["endpoint"] as? String == primary.url)
        #expect(profiles.last?["kind"] as? String == "primary")

        let keyspace = try await Fixtures.run(["keyspace", url, "--format", "json", "--quiet", "--fail-on", "never"])
        #expect(keyspace.status == 0, "\(keyspace.stderr)")
        #expect(keyspace.stdout.contains("\"keysScanned\" : 1"), "\(keyspace.stdout)")

        let port = try TestServer.freePort()
        let process = try ChildProcess(Fixtures.binary.path, ["proxy", "--listen", "127.0.0.1:\(port)", "--upstream", url])
        defer { process.stop(grace: 0) }
        let client = try await ProxyCommandLineTests.connectOnceListening(port)
        #expect(try await client.execute("SET", "via-proxy", "yes") == .simpleString("OK"))
        await client.close()
        #expect(try await primary.command("GET", "via-proxy") == .bulk("yes"))
        // The Sentinels are asked again for each client connection: a new primary is followed.
        try await sentinel.command("SENTINEL", "REMOVE", "mymaster")
        try await sentinel.command("SENTINEL", "MONITOR", "mymaster", "127.0.0.1", String(other.port), "1")
        let next = try await ProxyCommandLineTests.connectOnceListening(port)
        #expect(try await next.execute("SET", "after-failover", "yes") == .simpleString("OK"))
        await next.close()
        #expect(try await other.command("GET", "after-failover") == .bulk("yes"))
        #expect(try await primary.command("EXISTS", "after-failover") == .integer(0))

        // The Sentinel's own port given as a plain endpoint: one sentence, exit 3.
        let plain = try await Fixtures.run(["compare", other.url, sentinel.url, "--scenario", "login"])
        #expect(plain.status == 3, "\(plain.stderr)")
        #expect(
            plain.stderr.contains(
                "\(sentinel.url) is a Sentinel, not a data node (it watches mymaster): point at \(url) to reach that master's primary."
            ), "\(plain.stderr)")
        let scan = try await Fixtures.run(["keyspace", sentinel.url])
        #expect(scan.status == 3, "\(scan.stderr)")
        #expect(scan.stderr.contains("is a Sentinel"), "\(scan.stderr)")

        let unknown = try await Fixtures.run(
            ["keyspace", "redis+sentinel://127.0.0.1:\(sentinel.port)/nosuch"],
            environment: ["REDISAUDIT_SENTINEL_PASSWORD": "sekrit"])
        #expect(unknown.status == 3, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("no Sentinel named a primary for master 'nosuch'"), "\(unknown.stderr)")
        #expect(!unknown.stderr.contains("sekrit"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aClusterNodeWhoseClusterIsNotServingIsRefusedUpFrontByEverySubcommand() async throws {
        let node = try await TestServer.startClusterNode()
        defer { node.stop() }
        let other = try await TestServer.start(.redis70)
        defer { other.stop() }
        let message = "\(node.url) is a Redis Cluster node whose cluster is not serving (cluster_state:fail"
        for arguments in [
            ["compare", other.url, node.url, "--scenario", "login"], ["inject", node.url, "--scenario", "login"],
            ["keyspace", node.url], ["clean", node.url],
        ] {
            let run = try await Fixtures.run(arguments)
            #expect(run.status == 3, "\(arguments[0]): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments[0]): \(run.stderr)")
            #expect(run.stderr.contains("assign every slot"))
        }
    }

    @Test func aSentinelURLWithoutAMasterNameIsAUsageError() async throws {
        let run = try await Fixtures.run(["keyspace", "redis+sentinel://u:hunter2@127.0.0.1:26379"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("missing the master name"), "\(run.stderr)")
        #expect(!run.stderr.contains("hunter2"))
    }
}
