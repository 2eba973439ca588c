import Foundation
import RESP
import Testing
@testable import RedisAudit

/// The audited endpoints' data is sacred: a run changes nothing outside its namespace and
/// leaves nothing inside it.
@Suite("data outside the run namespace is untouched", .timeLimit(.minutes(2)), MachineLoad.light)
struct NamespaceSafetyTests {
    /// Every key with its type, value dump and TTL: a fingerprint of the keyspace.
    static func fingerprint(_ server: TestServer) async throws -> [String: String] {
        let connection = try await server.connect()
        defer { Task { await connection.close() } }
        guard let keys = try await connection.execute("KEYS", "*").arrayElements else { return [:] }
        var result: [String: String] = [:]
        for case .bulkString(let key) in keys {
            let k = String(decoding: key, as: UTF8.self)
            let replies = await connection.send([
                RESPCommand(arguments: [Array("TYPE".utf8), key]),
                RESPCommand(arguments: [Array("DUMP".utf8), key]),
                RESPCommand(arguments: [Array("PTTL".utf8), key]),
            ])
            let pttl = replies[2].reply?.integerValue ?? -3
            // The remaining TTL shrinks while the run goes on; whether there is one must not change
            // (the TTL itself is checked separately).
            let ttlState = pttl < 0 ? String(pttl) : "has TTL"
            result[k] = "\(replies[0].reply?.text ?? "?")|\(replies[1].reply.map { "\($0)" } ?? "?")|\(ttlState)"
        }
        return result
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aCompareRunLeavesTheKeyspaceAsItWas() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        // Keys an application already has, some with the very names the scenarios use.
        for server in [a, b] {
            try await server.command("SET", "rt:user123:existing", "{\"userId\":\"user123\"}")
            try await server.command("SADD", "sess:user123", "existing")
            try await server.command("SET", "lock:user@example.com", "2", "EX", "900")
            try await server.command("HSET", "profile:user123", "name", "Ada")
            try await server.command("SET", "counter", "41")
        }
        let before = try await Self.fingerprint(a)
        #expect(before.count == 5)
        let started = ContinuousClock.now
        let ttlBefore = try #require(try await a.command("PTTL", "lock:user@example.com").integerValue)
        _ = try await Fixtures.compare(a, b, scenarios: try BuiltinScenarios.all())
        let after = try await Self.fingerprint(a)
        // The existing lock's TTL only ran down, by no more than the time between the two reads
        // (however loaded the machine); nothing refreshed or extended it.
        let ttlAfter = try #require(try await a.command("PTTL", "lock:user@example.com").integerValue)
        let elapsed = ContinuousClock.now - started
        let elapsedMilliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        #expect(ttlAfter <= ttlBefore)
        #expect(ttlAfter >= ttlBefore - elapsedMilliseconds - 1000)
        #expect(after == before)
        #expect(try await Self.fingerprint(b) == before)
        #expect(try await a.command("KEYS", "redisaudit:*") == .array([]))
        #expect(try await b.command("KEYS", "redisaudit:*") == .array([]))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func leftoversOfAKilledRunAreNoticedAndCleaned() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        // What a killed run leaves: keys in its namespace, without TTL.
        try await a.command("SADD", "redisaudit:deadbeef01-1:sess:user123", "t1")
        try await a.command("SET", "redisaudit:deadbeef01-1:rt:user123:t1", "x")
        try await a.command("SET", "unrelated", "stays")
        let scenario = try #require(try BuiltinScenarios.named("blacklist"))
        let report = try await Fixtures.compare(a, b, scenarios: [scenario])
        let leftover = try #require(report.findings.first { $0.category == .leftover })
        #expect(leftover.endpoints == ["A"])
        #expect(leftover.title.hasPrefix("2 keys"))
        #expect(leftover.evidence.contains("runs: deadbeef01-1"))

        let result = try await NamespaceJanitor.clean(endpoint: a.endpoint, options: Fixtures.options, runID: nil, dryRun: false)
        #expect(result.keys == 2)
        #expect(result.runs == ["deadbeef01-1"])
        #expect(try await a.command("KEYS", "*") == .array([.bulk("unrelated")]))
    }
}

/// Ctrl-C in the middle of a run: the namespace is cleaned before the process exits.
@Suite("interrupted runs clean up", .timeLimit(.minutes(2)), MachineLoad.light)
struct InterruptionTests {
    static let slow = """
        name: slow
        summary: Writes two keys, then blocks on an empty list for a while.
        steps:
          - command: [SET, "session:1", "x"]
          - command: [SADD, "sess:1", "t1"]
          - command: [BLPOP, "queue:empty", 4]
          - command: [SET, "never:written", "y"]
        """

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func ctrlCDeletesTheNamespaceAndExits130() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let path = try Fixtures.scenarioFile(Self.slow)
        let process = try ChildProcess(Fixtures.binary.path, ["compare", a.url, b.url, "--scenario", path, "--command-timeout", "10"])
        // Wait until the run has written into its namespace, then interrupt it mid-BLPOP.
        var written = false
        for _ in 0..<100 {
            if let keys = try await a.command("KEYS", "redisaudit:*").arrayElements, keys.count >= 2 { written = true; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(written)
        kill(process.pid, SIGINT)
        let status = await process.finish(timeout: 20)
        #expect(status == 130, "\(process.stderr)")
        #expect(process.stderr.contains("interrupted"))
        #expect(try await a.command("KEYS", "*") == .array([]))
        #expect(try await b.command("KEYS", "*") == .array([]))
    }
}
