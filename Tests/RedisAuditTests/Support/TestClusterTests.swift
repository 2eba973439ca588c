import RESP
import Testing
@testable import RedisAudit

/// The test clusters themselves: formed, covering every slot, with keys where Redis puts them.
@Suite("test clusters", MachineLoad.light)
struct TestClusterTests {
    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func threePrimariesCoverEverySlotAndOwnTheirKeys(_ kind: TestServer.Kind) async throws {
        let cluster = try await TestCluster.start(kind)
        defer { cluster.stop() }
        let info = try await cluster.nodes[1].command("CLUSTER", "INFO").text ?? ""
        #expect(info.contains("cluster_slots_assigned:16384"), "\(info)")
        #expect(info.contains("cluster_size:3"), "\(info)")
        for key in ["foo", "somekey", "user:{42}:profile"] {
            let owner = cluster.owner(of: HashSlot.of(key))
            #expect(try await owner.command("SET", key, "v") == .simpleString("OK"), "\(key)")
            let other = cluster.nodes.first { $0 !== owner }!
            let moved = try await other.command("GET", key)
            guard case .error(let message) = moved else {
                Issue.record("\(key) answered from a node that does not own it: \(moved)")
                continue
            }
            #expect(message.hasPrefix("MOVED \(HashSlot.of(key)) 127.0.0.1:\(owner.port)"), "\(message)")
        }
        #expect(try await cluster.dbsizes().reduce(0, +) == 3)
    }
}
