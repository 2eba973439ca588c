import RESP
import Testing
@testable import RedisAudit

/// The slot function and the slot tags against the servers' own `CLUSTER KEYSLOT`: a namespaced
/// key lands where the key it stands for lands, on Redis 7.0 and Valkey 9.1.
@Suite("hash slots on real cluster nodes", MachineLoad.light)
struct HashSlotTests {
    static let keys: [String] = {
        var generator = SeededGenerator(seed: 11)
        return [
            "foo", "somekey", "foo{hash_tag}", "user:{42}:profile", "{user1}:myset", "foo{}{bar}", "foo{{bar}}zap",
            "foo{bar}{zap}", "rt:user123:abc", "sess:user123", "rt:{user123}:abc", "sess:{user123}", "{", "}", "{}", "a{b",
        ]
            + (0..<100).map { _ in "k:" + RandomValue.hex(count: 10, using: &generator) }
    }()

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func namespacedKeysLandInTheSlotTheServerGivesTheKeyTheyStandFor(_ kind: TestServer.Kind) async throws {
        let node = try await TestServer.startClusterNode(kind)
        defer { node.stop() }
        let namespace = Namespace.generate()
        let connection = try await node.connect()
        let commands = Self.keys.flatMap { key in
            [
                RESPCommand("CLUSTER", "KEYSLOT", key),
                RESPCommand(arguments: [Array("CLUSTER".utf8), Array("KEYSLOT".utf8), namespace.namespaced(Array(key.utf8))]),
            ]
        }
        let replies = await connection.send(commands)
        await connection.close()
        for (i, key) in Self.keys.enumerated() {
            let original = replies[2 * i].reply?.integerValue
            #expect(original == Int64(HashSlot.of(key)), "\(key)")
            #expect(replies[2 * i + 1].reply?.integerValue == original, "\(key) namespaced")
        }
    }
}
