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
