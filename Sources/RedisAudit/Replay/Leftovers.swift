import RESP

/// Keys that earlier, killed runs left in `redisaudit:` namespaces.
public struct Leftovers: Sendable {
    public var keys: Int
    public var runs: [String]

    /// Looks for leftover namespaces, on databases small enough to scan quickly
    /// (`NamespaceCleaner.sweepLimit` keys); nil when there are none or the scan was skipped.
    public static func find(connection: RedisConnection) async -> Leftovers? {
        guard var session = try? await EndpointTransport.wrap(connection),
            let size = try? await NamespaceCleaner.size(session: &session),
            size <= NamespaceCleaner.sweepLimit,
            let keys = try? await NamespaceCleaner.scanRunKeys(runID: nil, session: &session),
            !keys.isEmpty
        else { return nil }
        return Leftovers(keys: keys.count, runs: runIDs(keys))
    }

    /// The run namespace ids found in namespaced keys, sorted.
    static func runIDs(_ keys: [[UInt8]]) -> [String] {
        Set(keys.compactMap(Namespace.runNamespace(ofKey:))).sorted()
    }

    func finding(role: String) -> Finding {
        Finding(
            identity: "leftover|\(role)", severity: .low, category: .leftover,
            title: "\(keys) key\(keys == 1 ? "" : "s") left by earlier interrupted runs on \(role)",
            endpoints: [role],
            evidence: [
                "SCAN MATCH \(String(decoding: Namespace.runKeysGlob, as: UTF8.self)) -> \(keys) keys in run namespaces",
                "runs: " + runs.prefix(10).joined(separator: ", "),
            ],
            why: "A run that was killed could not delete its namespace; the keys take memory and may carry no TTL.",
            fix: "Run `redisaudit clean <endpoint>` to delete them.")
    }
}
