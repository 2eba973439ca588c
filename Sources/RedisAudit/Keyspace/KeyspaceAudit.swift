import Foundation
import Logging
import NIOCore
import RESP

/// Everything `redisaudit keyspace` needs to know.
public struct KeyspaceConfiguration: Sendable {
    /// One endpoint (A) or two (A and B).
    public var endpoints: [Endpoint]
    public var connection: ConnectionOptions
    public var scan: KeyspaceScanOptions
    /// `--expect-prefix`: every key should start with one of these.
    public var expectPrefixes: [String]
    public var tolerance: KeyspaceTolerance
    public var failOn: FailThreshold
    /// Seconds between progress lines on standard error.
    public var progressInterval: Double

    public init(
        endpoints: [Endpoint], connection: ConnectionOptions, scan: KeyspaceScanOptions = KeyspaceScanOptions(),
        expectPrefixes: [String] = [], tolerance: KeyspaceTolerance = KeyspaceTolerance(),
        failOn: FailThreshold = .severity(.high),
        progressInterval: Double = 2
    ) {
        self.endpoints = endpoints
        self.connection = connection
        self.scan = scan
        self.expectPrefixes = expectPrefixes
        self.tolerance = tolerance
        self.failOn = failOn
        self.progressInterval = progressInterval
    }
}

/// Scans one or two endpoints' keyspaces with read-only commands, infers key patterns, and
/// returns the ranked report with the pattern tables.
///
/// ```
///   A: KeyspaceScanner ─batch─┐
///                             ├─▶ KeyspaceIndex (one tree, stats per side) ─▶ rows ─▶ findings
///   B: KeyspaceScanner ─batch─┘
/// ```
/// Both sides are scanned at once; each side's SCAN and reads overlap with the digesting. A
/// side that is a cluster is read on every shard at once (``KeyspaceNodes``), one scanner per
/// node, all feeding the same side's statistics, which then also keep each pattern's hash slots
/// and keys per node (``SlotSpread``).
public struct KeyspaceAudit: Sendable {
    public var configuration: KeyspaceConfiguration
    public var logger: Logger
    public var interruption: Interruption?

    public init(
        configuration: KeyspaceConfiguration, logger: Logger = Logger(label: "redisaudit"), interruption: Interruption? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.interruption = interruption
    }

    /// Runs the audit; once interrupted, whatever happens ends in ``InterruptedError``, never
    /// in a report of a half-scanned keyspace. Keyspace writes nothing, so there is no cleanup.
    public func run() async throws -> AuditReport {
        do {
            let report = try await audit()
            if interruption?.isRequested == true { throw InterruptedError() }
            return report
        } catch _ where interruption?.isRequested == true {
            throw InterruptedError()
        }
    }

