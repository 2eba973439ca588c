import Foundation
import RESP
import Testing
@testable import RedisAudit

/// `keyspace` on real 3-primary clusters: every shard read at once, counts summed and checked
/// against each node's DBSIZE, slot spread per pattern, the hot-slot finding.
@Suite("keyspace on a cluster", .timeLimit(.minutes(3)), MachineLoad.light)
struct ClusterKeyspaceTests {
    /// Untagged strings with a TTL: spread over every slot.
    static let items = 1500
    /// One constant hash tag: every key in one slot.
    static let tagged = 1200
    /// A hash tag per order (100 orders): spread over about 100 slots.
    static let lines = 1100
    /// Sets with a TTL.
    static let sessions = 400
    static var total: Int { items + tagged + lines + sessions }

    /// The keyspace the tests load: four patterns, each command's key second.
    static func commands() -> [[String]] {
        var commands: [[String]] = []
        for i in 0..<items { commands.append(["SET", "item:\(i)", "v", "EX", "3600"]) }
        for i in 0..<tagged { commands.append(["SET", "user:{42}:item:\(i)", "v"]) }
        for i in 0..<lines { commands.append(["HSET", "order:{\(i % 100)}:line:\(i)", "qty", "1"]) }
        for i in 0..<sessions {
            let key = "sess:\(KeyspaceIntegrationTests.hex(i))"
            commands.append(["SADD", key, "x"])
            commands.append(["EXPIRE", key, "3600"])
        }
        return commands
    }

    /// Sends each command to the node that owns its key's slot, pipelined per node.
    static func load(_ cluster: TestCluster, _ commands: [[String]]) async throws {
        var perNode: [Int: [[String]]] = [:]
        for command in commands {
            let owner = cluster.owner(of: HashSlot.of(command[1]))
            perNode[owner.port, default: []].append(command)
        }
        for node in cluster.nodes {
            try await KeyspaceIntegrationTests.populate(node, perNode[node.port] ?? [])
        }
    }

    /// A node of the cluster as the CLI sees it once inspected: a seed.
    static func seed(_ node: TestServer) async throws -> Endpoint {
        let endpoint = try await EndpointInspection.prepare(node.endpoint, for: .scan, options: Fixtures.options)
        #expect(endpoint.isCluster)
        return endpoint
    }

