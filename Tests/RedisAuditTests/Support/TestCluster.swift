import Foundation
import RESP
@testable import RedisAudit

/// A real 3-primary cluster of one server kind on loopback ports at or below 55535 (the bus
/// listens on port + 10000), persistence off: the nodes meet, each takes a third of the slots,
/// and the cluster is used once every node says `cluster_state:ok`.
final class TestCluster: @unchecked Sendable {
    let nodes: [TestServer]

    private init(nodes: [TestServer]) {
        self.nodes = nodes
    }

    /// A seed URL: the first node.
    var url: String { nodes[0].url }

    /// Starts three nodes and forms the cluster.
    static func start(_ kind: TestServer.Kind = .redis70) async throws -> TestCluster {
        var nodes: [TestServer] = []
        do {
            for _ in 0..<3 { nodes.append(try await TestServer.startClusterNode(kind)) }
            let cluster = TestCluster(nodes: nodes)
            try await cluster.form()
            return cluster
        } catch {
            for node in nodes { node.stop() }
            throw error
        }
    }

    /// Meets the nodes, gives each a third of the slots, and waits for `cluster_state:ok` everywhere.
    private func form() async throws {
        let ranges = [(0, 5460), (5461, 10922), (10923, 16383)]
        for (node, range) in zip(nodes, ranges) {
            try Self.check(try await node.command("CLUSTER", "ADDSLOTSRANGE", String(range.0), String(range.1)))
        }
        for node in nodes.dropFirst() {
            try Self.check(try await nodes[0].command("CLUSTER", "MEET", "127.0.0.1", String(node.port)))
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            var ready = true
            for node in nodes {
                let info = try await node.command("CLUSTER", "INFO").text ?? ""
                let known = info.contains("cluster_known_nodes:3")
                if !info.contains("cluster_state:ok") || !known { ready = false }
            }
            if ready { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError.notReady("the cluster did not reach cluster_state:ok within 30 s")
    }

    private static func check(_ reply: RESPValue) throws {
        if case .error(let message) = reply { throw TestServerError.notReady(message) }
    }

    /// The node that owns `slot`.
    func owner(of slot: Int) -> TestServer { nodes[slot <= 5460 ? 0 : (slot <= 10922 ? 1 : 2)] }

    /// Every node's DBSIZE, in node order.
    func dbsizes() async throws -> [Int64] {
        var sizes: [Int64] = []
        for node in nodes { sizes.append(try await node.command("DBSIZE").integerValue ?? -1) }
        return sizes
    }

    func stop() {
        for node in nodes { node.stop() }
    }

    deinit { stop() }
}