    private func audit() async throws -> AuditReport {
        let config = configuration
        precondition((1...2).contains(config.endpoints.count), "keyspace audits one or two endpoints")
        let roles = ["A", "B"].prefix(config.endpoints.count).map { $0 }
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = ISO8601DateFormatter().string(from: Date())

        let names = zip(roles, config.endpoints).map { "\($0) \($1)" }.joined(separator: " and ")
        logger.info("connecting to \(names)")
        let sources = try await withThrowingTaskGroup(of: (Int, KeyspaceNodes).self) { group in
            for (index, endpoint) in config.endpoints.enumerated() {
                group.addTask {
                    (index, try await KeyspaceNodes.open(endpoint, options: config.connection, replicas: config.scan.replicas))
                }
            }
            var result = [KeyspaceNodes?](repeating: nil, count: config.endpoints.count)
            do {
                for try await (index, nodes) in group { result[index] = nodes }
            } catch {
                // Close what opened, including endpoints that answered after the one that failed.
                for nodes in result.compactMap({ $0 }) { await nodes.close() }
                group.cancelAll()
                while let late = await group.nextResult() {
                    if case .success((_, let nodes)) = late { await nodes.close() }
                }
                throw error
            }
            return result.map { $0! }
        }
        return try await withCleanup {
            var summaries: [EndpointSummary] = []
            // Per side, per node read.
            var nodeSizes: [[Int?]] = []
            for (role, (endpoint, source)) in zip(roles, zip(config.endpoints, sources)) {
                // INFO, else HELLO: an ACL user without INFO still learns the engine and version.
                let probe = ProbeConnection(endpoint: endpoint, options: config.connection)
                let server = await EndpointRole.probe(probe)
                await probe.close()
                summaries.append(
                    EndpointSummary(role: role, url: endpoint.description, engine: server.engine, version: server.version))
                var sizes: [Int?] = []
                for member in source.members {
                    sizes.append((try? await member.connection.execute(RESPCommand("DBSIZE")))?.integerValue.map { Int($0) })
                }
                nodeSizes.append(sizes)
                if source.isCluster {
                    logger.info("\(role) is a cluster: reading its \(source.members.count) shards at once")
                }
            }
            let dbsizes = nodeSizes.map { sizes in sizes.contains(nil) ? nil : sizes.reduce(0) { $0 + $1! } }

            // One scanner per node read; a cluster's --sample is shared among its nodes.
            var scanners: [(side: Int, node: Int, scanner: KeyspaceScanner)] = []
            for (side, source) in sources.enumerated() {
                for (node, member) in source.members.enumerated() {
                    var options = config.scan
                    if let sample = options.sample, source.members.count > 1 {
                        let share = sample / source.members.count + (node < sample % source.members.count ? 1 : 0)
                        options.sample = max(1, share)
                    }
                    scanners.append((side, node, KeyspaceScanner(connection: member.connection, options: options)))
                }
            }
            let collector = KeyspaceCollector(
                sides: sources.count, clusterNodes: sources.map { $0.isCluster ? $0.members.count : 0 },
                prefixes: config.expectPrefixes.map { Array($0.utf8) },
                progress: ScanProgress(roles: roles, dbsizes: dbsizes, interval: config.progressInterval, clock: clock))
            var seconds = [Double](repeating: 0, count: scanners.count)
            // One task per node read: none waits for another's batches; the collector digests them in turn.
            let logger = self.logger
            let interruption = self.interruption
            let scanStarted = clock.now
            try await withThrowingTaskGroup(of: (Int, Double).self) { group in
                for (index, entry) in scanners.enumerated() {
                    group.addTask {
                        while let batch = try await entry.scanner.next() {
                            if interruption?.isRequested == true { throw InterruptedError() }
                            // Another node failed: stop here rather than finish a scan nobody reads.
                            try Task.checkCancellation()
                            if let line = await collector.ingest(batch, side: entry.side, node: entry.node) {
                                logger.info("\(line)", metadata: ProgressEvent.line.metadata)
                            }
                        }
                        return (index, (clock.now - scanStarted).seconds)
                    }
                }
                for try await (index, elapsed) in group { seconds[index] = elapsed }
            }

            let patterns = await collector.finish()
            var tables: [KeyspaceEndpointTable] = []
            var findings: [Finding] = []
            var notes = [
                "Read only: SCAN, TYPE and PTTL\(config.scan.memory ? " and MEMORY USAGE" : "")"
                    + "\(sources.contains { $0.members.contains { $0.nodeRole == .replica } } ? " (on replicas after READONLY)" : ""); "
                    + "nothing was written."
            ]
            for (side, source) in sources.enumerated() {
                let addresses = source.isCluster ? source.members.map(\.address) : []
                let rows = patterns.compactMap { entry in
                    entry.stats[side].map { $0.row(pattern: entry.pattern, nodes: addresses) }
                }
                var nodes: [KeyspaceNodeScan] = []
                var refusal: String?
                for (index, entry) in scanners.enumerated() where entry.side == side {
                    let member = source.members[entry.node]
                    if config.scan.memory, refusal == nil { refusal = await entry.scanner.memoryRefusal }
                    nodes.append(
                        KeyspaceNodeScan(
                            address: member.address, nodeRole: member.nodeRole, primary: member.primary,
                            dbsize: nodeSizes[side][entry.node], keysScanned: await entry.scanner.keysRead,
                            vanished: await entry.scanner.vanished, complete: !(await entry.scanner.truncated),
                            seconds: seconds[index]))
                }
                let complete = nodes.allSatisfy(\.complete)
                tables.append(
                    KeyspaceEndpointTable(
                        role: roles[side], dbsize: dbsizes[side], keysScanned: nodes.reduce(0) { $0 + $1.keysScanned },
                        vanished: nodes.reduce(0) { $0 + $1.vanished }, complete: complete,
                        seconds: nodes.map(\.seconds).max() ?? 0, memoryRefused: refusal,
                        nodes: source.isCluster ? nodes : nil, patterns: rows))
                findings += KeyspaceFindings.findings(role: roles[side], rows: rows, expectPrefixes: config.expectPrefixes)
                if source.isCluster {
                    findings += KeyspaceFindings.hotSlots(role: roles[side], rows: rows)
                    notes.append(
                        "\(roles[side]) is a cluster of \(KeyspaceMarkdown.count(nodes.count, "shard")), read at once; "
                            + "its counts are the sums over the nodes listed under it.")
                    notes += source.notes.map { "\(roles[side]): \($0)." }
                    var asked = 0
                    for entry in scanners where entry.side == side { asked += await entry.scanner.askedAgain }
                    if asked > 0 {
                        notes.append(
                            "\(roles[side]): \(KeyspaceMarkdown.count(asked, "key")) in slots being moved between nodes "
                                + "(a resharding) were read again after ASKING, on the node that holds them.")
                    }
                } else if config.scan.replicas {
                    notes.append("\(roles[side]) is not a cluster: --replicas does not apply, it was read as it is.")
                }
                if let refusal { notes.append("\(roles[side]) refused MEMORY USAGE (\(refusal)): no memory figures for it.") }
                if !complete {
                    let shared = source.isCluster ? ", shared among its nodes" : ""
                    notes.append(
                        "\(roles[side]): stopped after --sample \(config.scan.sample ?? 0) keys\(shared); "
                            + "counts are those of the sample.")
                }
            }
            let complete = tables.allSatisfy(\.complete)
            if tables.count == 2 {
                findings += KeyspaceComparison.findings(
                    a: tables[0].patterns, b: tables[1].patterns, complete: complete, tolerance: config.tolerance)
                if !complete { notes.append("Key counts and patterns present on one side only are not compared on a sample.") }
            }

            let ranked = FindingRanking.rank(findings)
            let total = (clock.now - started).seconds
            let summary = ReportSummary(
                findings: ranked, failOn: config.failOn, endpoints: summaries, scenarios: [], startedAt: startedAt,
                durationSeconds: total,
                notes: notes)
            let section = KeyspaceSection(
                match: config.scan.match, count: config.scan.count, sample: config.scan.sample, memory: config.scan.memory,
                expectPrefixes: config.expectPrefixes, replicas: config.scan.replicas ? true : nil, endpoints: tables)
            let scanned = tables.map { table in
                "\(table.role) \(table.keysScanned) keys" + (table.nodes.map { " on \($0.count) cluster nodes" } ?? "")
            }.joined(separator: ", ")
            logger.info("scanned \(scanned) into \(patterns.count) patterns")
            return AuditReport(
                tool: ToolInfo(), command: "keyspace", summary: summary, findings: ranked, profiles: [], keyspace: section)
        } cleanup: {
            for source in sources { await source.close() }
        }
    }
}

