import Testing

@testable import RedisAudit

/// `client:` in a scenario file: presets, refinements, a block written out, and a located error
/// for every bad value.
@Suite struct ClientRetryReaderTests {
    /// A scenario whose `client:` is `block` (indented under the key), starting at line 2.
    static func scenario(client block: String) -> String {
        """
        name: c
        client:\(block)
        steps:
          - pipeline:
              - [SADD, s, m]
              - [EXPIRE, s, 60]
        """
    }

    static func client(_ block: String) throws -> ClientRetry {
        try ScenarioLoader.parse(yaml: scenario(client: block), file: "c.yaml").client
    }

    @Test func withoutTheBlockTheClientGivesUp() throws {
        let s = try ScenarioLoader.parse(yaml: "name: c\nsteps:\n  - command: [PING]\n", file: "c.yaml")
        #expect(s.client == .none)
        #expect(s.client.retries == 0)
        #expect(s.client.description == "client: none (no retries: a failure reaches the application)")
    }

    @Test func everyBuiltinScenarioUsesAClientThatGivesUp() throws {
        for name in BuiltinScenarios.names {
            let scenario = try #require(try BuiltinScenarios.named(name))
            #expect(scenario.client == .none, "\(name)")
        }
    }

    @Test func theNonePreset() throws {
        #expect(try Self.client(" none") == .none)
    }

