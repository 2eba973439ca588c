import Foundation
import RESP
import Testing
@testable import RedisAudit

/// Keyspaces built by the tests on real servers, audited in-process.
@Suite("keyspace against real servers", .timeLimit(.minutes(2)), MachineLoad.light)
struct KeyspaceIntegrationTests {
    /// Sends the commands in one pipeline and fails the test on any error reply.
    static func populate(_ server: TestServer, _ commands: [[String]]) async throws {
        let connection = try await server.connect()
        return try await withCleanup {
            let outcomes = await connection.send(commands.map { RESPCommand(strings: $0) })
            for (command, outcome) in zip(commands, outcomes) where outcome.isFailure {
                Issue.record("\(command.joined(separator: " ")): \(outcome)")
            }
        } cleanup: {
            await connection.close()
        }
    }

    static func hex(_ i: Int, salt: Int = 0) -> String {
        var x = UInt64(i &* 2_654_435_761 &+ salt &* 97 &+ 1) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        // 16 hex digits, never all decimal digits (the first is a letter).
        return "a" + String(String(x, radix: 16).suffix(15)).padding(toLength: 15, withPad: "0", startingAt: 0)
    }

    static func audit(
        _ servers: [TestServer], prefixes: [String] = [], scan: KeyspaceScanOptions = KeyspaceScanOptions(count: 50)
    ) async throws -> AuditReport {
        let configuration = KeyspaceConfiguration(
            endpoints: servers.map(\.endpoint), connection: Fixtures.options, scan: scan, expectPrefixes: prefixes)
        return try await KeyspaceAudit(configuration: configuration).run()
    }

    /// rt: 60 tokens, 7 of them without TTL; sess: 40 sets; bl: 25; lock: 12 without TTL; checkin: 30 with the prefix.
    static func authKeyspace(sessionTTL: Int = 86400, withoutTTL: Int = 7) -> [[String]] {
        var commands: [[String]] = []
        for i in 0..<60 {
            let key = "rt:user\(1000 + i):\(hex(i))"
            commands.append(i < withoutTTL ? ["SET", key, "{}"] : ["SET", key, "{}", "EX", "604800"])
        }
        for i in 0..<40 {
            commands.append(["SADD", "sess:user\(1000 + i)", hex(i)])
            commands.append(["EXPIRE", "sess:user\(1000 + i)", String(sessionTTL)])
        }
        for i in 0..<25 { commands.append(["SET", "bl:\(hex(i, salt: 1))", "1", "EX", "900"]) }
        for i in 0..<12 { commands.append(["SET", "lock:user\(i)@example.com", "3"]) }
        for i in 0..<30 {
            commands.append(["HSET", "checkin:prod:participant:id:\(i)", "name", "x"]);
            commands.append(["EXPIRE", "checkin:prod:participant:id:\(i)", "3600"])
        }
        return commands
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func reportsThePatternsAndCountsTheTestBuilt() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        try await Self.populate(server, Self.authKeyspace())
        let report = try await Self.audit([server], prefixes: ["checkin:prod:"])
        let table = try #require(report.keyspace?.endpoints.first)
        #expect(table.keysScanned == 60 + 40 + 25 + 12 + 30)
        #expect(table.dbsize == 167)
        #expect(table.complete)
        let rows = Dictionary(uniqueKeysWithValues: table.patterns.map { ($0.pattern, $0) })
        #expect(
            Set(rows.keys) == ["rt:<id>:<hash>", "sess:<id>", "bl:<hash>", "lock:<email>", "checkin:prod:participant:id:<int>"])
        #expect(rows["rt:<id>:<hash>"]?.keys == 60)
        #expect(rows["rt:<id>:<hash>"]?.withoutTTL == 7)
        #expect(rows["sess:<id>"]?.types == ["set": 40])
        #expect(rows["checkin:prod:participant:id:<int>"]?.types == ["hash": 30])
        #expect(rows["lock:<email>"]?.withoutTTL == 12)
        #expect(rows["bl:<hash>"]?.withoutTTL == 0)
        let rtMax = try #require(rows["rt:<id>:<hash>"]?.ttlMaxSeconds)
        #expect(rtMax <= 604_800 && rtMax > 604_700)
        let blMedian = try #require(rows["bl:<hash>"]?.ttlMedianSeconds)
        #expect(abs(blMedian - 900) / 900 < 0.05)

