/// The `keyspace` part of a report: how the keys were read and each endpoint's pattern table.
public struct KeyspaceSection: Codable, Sendable {
    /// `--match`, if given.
    public var match: String?
    /// `--count`: the SCAN batch.
    public var count: Int
    /// `--sample`, if given.
    public var sample: Int?
    /// Whether `MEMORY USAGE` was asked for.
    public var memory: Bool
    /// `--expect-prefix` values.
    public var expectPrefixes: [String]
    /// True with `--replicas`: a cluster's shards were read on a replica where they have one.
    public var replicas: Bool?
    public var endpoints: [KeyspaceEndpointTable]

    public init(
        match: String?, count: Int, sample: Int?, memory: Bool, expectPrefixes: [String], replicas: Bool? = nil,
        endpoints: [KeyspaceEndpointTable]
    ) {
        self.match = match
        self.count = count
        self.sample = sample
        self.memory = memory
        self.expectPrefixes = expectPrefixes
        self.replicas = replicas
        self.endpoints = endpoints
    }
}

/// One endpoint's scan: how many keys, whether it was complete, and its patterns (most keys first).
public struct KeyspaceEndpointTable: Codable, Sendable {
    public var role: String
    /// `DBSIZE` before the scan (nil when refused).
    public var dbsize: Int?
    public var keysScanned: Int
    /// Keys SCAN returned that expired or were deleted before TYPE/PTTL read them.
    public var vanished: Int
    /// False when `--sample` stopped the scan early.
    public var complete: Bool
    public var seconds: Double
    /// The host's reply when it refused `MEMORY USAGE`.
    public var memoryRefused: String?
    /// On a cluster: each shard's node that was read, in slot order (the totals above are their
    /// sums); nil for a server.
    public var nodes: [KeyspaceNodeScan]?
    public var patterns: [KeyspacePatternRow]

    public init(
        role: String, dbsize: Int?, keysScanned: Int, vanished: Int, complete: Bool, seconds: Double, memoryRefused: String?,
        nodes: [KeyspaceNodeScan]? = nil, patterns: [KeyspacePatternRow]
    ) {
        self.role = role
        self.dbsize = dbsize
        self.keysScanned = keysScanned
        self.vanished = vanished
        self.complete = complete
        self.seconds = seconds
        self.memoryRefused = memoryRefused
        self.nodes = nodes
        self.patterns = patterns
    }
}

/// One cluster node's part of an endpoint's scan: which node, whether it is its shard's primary
/// or a replica, and how many keys were read there against its `DBSIZE`.
public struct KeyspaceNodeScan: Codable, Sendable, Hashable {
    /// Which node of its shard was read.
    public enum NodeRole: String, Codable, Sendable, Hashable {
        case primary
        case replica
    }

    /// `host:port` as the cluster announces it.
    public var address: String
    public var nodeRole: NodeRole
    /// The shard's primary, when a replica was read.
    public var primary: String?
    /// The node's `DBSIZE` before the scan (nil when refused).
    public var dbsize: Int?
    public var keysScanned: Int
    public var vanished: Int
    public var complete: Bool
    public var seconds: Double

    public init(
        address: String, nodeRole: NodeRole, primary: String?, dbsize: Int?, keysScanned: Int, vanished: Int, complete: Bool,
        seconds: Double
    ) {
        self.address = address
        self.nodeRole = nodeRole
        self.primary = primary
        self.dbsize = dbsize
        self.keysScanned = keysScanned
        self.vanished = vanished
        self.complete = complete
        self.seconds = seconds
    }
}

