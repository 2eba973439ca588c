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
        return try await withCleanup {
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
        } cleanup: {
            await connection.close()
        }
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
        try await a.command("SADD", "redisaudit:deadbeef0102-1a:sess:user123", "t1")
        try await a.command("SET", "redisaudit:deadbeef0102-1a:rt:user123:t1", "x")
        try await a.command("SET", "unrelated", "stays")
        let scenario = try #require(try BuiltinScenarios.named("blacklist"))
        let report = try await Fixtures.compare(a, b, scenarios: [scenario])
        let leftover = try #require(report.findings.first { $0.category == .leftover })
        #expect(leftover.endpoints == ["A"])
        #expect(leftover.title.hasPrefix("2 keys"))
        #expect(leftover.evidence.contains("runs: deadbeef0102-1a"))

        let result = try await NamespaceJanitor.clean(endpoint: a.endpoint, options: Fixtures.options, runID: nil, dryRun: false)
        #expect(result.keys == 2)
        #expect(result.runs == ["deadbeef0102-1a"])
        #expect(try await a.command("KEYS", "*") == .array([.bulk("unrelated")]))
    }

    /// The application's own keys under `redisaudit:` look like a namespace but are not one.
    static let lookalikes = [
        "redisaudit:config", "redisaudit:prod:settings", "redisaudit:deadbeef0102:x", "redisaudit:deadbeef0102-:x",
        "redisaudit:deadbeef01-1:x", "redisaudit:DEADBEEF0102-1a:x", "redisaudit:deadbeef0102-1A:x", "redisaudit:deadbeef0102-1a",
    ]

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func cleanDeletesRunNamespacesAndNothingElseUnderTheRoot() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        for key in Self.lookalikes { try await server.command("SET", key, "app") }
        for key in ["redisaudit:deadbeef0102-1a:k", "redisaudit:deadbeef0102-restart1b:k", "redisaudit:0123456789ab-3a:k"] {
            try await server.command("SET", key, "run")
        }
        // Nothing that is not a run namespace counts as a leftover, either.
        #expect(Self.lookalikes.allSatisfy { Namespace.runNamespace(ofKey: Array($0.utf8)) == nil })

        let dry = try await Fixtures.run(["clean", "--dry-run", server.url])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would delete 3 keys from 3 run namespaces"), "\(dry.stdout)")
        for key in ["redisaudit:deadbeef0102-1a:k", "redisaudit:deadbeef0102-restart1b:k", "redisaudit:0123456789ab-3a:k"] {
            #expect(dry.stdout.contains("  \(key)\n"), "\(dry.stdout)")
        }
        #expect(!Self.lookalikes.contains { dry.stdout.contains($0 + "\n") }, "\(dry.stdout)")
        #expect(try await server.command("DBSIZE") == .integer(Int64(Self.lookalikes.count + 3)))

        // One run, by its run id: both of its namespaces, not the other run's.
        let one = try await Fixtures.run(["clean", "--run", "deadbeef0102", server.url])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("deleted 2 of 2 keys from 2 run namespaces"), "\(one.stdout)")
        #expect(try await server.command("EXISTS", "redisaudit:0123456789ab-3a:k") == .integer(1))

        let all = try await Fixtures.run(["clean", server.url])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("deleted 1 of 1 key from 1 run namespace"), "\(all.stdout)")
        let left = try await server.command("KEYS", "*").arrayElements?.compactMap(\.text).sorted()
        #expect(left == Self.lookalikes.sorted())

        let bad = try await Fixtures.run(["clean", "--run", "redisaudit:*", server.url])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--run takes a run id"), "\(bad.stderr)")
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
        let process = try ChildProcess(
            Fixtures.binary.path, ["compare", a.url, b.url, "--scenario", path, "--command-timeout", "10"])
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

    static let trickled = """
        name: trickled
        summary: Writes a 200,000-byte string, then reads it back.
        steps:
          - command: [SETRANGE, "blob", 199999, "x"]
          - command: [GET, "blob"]
        """

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func ctrlCDuringATrickledReplyWinsAtOnceAndWritesNoReport() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        // B's replies to GET trickle at 1,000 bytes a second: the GET would take 200 s.
        let proxy = try await FaultProxy.start(
            FaultProxyConfiguration(
                listenPort: 0, upstream: b.endpoint, options: Fixtures.options,
                rules: [try FaultRule.parse("bandwidth:GET:rate=1")]))
        defer { a.stop(); b.stop() }
        let report = try Fixtures.scenarioFile("", name: "report.md")
        try FileManager.default.removeItem(atPath: report)
        let process = try ChildProcess(
            Fixtures.binary.path,
            [
                "compare", a.url, "redis://127.0.0.1:\(proxy.port)", "--scenario", try Fixtures.scenarioFile(Self.trickled),
                "--command-timeout", "60", "-o", report,
            ])
        // Wait until A has written its string, B holds it and B's GET has started trickling, then interrupt.
        var trickling = false
        for _ in 0..<200 {
            let stats = try await a.command("INFO", "commandstats").text ?? ""
            if stats.contains("cmdstat_setrange:calls=1,"),
                try await b.command("KEYS", "redisaudit:*").arrayElements?.count == 1,
                proxy.counters.snapshot.contains(where: { $0.fired > 0 })
            {
                trickling = true
                break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(trickling)
        let clock = ContinuousClock()
        let interrupted = clock.now
        kill(process.pid, SIGINT)
        let status = await process.finish(timeout: 20)
        let elapsed = clock.now - interrupted
        await proxy.stop()
        #expect(status == 130, "\(process.stderr)")
        // The GET alone would take 200 s, and the command timeout is 60 s.
        #expect(elapsed < .seconds(10), "\(elapsed)")
        #expect(
            process.stderr.contains(
                "interrupted; no report was written; cleanup: A: 1 key deleted (confirmed by the server), none left; B: 1 key deleted (confirmed by the server), none left"
            ), "\(process.stderr)")
        #expect(!FileManager.default.fileExists(atPath: report))
        #expect(try await a.command("KEYS", "*") == .array([]))
        #expect(try await b.command("KEYS", "*") == .array([]))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func ctrlCStopsInjectMidCommandAndCleansEveryTrial() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        try await server.command("SET", "app:key", "stays")
        let process = try ChildProcess(
            Fixtures.binary.path,
            [
                "inject", server.url, "--scenario", try Fixtures.scenarioFile(Self.slow), "--command-timeout", "30",
                "--trial-timeout", "30",
            ])
        // The first trial blocks in BLPOP (4 s) with its two keys written.
        var written = false
        for _ in 0..<200 {
            if let keys = try await server.command("KEYS", "redisaudit:*").arrayElements, keys.count >= 2 {
                written = true
                break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(written)
        let clock = ContinuousClock()
        let interrupted = clock.now
        kill(process.pid, SIGTERM)
        let status = await process.finish(timeout: 20)
        #expect(status == 130, "\(process.stderr)")
        #expect(clock.now - interrupted < .seconds(2))
        #expect(process.stderr.contains("interrupted; no report was written; cleanup: A: "), "\(process.stderr)")
        #expect(!process.stdout.contains("# redisaudit"), "\(process.stdout)")
        #expect(try await server.command("KEYS", "*") == .array([.bulk("app:key")]))
    }
}
