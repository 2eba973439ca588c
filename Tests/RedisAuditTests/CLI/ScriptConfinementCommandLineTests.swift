import Foundation
import Testing
@testable import RedisAudit

/// The command line tells where scripts stand: `scenarios validate` gives each script's static
/// verdict, `--help` calls `--allow-unconfined-scripts` dangerous, and `clean` removes temporary users.
@Suite("script confinement on the command line", .timeLimit(.minutes(2)), MachineLoad.light)
struct ScriptConfinementCommandLineTests {
    @Test func validateGivesEachScriptsStaticVerdictWithItsLine() async throws {
        let path = try Fixtures.scenarioFile(
            """
            name: two-scripts
            summary: One script passes the static check, one does not.
            steps:
              - script:
                  lua: "return redis.call('INCR', KEYS[1])"
                  keys: [counter]
              - script:
                  lua: "return redis.call('FLUSHALL')"
                  keys: []
            """)
        let run = try await Fixtures.run(["scenarios", "validate", path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains(
                "\(path):5: script: confined by the server's ACL on hosts that allow ACL SETUSER; "
                    + "where they do not, it passes the static check"), "\(run.stdout)")
        #expect(run.stdout.contains("\(path):8: script: confined by the server's ACL"), "\(run.stdout)")
        #expect(
            run.stdout.contains(
                "it fails the static check: script refused by the static check: script line 1: "
                    + "redis.call(...): FLUSHALL is refused"), "\(run.stdout)")
    }

    @Test func theHelpCallsTheOverrideDangerous() async throws {
        for command in ["compare", "inject"] {
            let run = try await Fixtures.run([command, "--help"])
            #expect(run.stdout.contains("--allow-unconfined-scripts"), "\(command)")
            #expect(run.stdout.contains("DANGEROUS"), "\(command)")
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func sigtermDuringARunStillDeletesTheTemporaryUsers() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let path = try Fixtures.scenarioFile(
            """
            name: slow
            summary: Blocks for a while, so the run can be stopped in the middle.
            steps:
              - command: [BLPOP, "queue", "20"]
              - command: [GET, "k"]
            """)
        let process = try ChildProcess(
            Fixtures.binary.path, ["compare", server.url, server.url, "--scenario", path],
            environment: [GitHubStepSummary.variable: ""])
        defer { process.stop(grace: 0) }
        // Stop it once its temporary users exist: the scenario is then running.
        let deadline = ContinuousClock.now + .seconds(30)
        while try await Self.temporaryUsers(server).count < 2 {
            guard ContinuousClock.now < deadline, process.isRunning else {
                Issue.record("the run made no temporary users: \(process.stderr)")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.pid, SIGTERM)
        let status = await process.finish(timeout: 30)
        #expect(status == 130, "\(process.stderr)")
        #expect(process.stderr.contains("deleted (ACL GETUSER confirms)"), "\(process.stderr)")
        #expect(try await Self.temporaryUsers(server).isEmpty)
        #expect(try await server.command("DBSIZE") == .integer(0))
    }

    static func temporaryUsers(_ server: TestServer) async throws -> [String] {
        let users = try await server.command("ACL", "USERS")
        return (users.arrayElements ?? []).compactMap(\.text).filter { $0.hasPrefix(ConfinedUser.prefix) }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func cleanDeletesALeftoverTemporaryUser() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let runID = Namespace.generate().runID
        _ = try await RunConfinement.establish(runID: runID, endpoints: [("A", server.endpoint)], options: Fixtures.options)
        let run = try await Fixtures.run(["clean", server.url])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("deleted 1 of 1 temporary ACL user on"), "\(run.stdout)")
        #expect(run.stdout.contains("  redisaudit-\(runID)-a"), "\(run.stdout)")
        #expect([.null, .nullArray].contains(try await server.command("ACL", "GETUSER", "redisaudit-\(runID)-a")))
    }
}
