/// How far two endpoints' pattern tables may differ before it is a finding.
public struct KeyspaceTolerance: Sendable, Hashable {
    /// Key counts differ when the difference exceeds this fraction of the larger count...
    public var countFraction: Double
    /// ...and this many keys.
    public var countMinimum: Int
    /// TTLs differ when the larger median (or maximum) remaining TTL is more than this many
    /// times the smaller one (7 days against 1 day is 7).
    public var ttlRatio: Double
    /// Patterns with fewer keys with a TTL than this on either side are not compared by TTL.
    public var ttlMinimumKeys: Int

    public init(
        countFraction: Double = SettingDefaults.countTolerance, countMinimum: Int = 10,
        ttlRatio: Double = SettingDefaults.ttlRatio, ttlMinimumKeys: Int = 5
    ) {
        self.countFraction = countFraction
        self.countMinimum = countMinimum
        self.ttlRatio = ttlRatio
        self.ttlMinimumKeys = ttlMinimumKeys
    }
}

/// Findings about two endpoints' keyspaces side by side: patterns on one side only, key
/// counts that differ, TTL distributions that differ.
public enum KeyspaceComparison {
    /// `complete` is false when a side was sampled: counts and presence are then not compared.
    public static func findings(
        a: [KeyspacePatternRow], b: [KeyspacePatternRow], complete: Bool, tolerance: KeyspaceTolerance
    ) -> [Finding] {
        let rowsB = Dictionary(b.map { ($0.pattern, $0) }, uniquingKeysWith: { first, _ in first })
        let rowsA = Dictionary(a.map { ($0.pattern, $0) }, uniquingKeysWith: { first, _ in first })
        var findings: [Finding] = []
        if complete {
            for row in a where rowsB[row.pattern] == nil { findings.append(oneSide(row, on: "A", missingOn: "B")) }
            for row in b where rowsA[row.pattern] == nil { findings.append(oneSide(row, on: "B", missingOn: "A")) }
        }
        for rowA in a {
            guard let rowB = rowsB[rowA.pattern] else { continue }
            if complete, let finding = countDifference(rowA, rowB, tolerance) { findings.append(finding) }
            if let finding = ttlDifference(rowA, rowB, tolerance) { findings.append(finding) }
        }
        return findings
    }

    private static func oneSide(_ row: KeyspacePatternRow, on present: String, missingOn absent: String) -> Finding {
        Finding(
            identity: "one-side|\(row.pattern)|\(present)", severity: .medium, category: .keyspaceDiff,
            title: "`\(row.pattern)` exists on \(present) only (\(row.keys) key\(row.keys == 1 ? "" : "s"))",
            endpoints: ["A", "B"],
            evidence: ["\(present): \(KeyspaceMarkdown.count(row.keys, "key")) of \(row.pattern)", "\(absent): none"]
                + row.examples.map { "  e.g. \($0)" },
            why: "Data the application reads on one host is missing on the other (not migrated, written under another name, "
                + "or already expired there); after the move, reads of these keys find nothing.",
            fix:
                "Migrate the pattern (or confirm it is obsolete) before switching hosts, and check the code that writes it on \(absent).",
            occurrences: row.keys)
    }

    private static func countDifference(_ a: KeyspacePatternRow, _ b: KeyspacePatternRow, _ tolerance: KeyspaceTolerance)
        -> Finding?
    {
        let difference = abs(a.keys - b.keys)
        let larger = max(a.keys, b.keys)
        guard difference > tolerance.countMinimum, Double(difference) > tolerance.countFraction * Double(larger) else {
            return nil
        }
        let percent = Int((Double(difference) / Double(larger) * 100).rounded())
        return Finding(
            identity: "count|\(a.pattern)", severity: .medium, category: .keyspaceDiff,
            title: "`\(a.pattern)` has \(a.keys) keys on A and \(b.keys) on B (\(percent)% apart)", endpoints: ["A", "B"],
            evidence: ["A: \(a.keys) keys of \(a.pattern)", "B: \(b.keys) keys of \(b.pattern)"],
            why:
                "A key count this far apart means keys were lost or never copied on one side, or expire or are evicted faster there.",
            fix: "Compare the migration's key counts per pattern, and the hosts' eviction policy and TTLs for this pattern.",
            occurrences: difference)
    }

    private static func ttlDifference(_ a: KeyspacePatternRow, _ b: KeyspacePatternRow, _ tolerance: KeyspaceTolerance)
        -> Finding?
    {
        let withA = a.keys - a.withoutTTL, withB = b.keys - b.withoutTTL
        var reasons: [String] = []
        if withA >= tolerance.ttlMinimumKeys && withB >= tolerance.ttlMinimumKeys {
            if let ma = a.ttlMedianSeconds, let mb = b.ttlMedianSeconds, ratio(ma, mb) > tolerance.ttlRatio {
                reasons.append("median")
            }
            if let xa = a.ttlMaxSeconds, let xb = b.ttlMaxSeconds, ratio(xa, xb) > tolerance.ttlRatio {
                reasons.append("maximum")
            }
        } else if (withA >= tolerance.ttlMinimumKeys && withA > a.withoutTTL && withB == 0)
            || (withB >= tolerance.ttlMinimumKeys && withB > b.withoutTTL && withA == 0)
        {
            reasons.append("expiry")
        }
        guard !reasons.isEmpty else { return nil }
        func describe(_ role: String, _ row: KeyspacePatternRow) -> String {
            let with = row.keys - row.withoutTTL
            guard with > 0 else { return "\(role): \(row.keys) keys, none with a TTL" }
            return
                "\(role): \(with) of \(row.keys) keys with a TTL; remaining TTL min \(KeyspaceMarkdown.duration(row.ttlMinSeconds)), "
                + "median \(KeyspaceMarkdown.duration(row.ttlMedianSeconds)), p95 \(KeyspaceMarkdown.duration(row.ttlP95Seconds)), "
                + "max \(KeyspaceMarkdown.duration(row.ttlMaxSeconds))"
        }
        let title: String
        if reasons == ["expiry"] {
            title = "`\(a.pattern)` expires on \(withA > 0 ? "A" : "B") but not on \(withA > 0 ? "B" : "A")"
        } else {
            title =
                "`\(a.pattern)` keys live \(KeyspaceMarkdown.duration(a.ttlMaxSeconds)) on A and \(KeyspaceMarkdown.duration(b.ttlMaxSeconds)) on B"
        }
        return Finding(
            identity: "ttl|\(a.pattern)", severity: .high, category: .keyspaceDiff, title: title, endpoints: ["A", "B"],
            evidence: [describe("A", a), describe("B", b)],
            why: "The same keys expire at different times on each host (a different TTL setting per environment, or TTLs lost in "
                + "the migration): sessions and tokens end sooner, or later, than the application promises after the move.",
            fix: "Write the TTL from one shared setting on both hosts, and copy keys with their TTL (DUMP/RESTORE with the PTTL, "
                + "or a migration tool that keeps expiries).",
            occurrences: max(withA, withB))
    }

    private static func ratio(_ x: Double, _ y: Double) -> Double {
        let low = max(min(x, y), 0.001), high = max(x, y)
        return high / low
    }
}