    static func audit(_ endpoints: [Endpoint], scan: KeyspaceScanOptions = KeyspaceScanOptions(count: 100))
        async throws -> AuditReport
    {
        let configuration = KeyspaceConfiguration(endpoints: endpoints, connection: Fixtures.options, scan: scan)
        return try await KeyspaceAudit(configuration: configuration).run()
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func everyShardIsReadAndATaggedPatternIsAHotSlot(_ kind: TestServer.Kind) async throws {
        let cluster = try await TestCluster.start(kind)
        defer { cluster.stop() }
        try await Self.load(cluster, Self.commands())
        let sizes = try await cluster.dbsizes().map { Int($0) }
        #expect(sizes.reduce(0, +) == Self.total)
        #expect(sizes.allSatisfy { $0 > 0 }, "keys on every node: \(sizes)")

        // Seeded on the second node: the others are found through it.
        let report = try await Self.audit([try await Self.seed(cluster.nodes[1])])
        let table = try #require(report.keyspace?.endpoints.first)
        #expect(table.keysScanned == Self.total)
        #expect(table.dbsize == Self.total)
        #expect(table.complete)
        let nodes = try #require(table.nodes)
        #expect(nodes.map(\.address) == cluster.nodes.map { "127.0.0.1:\($0.port)" })
        #expect(nodes.map(\.keysScanned) == sizes)
        #expect(nodes.map(\.dbsize) == sizes)
        #expect(nodes.allSatisfy { $0.nodeRole == .primary && $0.primary == nil })

        let rows = Dictionary(uniqueKeysWithValues: table.patterns.map { ($0.pattern, $0) })
        #expect(Set(rows.keys) == ["item:<int>", "user:{<int>}:item:<int>", "order:{<int>}:line:<int>", "sess:<hash>"])
        let hot = try #require(rows["user:{<int>}:item:<int>"])
        let slot = HashSlot.of("user:{42}:item:0")
        #expect(hot.keys == Self.tagged)
        #expect(hot.slots == 1 && hot.slot == slot)
        #expect(hot.busiestNode == "127.0.0.1:\(cluster.owner(of: slot).port)")
        #expect(hot.busiestNodeShare == 1)
        let spread = try #require(rows["item:<int>"])
        #expect(spread.keys == Self.items)
        // 1,500 keys over 16,384 slots: nearly all in slots of their own, about a third per node.
        #expect((spread.slots ?? 0) > 1300, "\(spread.slots ?? 0)")
        #expect(spread.slot == nil)
        #expect((spread.busiestNodeShare ?? 1) < 0.45, "\(spread.busiestNodeShare ?? 1)")
        let orders = try #require(rows["order:{<int>}:line:<int>"])
        let orderSlots = Set((0..<100).map { HashSlot.of("order:{\($0)}:line:0") }).count
        #expect(orders.slots == orderSlots)
        // TTLs of keys on every node are in one distribution.
        let sessions = try #require(rows["sess:<hash>"])
        #expect(sessions.keys == Self.sessions && sessions.withoutTTL == 0)
        #expect(abs((sessions.ttlMedianSeconds ?? 0) - 3600) / 3600 < 0.05)
        #expect(rows["item:<int>"]?.withoutTTL == 0)

        // The tagged pattern is the one finding; the untagged and the per-order tags are not.
        #expect(report.findings.map(\.category) == [.clusterHotSlot], "\(report.findings.map(\.title))")
        let finding = try #require(report.findings.first)
        #expect(finding.severity == .medium)
        #expect(finding.title == "All 1,200 keys of `user:{<int>}:item:<int>` sit in one hash slot (\(slot)) on A")
        #expect(finding.evidence[0].contains("hash tag {42}"), "\(finding.evidence)")
        #expect(finding.evidence.contains("A: (integer) \(slot)"))
        #expect(finding.why.contains("`{42}`"))
        #expect(report.summary.notes.contains { $0.hasPrefix("A is a cluster of 3 shards") })
        #expect(report.summary.notes.first == "Read only: SCAN, TYPE and PTTL; nothing was written.")

        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("### A: 4,200 keys (DBSIZE 4,200), 4 patterns, a cluster of 3 shards"), "\(markdown)")
        for (node, size) in zip(cluster.nodes, sizes) {
            let count = KeyspaceMarkdown.grouped(size)
            #expect(markdown.contains("| 127.0.0.1:\(node.port) | primary | \(count) | \(count) |"), "\(markdown)")
        }
        #expect(markdown.contains("| total | | 4,200 | 4,200 |"))
        #expect(markdown.contains("Keys scanned: A 4,200 on 3 cluster nodes."))
        #expect(JUnitReport.render(report).contains("127.0.0.1:\(cluster.nodes[2].port) (primary)"))
        if ReportSchemaTests.available {
            #expect(try await ReportSchemaTests.violations(of: JSONReport.render(report)) == "")
        }

        // --sample is shared among the nodes: 100 each.
        let sampled = try await Self.audit(
            [try await Self.seed(cluster.nodes[0])], scan: KeyspaceScanOptions(count: 10, sample: 300))
        let partial = try #require(sampled.keyspace?.endpoints.first)
        #expect(partial.keysScanned == 300 && !partial.complete)
        #expect(partial.nodes?.map(\.keysScanned) == [100, 100, 100])
        #expect(sampled.summary.notes.contains { $0.contains("--sample 300 keys, shared among its nodes") })
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func replicasAreReadWhereAShardHasOne(_ kind: TestServer.Kind) async throws {
        let cluster = try await TestCluster.start(kind)
        defer { cluster.stop() }
        try await Self.load(cluster, Self.commands())
        let replica = try await TestServer.startClusterNode(kind)
        defer { replica.stop() }
        try await Self.attach(replica, to: cluster.nodes[0], in: cluster)
        let sizes = try await cluster.dbsizes().map { Int($0) }

        try await cluster.nodes[0].command("CONFIG", "RESETSTAT")
        try await replica.command("CONFIG", "RESETSTAT")
        let report = try await Self.audit(
            [try await Self.seed(cluster.nodes[2])], scan: KeyspaceScanOptions(count: 100, replicas: true))
        let table = try #require(report.keyspace?.endpoints.first)
        let nodes = try #require(table.nodes)
        #expect(nodes.map(\.address) == ["127.0.0.1:\(replica.port)"] + cluster.nodes.dropFirst().map { "127.0.0.1:\($0.port)" })
        #expect(nodes.map(\.nodeRole) == [.replica, .primary, .primary])
        #expect(report.summary.notes.first?.contains("(on replicas after READONLY)") == true)
        #expect(nodes[0].primary == "127.0.0.1:\(cluster.nodes[0].port)")
        #expect(nodes.map(\.keysScanned) == sizes)
        #expect(table.keysScanned == Self.total)
        #expect(report.keyspace?.replicas == true)
        let missing = report.summary.notes.filter { $0.contains("has no replica: its primary was read") }
        #expect(missing.count == 2, "\(report.summary.notes)")
        // The first shard's primary was spared: no key was read there, all on the replica.
        #expect(!(try await Self.commandsRun(on: cluster.nodes[0])).contains("type"))
        #expect(try await Self.commandsRun(on: replica).isSuperset(of: ["readonly", "scan", "type", "pttl"]))
        #expect(report.findings.map(\.category) == [.clusterHotSlot])
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func aServerAndAClusterWithTheSameKeysShowNoDifference(_ kind: TestServer.Kind) async throws {
        let cluster = try await TestCluster.start(kind)
        let server = try await TestServer.start(kind)
        defer { cluster.stop(); server.stop() }
        let commands = Self.commands()
        try await Self.load(cluster, commands)
        try await KeyspaceIntegrationTests.populate(server, commands)
        let report = try await Self.audit([server.endpoint, try await Self.seed(cluster.nodes[0])])
        let tables = try #require(report.keyspace?.endpoints)
        #expect(tables.map(\.keysScanned) == [Self.total, Self.total])
        #expect(tables[0].nodes == nil && tables[1].nodes?.count == 3)
        #expect(tables[0].patterns.map(\.pattern) == tables[1].patterns.map(\.pattern))
        #expect(tables[0].patterns.map(\.keys) == tables[1].patterns.map(\.keys))
        // No difference found; the cluster's constant tag is B's own finding.
        #expect(!report.findings.contains { $0.category == .keyspaceDiff }, "\(report.findings.map(\.title))")
        #expect(report.findings.map(\.category) == [.clusterHotSlot])
        #expect(report.findings.first?.endpoints == ["B"])
        #expect(MarkdownReport.render(report).contains("Keys scanned: A 4,200, B 4,200 on 3 cluster nodes."))

        // --replicas concerns clusters only: a server is read as it is, and the report says so.
        let alone = try await Self.audit([server.endpoint], scan: KeyspaceScanOptions(count: 100, replicas: true))
        #expect(alone.keyspace?.endpoints.first?.keysScanned == Self.total)
        #expect(alone.keyspace?.endpoints.first?.nodes == nil)
        #expect(alone.summary.notes.contains("A is not a cluster: --replicas does not apply, it was read as it is."))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theCommandLinePrintsEveryNodeAndExitsOnTheHotSlot() async throws {
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }
        try await Self.load(cluster, Self.commands())
        let sizes = try await cluster.dbsizes()
        let seed = "redis://127.0.0.1:\(cluster.nodes[2].port)"
        // The hot slot is medium: below the default --fail-on high, it passes...
        let passing = try await Fixtures.run(["keyspace", seed])
        #expect(passing.status == 0, "\(passing.stderr)")
        for (node, size) in zip(cluster.nodes, sizes) {
            let count = KeyspaceMarkdown.grouped(Int(size))
            #expect(passing.stdout.contains("| 127.0.0.1:\(node.port) | primary | \(count) | \(count) |"), "\(passing.stdout)")
        }
        #expect(passing.stdout.contains("cluster-hot-slot"))
        #expect(passing.stderr.contains("scanned A 4200 keys on 3 cluster nodes"), "\(passing.stderr)")
        // ...and fails the run at --fail-on medium.
        let failing = try await Fixtures.run(["keyspace", seed, "--fail-on", "medium", "--quiet", "--format", "json"])
        #expect(failing.status == 1, "\(failing.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(failing.stdout.utf8)) as? [String: Any]
        let endpoints = (json?["keyspace"] as? [String: Any])?["endpoints"] as? [[String: Any]]
        let nodes = endpoints?.first?["nodes"] as? [[String: Any]]
        #expect(nodes?.compactMap { $0["keysScanned"] as? Int } == sizes.map { Int($0) })
        #expect(endpoints?.first?["keysScanned"] as? Int == Self.total)

        // replicas: from the config file, and --no-replicas over it.
        let directory = try ConfigCommandLineTests.directory("keyspace: { replicas: true }\n")
        let configured = try await Fixtures.run(
            ["keyspace", seed, "--quiet", "--format", "json"], directory: directory)
        #expect(configured.status == 0, "\(configured.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(configured.stdout.utf8)) as? [String: Any]
        #expect((report?["keyspace"] as? [String: Any])?["replicas"] as? Bool == true)
        let notes = (report?["summary"] as? [String: Any])?["notes"] as? [String] ?? []
        #expect(notes.filter { $0.contains("has no replica: its primary was read") }.count == 3, "\(notes)")
        let overridden = try await Fixtures.run(
            ["keyspace", seed, "--quiet", "--format", "json", "--no-replicas"], directory: directory)
        #expect(!overridden.stdout.contains("has no replica"))
        #expect(overridden.stdout.contains("\"keysScanned\" : \(Self.total)"), "\(overridden.stdout)")

        // A node that refuses the seed's credentials ends the run with exit 3, naming that node.
        let locked = cluster.nodes[1]
        try await locked.command("CONFIG", "SET", "requirepass", "only-here")
        let refused = try await Fixtures.run(["keyspace", seed, "--quiet"])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("127.0.0.1:\(locked.port)"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("only-here"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)), arguments: [TestServer.Kind.redis70, .valkey91])
    func keysOfASlotBeingMovedAreCountedOnTheNodeThatHoldsThem(_ kind: TestServer.Kind) async throws {
        let cluster = try await TestCluster.start(kind)
        defer { cluster.stop() }
        let keys = (0..<50).map { "mig:{t}:\($0)" }
        let slot = HashSlot.of(keys[0])
        let source = cluster.owner(of: slot)
        let target = try #require(cluster.nodes.first { $0 !== source })
        try await Self.load(cluster, keys.map { ["SET", $0, "v", "EX", "600"] })
        // Half-way through a resharding: 20 of the slot's keys are on the importing node already.
        let sourceID = try #require(try await source.command("CLUSTER", "MYID").text)
        let targetID = try #require(try await target.command("CLUSTER", "MYID").text)
        #expect(try await target.command("CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID) == .simpleString("OK"))
        #expect(try await source.command("CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID) == .simpleString("OK"))
        let connection = try await source.connect()
        let migrated = try await withCleanup {
            try await connection.execute(
                RESPCommand(strings: ["MIGRATE", "127.0.0.1", String(target.port), "", "0", "5000", "KEYS"] + keys.prefix(20)))
        } cleanup: {
            await connection.close()
        }
        #expect(migrated == .simpleString("OK"))
        // The importing node sends its keys' reads back to the owner unless asked with ASKING.
        guard case .error(let moved) = try await target.command("TYPE", keys[0]) else {
            Issue.record("the importing node served TYPE without ASKING")
            return
        }
        #expect(moved.hasPrefix("MOVED \(slot) "))
        let sizes = try await cluster.dbsizes().map { Int($0) }
        #expect(sizes[cluster.nodes.firstIndex { $0 === target }!] == 20)

        let report = try await Self.audit([try await Self.seed(cluster.nodes[0])])
        let table = try #require(report.keyspace?.endpoints.first)
        #expect(table.keysScanned == 50 && table.vanished == 0)
        #expect(table.nodes?.map(\.keysScanned) == sizes)
        #expect(table.patterns.map(\.pattern) == ["mig:{t}:<int>"])
        #expect(table.patterns.first?.withoutTTL == 0)
        #expect(report.summary.notes.contains { $0.hasPrefix("A: 20 keys in slots being moved between nodes") })
    }

    /// Makes `replica` a replica of `primary` and waits until it holds every key of it.
    static func attach(_ replica: TestServer, to primary: TestServer, in cluster: TestCluster) async throws {
        _ = try await primary.command("CLUSTER", "MEET", "127.0.0.1", String(replica.port))
        let id = try #require(try await primary.command("CLUSTER", "MYID").text)
        let expected = try await primary.command("DBSIZE").integerValue
        let deadline = ContinuousClock.now + .seconds(30)
        var replicating = false
        while ContinuousClock.now < deadline {
            if !replicating {
                // Refused until the replica has learnt the primary's id through the bus.
                replicating = (try await replica.command("CLUSTER", "REPLICATE", id)) == .simpleString("OK")
            } else {
                let info = try await replica.command("INFO", "replication").text ?? ""
                let size = try await replica.command("DBSIZE").integerValue
                var known = true
                for node in cluster.nodes {
                    let text = try await node.command("CLUSTER", "INFO").text ?? ""
                    known = known && text.contains("cluster_known_nodes:4") && text.contains("cluster_state:ok")
                }
                // Every node must list the replica in CLUSTER SHARDS, whichever is the seed.
                var listed = true
                for node in cluster.nodes {
                    let nodesText = try await node.command("CLUSTER", "NODES").text ?? ""
                    listed = listed && nodesText.contains("127.0.0.1:\(replica.port)@") && nodesText.contains("slave \(id)")
                }
                if info.contains("master_link_status:up") && size == expected && known && listed { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError.notReady("the replica did not sync with its primary within 30 s")
    }

    /// The commands a node ran since its last CONFIG RESETSTAT, lower-cased.
    static func commandsRun(on node: TestServer) async throws -> Set<String> {
        let stats = try await node.command("INFO", "commandstats").text ?? ""
        return Set(
            stats.split(whereSeparator: \.isNewline).compactMap { line -> String? in
                guard line.hasPrefix("cmdstat_") else { return nil }
                return String(line.dropFirst(8).prefix { $0 != ":" })
            })
    }
}

/// Slot spreads merge as the pattern tree folds: slots are a union, keys per node a sum.
@Suite("slot spread")
struct SlotSpreadTests {
    @Test func foldedPatternsMergeTheirSlotsAndNodes() {
        let index = KeyspaceIndex(sides: 1, foldThreshold: 2, hardLimit: 3)
        // Four literals at one place: past the hard limit they fold into one <name> pattern.
        for (i, name) in ["alpha", "bravo", "charlie", "delta"].enumerated() {
            let key = "team:\(name)"
            index.add(
                side: 0, key: Array(key.utf8), type: .string, pttl: -1,
                placement: SlotPlacement(slot: HashSlot.of(key), node: i % 2, nodes: 2))
        }
        index.add(
            side: 0, key: Array("team:{x}".utf8), type: .string, pttl: -1,
            placement: SlotPlacement(slot: HashSlot.of("x"), node: 1, nodes: 2))
        index.finish()
        let patterns = index.patterns()
        #expect(patterns.count == 2, "\(patterns.map(\.pattern))")
        let folded = patterns.first { $0.pattern == "team:<name>" }?.stats[0]
        let spread = folded?.spread
        let expected = Set(["alpha", "bravo", "charlie", "delta"].map { HashSlot.of("team:\($0)") })
        #expect(spread?.slots == expected.count)
        #expect(expected.allSatisfy { spread?.contains(slot: $0) == true })
        #expect(spread?.nodeKeys == [2, 2])
        let row = folded?.row(pattern: "team:<name>", nodes: ["n0", "n1"])
        #expect(row?.busiestNode == "n0" && row?.busiestNodeShare == 0.5)
        #expect(row?.slot == nil)
    }

    @Test func aLongListOfSlotsBecomesABitSetAndMergesEitherWay() {
        // 40 slots: past the list's 32, a bit set; 4 others, two of them shared, stay a list.
        var wide = SlotSpread(nodes: 3)
        for slot in stride(from: 100, to: 100 + 40 * 7, by: 7) { wide.add(slot: slot, node: 0) }
        wide.add(slot: 100, node: 1)
        var narrow = SlotSpread(nodes: 3)
        for slot in [9, 100, 107, 16383, 9] { narrow.add(slot: slot, node: 2) }
        #expect(wide.slots == 40 && narrow.slots == 4)
        #expect(narrow.firstSlot == 9 && wide.firstSlot == 100)
        let union = Set(stride(from: 100, to: 100 + 40 * 7, by: 7)).union([9, 16383])
        var a = wide
        a.merge(narrow)
        var b = narrow
        b.merge(wide)
        for merged in [a, b] {
            #expect(merged.slots == union.count)
            #expect(union.allSatisfy { merged.contains(slot: $0) })
            #expect(!merged.contains(slot: 101))
            #expect(merged.firstSlot == 9)
            #expect(merged.nodeKeys == [40, 1, 5])
            #expect(merged.busiestNode == 0)
        }
    }

    @Test func aServerKeepsNoSpread() {
        let index = KeyspaceIndex()
        index.add(side: 0, key: Array("a:1".utf8), type: .string, pttl: -1)
        index.finish()
        let row = index.patterns().first?.stats[0]?.row(pattern: "a:<int>")
        #expect(row?.slots == nil && row?.busiestNode == nil && row?.busiestNodeShare == nil)
    }
}
