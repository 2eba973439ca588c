import Foundation
import NIOCore
import RESP
import Testing
@testable import RedisAudit

/// Scripts run as a temporary ACL user confined to the run's keys: whatever a script tries, the
/// server refuses it outside the namespace, the report says so, and the user is gone afterwards.
/// Where the server cannot confine (ACL SETUSER refused), the static check stands guard.
@Suite("scripts are confined to the run namespace", .timeLimit(.minutes(3)), MachineLoad.light)
struct ScriptConfinementTests {
    static let kinds: [TestServer.Kind] = [.redis62, .redis70, .valkey91]

    static func scenario(_ lua: String, keys: [String] = [], args: [String] = []) throws -> Scenario {
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        return try ScenarioLoader.load(
            contentsOf: try Fixtures.scenarioFile(
                """
                name: script
                summary: A script under test.
                steps:
                  - command: [SET, "mine", "1"]
                  - script:
                      lua: "\(lua)"
                      keys: \(list(keys))
                      args: \(list(args))
                    on_error: continue
                """))
    }

    /// Keys the application owns, written before the run outside any namespace (one in database 1).
    static func writeUserKeys(_ server: TestServer) async throws {
        try await server.command("SET", "user:1", "alice")
        try await server.command("HSET", "profile:1", "name", "alice")
        let connection = try await server.connect()
        return try await withCleanup {
            _ = await connection.send([RESPCommand("SELECT", "1"), RESPCommand("SET", "other-db", "x")])
        } cleanup: {
            await connection.close()
        }
    }

    static func userKeysAreIntact(_ server: TestServer) async throws {
        #expect(try await server.command("GET", "user:1") == .bulkString(Array("alice".utf8)))
        #expect(try await server.command("HGET", "profile:1", "name") == .bulkString(Array("alice".utf8)))
        #expect(try await server.command("DBSIZE") == .integer(2))
        let connection = try await server.connect()
        return try await withCleanup {
            let replies = await connection.send([RESPCommand("SELECT", "1"), RESPCommand("DBSIZE")])
            #expect(replies[1].reply == .integer(1))
        } cleanup: {
            await connection.close()
        }
    }

    static func temporaryUsers(_ server: TestServer) async throws -> [String] {
        let users = try await server.command("ACL", "USERS")
        return (users.arrayElements ?? []).compactMap(\.text).filter { $0.hasPrefix(ConfinedUser.prefix) }
    }

    @Test(.enabled(if: Fixtures.available(.redis62, .redis70, .valkey91)), arguments: kinds)
    func aScriptCallingFLUSHALLIsRefusedByTheServerAndEveryUserKeyIsIntact(kind: TestServer.Kind) async throws {
        let a = try await TestServer.start(kind)
        let b = try await TestServer.start(kind)
        defer { a.stop(); b.stop() }
        for server in [a, b] { try await Self.writeUserKeys(server) }
        let report = try await Fixtures.compare(a, b, scenarios: [try Self.scenario("return redis.call('FLUSHALL')")])
        for server in [a, b] {
            try await Self.userKeysAreIntact(server)
            #expect(try await Self.temporaryUsers(server).isEmpty)
        }
        let escapes = report.findings.filter { $0.category == .scriptEscape }
        #expect(escapes.map(\.endpoints) == [["A"], ["B"]] || escapes.map(\.endpoints) == [["B"], ["A"]], "\(escapes)")
        for escape in escapes {
            #expect(escape.severity == .high)
            #expect(escape.title.contains("ACL refused it"))
            #expect(escape.step?.contains("step 2 (script)") == true, "\(escape.step ?? "")")
            #expect(escape.evidence.contains { $0.contains("temporary ACL user redisaudit-") })
        }
        // The refusal is the confinement's, not a difference between the hosts or their own ACL.
        #expect(!report.findings.contains { $0.category == .commandDenied })
        #expect(!report.findings.contains { $0.category == .replyMismatch })
        let note = try #require(report.summary.notes.first { $0.hasPrefix("Script confinement:") })
        #expect(note.contains("A: scenario connections ran as the temporary ACL user `redisaudit-"), "\(note)")
        #expect(note.contains("deleted afterwards (ACL GETUSER confirms it is gone)"), "\(note)")
        #expect(!report.findings.contains { $0.category == .leftover })
    }