/// One row of a pattern table: a pattern's keys, types, TTLs and memory on one endpoint.
public struct KeyspacePatternRow: Codable, Sendable, Hashable {
    public var pattern: String
    public var keys: Int
    /// Type name -> keys of that type.
    public var types: [String: Int]
    /// Keys without an expiry (TTL -1).
    public var withoutTTL: Int
    /// Remaining TTL of the keys that have one, in seconds (median and p95 within 4.5%).
    public var ttlMinSeconds: Double?
    public var ttlMedianSeconds: Double?
    public var ttlP95Seconds: Double?
    public var ttlMaxSeconds: Double?
    /// The keys with a TTL by remaining time: one count per `ttlBandLimits` entry (at or under
    /// it) and one for the rest; nil when no key has a TTL.
    public var ttlBands: [Int]?
    /// Sum of `MEMORY USAGE` and how many keys it covers (with `--memory`).
    public var memoryBytes: Int?
    public var memoryKeys: Int?
    public var examples: [String]
    public var examplesWithoutTTL: [String]
    /// Keys outside every `--expect-prefix`.
    public var outsidePrefix: Int?
    /// On a cluster: how many distinct hash slots the keys occupy...
    public var slots: Int?
    /// ...the slot, when they all occupy one...
    public var slot: Int?
    /// ...and the node holding the most of them, with its share of the keys (0 to 1).
    public var busiestNode: String?
    public var busiestNodeShare: Double?

    public init(
        pattern: String, keys: Int, types: [String: Int], withoutTTL: Int, ttlMinSeconds: Double?, ttlMedianSeconds: Double?,
        ttlP95Seconds: Double?, ttlMaxSeconds: Double?, ttlBands: [Int]? = nil, memoryBytes: Int?, memoryKeys: Int?,
        examples: [String], examplesWithoutTTL: [String], outsidePrefix: Int?, slots: Int? = nil, slot: Int? = nil,
        busiestNode: String? = nil,
        busiestNodeShare: Double? = nil
    ) {
        self.pattern = pattern
        self.keys = keys
        self.types = types
        self.withoutTTL = withoutTTL
        self.ttlMinSeconds = ttlMinSeconds
        self.ttlMedianSeconds = ttlMedianSeconds
        self.ttlP95Seconds = ttlP95Seconds
        self.ttlMaxSeconds = ttlMaxSeconds
        self.ttlBands = ttlBands
        self.memoryBytes = memoryBytes
        self.memoryKeys = memoryKeys
        self.examples = examples
        self.examplesWithoutTTL = examplesWithoutTTL
        self.outsidePrefix = outsidePrefix
        self.slots = slots
        self.slot = slot
        self.busiestNode = busiestNode
        self.busiestNodeShare = busiestNodeShare
    }
}

extension KeyspacePatternRow {
    /// The upper limits of the TTL bands, in seconds, each with its label; a last band holds the rest.
    public static let ttlBandLimits: [(label: String, seconds: Int64)] = [
        ("1 min", 60), ("10 min", 600), ("1 h", 3600), ("6 h", 21600), ("1 d", 86400), ("7 d", 604_800), ("30 d", 2_592_000),
    ]

    /// Each of `ttlBands`' counts by name: `≤ 1 min` ... `≤ 30 d`, `> 30 d`.
    public static let ttlBandLabels: [String] =
        ttlBandLimits.map { "≤ " + $0.label } + ["> " + (ttlBandLimits.last?.label ?? "")]
}

/// The Markdown of a keyspace section: one pattern table per endpoint.
enum KeyspaceMarkdown {
    /// Rows shown per endpoint; the rest are summed up in one line (the JSON has them all).
    static let rowLimit = 40

