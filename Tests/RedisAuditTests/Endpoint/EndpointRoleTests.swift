import Foundation
import RESP
import Testing
@testable import RedisAudit

/// Handshakes every host accepts and the roles endpoints are recognised in, against real
/// servers: twemproxy, a replica, a Sentinel, a cluster node, an ACL user without INFO.
@Suite("endpoint roles", .timeLimit(.minutes(2)), MachineLoad.light)
struct EndpointRoleTests {
    static var twemproxyAvailable: Bool { TestServer.serversRequired || TestTwemproxy.binary != nil }

    @Test(.enabled(if: Fixtures.available(.redis70) && twemproxyAvailable))
    func twemproxyClosesOnClientSetnameAndTheRefusalIsRemembered() async throws {
        let redis = try await TestServer.start(.redis70)
        defer { redis.stop() }
        let proxy = try await TestTwemproxy.start(inFrontOf: redis)
        defer { proxy.stop() }
        let refusals = HandshakeRefusals()
        var options = Fixtures.options
        options.handshakeRefusals = refusals
        #expect(refusals.refused(by: proxy.endpoint.address).isEmpty)
        let first = try await RedisConnection.connect(to: proxy.endpoint, options: options)
        #expect(try await first.execute("SET", "k", "v") == .simpleString("OK"))
        await first.close()
        #expect(refusals.refused(by: proxy.endpoint.address) == ["CLIENT SETNAME"])
        // The memory is per endpoint: the server behind the proxy still gets its name.
        #expect(refusals.refused(by: redis.endpoint.address).isEmpty)
        let second = try await RedisConnection.connect(to: proxy.endpoint, options: options)
        #expect(try await second.execute("GET", "k") == .bulk("v"))
        await second.close()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aRememberedRefusalIsLeftOutOfLaterHandshakes() async throws {
        let redis = try await TestServer.start(.redis70)
        defer { redis.stop() }
        let refusals = HandshakeRefusals()
        var options = Fixtures.options
        options.handshakeRefusals = refusals
        let named = try await RedisConnection.connect(to: redis.endpoint, options: options)
        #expect(try await named.execute("CLIENT", "GETNAME") == .bulk("redisaudit"))
        await named.close()
        refusals.remember(.clientSetName("redisaudit"), refusedBy: redis.endpoint.address)
        let unnamed = try await RedisConnection.connect(to: redis.endpoint, options: options)
        #expect(try await unnamed.execute("CLIENT", "GETNAME") == .null)
        await unnamed.close()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func anErrorReplyToClientSetnameIsRememberedAndTheConnectionKept() async throws {
        let redis = try await TestServer.start(.redis70)
        defer { redis.stop() }
        try await redis.command("ACL", "SETUSER", "noclient", "on", ">pw", "~*", "&*", "+@all", "-client")
        let refusals = HandshakeRefusals()
        var options = Fixtures.options
        options.handshakeRefusals = refusals
        let endpoint = try Endpoint.parse("redis://noclient:pw@127.0.0.1:\(redis.port)")
        let connection = try await RedisConnection.connect(to: endpoint, options: options)
        #expect(try await connection.execute("PING") == .simpleString("PONG"))
        await connection.close()
        #expect(refusals.refused(by: endpoint.address) == ["CLIENT SETNAME"])
    }

    @Test(.enabled(if: Fixtures.available(.redis70) && twemproxyAvailable))
    func twemproxysProfileSaysProxyAndKeepsTheEngineUnknown() async throws {
        let redis = try await TestServer.start(.redis70)
        defer { redis.stop() }
        let proxy = try await TestTwemproxy.start(inFrontOf: redis)
        defer { proxy.stop() }
        let connection = try await RedisConnection.connect(to: proxy.endpoint, options: Fixtures.options)
        let profile = await ServerProfiler.profile(role: "A", connection: connection, commands: ["GET", "SET"], pings: 5)
        #expect(profile.kind == .proxy)
        #expect(profile.engine == "unknown" && profile.version == "unknown")
        #expect(profile.commands.allSatisfy { $0.available == nil })
        // The profile's probes ran on connections of their own: the caller's is still usable.
        #expect(try await connection.execute("GET", "missing") == .null)
        await connection.close()
        let markdown = MarkdownReport.render(
            AuditReport(
                tool: ToolInfo(version: "0.0.0-test"), command: "compare",
                summary: ReportSummary(
                    findings: [], failOn: .severity(.high), endpoints: [], scenarios: [], startedAt: "", durationSeconds: 0),
                findings: [], profiles: [profile]))
        #expect(markdown.contains("| kind | proxy |"), "\(markdown)")
        #expect(markdown.contains("| engine | unknown |"), "\(markdown)")
        #expect(markdown.contains("| commands missing | unknown (COMMAND refused) |"), "\(markdown)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func anACLUserWithoutINFOGetsTheEngineAndVersionFromHELLO() async throws {
        let redis = try await TestServer.start(.redis70)
        defer { redis.stop() }
        try await redis.command("ACL", "SETUSER", "u", "on", ">pw", "~*", "&*", "+@all", "-info")
        let version = try #require(EndpointRole.infoFields(.reply(try await redis.command("INFO", "server")))?["redis_version"])
        let endpoint = try Endpoint.parse("redis://u:pw@127.0.0.1:\(redis.port)")
        let connection = try await RedisConnection.connect(to: endpoint, options: Fixtures.options)
        return try await withCleanup { () async throws in
            #expect(try await connection.execute("INFO", "server").isError)
            let profile = await ServerProfiler.profile(role: "A", connection: connection, commands: ["GET"], pings: 5)
            #expect(profile.engine == "Redis")
            #expect(profile.version == version)
            #expect(profile.kind == .primary)
            #expect(profile.refused.contains("INFO server"))
        } cleanup: {
            await connection.close()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aReplicaASentinelAndAClusterNodeAreRecognised() async throws {
        let primary = try await TestServer.start(.redis70)
        defer { primary.stop() }
        let replica = try await TestServer.startReplica(of: primary)
        defer { replica.stop() }
        let sentinel = try await TestServer.startSentinel(monitoring: primary)
        defer { sentinel.stop() }
        let node = try await TestServer.startClusterNode()
        defer { node.stop() }

        let roles = await [primary, replica, sentinel, node].asyncMap { server in
            await EndpointRole.probe(ProbeConnection(endpoint: server.endpoint, options: Fixtures.options))
        }
        #expect(roles.map(\.kind) == [.primary, .replica, .sentinel, .clusterNode])
        #expect(roles[1].primary == Endpoint.Node(host: "127.0.0.1", port: primary.port))
        #expect(roles[2].watchedMasters == ["mymaster"])

        // A replica may be read (keyspace), not written; a Sentinel is neither; a cluster node is
        // a seed once its cluster serves every slot (this one has none assigned).
        #expect(throws: Never.self) { try EndpointInspection.check(roles[1], of: replica.endpoint, for: .scan) }
        #expect {
            try EndpointInspection.check(roles[1], of: replica.endpoint, for: .replay)
        } throws: { error in
            guard case .unsuitable(_, let sentence) = error as? EndpointError else { return false }
            return sentence.contains("redis://127.0.0.1:\(replica.port) is a read-only replica")
                && sentence.contains("primary redis://127.0.0.1:\(primary.port)")
        }
        #expect {
            try EndpointInspection.check(roles[2], of: sentinel.endpoint, for: .scan)
        } throws: { error in
            guard case .unsuitable(_, let sentence) = error as? EndpointError else { return false }
            return sentence.contains("is a Sentinel") && sentence.contains("redis+sentinel://127.0.0.1:\(sentinel.port)/mymaster")
        }
        // The proxy forwards to a replica or a Sentinel as they are.
        #expect(throws: Never.self) { try EndpointInspection.check(roles[1], of: replica.endpoint, for: .forward) }
        #expect(throws: Never.self) { try EndpointInspection.check(roles[2], of: sentinel.endpoint, for: .forward) }
        #expect(roles[3].clusterState == "fail")
        #expect {
            try EndpointInspection.check(roles[3], of: node.endpoint, for: .scan)
        } throws: { error in
            guard case .unsuitable(_, let sentence) = error as? EndpointError else { return false }
            return sentence.contains("is a Redis Cluster node whose cluster is not serving (cluster_state:fail, 0 of 16384")
        }
        var served = roles[3]
        served.clusterState = "ok"
        #expect(throws: Never.self) { try EndpointInspection.check(served, of: node.endpoint, for: .replay) }
        var otherDatabase = node.endpoint
        otherDatabase.database = 2
        #expect {
            try EndpointInspection.check(served, of: otherDatabase, for: .replay)
        } throws: { error in
            guard case .unsuitable(_, let sentence) = error as? EndpointError else { return false }
            return sentence.contains("audits a cluster's database 0 only: drop the /2")
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aSentinelURLConnectsToThePrimaryTheSentinelsName() async throws {
        let primary = try await TestServer.start(.redis70, extraArguments: ["--requirepass", "data-pw"])
        defer { primary.stop() }
        let sentinel = try await TestServer.startSentinel(monitoring: primary, password: "sentinel-pw")
        defer { sentinel.stop() }
        let down = try TestServer.refusingPort()
        defer { down.release() }
        let endpoint = try Endpoint.parse(
            "redis+sentinel://127.0.0.1:\(down.port),127.0.0.1:\(sentinel.port)/mymaster", passwordEnvironment: ["PW"],
            environment: ["PW": "data-pw", Endpoint.sentinelPasswordVariable: "sentinel-pw"])
        let connection = try await RedisConnection.connect(to: endpoint, options: Fixtures.options)
        #expect(connection.endpoint.address == .tcp(host: "127.0.0.1", port: primary.port))
        #expect(try await connection.execute("SET", "through-sentinel", "1") == .simpleString("OK"))
        await connection.close()

        var wrongMaster = endpoint
        wrongMaster.address = .sentinel(nodes: [Endpoint.Node(host: "127.0.0.1", port: sentinel.port)], master: "other")
        await #expect {
            try await RedisConnection.connect(to: wrongMaster, options: Fixtures.options)
        } throws: { error in
            let text = "\(error)"
            return text.contains("master 'other'") && text.contains("127.0.0.1:\(sentinel.port)") && !text.contains("pw")
        }
    }
}

/// The profile's `kind` in JSON: written always, and read as unknown from a report written before it.
@Suite("the profile's endpoint kind")
struct ProfileKindCodingTests {
    @Test func aProfileWithoutAKindReadsAsUnknown() throws {
        var profile = ServerProfile(role: "B", endpoint: "redis://127.0.0.1:6379")
        profile.kind = .replica
        let encoded = try JSONEncoder().encode(profile)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"kind\":\"replica\""))
        #expect(try JSONDecoder().decode(ServerProfile.self, from: encoded).kind == .replica)
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        object["kind"] = nil
        let older = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONDecoder().decode(ServerProfile.self, from: older).kind == .unknown)
    }
}

extension Array {
    /// The elements mapped one after another by an async function.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
