import RESP
import Testing
@testable import RedisAudit

/// The topology as real cluster nodes tell it, through `CLUSTER SHARDS` and `CLUSTER SLOTS` alike.
@Suite("cluster topology", MachineLoad.light)
struct ClusterTopologyTests {
    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func shardsAndSlotsGiveTheSamePrimaryForEverySlot(_ kind: TestServer.Kind) async throws {
        let cluster = try await TestCluster.start(kind)
        defer { cluster.stop() }
        let connection = try await cluster.nodes[2].connect()
        let read = try await ClusterTopology.read(from: connection, seedHost: "127.0.0.1")
        let shardsReply = try await connection.execute("CLUSTER", "SHARDS")
        let slotsReply = try await connection.execute("CLUSTER", "SLOTS")
        await connection.close()
        let viaShards = try #require(ClusterTopology.shards(shardsReply, seedHost: "127.0.0.1"))
        let viaSlots = try #require(ClusterTopology.slots(slotsReply, seedHost: "127.0.0.1"))
        #expect(read == viaShards)
        #expect(viaShards.shards.count == 3 && viaShards.coveredSlots == HashSlot.count)
        #expect(viaShards.shards.map(\.slots) == [[0...5460], [5461...10922], [10923...16383]])
        for slot in [0, 5460, 5461, 10922, 10923, 16383] + (0..<50).map({ $0 * 331 }) {
            let expected = ClusterTopology.Node(host: "127.0.0.1", port: cluster.owner(of: slot).port)
            #expect(viaShards.primary(forSlot: slot) == expected, "slot \(slot)")
            #expect(viaSlots.primary(forSlot: slot) == expected, "slot \(slot)")
        }
        #expect(viaShards.primary(forSlot: HashSlot.count) == nil)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aNodeThatAnnouncesNoAddressIsReachedAtTheSeedAndUncoveredSlotsHaveNoPrimary() async throws {
        let node = try await TestServer.startClusterNode()
        defer { node.stop() }
        try await node.command("CLUSTER", "ADDSLOTSRANGE", "0", "99")
        let connection = try await node.connect()
        let topology = try await ClusterTopology.read(from: connection, seedHost: "seed.example")
        let slots = ClusterTopology.slots(try await connection.execute("CLUSTER", "SLOTS"), seedHost: "seed.example")
        await connection.close()
        #expect(topology.primary(forSlot: 42) == ClusterTopology.Node(host: "seed.example", port: node.port))
        #expect(slots?.primary(forSlot: 99) == ClusterTopology.Node(host: "seed.example", port: node.port))
        #expect(topology.primary(forSlot: 100) == nil)
        #expect(topology.coveredSlots == 100)
    }
}
