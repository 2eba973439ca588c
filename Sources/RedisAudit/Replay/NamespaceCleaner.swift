import RESP

/// Finds and deletes the keys of a run namespace, so an audit leaves nothing behind, and
/// reports what the server confirmed.
///
/// ```
///   keys ─▶ UNLINK k (one key per command, pipelined) ─▶ DEL k where UNLINK was refused
///        ─▶ EXISTS k (one key per command) ─▶ Deletion: confirmed count, keys still there
/// ```
///
/// One key per command, so no host can reject a deletion for spanning cluster slots
/// (CROSSSLOT) or proxies that do not split multi-key commands.
enum NamespaceCleaner {
    /// Above this many keys in the database, a run does not sweep the whole keyspace for
    /// stray namespace keys and deletes only the keys its commands named.
    static let sweepLimit: Int64 = 100_000
    /// Commands per pipelined batch.
    static let batchSize = 500

    /// Keys matching the namespace, found with SCAN (only on databases up to `sweepLimit` keys,
    /// counted over every node of a cluster).
    static func scan(namespace: Namespace, session: inout some CommandTransport) async throws -> [[UInt8]] {
        guard try await size(session: &session) <= sweepLimit else { return [] }
        return try await scan(pattern: Array(namespace.prefix.utf8) + [UInt8(ascii: "*")], session: &session)
    }

    /// The number of keys in the database: `DBSIZE` summed over every node.
    static func size(session: inout some CommandTransport) async throws -> Int64 {
        try await session.eachNode { node in
            try await node.send([RESPCommand("DBSIZE")])[0].reply?.integerValue ?? 0
        }.reduce(0, +)
    }

    /// Every key in a generated run namespace (`redisaudit:<run>-<part>:`), of one run when
    /// `runID` is a run id, of one namespace when it is a namespace id, of every run when nil.
    /// Nothing else under `redisaudit:` is returned, so an application's own
    /// `redisaudit:config` is never taken for a leftover.
    static func scanRunKeys(runID: String?, session: inout some CommandTransport) async throws -> [[UInt8]] {
        let glob: [UInt8]
        let belongs: (String) -> Bool
        switch runID {
        case let run? where Namespace.isRunID(run):
            glob = Array("\(Namespace.root)\(run)-*".utf8)
            belongs = { $0.hasPrefix(run + "-") }
        case let id?:
            glob = Array("\(Namespace.root)\(id):*".utf8)
            belongs = { $0 == id }
        case nil:
            glob = Namespace.runKeysGlob
            belongs = { _ in true }
        }
        return try await scan(pattern: glob, session: &session).filter { key in
            Namespace.runNamespace(ofKey: key).map(belongs) ?? false
        }
    }

    /// Every key matching a glob, by SCAN with COUNT 1000 on every node.
    static func scan(pattern: [UInt8], session: inout some CommandTransport) async throws -> [[UInt8]] {
        try await session.eachNode { node in try await scan(pattern: pattern, node: &node) }.flatMap { $0 }
    }

    /// Every key matching a glob on one node.
    private static func scan(pattern: [UInt8], node session: inout ReconnectingConnection) async throws -> [[UInt8]] {
        var cursor: [UInt8] = Array("0".utf8)
        var keys: [[UInt8]] = []
        repeat {
            let command = RESPCommand(arguments: [
                Array("SCAN".utf8), cursor, Array("MATCH".utf8), pattern, Array("COUNT".utf8), Array("1000".utf8),
            ])
            guard case .reply(let reply) = try await session.send([command])[0],
                let parts = reply.arrayElements, parts.count == 2,
                case .bulkString(let next) = parts[0], let batch = parts[1].arrayElements
            else { break }
            for case .bulkString(let key) in batch { keys.append(key) }
            cursor = next
        } while cursor != Array("0".utf8)
        return keys
    }

