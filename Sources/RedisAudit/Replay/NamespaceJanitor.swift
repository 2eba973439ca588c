import RESP

/// `redisaudit clean`: finds every `redisaudit:<run>:` key on an endpoint and deletes it.
public enum NamespaceJanitor {
    /// What a clean found (and deleted unless it was a dry run).
    public struct Result: Sendable {
        public var keys: Int
        public var runs: [String]
    }

    public static func clean(endpoint: Endpoint, options: ConnectionOptions, runID: String?, dryRun: Bool) async throws -> Result {
        let connection = try await RedisConnection.connect(to: endpoint, options: options)
        var session = ReplaySession(connection: connection, endpoint: endpoint, options: options)
        defer { Task { await connection.close() } }
        let pattern = runID.map { "redisaudit:\($0):*" } ?? "redisaudit:*"
        let keys = try await NamespaceCleaner.scan(pattern: Array(pattern.utf8), session: &session)
        if !dryRun {
            try await NamespaceCleaner.delete(keys, session: &session)
        }
        return Result(keys: keys.count, runs: Leftovers.runIDs(keys))
    }
}
