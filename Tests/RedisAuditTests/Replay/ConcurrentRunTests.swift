import Foundation
import RESP
import Testing

@testable import RedisAudit

/// Concurrent blocks against real servers: the races the caching report describes happen, the
/// fixes hold, a thousand clients connect, a refused EVAL is a finding.
@Suite("concurrent scenarios against real servers", .timeLimit(.minutes(3)), MachineLoad.heavy)
struct ConcurrentRunTests {
    /// Runs a built-in scenario `trials` times on one server, each in a fresh namespace.
    static func trials(
        _ name: String, on server: TestServer, endpoint: Endpoint? = nil, count: Int, overrides: [String: String] = [:]
    ) async throws -> [ScenarioRun] {
        let scenario = try #require(try BuiltinScenarios.named(name))
        let bindings = try scenario.bind(overrides: overrides)
        let replayer = ScenarioReplayer(endpoint: endpoint ?? server.endpoint, options: Fixtures.options, role: "A")
        var runs: [ScenarioRun] = []
        for trial in 0..<count {
            let namespace = try #require(Namespace(runID: "c0ffee\(trial)"))
            runs.append(try await replayer.run(scenario, bindings: bindings, namespace: namespace))
        }
        #expect(try await Self.namespaceKeys(server) == .array([]), "every trial cleans its namespace")
        return runs
    }

