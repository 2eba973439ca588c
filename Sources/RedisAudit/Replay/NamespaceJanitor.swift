import RESP

/// `redisaudit clean`: finds every key in a generated run namespace (`redisaudit:<run>-<part>:`)
/// on an endpoint and deletes it, counting only what the server confirms.
public enum NamespaceJanitor {
    /// What a clean found, deleted (unless it was a dry run) and could not delete.
    public struct Result: Sendable {
        /// How many keys were found in run namespaces.
        public var keys: Int { found.count }
        /// The run namespace ids they belong to.
        public var runs: [String]
        /// The keys found, as text.
        public var found: [String]
        /// Keys the server confirmed deleting (0 on a dry run).
        public var deleted: Int
        /// Keys still there after the deletion, or whose deletion could not be checked.
        public var remaining: [String]
        /// Why the server refused to delete, with how many keys each reason covers.
        public var refusals: [String: Int]
    }

    /// Cleans one run (a 12-hex run id), one namespace (`<run>-<part>`) or, with nil, every run.
    public static func clean(endpoint: Endpoint, options: ConnectionOptions, runID: String?, dryRun: Bool) async throws -> Result
    {
        var session = try await EndpointTransport.open(to: endpoint, options: options)
        let keys: [[UInt8]]
        do {
            keys = try await NamespaceCleaner.scanRunKeys(runID: runID, session: &session)
        } catch {
            await session.close()
            throw error
        }
        var result = Result(
            runs: Leftovers.runIDs(keys), found: keys.map { String(decoding: $0, as: UTF8.self) }, deleted: 0,
            remaining: [], refusals: [:])
        if !dryRun {
            let deletion = await NamespaceCleaner.delete(keys, session: &session)
            result.deleted = deletion.deleted
            result.remaining = deletion.remaining.map { String(decoding: $0, as: UTF8.self) }
            for reason in deletion.refusals.values { result.refusals[reason, default: 0] += 1 }
        }
        await session.close()
        return result
    }
}
