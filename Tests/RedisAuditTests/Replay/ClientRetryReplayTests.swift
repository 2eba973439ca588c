import Foundation
import NIOCore
import RESP
import Testing
@testable import RedisAudit

/// A scenario's `client:` replayed against a real server through a real fault proxy, and checked
/// against the client library it describes: redis-py itself, through the same fault.
@Suite("client retries against real servers", .timeLimit(.minutes(3)), MachineLoad.light)
struct ClientRetryReplayTests {
    /// A login pipeline as an application sends it with redis-py's `pipeline(transaction=False)`.
    static func login(client: String) throws -> Scenario {
        try ScenarioLoader.parse(
            yaml: """
                name: login-py
                client: \(client)
                vars: { userId: u1, tokenHash: 9f2c, ttl: 604800 }
                steps:
                  - pipeline:
                      - [SETEX, "rt:${userId}:${tokenHash}", "${ttl}", "token"]
                      - [SADD, "sess:${userId}", "${tokenHash}"]
                      - [EXPIRE, "sess:${userId}", "${ttl}"]
                invariants:
                  - { ttl: "sess:${userId}", min: 1, why: "a session set without TTL never expires" }
                """, file: "login-py.yaml")
    }

    /// Replays `scenario` once through a proxy of its own with `rules`, keeping its keys; returns
    /// the trial and the namespace's state read directly from the server.
    static func replay(_ scenario: Scenario, rules: [String], on server: TestServer, namespace: Namespace) async throws
        -> (trial: Trial, state: NamespaceState)
    {
        let replayer = TrialReplayer(
            endpoint: server.endpoint, role: "A", options: Fixtures.options, trialTimeout: .milliseconds(2000))
        let plan = TrialPlan(point: nil, fault: nil, rules: try rules.map { try FaultRule.parse($0) })
        let trial = try await replayer.run(
            scenario, bindings: try scenario.bind(), namespace: namespace, plan: plan, keepKeys: true)
        return (trial, try await state(of: namespace, on: server))
    }

