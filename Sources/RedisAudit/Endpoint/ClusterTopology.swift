import RESP

/// Which primary serves which hash slots, as a cluster node tells it (`CLUSTER SHARDS` on
/// Redis 7+ and Valkey, `CLUSTER SLOTS` elsewhere).
public struct ClusterTopology: Sendable, Hashable {
    /// A node's address as the cluster announces it.
    public typealias Node = Endpoint.Node

    /// One primary and the slot ranges it serves.
    public struct Shard: Sendable, Hashable {
        public var primary: Node
        public var slots: [ClosedRange<Int>]
        public var replicas: [Node]
    }

    public var shards: [Shard]
    /// For each slot, the index of its shard in `shards`, or -1 when no primary serves it.
    private var owners: [Int16]

    init(shards: [Shard]) {
        self.shards = shards.sorted { ($0.slots.first?.lowerBound ?? .max) < ($1.slots.first?.lowerBound ?? .max) }
        var owners = [Int16](repeating: -1, count: HashSlot.count)
        for (index, shard) in self.shards.enumerated() {
            for range in shard.slots where range.lowerBound >= 0 && range.upperBound < HashSlot.count {
                for slot in range { owners[slot] = Int16(index) }
            }
        }
        self.owners = owners
    }

    /// The primary serving `slot`, nil when no primary serves it.
    public func primary(forSlot slot: Int) -> Node? {
        guard slot >= 0, slot < HashSlot.count, owners[slot] >= 0 else { return nil }
        return shards[Int(owners[slot])].primary
    }

    /// How many of the 16384 slots a primary serves.
    public var coveredSlots: Int { owners.lazy.filter { $0 >= 0 }.count }

    /// Reads the topology from a cluster seed on a connection of its own.
    static func read(seed: Endpoint, options: ConnectionOptions) async throws(EndpointError) -> ClusterTopology {
        let connection = try await RedisConnection.connect(to: seed, options: options)
        let topology: ClusterTopology
        do {
            topology = try await read(from: connection, seedHost: ClusterRouter.seedHost(seed))
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return topology
    }

    /// Reads the topology from a node: `CLUSTER SHARDS`, else `CLUSTER SLOTS`. A node that
    /// announces no address (a node alone in its cluster) is reached at `seedHost`.
    static func read(from connection: RedisConnection, seedHost: String) async throws(EndpointError) -> ClusterTopology {
        let outcomes = await connection.send([RESPCommand("CLUSTER", "SHARDS")])
        if case .reply(let reply) = outcomes[0], !reply.isError, let topology = shards(reply, seedHost: seedHost) {
            return topology
        }
        let slots = await connection.send([RESPCommand("CLUSTER", "SLOTS")])
        guard case .reply(let reply) = slots[0], !reply.isError, let topology = Self.slots(reply, seedHost: seedHost) else {
            let reason = slots[0].reply?.text ?? "no reply"
            throw .commandRefused(endpoint: connection.endpoint.description, command: "CLUSTER SLOTS", reason: reason)
        }
        return topology
    }

    /// `CLUSTER SLOTS`: `[start, end, [host, port, id, ...], [replica ...] ...]` per range.
    static func slots(_ reply: RESPValue, seedHost: String) -> ClusterTopology? {
        guard let ranges = reply.arrayElements else { return nil }
        var byPrimary: [Node: Shard] = [:]
        var order: [Node] = []
        for range in ranges {
            guard let fields = range.arrayElements, fields.count >= 3, let start = fields[0].integerValue,
                let end = fields[1].integerValue, start <= end, let primary = node(fields[2], seedHost: seedHost)
            else { return nil }
            let replicas = fields.dropFirst(3).compactMap { node($0, seedHost: seedHost) }
            if byPrimary[primary] == nil {
                order.append(primary)
                byPrimary[primary] = Shard(primary: primary, slots: [], replicas: replicas)
            }
            byPrimary[primary]?.slots.append(Int(start)...Int(end))
        }
        return ClusterTopology(shards: order.compactMap { byPrimary[$0] })
    }

    /// `CLUSTER SHARDS`: per shard a map of `slots` (start, end pairs) and `nodes` (maps with
    /// `ip`, `endpoint`, `port` or `tls-port`, `role`, `health`).
    static func shards(_ reply: RESPValue, seedHost: String) -> ClusterTopology? {
        guard let entries = reply.arrayElements else { return nil }
        var shards: [Shard] = []
        for entry in entries {
            let fields = pairs(entry)
            guard let bounds = fields["slots"]?.arrayElements?.compactMap(\.integerValue), bounds.count % 2 == 0,
                let nodes = fields["nodes"]?.arrayElements
            else { return nil }
            var primary: Node?
            var replicas: [Node] = []
            for node in nodes {
                let attributes = pairs(node)
                let host =
                    [attributes["endpoint"]?.text, attributes["ip"]?.text].compactMap { $0 }
                    .first { !$0.isEmpty && $0 != "?" } ?? seedHost
                guard let port = (attributes["port"] ?? attributes["tls-port"])?.integerValue else { continue }
                let address = Node(host: host, port: Int(port))
                if attributes["role"]?.text == "master" { primary = address } else { replicas.append(address) }
            }
            // A shard that serves no slot (a primary being added) has nothing to route to.
            guard !bounds.isEmpty else { continue }
            guard let primary else { return nil }
            let slots = stride(from: 0, to: bounds.count, by: 2).map { Int(bounds[$0])...Int(bounds[$0 + 1]) }
            shards.append(Shard(primary: primary, slots: slots, replicas: replicas))
        }
        return ClusterTopology(shards: shards)
    }

    /// A flat RESP2 map (`[key, value, ...]`) as a dictionary.
    private static func pairs(_ value: RESPValue) -> [String: RESPValue] {
        guard let elements = value.arrayElements else { return [:] }
        var result: [String: RESPValue] = [:]
        for i in stride(from: 0, to: elements.count - 1, by: 2) {
            if let key = elements[i].text { result[key] = elements[i + 1] }
        }
        return result
    }

    /// `[host, port, ...]` of CLUSTER SLOTS.
    private static func node(_ value: RESPValue, seedHost: String) -> Node? {
        guard let fields = value.arrayElements, fields.count >= 2, let port = fields[1].integerValue else { return nil }
        let host = fields[0].text.flatMap { $0.isEmpty || $0 == "?" ? nil : $0 } ?? seedHost
        return Node(host: host, port: Int(port))
    }
}