    /// `KEYS redisaudit:*`, once the server has let go of the clients' connections (it may
    /// still count closed ones against maxclients for a moment).
    static func namespaceKeys(_ server: TestServer) async throws -> RESPValue {
        for _ in 0..<50 {
            do {
                return try await server.command("KEYS", "redisaudit:*")
            } catch is EndpointError {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        return try await server.command("KEYS", "redisaudit:*")
    }

    static func holds(_ run: ScenarioRun) -> Bool { run.invariants.allSatisfy(\.holds) }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func checkinCapacityOverbooksAndTheLuaScriptNeverDoes() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let racy = try await Self.trials("checkin-capacity", on: server, count: 10)
        let overbooked = racy.filter { !Self.holds($0) }
        #expect(!overbooked.isEmpty, "GET, compare, INCR with 100 clients overbooks at least once in 10 trials")
        for run in overbooked {
            #expect(run.tallies["admitted", default: 0] > 50 || run.invariants[1].measured ?? 0 > 50)
        }
        let atomic = try await Self.trials("checkin-capacity-lua", on: server, count: 10)
        for run in atomic {
            #expect(Self.holds(run), "\(run.invariants.map(\.observation))")
            #expect(run.tallies["admitted"] == 50, "the script admits exactly the capacity")
            let outcome = try #require(run.steps[0].concurrent)
            #expect(outcome.connected == 100)
            #expect(outcome.steps[0].failed == 0)
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func stampedeLoadsManyTimesAndTheLockLoadsOnce() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let unguarded = try await Self.trials("stats-stampede", on: server, count: 3)
        #expect(unguarded.contains { ($0.tallies["loaded"] ?? 0) > 1 }, "\(unguarded.map(\.tallies))")
        #expect(unguarded.contains { !$0.invariants[0].holds })
        let locked = try await Self.trials("stats-stampede-lock", on: server, count: 3)
        for run in locked {
            #expect(run.tallies["loaded"] == 1)
            #expect(run.invariants[0].measured == 1)
            #expect(Self.holds(run), "\(run.invariants.map(\.observation))")
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aThousandClientsConnectAndFinish() async throws {
        FileDescriptorLimit.raiseToHardLimit()  // the server inherits it, and sizes maxclients by it
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let runs = try await Self.trials(
            "checkin-capacity", on: server, count: 1, overrides: ["clients": "1000", "capacity": "500"])
        let outcome = try #require(runs[0].steps[0].concurrent)
        #expect(outcome.clients == 1000)
        #expect(outcome.connected == 1000)
        #expect(outcome.connectFailures.isEmpty, "\(outcome.connectFailures)")
        #expect(outcome.steps[0].ran == 1000)
        #expect(outcome.steps.allSatisfy { $0.failed == 0 })
        #expect(outcome.stopped == 0)
        #expect(outcome.steps[0].ran + 0 == outcome.steps[1].ran + outcome.steps[1].skipped)
        // Every client's connection is closed once the block is done (they stay open only until the last client finishes).
        let probe = try await server.connect()
        var clients = 0
        for _ in 0..<50 {
            guard case .bulkString(let info) = try await probe.execute("INFO", "clients") else { break }
            let line = String(decoding: info, as: UTF8.self).split(separator: "\r\n").first { $0.hasPrefix("connected_clients:") }
            clients = line.flatMap { Int($0.dropFirst("connected_clients:".count)) } ?? -1
            if clients <= 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(clients == 1, "only the probe's connection is left")
        await probe.close()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func connectionsThatDoNotOpenAreReported() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--maxclients", "20"])
        defer { server.stop() }
        let runs = try await Self.trials("capacity-counter-drift", on: server, count: 1, overrides: ["clients": "60"])
        let outcome = try #require(runs[0].steps[0].concurrent)
        #expect(outcome.connected < 60)
        #expect(outcome.connected + outcome.connectFailures.values.reduce(0, +) == 60)
        let findings = RaceFindings.clients([runs])
        #expect(
            findings.contains { $0.category == .transport && $0.title.contains("of 60 client connections to A did not open") })
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aDeniedEvalIsACommandDeniedFinding() async throws {
        let server = try await TestServer.start(
            .redis70, extraArguments: ["--user", "app", "on", ">secret", "~*", "&*", "+@all", "-@scripting"])
        defer { server.stop() }
        let denied = try Endpoint.parse("redis://app:secret@127.0.0.1:\(server.port)")
        let scenario = try #require(try BuiltinScenarios.named("checkin-capacity-lua"))
        let configuration = CompareConfiguration(
            endpointA: denied, endpointB: server.endpoint, connection: Fixtures.options, scenarios: [scenario], pings: 5,
            trials: 2)
        let report = try await CompareAudit(configuration: configuration).run()
        let refused = try #require(
            report.findings.first { $0.category == .commandDenied && $0.title.hasPrefix("EVAL is refused on A") })
        #expect(
            !report.findings.contains { $0.category == .commandUnsupported },
            "\(report.findings.filter { $0.category == .commandUnsupported }.map(\.title))")
        #expect(refused.title.contains("NOPERM"))
        #expect(refused.endpoints == ["A"])
        #expect(refused.evidence.contains("A: 200 of 200 clients refused"))
        #expect(!report.findings.contains { $0.category == .invariant }, "no check-in was accepted, so the capacity holds")
        #expect(try await server.command("KEYS", "redisaudit:*") == .array([]))
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func compareWithTrialsReportsHowOftenAndTheWorstCase() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.valkey91)
        defer { a.stop(); b.stop() }
        let scenarios = try ["checkin-capacity", "checkin-capacity-lua"].map { try #require(try BuiltinScenarios.named($0)) }
        let configuration = CompareConfiguration(
            endpointA: a.endpoint, endpointB: b.endpoint, connection: Fixtures.options, scenarios: scenarios, pings: 5, trials: 4)
        let report = try await CompareAudit(configuration: configuration).run()
        let invariants = report.findings.filter { $0.category == .invariant }
        #expect(invariants.allSatisfy { $0.scenario == "checkin-capacity" }, "the Lua variant holds on both")
        let tally = try #require(invariants.first { $0.title.contains("tally admitted") })
        #expect(tally.severity == .critical)
        #expect(tally.title.contains("of 4 trials"))
        #expect(tally.title.contains("worst: "))
        #expect(tally.evidence.allSatisfy { $0.contains("of 4 trials") || $0.contains("holds in all 4 trials") })
        // Counts differ by chance; ids do not.
        #expect(tally.id == Finding.stableID(category: .invariant, identity: "invariant|0", scenario: "checkin-capacity"))
        #expect(!report.findings.contains { $0.category == .replyMismatch })
    }
}