    /// The namespace's keys on `server`: type, value and whether each has a TTL.
    static func state(of namespace: Namespace, on server: TestServer) async throws -> NamespaceState {
        var session = try await ReconnectingConnection.open(to: server.endpoint, options: Fixtures.options)
        let state = try await NamespaceState.read(namespace: namespace, session: &session)
        await session.close()
        return state
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aClientThatGivesUpStopsTheLoginPipelineWithTheSessionSetWithoutTTL() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let namespace = Namespace.generate()
        let (trial, state) = try await Self.replay(
            try Self.login(client: "none"), rules: ["kill-before:EXPIRE:nth=1,scope=run"], on: server, namespace: namespace)
        #expect(trial.fired)
        #expect(trial.abortedAt == 0)
        #expect(trial.steps[0].attempts == 1)
        #expect(trial.steps[0].retriedFailures.isEmpty)
        #expect(state.keys["sess:u1"] == StoredKey(type: "set", value: "{9f2c}", expires: false), "\(state.lines)")
        #expect(state.keys["rt:u1:9f2c"]?.expires == true)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func redisPyResendsTheWholePipelineAfterTheLostConnection() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let namespace = Namespace.generate()
        let (trial, state) = try await Self.replay(
            try Self.login(client: "redis-py"), rules: ["kill-before:EXPIRE:nth=1,scope=run"], on: server, namespace: namespace)
        #expect(trial.fired)
        #expect(trial.wentOn)
        let step = trial.steps[0]
        #expect(step.attempts == 2)
        #expect(step.retriedAfterTransportFailure)
        #expect(step.retriedFailures.count == 1)
        #expect(step.commands.map(\.sends) == [2, 2, 2], "the whole pipeline is sent again")
        #expect(!step.failed)
        #expect(state.keys["sess:u1"] == StoredKey(type: "set", value: "{9f2c}", expires: true), "\(state.lines)")
        #expect(trial.invariants.allSatisfy { $0.holds })
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func resendingOnlyTheUnacknowledgedCommandsSendsTheKilledOneAlone() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let namespace = Namespace.generate()
        // kill-after: INCR ran, its reply was lost; the EXPIRE behind it never reached the server.
        let scenario = try ScenarioLoader.parse(
            yaml: """
                name: counter
                client: { retries: 1, resend: unacknowledged, backoff: { base_ms: 1, cap_ms: 5 } }
                steps:
                  - pipeline:
                      - [SET, "user:u1", "Ann"]
                      - [INCR, "attempts:u1"]
                      - [EXPIRE, "attempts:u1", 900]
                """, file: "counter.yaml")
        let (trial, state) = try await Self.replay(
            scenario, rules: ["kill-after:INCR:nth=1,scope=run"], on: server, namespace: namespace)
        #expect(trial.wentOn)
        let step = trial.steps[0]
        #expect(step.attempts == 2)
        // SET was acknowledged and not sent again; INCR and EXPIRE had no reply and were.
        #expect(step.commands.map(\.sends) == [1, 2, 2])
        #expect(step.commands.map(\.outcome) == [.reply(.simpleString("OK")), .reply(.integer(2)), .reply(.integer(1))])
        #expect(state.keys["attempts:u1"] == StoredKey(type: "string", value: "2", expires: true), "\(state.lines)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theClientsRetriesComeBeforeTheStepsRetryPolicy() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        // Every GET's connection dies: the client tries 2 times per call, the policy calls 3 times.
        let scenario = try ScenarioLoader.parse(
            yaml: """
                name: reads
                client: { retries: 1, backoff: none }
                steps:
                  - command: [GET, "user:u1"]
                    on_error: { retry: 2 }
                """, file: "reads.yaml")
        let (trial, _) = try await Self.replay(
            scenario, rules: ["kill-before:GET"], on: server, namespace: Namespace.generate())
        #expect(trial.abortedAt == 0)
        #expect(trial.steps[0].attempts == 6)
        #expect(trial.steps[0].retriedFailures.count == 5)
        #expect(trial.steps[0].commands.first?.sends == 6)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aClientThatCannotReconnectYetWaitsItsBackoffAndTriesAgain() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        // The proxy refuses connections for 3 s after the kill: the first retry comes within
        // 20 ms and is refused; the waits that follow (up to 40 ms, 80 ms, ... 500 ms, with
        // jitter) outlast the 3 s.
        let scenario = try Self.login(client: "{ retries: 40, backoff: { base_ms: 10, cap_ms: 500 } }")
        let (trial, state) = try await Self.replay(
            scenario, rules: ["down:EXPIRE:ms=3000,nth=1,scope=run"], on: server, namespace: Namespace.generate())
        #expect(trial.wentOn)
        let step = trial.steps[0]
        #expect(step.attempts > 2, "at least one reconnection was refused")
        #expect(step.retriedFailures.contains { "\($0)".contains("cannot reach") })
        #expect(state.keys["sess:u1"]?.expires == true, "\(state.lines)")
    }

    // MARK: The library itself

    /// A login through redis-py 8: `pipeline(transaction=False)` with SETEX, SADD, EXPIRE on the
    /// keys given, `retries` the Retry's count or `default` for `Redis()`'s own. Prints `ok` or
    /// the exception's class.
    static let redisPyLogin = """
        import sys, redis
        from redis.retry import Retry
        from redis.backoff import ExponentialWithJitterBackoff
        port, retries, rt, sess = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
        kwargs = {}
        if retries != "default":
            kwargs["retry"] = Retry(ExponentialWithJitterBackoff(base=0.01, cap=1), int(retries))
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, **kwargs)
        pipe = r.pipeline(transaction=False)
        pipe.setex(rt, 604800, "token")
        pipe.sadd(sess, "9f2c")
        pipe.expire(sess, 604800)
        try:
            pipe.execute()
            print("ok " + redis.__version__)
        except redis.RedisError as e:
            print(type(e).__name__ + " " + redis.__version__)
        r.close()
        """