    static func render(_ section: KeyspaceSection) -> [String] {
        var out = ["## Keyspace", ""]
        var read =
            "Read with `SCAN` (COUNT \(section.count)" + (section.match.map { ", MATCH `\($0)`" } ?? "") + "), `TYPE` and `PTTL`"
        read += section.memory ? " and `MEMORY USAGE`; nothing was written." : "; nothing was written."
        if !section.expectPrefixes.isEmpty {
            read += " Expected prefixes: " + section.expectPrefixes.map { "`\($0)`" }.joined(separator: ", ") + "."
        }
        out.append(read)
        out.append("")
        for table in section.endpoints {
            var heading = "### \(table.role): \(grouped(table.keysScanned)) keys"
            if let dbsize = table.dbsize { heading += " (DBSIZE \(grouped(dbsize)))" }
            heading += ", \(table.patterns.count) pattern\(table.patterns.count == 1 ? "" : "s")"
            if let nodes = table.nodes { heading += ", a cluster of \(count(nodes.count, "shard"))" }
            if !table.complete { heading += ", sampled" }
            out.append(heading)
            out.append("")
            if let nodes = table.nodes {
                out.append(contentsOf: nodeTable(nodes, total: table))
                out.append("")
            }
            let memory = section.memory && table.memoryRefused == nil
            let cluster = table.nodes != nil
            out.append(
                "| pattern | keys | types | no TTL | TTL min | median | p95 | max |" + (memory ? " memory |" : "")
                    + (cluster ? " slots | busiest node |" : ""))
            out.append("|---|---:|---|---:|---:|---:|---:|---:|" + (memory ? "---:|" : "") + (cluster ? "---:|---|" : ""))
            for row in table.patterns.prefix(rowLimit) {
                let types = row.types.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { $0.key }.joined(separator: ", ")
                var cells = [
                    patternCell(row.pattern), grouped(row.keys), types,
                    grouped(row.withoutTTL), duration(row.ttlMinSeconds), duration(row.ttlMedianSeconds),
                    duration(row.ttlP95Seconds),
                    duration(row.ttlMaxSeconds),
                ]
                if memory { cells.append(row.memoryBytes.map(bytes) ?? "-") }
                if cluster { cells += [row.slots.map(grouped) ?? "-", busiest(row)] }
                out.append("| " + cells.joined(separator: " | ") + " |")
            }
            if table.patterns.count > rowLimit {
                let rest = table.patterns.dropFirst(rowLimit)
                out.append(
                    "| … \(rest.count) more patterns | \(grouped(rest.reduce(0) { $0 + $1.keys })) | | | | | | |"
                        + (memory ? " |" : "") + (cluster ? " | |" : ""))
            }
            if let refusal = table.memoryRefused {
                out.append(""); out.append("> MEMORY USAGE refused by \(table.role): \(refusal)")
            }
            out.append("")
        }
        return out
    }

    /// A cluster endpoint's nodes: what was read where, against each node's `DBSIZE`, and the totals.
    static func nodeTable(_ nodes: [KeyspaceNodeScan], total: KeyspaceEndpointTable) -> [String] {
        var out = ["| node | read on | keys scanned | DBSIZE |", "|---|---|---:|---:|"]
        for node in nodes {
            let role = node.primary.map { "\(node.nodeRole.rawValue) of \($0)" } ?? node.nodeRole.rawValue
            let scanned = grouped(node.keysScanned) + (node.complete ? "" : " (sampled)")
            out.append("| \(node.address) | \(role) | \(scanned) | \(node.dbsize.map(grouped) ?? "-") |")
        }
        out.append("| total | | \(grouped(total.keysScanned)) | \(total.dbsize.map(grouped) ?? "-") |")
        return out
    }

    /// `127.0.0.1:7001 (42%)`: the node holding most of a pattern's keys and its share.
    static func busiest(_ row: KeyspacePatternRow) -> String {
        guard let node = row.busiestNode, let share = row.busiestNodeShare else { return "-" }
        return "\(node) (\(Int((share * 100).rounded()))%)"
    }

    /// A pattern in a table cell: a code span, with `|` escaped so it does not end the cell.
    static func patternCell(_ pattern: String) -> String {
        if pattern.isEmpty { return "(empty key)" }
        return "`" + pattern.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "\\|") + "`"
    }

    /// `1 key`, `2 keys`.
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A TTL as a person reads it: `45 s`, `12 min`, `3.5 h`, `7.0 d`; `-` when none.
    static func duration(_ seconds: Double?) -> String {
        guard let s = seconds else { return "-" }
        if s < 1 { return "\(Int((s * 1000).rounded())) ms" }
        if s < 120 { return "\(Int(s.rounded())) s" }
        if s < 7200 { return "\(Int((s / 60).rounded())) min" }
        if s < 172_800 { return "\(((s / 3600) * 10).rounded() / 10) h" }
        return "\(((s / 86400) * 10).rounded() / 10) d"
    }

    static func bytes(_ n: Int) -> String {
        if n < 10_240 { return "\(n) B" }
        if n < 10_485_760 { return "\(n / 1024) KiB" }
        return "\(((Double(n) / 1_048_576) * 10).rounded() / 10) MiB"
    }
}
