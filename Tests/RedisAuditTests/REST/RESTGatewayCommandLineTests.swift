import Foundation
import Testing
@testable import RedisAudit

/// `redisaudit rest-gateway` as a process: its usage errors, and a run until SIGTERM that never shows the token.
@Suite("redisaudit rest-gateway command line", .timeLimit(.minutes(2)), MachineLoad.light)
struct RESTGatewayCommandLineTests {
    @Test func noTokenIsAUsageErrorNamingTheVariable() async throws {
        let run = try await Fixtures.run(
            ["rest-gateway", "--upstream", "redis://127.0.0.1:1", "--token-env", "REDISAUDIT_TEST_NO_SUCH_TOKEN"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("REDISAUDIT_TEST_NO_SUCH_TOKEN"), "\(run.stderr)")
    }

    @Test func aStreamFaultIsRefusedForRequests() async throws {
        let run = try await Fixtures.run(
            ["rest-gateway", "--upstream", "redis://127.0.0.1:1", "--listen", "127.0.0.1:0", "--fault", "slicer:size=4"],
            environment: ["REDISAUDIT_REST_TOKEN": "t"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("cannot apply to REST requests"), "\(run.stderr)")
    }

    @Test(.enabled(if: RESTGatewayTests.available))
    func servesTheSDKUntilTerminatedWithoutShowingTheToken() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let port = try TestServer.freePort()
        let token = "secret-token-\(UUID().uuidString.prefix(8))"
        let process = try ChildProcess(
            Fixtures.binary.path,
            ["rest-gateway", "--listen", "127.0.0.1:\(port)", "--upstream", server.url, "--fault", "kill-after:INCR"],
            environment: ["REDISAUDIT_REST_TOKEN": token])
        defer { process.stop(grace: 0) }
        let ready = await process.stderrLines(timeout: 30) { $0.contains("serving Upstash REST") }
        #expect(ready.count == 1, "\(process.stderr)")
        let client = try ChildProcess(
            RESTGatewayTests.python,
            [
                "-c",
                """
                import os
                from upstash_redis import Redis
                r = Redis(url=os.environ["URL"], token=os.environ["TOKEN"], rest_retries=0)
                assert r.set("redisaudit:rest:cli", "v") is True
                try:
                    r.incr("redisaudit:rest:n")
                except Exception as e:
                    print(e)
                """,
            ],
            environment: ["URL": "http://127.0.0.1:\(port)", "TOKEN": token])
        #expect(await client.finish(timeout: 60) == 0, "\(client.stderr)")
        #expect(client.stdout.contains("connection closed by a fault rule"), "\(client.stdout)")
        #expect(try await server.command("GET", "redisaudit:rest:cli") == .bulk("v"))
        #expect(try await server.command("GET", "redisaudit:rest:n") == .bulk("1"))

        kill(process.pid, SIGTERM)
        #expect(await process.finish(timeout: 30) == 0)
        #expect(process.stderr.contains("kill-after:INCR: fired 1 time"), "\(process.stderr)")
        #expect(!process.stderr.contains(token) && !process.stdout.contains(token))
    }
}
