import RESP

/// Finds and deletes the keys of a run namespace, so an audit leaves nothing behind.
enum NamespaceCleaner {
    /// Above this many keys in the database, a run does not sweep the whole keyspace for
    /// stray namespace keys and deletes only the keys its commands named.
    static let sweepLimit: Int64 = 100_000

    /// Keys matching the namespace, found with SCAN (only on databases up to `sweepLimit` keys).
    static func scan(namespace: Namespace, session: inout ReplaySession) async throws -> [[UInt8]] {
        let size = try await session.send([RESPCommand("DBSIZE")])[0].reply?.integerValue ?? 0
        guard size <= sweepLimit else { return [] }
        return try await scan(pattern: Array(namespace.prefix.utf8) + [UInt8(ascii: "*")], session: &session)
    }

    /// Every key matching a glob, by SCAN with COUNT 1000.
    static func scan(pattern: [UInt8], session: inout ReplaySession) async throws -> [[UInt8]] {
        var cursor: [UInt8] = Array("0".utf8)
        var keys: [[UInt8]] = []
        repeat {
            let command = RESPCommand(arguments: [Array("SCAN".utf8), cursor, Array("MATCH".utf8), pattern, Array("COUNT".utf8), Array("1000".utf8)])
            guard case .reply(let reply) = try await session.send([command])[0],
                  let parts = reply.arrayElements, parts.count == 2,
                  case .bulkString(let next) = parts[0], let batch = parts[1].arrayElements
            else { break }
            for case .bulkString(let key) in batch { keys.append(key) }
            cursor = next
        } while cursor != Array("0".utf8)
        return keys
    }

    /// Deletes the given keys and anything else left in the namespace. Best effort: a
    /// failure here is not allowed to hide the run's own result; it reconnects if needed.
    static func clean(keys: [[UInt8]], namespace: Namespace, session: inout ReplaySession) async {
        var all = keys
        if let swept = try? await scan(namespace: namespace, session: &session) {
            all.append(contentsOf: swept)
        }
        let prefix = Array(namespace.prefix.utf8)
        try? await delete(all.filter { $0.starts(with: prefix) }, session: &session)
    }

    /// Deletes keys with DEL, 500 at a time.
    static func delete(_ keys: [[UInt8]], session: inout ReplaySession) async throws {
        for chunk in stride(from: 0, to: keys.count, by: 500) {
            let slice = keys[chunk..<min(chunk + 500, keys.count)]
            _ = try await session.send([RESPCommand(arguments: [Array("DEL".utf8)] + slice)])
        }
    }
}
