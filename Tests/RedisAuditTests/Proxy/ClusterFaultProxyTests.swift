import Foundation
import NIOCore
import RESP
import Testing
@testable import RedisAudit

/// A fault proxy in front of a real 3-primary cluster, started in-process on free ports.
private struct ProxiedCluster {
    let cluster: TestCluster
    let proxy: FaultProxy

    static func start(_ kind: TestServer.Kind, rules: [String] = []) async throws -> ProxiedCluster {
        let cluster = try await TestCluster.start(kind)
        do {
            var upstream = cluster.nodes[0].endpoint
            upstream.isCluster = true
            let proxy = try await FaultProxy.start(
                FaultProxyConfiguration(
                    listenPort: 0, upstream: upstream, options: Fixtures.options,
                    rules: try rules.map { try FaultRule.parse($0) }))
            return ProxiedCluster(cluster: cluster, proxy: proxy)
        } catch {
            cluster.stop()
            throw error
        }
    }

    /// The proxy's first listener as a cluster seed, as an application would be pointed at it.
    var seed: Endpoint {
        var seed = Endpoint(address: .tcp(host: "127.0.0.1", port: proxy.port))
        seed.isCluster = true
        return seed
    }

    /// The port of the listener that forwards to `node`.
    func listener(of node: TestServer) -> Int? {
        proxy.listenerPorts[Endpoint.Node(host: "127.0.0.1", port: node.port)]
    }

    var listenerPorts: Set<Int> { Set(proxy.listenerPorts.values) }
    var realPorts: Set<Int> { Set(cluster.nodes.map(\.port)) }

    /// A plain (not cluster-aware) connection to a listener.
    func connect(to port: Int) async throws -> RedisConnection {
        try await RedisConnection.connect(to: Endpoint(address: .tcp(host: "127.0.0.1", port: port)), options: Fixtures.options)
    }

    func stop() async {
        await proxy.stop()
        cluster.stop()
    }
}