    @Test(.enabled(if: Fixtures.available(.redis62, .valkey91)))
    func hostsThatWordTheRefusalDifferentlyShowNoDifference() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.valkey91)
        defer { a.stop(); b.stop() }
        let report = try await Fixtures.compare(a, b, scenarios: [try Self.scenario("return redis.call('FLUSHALL')")])
        #expect(report.findings.filter { $0.category == .scriptEscape }.count == 2)
        let others = report.findings.filter { $0.scenario == "script" && $0.category != .scriptEscape }
        #expect(others.isEmpty, "\(others.map(\.title))")
    }

    @Test(.enabled(if: Fixtures.available(.redis62, .redis70, .valkey91)), arguments: kinds)
    func keysOutsideTheNamespaceAreRefusedLiteralOrBuiltFromARGV(kind: TestServer.Kind) async throws {
        let a = try await TestServer.start(kind)
        let b = try await TestServer.start(kind)
        defer { a.stop(); b.stop() }
        let scenarios = [
            try Self.scenario("return redis.call('SET','outside',1)"),
            try Self.scenario("return redis.call('SET', 'user:' .. ARGV[1], 1)", args: ["2"]),
            try Self.scenario("return redis.call('SET', KEYS[1] .. ARGV[1], 1)", keys: ["k"], args: [":x"]),
        ]
        let report = try await Fixtures.compare(a, b, scenarios: scenarios)
        for server in [a, b] {
            #expect(try await server.command("EXISTS", "outside") == .integer(0))
            #expect(try await server.command("EXISTS", "user:2") == .integer(0))
            // Nothing at all is left: no key outside the namespace was written, the namespace was cleaned.
            #expect(try await server.command("DBSIZE") == .integer(0))
        }
        // KEYS[1] .. ARGV[1] names `redisaudit:<run>-3a:k:x`: inside the namespace, so it is allowed.
        let escapes = report.findings.filter { $0.category == .scriptEscape }
        #expect(escapes.count == 4, "\(escapes.map(\.title))")
        #expect(Set(escapes.compactMap(\.scenario)) == ["script"])
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theUserIsDeletedAfterAnInterruptedRunAndCleanRemovesALeftoverOne() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let interruption = Interruption()
        interruption.request()
        let configuration = CompareConfiguration(
            endpointA: server.endpoint, endpointB: server.endpoint, connection: Fixtures.options,
            scenarios: [try Self.scenario("return redis.call('GET', KEYS[1])", keys: ["k"])], pings: 5)
        do {
            _ = try await CompareAudit(configuration: configuration, interruption: interruption).run()
            Issue.record("the interrupted run finished")
        } catch let error as InterruptedError {
            #expect(error.description.contains("-a, redisaudit-"), "\(error)")
            #expect(error.description.contains("deleted (ACL GETUSER confirms)"), "\(error)")
        }
        #expect(try await Self.temporaryUsers(server).isEmpty)

        // A killed run leaves its user behind; `clean` finds it by name and deletes it.
        let leftover = Namespace.generate().runID
        _ = try await RunConfinement.establish(
            runID: leftover, endpoints: [("A", server.endpoint)], options: Fixtures.options)
        try await server.command("ACL", "SETUSER", "redisaudit-not-a-run-id-a", "off")
        try await server.command("ACL", "SETUSER", "redisaudit-\(leftover)x-a", "off")
        try await server.command("ACL", "SETUSER", "alice", "off")
        let others = ["redisaudit-\(leftover)x-a", "redisaudit-not-a-run-id-a"]
        #expect(try await Self.temporaryUsers(server).sorted() == (["redisaudit-\(leftover)-a"] + others).sorted())
        let dry = try await ConfinementUsers.clean(endpoint: server.endpoint, options: Fixtures.options, runID: nil, dryRun: true)
        #expect(dry.found == ["redisaudit-\(leftover)-a"])
        #expect(try await Self.temporaryUsers(server).count == 3)
        // The next audit reports it before anything runs.
        let next = try await Fixtures.compare(server, server, scenarios: [try Self.scenario("return 1")])
        let reported = try #require(next.findings.first { $0.title.contains("temporary ACL user left by earlier") })
        #expect(reported.category == .leftover && reported.severity == .low)
        #expect(reported.evidence == ["ACL USERS -> redisaudit-\(leftover)-a"])
        let result = try await ConfinementUsers.clean(
            endpoint: server.endpoint, options: Fixtures.options, runID: nil, dryRun: false)
        #expect(result.deleted == ["redisaudit-\(leftover)-a"])
        #expect(result.remaining.isEmpty)
        #expect([.null, .nullArray].contains(try await server.command("ACL", "GETUSER", "redisaudit-\(leftover)-a")))
        // Only the generated format is matched without --run: other users stay.
        #expect(try await Self.temporaryUsers(server).sorted() == others.sorted())
        let users = try await server.command("ACL", "USERS")
        #expect((users.arrayElements ?? []).compactMap(\.text).contains("alice"))
        // With --run, exactly that run's users.
        let named = try await ConfinementUsers.clean(
            endpoint: server.endpoint, options: Fixtures.options, runID: "not-a-run-id", dryRun: false)
        #expect(named.deleted == ["redisaudit-not-a-run-id-a"])
        #expect(try await Self.temporaryUsers(server) == ["redisaudit-\(leftover)x-a"])
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func whereACLSETUSERIsDeniedTheStaticCheckRefusesWithFileAndLine() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let app = try await server.user("app", password: "app-secret-3", "+@all", "-acl")
        let escaping = try Self.scenario("return redis.call('SET','outside',1)")
        do {
            _ = try await Fixtures.compare(app, app, scenarios: [escaping])
            Issue.record("the escaping script was run")
        } catch let error as InputError {
            #expect(error.location?.line == 6, "\(error)")
            #expect(error.description.contains("scenario.yaml:6: script refused by the static check"), "\(error)")
            #expect(error.description.contains("not KEYS[...]"), "\(error)")
            #expect(error.description.contains("cannot create a temporary ACL user: ACL WHOAMI refused"), "\(error)")
            #expect(!error.description.contains("app-secret-3"))
        }
        // Nothing was sent: not even the step before the script.
        #expect(try await server.command("DBSIZE") == .integer(0))
        // A user that may read its own ACL but not create users is refused the same way.
        let noSetuser = try await server.user("app2", password: "app2-secret-4", "+@all", "-acl|setuser")
        await #expect(throws: InputError.self) { _ = try await Fixtures.compare(noSetuser, noSetuser, scenarios: [escaping]) }
        #expect(try await server.command("DBSIZE") == .integer(0))

        // A script that touches only KEYS passes and runs.
        let confined = try Self.scenario("return redis.call('INCR', KEYS[1])", keys: ["counter"])
        let report = try await Fixtures.compare(app, app, scenarios: [confined])
        #expect(!report.findings.contains { $0.category == .scriptEscape || $0.category == .expectation })
        let note = try #require(report.summary.notes.first { $0.hasPrefix("Script confinement:") })
        #expect(note.contains("every script passed the static check"), "\(note)")
        #expect(try await server.command("DBSIZE") == .integer(0))

        // --allow-unconfined-scripts runs it anyway: the key outside the namespace is written.
        let configuration = CompareConfiguration(
            endpointA: app, endpointB: app, connection: Fixtures.options, scenarios: [escaping], pings: 5,
            allowUnconfinedScripts: true)
        let unchecked = try await CompareAudit(configuration: configuration).run()
        #expect(try await server.command("EXISTS", "outside") == .integer(1))
        let uncheckedNote = try #require(unchecked.summary.notes.first { $0.hasPrefix("Script confinement:") })
        #expect(uncheckedNote.contains("--allow-unconfined-scripts"), "\(uncheckedNote)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func stateSnapshotsShowOnlyTheNamespacesKeys() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        // Unconfined, so the script really writes outside; the run's state still shows only its own keys.
        let scenario = try Self.scenario("redis.call('SET','outside',1) return redis.call('SET', KEYS[1], 2)", keys: ["k"])
        let replayer = ScenarioReplayer(endpoint: server.endpoint, options: Fixtures.options, role: "A")
        var generator = SystemRandomNumberGenerator()
        let run = try await replayer.run(
            scenario, bindings: try scenario.bind(overrides: [:], using: &generator), namespace: Namespace.generate())
        #expect(try await server.command("EXISTS", "outside") == .integer(1))
        #expect(run.finalKeys.keys.sorted() == ["k", "mine"])
        #expect(run.steps.allSatisfy { Set($0.keyStates.keys).isSubset(of: ["k", "mine"]) })
    }

    @Test(.enabled(if: Fixtures.available(.redis62, .valkey91)))
    func theBuiltInScriptsStillPassUnderConfinement() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.valkey91)
        defer { a.stop(); b.stop() }
        let scenarios = try ["refresh-lua", "checkin-capacity-lua"].map { try #require(try BuiltinScenarios.named($0)) }
        let report = try await Fixtures.compare(a, b, scenarios: scenarios)
        #expect(!report.findings.contains { $0.category == .scriptEscape || $0.category == .commandDenied })
        #expect(!report.findings.contains { $0.category == .invariant || $0.category == .expectation }, "\(report.findings)")
        let note = try #require(report.summary.notes.first { $0.hasPrefix("Script confinement:") })
        #expect(note.contains("A: scenario connections ran as the temporary ACL user"), "\(note)")
        #expect(note.contains("B: scenario connections ran as the temporary ACL user"), "\(note)")
        for server in [a, b] {
            #expect(try await Self.temporaryUsers(server).isEmpty)
            #expect(try await server.command("DBSIZE") == .integer(0))
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func injectRunsTheApplicationAsTheConfinedUserThroughTheProxy() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        try await Self.writeUserKeys(server)
        let configuration = InjectConfiguration(
            endpoints: [server.endpoint], connection: Fixtures.options,
            scenarios: [
                try Self.scenario("return redis.call('INCR', KEYS[1])", keys: ["counter"]),
                try Self.scenario("return redis.call('FLUSHALL')"),
            ],
            trialTimeout: .milliseconds(1000), jobs: 2)
        let report = try await InjectAudit(configuration: configuration).run()
        try await Self.userKeysAreIntact(server)
        #expect(try await Self.temporaryUsers(server).isEmpty)
        let escapes = report.findings.filter { $0.category == .scriptEscape }
        #expect(escapes.count == 1, "\(report.findings.map(\.title))")
        // The first scenario was explored through the proxy, authenticated as the temporary user.
        let coverage = try #require(report.coverage?.first)
        #expect(coverage.trials > 0)
        let note = try #require(report.summary.notes.first { $0.hasPrefix("Script confinement:") })
        #expect(note.contains("deleted afterwards"), "\(note)")
    }
}
