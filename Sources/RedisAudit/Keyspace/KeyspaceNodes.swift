import RESP

/// The servers one endpoint's keys are read from: the endpoint itself, or on a cluster one node
/// of every shard, in slot order: its primary, or with `--replicas` a replica in `READONLY` mode
/// (the primary when the shard has no replica that answers).
///
/// ```
///   seed ─ CLUSTER SHARDS ─▶ shard 0-5460      ─▶ 127.0.0.1:7000 (primary)  ─┐
///                            shard 5461-10922  ─▶ 127.0.0.1:7004 (replica)  ─┼─▶ one KeyspaceScanner each
///                            shard 10923-16383 ─▶ 127.0.0.1:7002 (primary)  ─┘
/// ```
struct KeyspaceNodes {
    /// One server to scan and its place in the cluster.
    struct Member {
        let connection: RedisConnection
        /// `host:port` as the cluster announces it.
        let address: String
        let nodeRole: KeyspaceNodeScan.NodeRole
        /// The shard's primary, when a replica is read.
        let primary: String?
    }

    var members: [Member]
    /// True when the endpoint is a cluster seed and `members` are its shards.
    var isCluster: Bool
    /// What the report should say about the choice of nodes (a shard without a replica).
    var notes: [String] = []

    /// Opens a connection to every server to read: the endpoint's own, or one per shard.
    static func open(_ endpoint: Endpoint, options: ConnectionOptions, replicas: Bool) async throws -> KeyspaceNodes {
        guard endpoint.isCluster else {
            let connection = try await RedisConnection.connect(to: endpoint, options: options)
            let address: String
            if case .tcp(let host, let port) = endpoint.address {
                address = Endpoint.Node(host: host, port: port).description
            } else {
                address = endpoint.description
            }
            return KeyspaceNodes(
                members: [Member(connection: connection, address: address, nodeRole: .primary, primary: nil)], isCluster: false)
        }
        let seed = try await RedisConnection.connect(to: endpoint, options: options)
        let topology: ClusterTopology
        do {
            topology = try await ClusterTopology.read(from: seed, seedHost: ClusterRouter.seedHost(endpoint))
        } catch {
            await seed.close()
            throw error
        }
        await seed.close()
        let shards = topology.shards
        let opened = try await withThrowingTaskGroup(of: (Int, Member, String?).self) { group in
            for (index, shard) in shards.enumerated() {
                group.addTask {
                    let (member, note) = try await open(shard, of: endpoint, options: options, replicas: replicas)
                    return (index, member, note)
                }
            }
            var result = [(Member, String?)?](repeating: nil, count: shards.count)
            do {
                for try await (index, member, note) in group { result[index] = (member, note) }
            } catch {
                // Close what opened, including nodes that answered after the one that failed.
                for (member, _) in result.compactMap({ $0 }) { await member.connection.close() }
                group.cancelAll()
                while let late = await group.nextResult() {
                    if case .success((_, let member, _)) = late { await member.connection.close() }
                }
                throw error
            }
            return result.map { $0! }
        }
        return KeyspaceNodes(members: opened.map(\.0), isCluster: true, notes: opened.compactMap(\.1))
    }

    /// The node to read one shard on, and a note when `--replicas` had to fall back to the primary.
    private static func open(
        _ shard: ClusterTopology.Shard, of seed: Endpoint, options: ConnectionOptions, replicas: Bool
    ) async throws -> (Member, String?) {
        func endpoint(_ node: ClusterTopology.Node) -> Endpoint {
            var target = seed
            target.address = .tcp(host: node.host, port: node.port)
            return target
        }
        var note: String?
        if replicas {
            var refusals: [String] = []
            for replica in shard.replicas {
                let connection: RedisConnection
                do {
                    connection = try await RedisConnection.connect(to: endpoint(replica), options: options)
                } catch {
                    refusals.append("\(replica): \(error)")
                    continue
                }
                // Without READONLY a replica answers TYPE and PTTL with MOVED to its primary.
                let reply = await connection.send([RESPCommand("READONLY")])[0]
                guard case .reply(.simpleString("OK")) = reply else {
                    refusals.append("\(replica): READONLY \(reply.reply?.text ?? "got no reply")")
                    await connection.close()
                    continue
                }
                let member = Member(
                    connection: connection, address: replica.description, nodeRole: .replica,
                    primary: shard.primary.description)
                return (member, nil)
            }
            note =
                shard.replicas.isEmpty
                ? "the shard of \(shard.primary) has no replica: its primary was read"
                : "no replica of \(shard.primary) could be read (\(refusals.joined(separator: "; "))): its primary was read"
        }
        let connection = try await RedisConnection.connect(to: endpoint(shard.primary), options: options)
        return (Member(connection: connection, address: shard.primary.description, nodeRole: .primary, primary: nil), note)
    }

    func close() async {
        for member in members { await member.connection.close() }
    }
}