/// Owns the pattern tree while the sides scan: each side's task hands it batches, one at a time.
actor KeyspaceCollector {
    private let index: KeyspaceIndex
    /// Per side: how many cluster nodes it is read on, 0 for a server (no slots kept).
    private let clusterNodes: [Int]
    private let prefixes: [[UInt8]]
    private var progress: ScanProgress

    init(sides: Int, clusterNodes: [Int], prefixes: [[UInt8]], progress: ScanProgress) {
        self.index = KeyspaceIndex(sides: sides)
        self.clusterNodes = clusterNodes
        self.prefixes = prefixes
        self.progress = progress
    }

    /// Adds a batch read on one node of one side; returns a progress line when one is due.
    func ingest(_ batch: KeyspaceBatch, side: Int, node: Int = 0) -> String? {
        let withMemory = !batch.memory.isEmpty
        let nodes = clusterNodes[side]
        for i in batch.keys.indices {
            let key = batch.keys[i]
            let outside = !prefixes.isEmpty && !prefixes.contains { key.starts(with: $0) }
            let placement = nodes > 0 ? SlotPlacement(slot: HashSlot.of(key), node: node, nodes: nodes) : nil
            index.add(
                side: side, key: key, type: batch.types[i], pttl: batch.pttls[i], memory: withMemory ? batch.memory[i] : nil,
                outsidePrefix: outside, placement: placement)
        }
        progress.record(side: side, keys: batch.keys.count + batch.vanished)
        return progress.line()
    }

    /// Folds the tree and returns every pattern with its statistics per side.
    func finish() -> [(pattern: String, stats: [PatternStatistics?])] {
        index.finish()
        return index.patterns()
    }
}

/// Progress of a scan for standard error: keys done out of DBSIZE, rate, time left.
struct ScanProgress {
    let roles: [String]
    let dbsizes: [Int?]
    let interval: Double
    let clock: ContinuousClock
    let started: ContinuousClock.Instant
    var done: [Int]
    var lastLine: ContinuousClock.Instant

    init(roles: [String], dbsizes: [Int?], interval: Double, clock: ContinuousClock) {
        self.roles = roles
        self.dbsizes = dbsizes
        self.interval = interval
        self.clock = clock
        self.started = clock.now
        self.lastLine = clock.now
        self.done = [Int](repeating: 0, count: roles.count)
    }

    mutating func record(side: Int, keys: Int) { done[side] += keys }

    var elapsed: Double { (clock.now - started).seconds }

    /// A line when `interval` has passed since the last one, else nil.
    mutating func line() -> String? {
        let now = clock.now
        guard (now - lastLine).seconds >= interval else { return nil }
        lastLine = now
        let seconds = max(elapsed, 0.001)
        return roles.indices.map { side in
            let rate = Double(done[side]) / seconds
            var text = "\(roles[side]): \(KeyspaceMarkdown.grouped(done[side]))"
            if let total = dbsizes[side], total > 0 {
                let percent = min(100, Int(Double(done[side]) / Double(total) * 100))
                text += " of \(KeyspaceMarkdown.grouped(total)) keys (\(percent)%)"
                if rate > 0 && done[side] < total {
                    text += ", about \(Int((Double(total - done[side]) / rate).rounded(.up))) s left"
                }
            } else {
                text += " keys"
            }
            return text + ", \(KeyspaceMarkdown.grouped(Int(rate))) keys/s"
        }.joined(separator: "; ")
    }
}
