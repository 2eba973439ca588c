import RESP
import Testing
@testable import RedisAudit

/// Commands reach the primary that serves their slot on real Redis 7.0 and Valkey 9.1 clusters,
/// batches come back in order, MOVED is followed and counted, and a transaction gets the host's
/// own answer.
@Suite("cluster router", MachineLoad.light)
struct ClusterRouterTests {
    /// The slot of a command whose first argument is its key (the commands these tests send).
    static let firstKey: @Sendable (RESPCommand) -> Int? = { command in
        command.arguments.count > 1 && !["MULTI", "EXEC"].contains(command.name) ? HashSlot.of(command.arguments[1]) : nil
    }

    static let keys = (0..<30).map { "key:\($0)" } + ["{user1}:a", "{user1}:b", "sess:user123"]

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func aBatchIsSplitPerNodeAndComesBackInOrder(_ kind: TestServer.Kind) async throws {
        let cluster = try await TestCluster.start(kind)
        defer { cluster.stop() }
        var router = try await ClusterRouter.open(
            seed: cluster.nodes[0].endpoint, options: Fixtures.options, slotOf: Self.firstKey)
        let sets = try await router.send(Self.keys.map { RESPCommand("SET", $0, "v-" + $0) })
        #expect(sets == Array(repeating: .reply(.simpleString("OK")), count: Self.keys.count))
        let gets = try await router.send(Self.keys.map { RESPCommand("GET", $0) })
        #expect(gets == Self.keys.map { .reply(.bulk("v-" + $0)) })
        await router.close()
        #expect(router.redirections == ClusterRouter.Redirections())
        for key in Self.keys {
            #expect(try await cluster.owner(of: HashSlot.of(key)).command("GET", key) == .bulk("v-" + key), "\(key)")
        }
        #expect(Set(Self.keys.map { cluster.owner(of: HashSlot.of($0)).port }).count == 3, "the keys span every node")
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func aStaleMapFollowsMovedRefreshesAndCountsIt(_ kind: TestServer.Kind) async throws {
        let cluster = try await TestCluster.start(kind)
        defer { cluster.stop() }
        let first = cluster.nodes[0]
        let stale = ClusterTopology(shards: [
            .init(primary: .init(host: "127.0.0.1", port: first.port), slots: [0...16383], replicas: [])
        ])
        var router = ClusterRouter(seed: first.endpoint, options: Fixtures.options, topology: stale, slotOf: Self.firstKey)
        let sets = try await router.send(Self.keys.map { RESPCommand("SET", $0, "v") })
        #expect(sets == Array(repeating: .reply(.simpleString("OK")), count: Self.keys.count))
        #expect(router.redirections.moved > 0)
        #expect(router.topology.shards.count == 3, "the map was read again")
        let moved = router.redirections.moved
        _ = try await router.send(Self.keys.map { RESPCommand("GET", $0) })
        #expect(router.redirections.moved == moved, "once refreshed, nothing is redirected")
        await router.close()
        #expect(try await cluster.dbsizes().reduce(0, +) == Int64(Self.keys.count))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aTransactionOverTwoSlotsGetsTheHostsOwnCrossSlotAnswer() async throws {
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }
        var router = try await ClusterRouter.open(
            seed: cluster.nodes[1].endpoint, options: Fixtures.options, slotOf: Self.firstKey)
        let split = try await router.send([
            RESPCommand("MULTI"), RESPCommand("SET", "rt:user123:h1", "1"), RESPCommand("SET", "sess:user123", "2"),
            RESPCommand("EXEC"),
        ])
        let tagged = try await router.send([
            RESPCommand("MULTI"), RESPCommand("SET", "rt:{user123}:h1", "1"), RESPCommand("SET", "sess:{user123}", "2"),
            RESPCommand("EXEC"),
        ])
        await router.close()
        #expect(HashSlot.of("rt:user123:h1") != HashSlot.of("sess:user123"))
        let errors = split.compactMap { $0.reply?.isError == true ? $0.reply?.text ?? "" : nil }
        #expect(split.last?.reply?.isError == true, "\(split)")
        #expect(
            split.contains {
                if case .reply(.error(let m)) = $0 { m.hasPrefix("MOVED") || m.hasPrefix("CROSSSLOT") } else { false }
            }, "\(split) \(errors)")
        #expect(tagged.last?.reply == .array([.simpleString("OK"), .simpleString("OK")]), "\(tagged)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aSlotInMigrationIsReachedThroughAskWithoutChangingTheMap() async throws {
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }
        let key = "foo"
        let slot = HashSlot.of(key)
        let source = cluster.owner(of: slot)
        let target = cluster.nodes.first { $0 !== source }!
        let sourceID = try #require(try await source.command("CLUSTER", "MYID").text)
        let targetID = try #require(try await target.command("CLUSTER", "MYID").text)
        try await target.command("CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID)
        try await source.command("CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID)
        var router = try await ClusterRouter.open(
            seed: cluster.nodes[0].endpoint, options: Fixtures.options, slotOf: Self.firstKey)
        // The key is not on the source any more (it never was): the source answers ASK.
        let set = try await router.send([RESPCommand("SET", key, "asked")])
        await router.close()
        #expect(set == [.reply(.simpleString("OK"))])
        #expect(router.redirections.ask == 1)
        #expect(router.redirections.moved == 0)
        #expect(router.topology.primary(forSlot: slot)?.port == source.port, "ASK leaves the map as it is")
        let check = try await target.connect()
        let read = await check.send([RESPCommand("ASKING"), RESPCommand("GET", key)])
        await check.close()
        #expect(read.last == .reply(.bulk("asked")))
    }
}