    /// Deletes the given keys and anything else left in the namespace, and records the outcome
    /// in `ledger` under `role`. A failure here never hides the run's own result: it reconnects
    /// if needed, and what it could not delete is recorded, not thrown.
    @discardableResult
    static func clean(
        keys: [[UInt8]], namespace: Namespace, session: inout some CommandTransport, ledger: CleanupLedger? = nil,
        role: String = "A"
    ) async -> Deletion {
        var all = keys
        if let swept = try? await scan(namespace: namespace, session: &session) {
            all.append(contentsOf: swept)
        }
        let prefix = Array(namespace.prefix.utf8)
        let deletion = await delete(all.filter { $0.starts(with: prefix) }, session: &session)
        ledger?.record(deletion, role: role)
        return deletion
    }

    /// Deletes each key with its own UNLINK (DEL where UNLINK is refused), then checks with
    /// EXISTS which keys are still there. Never throws: a key whose deletion cannot be confirmed
    /// counts as remaining.
    static func delete(_ keys: [[UInt8]], session: inout some CommandTransport) async -> Deletion {
        var unique = KeyTracker()
        for key in keys { unique.add(key) }
        var deletion = Deletion(attempted: unique.keys.count)
        var refusedUnlink: [[UInt8]] = []
        for (key, outcome) in await each(unique.keys, "UNLINK", session: &session) {
            if let deleted = outcome.reply?.integerValue {
                deletion.deleted += Int(deleted)
            } else {
                refusedUnlink.append(key)
            }
        }
        for (key, outcome) in await each(refusedUnlink, "DEL", session: &session) {
            if let deleted = outcome.reply?.integerValue {
                deletion.deleted += Int(deleted)
            } else {
                deletion.refusals[key] = Deletion.reason(outcome)
            }
        }
        for (key, outcome) in await each(unique.keys, "EXISTS", session: &session) {
            switch outcome.reply?.integerValue {
            case 0?: continue
            case 1?: deletion.remaining.append(key)
            default:
                deletion.remaining.append(key)
                deletion.unverified.insert(key)
            }
        }
        return deletion
    }

    /// `COMMAND key` for each key, pipelined in batches; a batch whose connection could not be
    /// opened again gives every key in it that failure.
    private static func each(_ keys: [[UInt8]], _ name: String, session: inout some CommandTransport) async -> [(
        [UInt8], CommandOutcome
    )] {
        let word = Array(name.utf8)
        var results: [([UInt8], CommandOutcome)] = []
        results.reserveCapacity(keys.count)
        for start in stride(from: 0, to: keys.count, by: batchSize) {
            let batch = Array(keys[start..<min(start + batchSize, keys.count)])
            let outcomes: [CommandOutcome]
            do {
                outcomes = try await session.send(batch.map { RESPCommand(arguments: [word, $0]) })
            } catch {
                outcomes = Array(repeating: .failed(.connectionClosed(error.description)), count: batch.count)
            }
            results += zip(batch, outcomes).map { ($0, $1) }
        }
        return results
    }
}

/// What deleting a set of keys achieved, as the server confirmed it.
struct Deletion: Sendable, Hashable {
    /// Distinct keys the cleanup tried to delete.
    var attempted: Int
    /// Keys the server said it deleted (the sum of UNLINK and DEL replies).
    var deleted = 0
    /// Keys EXISTS still finds afterwards, or could not check.
    var remaining: [[UInt8]] = []
    /// The remaining keys whose EXISTS got no answer: their state is unknown.
    var unverified: Set<[UInt8]> = []
    /// Why each key the server would not delete was refused (the DEL reply, after UNLINK's).
    var refusals: [[UInt8]: String] = [:]

    /// An outcome as a short reason: the error reply, or the transport failure.
    static func reason(_ outcome: CommandOutcome) -> String {
        switch outcome {
        case .reply(.error(let message)): return message
        case .reply(let value): return "unexpected reply \(value.redisCLIDescription)"
        case .failed(let failure): return failure.description
        }
    }
}