        // Exactly three findings: the missed EXPIREs, the lock question, the missing prefix.
        #expect(report.findings.count == 3, "\(report.findings.map(\.title))")
        let missed = try #require(report.findings.first)
        #expect(missed.severity == .high && missed.category == .ttlMissing)
        #expect(missed.occurrences == 7)
        #expect(missed.title.contains("7 of 60 keys of `rt:<id>:<hash>`"))
        let examples = missed.evidence.filter { $0.hasPrefix("> PTTL ") }.map { String($0.dropFirst(7)) }
        #expect(examples.count == 5)
        let noTTLKeys = Set((0..<7).map { "rt:user\(1000 + $0):\(Self.hex($0))" })
        #expect(examples.allSatisfy { noTTLKeys.contains($0) }, "\(examples)")
        let lock = try #require(report.findings.first { $0.category == .ttlMissing && $0.severity == .medium })
        #expect(lock.title.hasPrefix("Should `lock:<email>` expire?"))
        let prefix = try #require(report.findings.first { $0.category == .keyPrefix })
        #expect(prefix.severity == .medium)
        #expect(prefix.occurrences == 60 + 40 + 25 + 12)
        for pattern in ["rt:<id>:<hash>", "sess:<id>", "bl:<hash>", "lock:<email>"] {
            #expect(prefix.evidence.contains { $0.hasPrefix("  \(pattern):") }, "\(pattern) in \(prefix.evidence)")
        }
        #expect(!prefix.evidence.contains { $0.hasPrefix("  checkin:") })
        #expect(report.summary.verdict == .fail)
        // Ids come from pattern and category: a second run gives the same ones.
        let again = try await Self.audit([server], prefixes: ["checkin:prod:"])
        #expect(again.findings.map(\.id) == report.findings.map(\.id))
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func aDifferentSessionTTLIsTheOnlyFinding() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.valkey91)
        defer { a.stop(); b.stop() }
        try await Self.populate(a, Self.authKeyspace(sessionTTL: 7 * 86400, withoutTTL: 0).filter { !$0[1].hasPrefix("lock:") })
        try await Self.populate(b, Self.authKeyspace(sessionTTL: 86400, withoutTTL: 0).filter { !$0[1].hasPrefix("lock:") })
        let report = try await Self.audit([a, b])
        #expect(report.findings.count == 1, "\(report.findings.map(\.title))")
        let finding = try #require(report.findings.first)
        #expect(finding.category == .keyspaceDiff)
        #expect(finding.severity == .high)
        #expect(finding.title == "`sess:<id>` keys live 7.0 d on A and 24.0 h on B", "\(finding.title)")
        #expect(report.keyspace?.endpoints.map(\.keysScanned) == [155, 155])
        #expect(report.summary.endpoints.map(\.engine) == ["Redis", "Valkey"])
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .redis62)))
    func patternsOnOneSideAndCountGapsAreFound() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis62)
        defer { a.stop(); b.stop() }
        var commandsA = Self.authKeyspace(withoutTTL: 0).filter { !$0[1].hasPrefix("lock:") }
        let commandsB = commandsA.filter {
            !$0[1].hasPrefix("bl:") && !($0[1].hasPrefix("checkin:") && Int($0[1].split(separator: ":").last!)! >= 10)
        }
        commandsA.append(["SET", "feature:flags", "on"])
        try await Self.populate(a, commandsA)
        try await Self.populate(b, commandsB)
        let report = try await Self.audit([a, b])
        let titles = Set(report.findings.map(\.title))
        #expect(
            titles == [
                "`bl:<hash>` exists on A only (25 keys)",
                "`feature:flags` exists on A only (1 key)",
                "`checkin:prod:participant:id:<int>` has 30 keys on A and 10 on B (67% apart)",
            ], "\(titles)")
        #expect(report.findings.allSatisfy { $0.category == .keyspaceDiff })
    }

    /// Every key with its type, a digest of its value and its absolute expiry.
    static func snapshot(_ server: TestServer) async throws -> [String: String] {
        let connection = try await server.connect()
        return try await withCleanup {
            guard case .array(let keys) = try await connection.execute("KEYS", "*") else { return [:] }
            var state: [String: String] = [:]
            for case .bulkString(let key) in keys {
                let outcomes = await connection.send([
                    RESPCommand(arguments: [Array("TYPE".utf8), key]), RESPCommand(arguments: [Array("DUMP".utf8), key]),
                    RESPCommand(arguments: [Array("PEXPIRETIME".utf8), key]),
                ])
                state[KeyPatternInference.escape(key)] = outcomes.map { "\($0)" }.joined(separator: "|")
            }
            return state
        } cleanup: {
            await connection.close()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theAuditChangesNothing() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        var commands = Self.authKeyspace()
        commands += [
            ["RPUSH", "queue:jobs", "a", "b", "c"], ["ZADD", "rank:daily", "1", "x", "2", "y"],
            ["XADD", "events:stream", "*", "k", "v"], ["PEXPIRE", "events:stream", "99999999"],
            ["SET", "bin:\u{1}key with space", "v"], ["SET", "", "empty key"],
        ]
        try await Self.populate(server, commands)
        let before = try await Self.snapshot(server)
        #expect(before.count == 167 + 5)
        try await server.command("CONFIG", "RESETSTAT")
        let report = try await Self.audit([server], prefixes: ["checkin:"], scan: KeyspaceScanOptions(count: 7, memory: true))
        #expect(report.keyspace?.endpoints.first?.keysScanned == 172)
        #expect(report.keyspace?.endpoints.first?.patterns.allSatisfy { $0.memoryBytes ?? 0 > 0 } == true)
        // The server's own count of the commands it ran: reads only.
        let stats = try await server.command("INFO", "commandstats").text ?? ""
        let ran = Set(
            stats.split(whereSeparator: \.isNewline).compactMap { line -> String? in
                guard line.hasPrefix("cmdstat_") else { return nil }
                return String(line.dropFirst(8).prefix { $0 != ":" })
            })
        #expect(
            ran.isSubset(of: [
                "scan", "type", "pttl", "memory|usage", "info", "dbsize", "ping", "client|setname", "config|resetstat",
            ]), "\(ran)")
        #expect(ran.isSuperset(of: ["scan", "type", "pttl", "memory|usage"]), "\(ran)")
        let after = try await Self.snapshot(server)
        #expect(after == before)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aRefusedMemoryUsageIsANoteNotAFailure() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        try await Self.populate(server, Self.authKeyspace())
        try await server.command("ACL", "SETUSER", "nomem", "on", ">pw", "~*", "+@all", "-memory")
        let endpoint = try Endpoint.parse("redis://nomem:pw@127.0.0.1:\(server.port)")
        let configuration = KeyspaceConfiguration(
            endpoints: [endpoint], connection: Fixtures.options, scan: KeyspaceScanOptions(count: 50, memory: true))
        let report = try await KeyspaceAudit(configuration: configuration).run()
        let table = try #require(report.keyspace?.endpoints.first)
        #expect(table.keysScanned == 167)
        #expect(table.memoryRefused?.contains("NOPERM") == true, "\(table.memoryRefused ?? "nil")")
        #expect(table.patterns.allSatisfy { $0.memoryBytes == nil })
        #expect(report.summary.notes.contains { $0.hasPrefix("A refused MEMORY USAGE") })
        #expect(!MarkdownReport.render(report).contains("| memory |"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func sampleAndMatchLimitWhatIsRead() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        try await Self.populate(server, Self.authKeyspace())
        let sampled = try await Self.audit([server], scan: KeyspaceScanOptions(count: 10, sample: 50))
        let table = try #require(sampled.keyspace?.endpoints.first)
        #expect(table.keysScanned == 50)
        #expect(!table.complete)
        #expect(sampled.summary.notes.contains { $0.contains("--sample 50") })
        let matched = try await Self.audit([server], scan: KeyspaceScanOptions(match: "sess:*", count: 10))
        #expect(matched.keyspace?.endpoints.first?.patterns.map(\.pattern) == ["sess:<id>"])
        #expect(matched.keyspace?.endpoints.first?.keysScanned == 40)
    }
}