/// Cluster clients (plain connections, `ClusterRouter`, a Python cluster client) through a fault
/// proxy in front of real clusters of both engines.
@Suite("fault proxy in front of a cluster", .timeLimit(.minutes(3)), MachineLoad.light)
struct ClusterFaultProxyTests {
    static let engines = [TestServer.Kind.redis70, .valkey91]

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: engines)
    func listensOncePerPrimary(_ kind: TestServer.Kind) async throws {
        let proxied = try await ProxiedCluster.start(kind)
        let listeners = proxied.proxy.nodeListeners
        #expect(listeners.map(\.node.port) == proxied.cluster.nodes.map(\.port))
        #expect(listeners.map(\.slots) == [[0...5460], [5461...10922], [10923...16383]])
        #expect(listeners.first?.port == proxied.proxy.port)
        #expect(proxied.listenerPorts.count == 3)
        #expect(proxied.listenerPorts.isDisjoint(with: proxied.realPorts))
        await proxied.stop()
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: engines)
    func topologyRepliesNameOnlyListeners(_ kind: TestServer.Kind) async throws {
        let proxied = try await ProxiedCluster.start(kind)
        let connection = try await proxied.connect(to: proxied.proxy.port)
        let replies = await connection.send(
            [RESPCommand("CLUSTER", "SLOTS"), RESPCommand("CLUSTER", "SHARDS"), RESPCommand("CLUSTER", "NODES")]
        ).map { $0.reply ?? .null }
        await connection.close()

        // CLUSTER SLOTS: each range with its owner's listener, no replica.
        let ranges = try #require(replies[0].arrayElements, "\(replies[0])")
        #expect(ranges.count == 3)
        for range in ranges {
            let fields = try #require(range.arrayElements)
            let start = Int(try #require(fields[0].integerValue))
            let node = try #require(fields[2].arrayElements)
            #expect(fields.count == 3, "\(range)")
            #expect(node[0].text == "127.0.0.1")
            #expect(node[1].integerValue.map(Int.init) == proxied.listener(of: proxied.cluster.owner(of: start)), "\(range)")
        }

        // CLUSTER SHARDS: read as redisaudit's own ClusterTopology reads it.
        let shards = try #require(ClusterTopology.shards(replies[1], seedHost: "127.0.0.1"), "\(replies[1])")
        #expect(shards.shards.count == 3)
        for shard in shards.shards {
            let owner = proxied.cluster.owner(of: try #require(shard.slots.first).lowerBound)
            #expect(shard.primary == Endpoint.Node(host: "127.0.0.1", port: try #require(proxied.listener(of: owner))))
            #expect(shard.replicas.isEmpty)
        }
        for entry in try #require(replies[1].arrayElements) {
            let text = "\(entry)"
            for port in proxied.realPorts { #expect(!text.contains(":\(port))"), "\(text)") }
        }

        // CLUSTER NODES: one line per primary, at its listener.
        let lines = try #require(replies[2].text).split(separator: "\n")
        #expect(lines.count == 3, "\(lines)")
        for line in lines {
            let address = line.split(separator: " ")[1]
            let port = Int(address.split(separator: "@")[0].split(separator: ":").last ?? "")
            #expect(address.hasPrefix("127.0.0.1:"))
            #expect(port.map { proxied.listenerPorts.contains($0) } == true, "\(line)")
        }
        await proxied.stop()
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: engines)
    func redirectionsNameTheOwnersListener(_ kind: TestServer.Kind) async throws {
        let proxied = try await ProxiedCluster.start(kind)
        let slot = HashSlot.of("foo")
        let owner = proxied.cluster.owner(of: slot)
        let other = try #require(proxied.cluster.nodes.first { $0 !== owner })
        let ownerListener = try #require(proxied.listener(of: owner))
        let connection = try await proxied.connect(to: try #require(proxied.listener(of: other)))
        let moved = try await connection.execute("GET", "foo")
        #expect(moved == .error("MOVED \(slot) 127.0.0.1:\(ownerListener)"), "\(moved)")
        await connection.close()

        // A slot on its way to `other`: a key the owner does not have is asked of `other`.
        let otherID = try #require(try await other.command("CLUSTER", "MYID").text)
        #expect(try await owner.command("CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", otherID) == .simpleString("OK"))
        let asking = try await proxied.connect(to: ownerListener)
        let otherListener = try #require(proxied.listener(of: other))
        let ask = try await asking.execute("GET", "foo")
        #expect(ask == .error("ASK \(slot) 127.0.0.1:\(otherListener)"), "\(ask)")
        await asking.close()
        await proxied.stop()
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: engines)
    func clusterRouterStaysBehindTheProxyAndRulesFireOnEveryNode(_ kind: TestServer.Kind) async throws {
        let proxied = try await ProxiedCluster.start(kind, rules: ["drop:SET:nth=2,reply=-ERR lost"])
        var router = try await ClusterRouter.open(seed: proxied.seed, options: Fixtures.options)
        #expect(Set(router.topology.shards.map(\.primary.port)) == proxied.listenerPorts)
        let keys = (0..<30).map { "redisaudit:cluster-proxy:\($0)" }
        #expect(Set(keys.map { proxied.cluster.owner(of: HashSlot.of($0)).port }) == proxied.realPorts)
        let outcomes = try await router.send(keys.map { RESPCommand("SET", $0, "v") })
        await router.close()
        #expect(router.redirections.moved == 0)

        // The second SET on each node's connection was dropped: one key per node.
        let lost = zip(keys, outcomes).filter { $0.1.reply == .error("ERR lost") }.map(\.0)
        #expect(lost.count == 3, "\(outcomes)")
        #expect(Set(lost.map { proxied.cluster.owner(of: HashSlot.of($0)).port }) == proxied.realPorts)
        #expect(proxied.proxy.counters.snapshot.map(\.fired) == [3])
        for key in keys {
            let stored = try await proxied.cluster.owner(of: HashSlot.of(key)).command("GET", key)
            #expect(stored == (lost.contains(key) ? .null : .bulk("v")), "\(key)")
        }
        await proxied.stop()
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: engines)
    func aResp3ClientGetsMapsBackNamingOnlyListeners(_ kind: TestServer.Kind) async throws {
        let proxied = try await ProxiedCluster.start(kind)
        let received = try await exchangeUntilClosed(
            port: proxied.proxy.port, sending: "HELLO 3\r\nCLUSTER SHARDS\r\nCLUSTER NODES\r\nQUIT\r\n")
        var buffer = ByteBuffer(string: received)
        var replies: [WireValue] = []
        while let length = try RESPFrameScanner.replyLength(in: buffer), let frame = buffer.readSlice(length: length) {
            replies.append(try #require(WireValue.parse(frame), "\(String(buffer: frame))"))
        }
        #expect(replies.count == 4, "\(received)")
        let shards = try #require(replies[1].elements, "\(received)")
        #expect(shards.count == 3)
        for shard in shards {
            guard case .aggregate(UInt8(ascii: "%"), let fields) = shard else {
                Issue.record("a shard is not a RESP3 map: \(shard)")
                continue
            }
            let nodes = try #require(fields.firstIndex { $0.text == "nodes" }.flatMap { fields[$0 + 1].elements })
            #expect(nodes.count == 1)
            for case .aggregate(UInt8(ascii: "%"), let attributes) in nodes {
                let values = Dictionary(
                    stride(from: 0, to: attributes.count, by: 2).map {
                        (attributes[$0].text ?? "", attributes[$0 + 1].text ?? "")
                    },
                    uniquingKeysWith: { first, _ in first })
                #expect(values["ip"] == "127.0.0.1")
                #expect(values["port"].flatMap(Int.init).map(proxied.listenerPorts.contains) == true, "\(values)")
            }
        }
        // CLUSTER NODES comes back as a verbatim string, still one line per listener.
        guard case .blob(UInt8(ascii: "="), _) = replies[2] else {
            Issue.record("CLUSTER NODES is not a verbatim string: \(replies[2])")
            await proxied.stop()
            return
        }
        let lines = try #require(replies[2].text).split(separator: "\n")
        #expect(lines.count == 3)
        for port in proxied.realPorts { #expect(!received.contains(":\(port)@"), "\(received)") }
        await proxied.stop()
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: engines)
    func aPrimaryAddedLaterGetsAListenerAndItsAddressNeverLeaks(_ kind: TestServer.Kind) async throws {
        let proxied = try await ProxiedCluster.start(kind)
        let newcomer = try await TestServer.startClusterNode(kind)
        defer { newcomer.stop() }
        let nodes = proxied.cluster.nodes
        #expect(try await nodes[0].command("CLUSTER", "MEET", "127.0.0.1", "\(newcomer.port)") == .simpleString("OK"))
        let deadline = ContinuousClock.now + .seconds(30)
        for node in nodes + [newcomer] {
            while !(try await node.command("CLUSTER", "INFO").text ?? "").contains("cluster_known_nodes:4"),
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        // Slot of "foo" (no key in it) moves to the newcomer, as a resharding does.
        let slot = HashSlot.of("foo")
        let owner = proxied.cluster.owner(of: slot)
        let ownerID = try #require(try await owner.command("CLUSTER", "MYID").text)
        let newID = try #require(try await newcomer.command("CLUSTER", "MYID").text)
        #expect(try await newcomer.command("CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", ownerID) == .simpleString("OK"))
        #expect(try await owner.command("CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", newID) == .simpleString("OK"))
        for node in [newcomer] + nodes {
            #expect(try await node.command("CLUSTER", "SETSLOT", "\(slot)", "NODE", newID) == .simpleString("OK"))
        }
        #expect(try await owner.command("GET", "foo") == .error("MOVED \(slot) 127.0.0.1:\(newcomer.port)"))
        while !(try await newcomer.command("CLUSTER", "INFO").text ?? "").contains("cluster_state:ok"),
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        // The newcomer serves the slot once its claim has won over gossip on a loaded machine
        // (until then it still redirects to the old owner): wait for that, on the servers themselves.
        while try await newcomer.command("GET", "foo") != .null, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await newcomer.command("GET", "foo") == .null, "the newcomer never served the slot it was given")

        // The first redirection to it is retried while its listener starts, never passed on.
        let connection = try await proxied.connect(to: try #require(proxied.listener(of: owner)))
        let first = try await connection.execute("GET", "foo")
        #expect(first == .error(ClusterReplyRewriter.notListening), "\(first)")
        while proxied.listener(of: newcomer) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let newListener = try #require(proxied.listener(of: newcomer))
        let moved = try await connection.execute("GET", "foo")
        #expect(moved == .error("MOVED \(slot) 127.0.0.1:\(newListener)"), "\(moved)")
        await connection.close()
        #expect(proxied.proxy.nodeListeners.last?.node == Endpoint.Node(host: "127.0.0.1", port: newcomer.port))

        // Through its listener, the newcomer serves the slot; CLUSTER SLOTS names it there.
        let direct = try await proxied.connect(to: newListener)
        let served = try await direct.execute("GET", "foo")
        #expect(served == .null, "\(served)")
        let slots = try await direct.execute("CLUSTER", "SLOTS")
        await direct.close()
        let ports = (slots.arrayElements ?? []).compactMap { $0.arrayElements?[2].arrayElements?[1].integerValue }.map(Int.init)
        #expect(ports.contains(newListener), "\(slots)")
        #expect(Set(ports).isSubset(of: proxied.listenerPorts), "\(slots)")
        await proxied.stop()
    }

    static let pythonClusterClient = """
        import json, sys, redis
        from redis.cluster import RedisCluster
        seed, name, real_ports = int(sys.argv[1]), sys.argv[2], [int(p) for p in sys.argv[3].split(",")]
        rc = RedisCluster(host="127.0.0.1", port=seed, client_name=name, socket_timeout=5)
        for i in range(100):
            rc.set(f"redisaudit:cluster-proxy:{i}", "v")
        peers, local_ports = [], []
        for node in rc.get_nodes():
            pool = node.redis_connection.connection_pool
            for connection in list(pool._available_connections) + list(pool._in_use_connections):
                if connection._sock is not None:
                    peers.append(connection._sock.getpeername()[1])
                    local_ports.append(connection._sock.getsockname()[1])
        # While those connections are open: what each real node sees of its clients.
        seen = {}
        for port in real_ports:
            direct = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
            clients = direct.client_list()
            seen[str(port)] = {
                "named": sum(1 for c in clients if c.get("name") == name),
                "from_client": [c["addr"] for c in clients if int(c["addr"].rsplit(":", 1)[1]) in local_ports],
            }
            direct.close()
        print(json.dumps({"nodes": [n.port for n in rc.get_nodes()], "peers": peers, "seen": seen}))
        rc.close()
        """

    /// Decoded output of `pythonClusterClient`.
    private struct PythonRun: Decodable {
        /// What one real node saw: clients named as the cluster client, and any from its own sockets.
        struct Seen: Decodable {
            var named: Int
            var from_client: [String]
        }
        var nodes: [Int]
        var peers: [Int]
        var seen: [String: Seen]
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91) && ReportSchemaTests.available), arguments: engines)
    func aClusterClientLibraryStaysBehindTheProxy(_ kind: TestServer.Kind) async throws {
        let proxied = try await ProxiedCluster.start(kind, rules: ["drop:SET:nth=2,reply=+OK"])
        let name = "redisaudit-py-\(UUID().uuidString.prefix(8))"
        let process = try ChildProcess(
            ReportSchemaTests.python,
            [
                "-c", Self.pythonClusterClient, "\(proxied.proxy.port)", name,
                proxied.cluster.nodes.map { "\($0.port)" }.joined(separator: ","),
            ])
        let status = await process.finish(timeout: 60)
        #expect(status == 0, "\(process.stderr)")
        let run = try JSONDecoder().decode(PythonRun.self, from: Data(process.stdout.utf8))

        // Every node the client knows, and every connection it made, is a listener.
        #expect(Set(run.nodes) == proxied.listenerPorts)
        #expect(!run.peers.isEmpty)
        #expect(Set(run.peers).isSubset(of: proxied.listenerPorts), "\(run.peers)")
        // Each real node served the client (its name came through the proxy), never from the client's own sockets.
        for node in proxied.cluster.nodes {
            let seen = try #require(run.seen["\(node.port)"])
            #expect(seen.named >= 1, "\(node.port)")
            #expect(seen.from_client.isEmpty, "\(node.port): \(seen.from_client)")
        }

        // The rule fired on SETs owned by every node: the keys it swallowed are missing there.
        var lost: [String] = []
        for i in 0..<100 {
            let key = "redisaudit:cluster-proxy:\(i)"
            if try await proxied.cluster.owner(of: HashSlot.of(key)).command("GET", key) == .null { lost.append(key) }
        }
        let fired = try #require(proxied.proxy.counters.snapshot.first?.fired)
        #expect(fired >= 3)
        #expect(lost.count == fired, "\(lost)")
        #expect(Set(lost.map { proxied.cluster.owner(of: HashSlot.of($0)).port }) == proxied.realPorts)
        await proxied.stop()
    }
}