    @Test func theRedisPyPresetIsTheLibrarysDefaults() throws {
        let client = try Self.client(" redis-py")
        #expect(client == .redisPy)
        #expect(client.preset == "redis-py")
        #expect(client.retries == 10)
        #expect(client.on == [.connectionLost, .timeout, .errorClass("LOADING")])
        #expect(client.backoff == ClientRetry.Backoff(baseMilliseconds: 10, capMilliseconds: 1000))
        #expect(client.resend == .whole)
        #expect(
            client.description
                == "client: redis-py (10 retries on connection-lost, timeout, LOADING; backoff 10 ms to 1000 ms with jitter; "
                + "a pipeline or transaction resent whole)")
    }

    @Test func aPresetRefined() throws {
        let client = try Self.client(" { preset: redis-py, retries: 0 }")
        #expect(client.preset == "redis-py")
        #expect(client.retries == 0)
        #expect(client.on == ClientRetry.redisPy.on)
        #expect(client.backoff == ClientRetry.redisPy.backoff)
        #expect(client.description == "client: redis-py, refined (no retries: a failure reaches the application)")

        let unacknowledged = try Self.client("\n  preset: redis-py\n  resend: unacknowledged\n  backoff: none")
        #expect(unacknowledged.retries == 10)
        #expect(unacknowledged.resend == .unacknowledged)
        #expect(unacknowledged.backoff == nil)
    }

    @Test func aBlockWrittenOut() throws {
        let client = try Self.client(
            """

              retries: 3
              on: [connection-lost, BUSY, TRYAGAIN, READONLY, BUSY]
              backoff: { base_ms: 5, cap_ms: 50 }
              resend: unacknowledged
            """)
        #expect(client.preset == nil)
        #expect(client.retries == 3)
        #expect(client.on == [.connectionLost, .errorClass("BUSY"), .errorClass("TRYAGAIN"), .errorClass("READONLY")])
        #expect(client.backoff == ClientRetry.Backoff(baseMilliseconds: 5, capMilliseconds: 50))
        #expect(client.resend == .unacknowledged)
        #expect(
            client.description
                == "client: custom (3 retries on connection-lost, BUSY, TRYAGAIN, READONLY; backoff 5 ms to 50 ms with jitter; "
                + "only a pipeline's unacknowledged commands resent)")
    }

    @Test func aBlockOfOnlyRetriesRetriesALostConnectionOrATimeoutAtOnce() throws {
        let client = try Self.client(" { retries: 2 }")
        #expect(client.on == [.connectionLost, .timeout])
        #expect(client.backoff == nil)
        #expect(client.resend == .whole)
    }

    @Test func theBackoffIsRedisPysExponentialWithJitter() {
        let backoff = ClientRetry.Backoff(baseMilliseconds: 10, capMilliseconds: 1000)
        // min(cap, random × base × 2^n), redis-py's ExponentialWithJitterBackoff.compute.
        #expect(backoff.milliseconds(beforeRetry: 1, random: 0.5) == 10)
        #expect(backoff.milliseconds(beforeRetry: 3, random: 0.25) == 20)
        #expect(backoff.milliseconds(beforeRetry: 7, random: 0.99) == 1000)
        #expect(backoff.milliseconds(beforeRetry: 7, random: 0) == 0)
    }

    @Test func theClientsRetriesCountAgainstMaxCommands() throws {
        let yaml = Self.scenario(client: " { retries: 100 }")
        let limits = InputLimits(maxCommands: 150)
        let error = try #require(throws: InputError.self) { try ScenarioLoader.parse(yaml: yaml, file: "c.yaml", limits: limits) }
        #expect(error.description.contains("more than 150 commands (--max-commands)"), "\(error)")
        _ = try ScenarioLoader.parse(yaml: yaml, file: "c.yaml", limits: InputLimits(maxCommands: 202))
    }

    @Test(arguments: [
        (
            " redis_py",
            "c.yaml:2: unknown client preset 'redis_py' (presets: none, redis-py; or a mapping with retries, on, backoff, resend)"
        ),
        (" [redis-py]", "c.yaml:2: client must be a mapping (keys: preset, retries, on, backoff, resend)"),
        (" { retry: 3 }", "c.yaml:2: unknown key 'retry' in client (accepted: preset, retries, on, backoff, resend)"),
        (" { preset: jedis }", "c.yaml:2: unknown client preset 'jedis'"),
        (" { retries: -1 }", "c.yaml:2: client retries must be a whole number from 0 to 100, got '-1'"),
        (" { retries: many }", "c.yaml:2: client retries must be a whole number from 0 to 100, got 'many'"),
        (" { retries: 101 }", "c.yaml:2: client retries must be a whole number from 0 to 100, got '101'"),
        (
            "\n  on: [connection-lost, loading]",
            "c.yaml:3: bad client failure 'loading' (expected connection-lost, timeout, or an error class"
        ),
        ("\n  on: connection-lost", "c.yaml:3: client on must be a list: [connection-lost, timeout, or an error class"),
        ("\n  on: []", "c.yaml:3: empty client on: list the failures the client retries, or set retries: 0"),
        ("\n  on: [[LOADING]]", "c.yaml:3: a client failure must be a single value"),
        ("\n  backoff: exponential", "c.yaml:3: bad client backoff 'exponential' (expected none or { base_ms: N, cap_ms: N })"),
        ("\n  backoff: { base_ms: 10 }", "c.yaml:3: client backoff needs cap_ms (milliseconds)"),
        ("\n  backoff: { base_ms: 10, cap_ms: 5 }", "c.yaml:3: client backoff cap_ms (5) is below base_ms (10)"),
        ("\n  backoff: { base_ms: 10, cap: 5 }", "c.yaml:3: unknown key 'cap' in client backoff (accepted: base_ms, cap_ms)"),
        (
            "\n  backoff: { base_ms: 10, cap_ms: 100000 }",
            "c.yaml:3: client backoff cap_ms must be a whole number from 0 to 60000"
        ),
        ("\n  resend: all", "c.yaml:3: bad client resend 'all' (expected whole or unacknowledged)"),
    ])
    func aBadClientBlockIsALocatedError(_ block: String, _ message: String) {
        let error = loadError(Self.scenario(client: block), file: "c.yaml")
        #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
    }

    @Test func aBadClientBlockExitsTwoOnTheCommandLine() async throws {
        let path = try Fixtures.scenarioFile(Self.scenario(client: " { preset: redis-py, resend: sometimes }"))
        let run = try await Fixtures.run(["scenarios", "validate", path])
        #expect(run.status == 2)
        #expect(run.stderr.contains(":2: bad client resend 'sometimes' (expected whole or unacknowledged)"), "\(run.stderr)")
    }
}
