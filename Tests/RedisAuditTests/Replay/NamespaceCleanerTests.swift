import Foundation
import RESP
import Testing
@testable import RedisAudit

/// Cleanup deletes one key per command, counts what the server confirms, and names what it
/// could not delete instead of claiming it did.
@Suite("namespace cleanup is honest", .timeLimit(.minutes(2)), MachineLoad.light)
struct NamespaceCleanerTests {
    static let writes = """
        name: writes
        summary: Writes three keys, one without TTL.
        steps:
          - command: [SET, "session:1", "x", EX, 600]
          - command: [SADD, "sess:1", "t1"]
          - command: [SET, "{user1}:profile", "y"]
        """

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theReportCountsTheDeletionsTheServerConfirmed() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let scenario = try ScenarioLoader.load(contentsOf: try Fixtures.scenarioFile(Self.writes))
        let report = try await Fixtures.compare(a, b, scenarios: [scenario])
        let note = try #require(report.summary.notes.first { $0.contains("cleanup:") })
        #expect(note.contains("A: 3 keys deleted (confirmed by the server), none left"), "\(note)")
        #expect(note.contains("B: 3 keys deleted (confirmed by the server), none left"), "\(note)")
        #expect(!report.findings.contains { $0.category == .leftover })
        #expect(try await a.command("DBSIZE") == .integer(0))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func keysTheServerRefusesToDeleteAreNamedNotClaimed() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        // A user that may write every key but delete none.
        let writer = try await a.user("writer", password: "writer-secret-7", "+@all", "-unlink", "-del")
        let scenario = try ScenarioLoader.load(contentsOf: try Fixtures.scenarioFile(Self.writes))
        let report = try await Fixtures.compare(writer, b.endpoint, scenarios: [scenario])

        let leftover = try #require(report.findings.first { $0.category == .leftover && $0.endpoints == ["A"] })
        #expect(leftover.severity == .high)
        #expect(leftover.title == "3 keys written by this run could not be deleted from A")
        #expect(leftover.evidence.contains { $0.contains(":session:1 -> still there") })
        #expect(leftover.evidence.contains { $0.contains(":{user1}:profile -> still there") })
        #expect(leftover.evidence.contains { $0.contains("NOPERM") })
        let note = try #require(report.summary.notes.first { $0.contains("cleanup:") })
        #expect(note.contains("A: 0 keys deleted (confirmed by the server), 3 left"), "\(note)")
        #expect(note.contains("B: 3 keys deleted (confirmed by the server), none left"), "\(note)")
        #expect(try await a.command("DBSIZE") == .integer(3))

        // `clean` as the same user: exit 1, the keys named, nothing claimed; the password nowhere.
        let url = "redis://writer:writer-secret-7@127.0.0.1:\(a.port)"
        let refused = try await Fixtures.run(["clean", url])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stdout.contains("deleted 0 of 3 keys"), "\(refused.stdout)")
        #expect(refused.stdout.contains("3 keys could not be deleted"))
        #expect(refused.stdout.contains(":session:1"))
        #expect(!(refused.stdout + refused.stderr).contains("writer-secret-7"))
        #expect(try await a.command("DBSIZE") == .integer(3))

        // An account allowed to delete removes them, and says so.
        let cleaned = try await Fixtures.run(["clean", a.url])
        #expect(cleaned.status == 0, "\(cleaned.stderr)")
        #expect(cleaned.stdout.contains("deleted 3 of 3 keys from 1 run namespace"), "\(cleaned.stdout)")
        #expect(try await a.command("DBSIZE") == .integer(0))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func deletionIsOneKeyPerCommandAndFallsBackToDel() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        // UNLINK refused, DEL allowed: every key still goes, through DEL.
        let endpoint = try await server.user("nounlink", password: "pw-nounlink", "+@all", "-unlink")
        for key in ["redisaudit:r1:a", "redisaudit:r1:{x}b", "redisaudit:r1:{y}c"] { try await server.command("SET", key, "v") }
        let connection = try await RedisConnection.connect(to: endpoint, options: Fixtures.options)
        var session = ReconnectingConnection(connection: connection, endpoint: endpoint, options: Fixtures.options)
        let keys = ["redisaudit:r1:a", "redisaudit:r1:{x}b", "redisaudit:r1:{y}c", "redisaudit:r1:never-written"].map {
            Array($0.utf8)
        }
        let deletion = await NamespaceCleaner.delete(keys, session: &session)
        await session.close()
        #expect(deletion.attempted == 4)
        #expect(deletion.deleted == 3)
        #expect(deletion.remaining.isEmpty)
        #expect(deletion.refusals.isEmpty)
        #expect(try await server.command("DBSIZE") == .integer(0))
        // One UNLINK per key (all refused), then one DEL per key: no command named two keys.
        let commands = try await server.command("INFO", "commandstats").text ?? ""
        #expect(commands.contains("cmdstat_unlink:calls=0,usec=0,usec_per_call=0.00,rejected_calls=4"), "\(commands)")
        #expect(commands.contains("cmdstat_del:calls=4,"), "\(commands)")
    }
}
