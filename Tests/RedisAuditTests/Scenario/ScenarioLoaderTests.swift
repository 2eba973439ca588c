import Testing

@testable import RedisAudit

@Suite struct ScenarioLoaderTests {
    static let specExample = """
        name: login
        summary: Store a refresh token and register it in the user's session set.
        source: "Redis Parity Audit Report, STEP 7: login flow"
        vars:
          userId: user123
          tokenHash: { random: hex, length: 16 }
          ttl: 604800
        steps:
          - pipeline:
              - [SETEX, "rt:${userId}:${tokenHash}", "${ttl}", '{"userId":"${userId}"}']
              - [SADD, "sess:${userId}", "${tokenHash}"]
              - [EXPIRE, "sess:${userId}", "${ttl}"]
              - [SMEMBERS, "sess:${userId}"]
          - command: [TTL, "rt:${userId}:${tokenHash}"]
            expect: { integer: { min: 604790, max: 604800 } }
        invariants:
          - { ttl: "sess:${userId}", min: 1, severity: high, why: "a session set without TTL never expires" }
          - { members_have_keys: { set: "sess:${userId}", key: "rt:${userId}:${member}" }, severity: high }
        """

    @Test func loadsTheSpecExample() throws {
        let s = try ScenarioLoader.parse(yaml: Self.specExample, file: "login.yaml")
        #expect(s.name == "login")
        #expect(s.summary == "Store a refresh token and register it in the user's session set.")
        #expect(s.source == "Redis Parity Audit Report, STEP 7: login flow")
        #expect(s.file == "login.yaml")

        #expect(s.variables.map(\.name) == ["userId", "tokenHash", "ttl"])
        #expect(s.variables[0].value == .literal("user123"))
        #expect(s.variables[1].value == .random(.hex, length: 16))
        #expect(s.variables[2].value == .literal("604800"))
        #expect(s.variables[1].location == SourceLocation(file: "login.yaml", line: 6))

        #expect(s.steps.count == 2)
        guard case .pipeline(let commands) = s.steps[0].kind else {
            Issue.record("first step is not a pipeline: \(s.steps[0].kind)")
            return
        }
        #expect(commands.map(\.name) == ["SETEX", "SADD", "EXPIRE", "SMEMBERS"])
        #expect(commands[0].arguments.map(\.raw) == ["SETEX", "rt:${userId}:${tokenHash}", "${ttl}", #"{"userId":"${userId}"}"#])
        #expect(commands[1].location.line == 11)
        #expect(s.steps[0].onError == .abort)
        #expect(s.steps[0].location.line == 9)

        guard case .command(let ttl) = s.steps[1].kind else {
            Issue.record("second step is not a command")
            return
        }
        #expect(ttl.arguments.map(\.raw) == ["TTL", "rt:${userId}:${tokenHash}"])
        #expect(ttl.expect?.integerMin == 604790)
        #expect(ttl.expect?.integerMax == 604800)
        #expect(ttl.expect?.location.line == 15)

        #expect(s.invariants.count == 2)
        #expect(s.invariants[0].check == .ttl(Template("sess:${userId}"), min: 1, max: nil))
        #expect(s.invariants[0].severity == .high)
        #expect(s.invariants[0].why == "a session set without TTL never expires")
        #expect(s.invariants[0].location.line == 17)
        #expect(
            s.invariants[1].check
                == .membersHaveKeys(set: Template("sess:${userId}"), key: Template("rt:${userId}:${member}")))
        #expect(s.invariants[1].why == nil)
    }

    @Test func keepsNumbersAsWritten() throws {
        let s = try ScenarioLoader.parse(
            yaml: """
                name: numbers
                vars:
                  ratio: 1.50
                  padded: 007
                steps:
                  - command: [SET, k, 1.50, EX, 0604800]
                  - command: [INCRBYFLOAT, k, 1e3]
                """, file: "n.yaml")
        #expect(s.variables.map(\.value) == [.literal("1.50"), .literal("007")])
        #expect(s.steps[0].commands[0].arguments.map(\.raw) == ["SET", "k", "1.50", "EX", "0604800"])
        #expect(s.steps[1].commands[0].arguments.map(\.raw) == ["INCRBYFLOAT", "k", "1e3"])
    }

    @Test func readsEveryStepKindAndPolicy() throws {
        let s = try ScenarioLoader.parse(
            yaml: """
                name: kinds
                vars: { k: key1 }
                steps:
                  - command: [GET, "${k}"]
                    on_error: as-null
                    label: read it
                  - transaction:
                      - [INCR, "${k}"]
                      - command: [EXPIRE, "${k}", 10]
                        expect: { integer: 1 }
                    on_error: continue
                  - script:
                      lua: "return redis.call('GET', KEYS[1])"
                      keys: ["${k}"]
                      args: [1, two]
                    expect: { type: nil }
                    on_error: { retry: 3 }
                  - command: [PING]
                    on_error: retry:2
                  - command: [PING]
                    on_error: abort
                """, file: "k.yaml")
        #expect(s.steps.map(\.kindName) == ["command", "transaction", "script", "command", "command"])
        #expect(s.steps.map(\.onError) == [.asNull, .continue, .retry(3), .retry(2), .abort])
        #expect(s.steps[0].label == "read it")
        #expect(s.steps[1].label == nil)

        guard case .transaction(let tx) = s.steps[1].kind else {
            Issue.record("not a transaction")
            return
        }
        #expect(tx.map(\.name) == ["INCR", "EXPIRE"])
        #expect(tx[0].expect == nil)
        #expect(tx[1].expect?.integerMin == 1)
        #expect(tx[1].expect?.integerMax == 1)

        guard case .script(let call, let expect) = s.steps[2].kind else {
            Issue.record("not a script")
            return
        }
        #expect(call.keys.map(\.raw) == ["${k}"])
        #expect(call.args.map(\.raw) == ["1", "two"])
        #expect(expect?.type == "nil")
        let eval = s.steps[2].commands[0]
        #expect(eval.arguments.map(\.raw) == ["EVAL", "return redis.call('GET', KEYS[1])", "1", "${k}", "1", "two"])
        #expect(eval.expect?.type == "nil")
    }

    @Test func readsExpectations() throws {
        let s = try ScenarioLoader.parse(
            yaml: """
                name: expects
                vars: { m: alpha }
                steps:
                  - command: [GET, k]
                    expect: { error: WRONGTYPE, severity: critical }
                  - command: [GET, k]
                    expect: { error: any }
                  - command: [GET, k]
                    expect: { error: true }
                  - command: [SMEMBERS, s]
                    expect: { set: ["${m}", beta, 3] }
                  - command: [LRANGE, l, 0, -1]
                    expect: { type: array, array: [a, b] }
                  - command: [GET, k]
                    expect: { value: "${m}" }
                  - command: [INCR, k]
                    expect: { integer: 42 }
                  - command: [TTL, k]
                    expect: { integer: { max: -1 } }
                  - command: [GET, k]
                    expect: { error: wrongtype }
                """, file: "e.yaml")
        let e = s.steps.map { $0.commands[0].expect }
        #expect(e[0]?.errorClass == "WRONGTYPE")
        #expect(e[0]?.severity == .critical)
        #expect(e[1]?.errorClass == "")
        #expect(e[2]?.errorClass == "")
        #expect(e[3]?.set?.map(\.raw) == ["${m}", "beta", "3"])
        #expect(e[3]?.array == nil)
        #expect(e[4]?.array?.map(\.raw) == ["a", "b"])
        #expect(e[4]?.type == "array")
        #expect(e[5]?.value == Template("${m}"))
        #expect(e[6]?.integerMin == 42 && e[6]?.integerMax == 42)
        #expect(e[7]?.integerMin == nil && e[7]?.integerMax == -1)
        #expect(e[8]?.errorClass == "WRONGTYPE")
        #expect(e[1]?.severity == nil)
    }

    @Test func readsInvariants() throws {
        let s = try ScenarioLoader.parse(
            yaml: """
                name: inv
                vars: { u: u1 }
                steps:
                  - command: [PING]
                invariants:
                  - exists: "a:${u}"
                  - { missing: "b:${u}", severity: critical, why: gone }
                  - { type: "c:${u}", is: zset }
                  - { value: "d:${u}", min: 0, max: 5, severity: low }
                  - { ttl: "e:${u}", max: 60 }
                """, file: "i.yaml")
        #expect(
            s.invariants.map(\.check) == [
                .exists(Template("a:${u}")),
                .missing(Template("b:${u}")),
                .type(Template("c:${u}"), "zset"),
                .value(Template("d:${u}"), min: 0, max: 5),
                .ttl(Template("e:${u}"), min: nil, max: 60),
            ])
        #expect(s.invariants.map(\.severity) == [.high, .critical, .high, .low, .high])
        #expect(s.invariants[1].why == "gone")
        #expect(s.invariants.map(\.location.line) == [6, 7, 8, 9, 10])
    }

    @Test func literalVariablesMayUseEarlierOnes() throws {
        let s = try ScenarioLoader.parse(
            yaml: """
                name: chained
                vars:
                  userId: user123
                  key: "rt:${userId}"
                steps:
                  - command: [GET, "${key}"]
                """, file: "c.yaml")
        var generator = SeededGenerator(seed: 1)
        let bindings = try s.bind(using: &generator)
        #expect(bindings["key"] == "rt:user123")
    }

    @Test func summaryAndSourceAreOptional() throws {
        let s = try ScenarioLoader.parse(yaml: "name: tiny\nsteps:\n  - command: [PING]\n", file: "t.yaml")
        #expect(s.summary == "")
        #expect(s.source == nil)
        #expect(s.variables.isEmpty)
        #expect(s.invariants.isEmpty)
    }
}