    /// Runs `redisPyLogin` through a fault proxy with `rule` in front of `server`, in `namespace`.
    static func redisPy(retries: String, rule: String, on server: TestServer, namespace: Namespace) async throws -> String {
        let proxy = try await FaultProxy.start(
            FaultProxyConfiguration(
                listenHost: "127.0.0.1", listenPort: 0, upstream: server.endpoint, options: Fixtures.options,
                rules: [try FaultRule.parse(rule)]))
        let process = try ChildProcess(
            ReportSchemaTests.python,
            [
                "-c", redisPyLogin, String(proxy.port), retries, namespace.namespaced("rt:u1:9f2c"),
                namespace.namespaced("sess:u1"),
            ])
        let status = await process.finish(timeout: 60)
        let fired = proxy.counters.snapshot.first?.fired ?? 0
        await proxy.stop()
        #expect(status == 0, "\(process.stderr)")
        #expect(fired == 1, "the rule fired once on redis-py's connection")
        return process.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: Fixtures.available(.redis70) && ReportSchemaTests.available))
    func theRedisPyPresetLeavesWhatRedisPyLeavesUnderTheSameFault() async throws {
        let rule = "kill-before:EXPIRE:nth=1,scope=run"
        let library = try await TestServer.start(.redis70)
        defer { library.stop() }
        let replayed = try await TestServer.start(.redis70)
        defer { replayed.stop() }
        let namespace = Namespace.generate()

        let said = try await Self.redisPy(retries: "default", rule: rule, on: library, namespace: namespace)
        #expect(said == "ok 8.1.0", "redis-py's default Retry repairs the killed pipeline")
        let libraryState = try await Self.state(of: namespace, on: library)

        let (trial, replayState) = try await Self.replay(
            try Self.login(client: "redis-py"), rules: [rule], on: replayed, namespace: namespace)
        #expect(trial.fired && trial.wentOn)
        #expect(replayState == libraryState, "replayed \(replayState.lines), redis-py \(libraryState.lines)")
        #expect(libraryState.keys["sess:u1"]?.expires == true, "\(libraryState.lines)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70) && ReportSchemaTests.available))
    func theRedisPyPresetWithoutRetriesLeavesWhatRedisPyWithoutRetriesLeaves() async throws {
        let rule = "kill-before:EXPIRE:nth=1,scope=run"
        let library = try await TestServer.start(.redis70)
        defer { library.stop() }
        let replayed = try await TestServer.start(.redis70)
        defer { replayed.stop() }
        let namespace = Namespace.generate()

        let said = try await Self.redisPy(retries: "0", rule: rule, on: library, namespace: namespace)
        #expect(said == "ConnectionError 8.1.0", "without retries redis-py raises the lost connection")
        let libraryState = try await Self.state(of: namespace, on: library)

        let (trial, replayState) = try await Self.replay(
            try Self.login(client: "{ preset: redis-py, retries: 0 }"), rules: [rule], on: replayed, namespace: namespace)
        #expect(trial.fired && trial.abortedAt == 0)
        #expect(replayState == libraryState, "replayed \(replayState.lines), redis-py \(libraryState.lines)")
        #expect(libraryState.keys["sess:u1"] == StoredKey(type: "set", value: "{9f2c}", expires: false), "\(libraryState.lines)")
    }
    /// A GET through redis-py 8 with `Redis()`'s defaults: prints the reply, or the exception's class.
    static let redisPyGet = """
        import sys, redis
        port, key = int(sys.argv[1]), sys.argv[2]
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, decode_responses=True)
        try:
            print(r.get(key))
        except redis.RedisError as e:
            print(type(e).__name__)
        r.close()
        """

    /// An error reply the proxy answers once for the first GET: redis-py retries LOADING (a
    /// `BusyLoadingError` is a `ConnectionError`) and not READONLY; the preset does the same.
    @Test(
        .enabled(if: Fixtures.available(.redis70) && ReportSchemaTests.available),
        arguments: [
            ("LOADING Redis is loading the dataset in memory", "Ann"),
            ("READONLY You can't write against a read only replica.", "ReadOnlyError"),
        ])
    func theRedisPyPresetRetriesTheErrorRepliesRedisPyRetries(_ error: String, _ redisPySays: String) async throws {
        let rule = "drop:GET:nth=1,scope=run,reply=-\(error)"
        let library = try await TestServer.start(.redis70)
        defer { library.stop() }
        let replayed = try await TestServer.start(.redis70)
        defer { replayed.stop() }
        let namespace = Namespace.generate()

        _ = try await library.command("SET", namespace.namespaced("user:u1"), "Ann")
        let proxy = try await FaultProxy.start(
            FaultProxyConfiguration(
                listenHost: "127.0.0.1", listenPort: 0, upstream: library.endpoint, options: Fixtures.options,
                rules: [try FaultRule.parse(rule)]))
        let process = try ChildProcess(
            ReportSchemaTests.python, ["-c", Self.redisPyGet, String(proxy.port), namespace.namespaced("user:u1")])
        let status = await process.finish(timeout: 60)
        await proxy.stop()
        #expect(status == 0, "\(process.stderr)")
        #expect(process.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == redisPySays)

        let scenario = try ScenarioLoader.parse(
            yaml: """
                name: read
                client: redis-py
                steps:
                  - command: [SET, "user:u1", "Ann"]
                    setup: true
                  - command: [GET, "user:u1"]
                """, file: "read.yaml")
        let (trial, _) = try await Self.replay(scenario, rules: [rule], on: replayed, namespace: namespace)
        let get = trial.steps[1]
        if redisPySays == "Ann" {
            #expect(trial.wentOn)
            #expect(get.attempts == 2)
            #expect(get.commands.first?.outcome == .reply(.bulkString(Array("Ann".utf8))))
        } else {
            #expect(trial.abortedAt == 1)
            #expect(get.attempts == 1)
            #expect(get.failure == .reply)
        }
    }
    @Test(.enabled(if: Fixtures.available(.redis70)), arguments: [("{ retries: 1 }", 3, 0), ("none", 2, 1)])
    func everyClientOfAConcurrentBlockRetriesTheSameWay(_ client: String, _ counted: Int, _ failed: Int) async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let proxy = try await FaultProxy.start(
            FaultProxyConfiguration(
                listenHost: "127.0.0.1", listenPort: 0, upstream: server.endpoint, options: Fixtures.options,
                rules: [try FaultRule.parse("kill-before:INCR:nth=1,scope=run")]))
        let scenario = try ScenarioLoader.parse(
            yaml: """
                name: visits
                client: \(client)
                steps:
                  - concurrent:
                      clients: 3
                      steps:
                        - command: [INCR, "visits"]
                invariants:
                  - { value: "visits", min: 3, max: 3 }
                """, file: "visits.yaml")
        let through = try Endpoint.parse("redis://127.0.0.1:\(proxy.port)")
        let replayer = ScenarioReplayer(endpoint: through, options: Fixtures.options, role: "A")
        let run = try await replayer.run(scenario, bindings: try scenario.bind(), namespace: Namespace.generate())
        let fired = proxy.counters.snapshot.first?.fired ?? 0
        await proxy.stop()
        #expect(fired == 1)
        let outcome = try #require(run.steps[0].concurrent)
        #expect(outcome.steps[0].failed == failed)
        #expect(run.invariants[0].measured == Int64(counted), "\(run.invariants[0].observation)")
    }
}
