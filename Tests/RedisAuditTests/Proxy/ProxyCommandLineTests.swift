import Foundation
import RESP
import Testing
@testable import RedisAudit

@Suite("redisaudit proxy command line", .timeLimit(.minutes(2)), MachineLoad.light)
struct ProxyCommandLineTests {
    @Test func aBadFaultRuleIsAUsageErrorThatShowsTheSyntax() async throws {
        let run = try await Fixtures.run([
            "proxy", "--upstream", "redis://127.0.0.1:1", "--fault", "kill-after:EXPIRE:when=later",
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("kill-after has no parameter 'when'"), "\(run.stderr)")
        #expect(run.stderr.contains("KIND[:COMMAND][:param=value,...]"))
    }

    @Test func aBadEventLoopCountIsAUsageError() async throws {
        let run = try await Fixtures.run(["proxy", "--upstream", "redis://127.0.0.1:1", "--event-loops", "0"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--event-loops must be from 1 to 64"), "\(run.stderr)")
    }

    @Test func aBadListenAddressIsAUsageError() async throws {
        let run = try await Fixtures.run(["proxy", "--upstream", "redis://127.0.0.1:1", "--listen", "6380"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--listen must be HOST:PORT"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func runsUntilInterruptedThenReportsTheCounters() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let port = try TestServer.freePort()
        let stats = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-stats-\(UUID().uuidString.prefix(8)).json"
        ).path
        let process = try ChildProcess(
            Fixtures.binary.path,
            ["proxy", "--listen", "127.0.0.1:\(port)", "--upstream", server.url, "--fault", "kill-after:INCR", "--stats", stats])
        defer { process.stop(grace: 0) }
        let connection = try await Self.connectOnceListening(port)
        await #expect(throws: TransportFailure.self) { try await connection.execute("INCR", "counter") }
        #expect(try await server.command("GET", "counter") == .bulk("1"))

        kill(process.pid, SIGINT)
        let status = await process.finish(timeout: 30)
        #expect(status == 0)
        #expect(process.stderr.contains("kill-after:INCR: fired 1 time"), "\(process.stderr)")
        let json = try String(contentsOfFile: stats, encoding: .utf8)
        #expect(json.contains("\"fired\" : 1"), "\(json)")
        #expect(json.contains("\"rule\" : \"kill-after:INCR\""), "\(json)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func forwardsToAUnixSocketUpstream() async throws {
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-\(UUID().uuidString.prefix(8)).sock"
        ).path
        let server = try await TestServer.start(.redis70, extraArguments: ["--unixsocket", socket])
        defer { server.stop() }
        let port = try TestServer.freePort()
        let process = try ChildProcess(
            Fixtures.binary.path,
            ["proxy", "--listen", "127.0.0.1:\(port)", "--upstream", "unix://\(socket)", "--fault", "drop:INCR:reply=:41"])
        defer { process.stop(grace: 0) }
        let connection = try await Self.connectOnceListening(port)
        #expect(try await connection.execute("SET", "viaunix", "1") == .simpleString("OK"))
        #expect(try await connection.execute("INCR", "viaunix") == .integer(41))
        #expect(try await server.command("GET", "viaunix") == .bulk("1"))
        kill(process.pid, SIGTERM)
        #expect(await process.finish(timeout: 30) == 0)
        #expect(process.stderr.contains("-> unix://\(socket) with 1 fault rule"), "\(process.stderr)")
    }

    @Test func aBadPlanIsAUsageErrorThatSaysWhere() async throws {
        let plan = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString.prefix(8)).yaml").path
        defer { try? FileManager.default.removeItem(atPath: plan) }
        try "faults:\n  - kill-after:INCR\n  - drop:DEL:color=red\n".write(toFile: plan, atomically: true, encoding: .utf8)
        let run = try await Fixtures.run(["proxy", "--upstream", "redis://127.0.0.1:1", "--plan", plan])
        #expect(run.status == 2)
        #expect(
            run.stderr.contains("\(plan):3: invalid fault rule 'drop:DEL:color=red': drop has no parameter 'color'"),
            "\(run.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func planRulesComeBeforeFaultRules() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let plan = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString.prefix(8)).yaml").path
        defer { try? FileManager.default.removeItem(atPath: plan) }
        try "# planned\nfaults:\n  - drop:INCR:reply=+PLANNED  # first\n".write(toFile: plan, atomically: true, encoding: .utf8)
        let port = try TestServer.freePort()
        let process = try ChildProcess(
            Fixtures.binary.path,
            ["proxy", "--listen", "127.0.0.1:\(port)", "--upstream", server.url, "--fault", "kill-after:INCR", "--plan", plan])
        defer { process.stop(grace: 0) }
        let connection = try await Self.connectOnceListening(port)
        // The plan's drop comes first and decides the command's fate: the kill never fires.
        #expect(try await connection.execute("INCR", "counter") == .simpleString("PLANNED"))
        #expect(try await server.command("GET", "counter") == .null)
        kill(process.pid, SIGINT)
        #expect(await process.finish(timeout: 30) == 0)
        let lines = process.stderr.split(separator: "\n").filter { $0.contains("fired") }
        #expect(
            lines == ["redisaudit: drop:INCR:reply=+PLANNED: fired 1 time", "redisaudit: kill-after:INCR: fired 0 times"],
            "\(process.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func inFrontOfAClusterListensOncePerPrimaryUntilTerminated() async throws {
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }
        let port = try TestServer.freePort()
        let process = try ChildProcess(
            Fixtures.binary.path, ["proxy", "--listen", "127.0.0.1:\(port)", "--upstream", cluster.nodes[1].url])
        defer { process.stop(grace: 0) }
        let connection = try await Self.connectOnceListening(port)
        #expect(try await connection.execute("CLUSTER", "MYID").text?.isEmpty == false)
        await connection.close()
        // The listener lines come before the last line of the start.
        for _ in 0..<100 where !process.stderr.contains("Ctrl-C stops") { try await Task.sleep(for: .milliseconds(100)) }
        let lines = process.stderr.split(separator: "\n").filter { $0.hasPrefix("listening on ") }
        let ranges = ["0-5460", "5461-10922", "10923-16383"]
        #expect(lines.count == 3, "\(process.stderr)")
        for (index, (line, node)) in zip(lines, cluster.nodes).enumerated() {
            #expect(line.hasSuffix(" for node 127.0.0.1:\(node.port) (slots \(ranges[index]))"), "\(line)")
            #expect(line.hasPrefix("listening on 127.0.0.1:"), "\(line)")
        }
        #expect(lines.first?.hasPrefix("listening on 127.0.0.1:\(port) ") == true, "\(lines)")
        kill(process.pid, SIGTERM)
        let status = await process.finish(timeout: 30)
        #expect(status == 0, "\(process.stderr)")
    }

    /// A connection to the proxy on `port` once it listens (10 s at most).
    static func connectOnceListening(_ port: Int) async throws -> RedisConnection {
        let endpoint = Endpoint(address: .tcp(host: "127.0.0.1", port: port))
        var client: RedisConnection?
        for _ in 0..<100 where client == nil {
            client = try? await RedisConnection.connect(to: endpoint, options: Fixtures.options)
            if client == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        return try #require(client)
    }
}
