import Testing

@testable import RedisAudit

/// The error parsing `yaml` throws, or nil if it loads.
func loadError(_ yaml: String, file: String = "test.yaml") -> InputError? {
    do {
        _ = try ScenarioLoader.parse(yaml: yaml, file: file)
        return nil
    } catch {
        return error
    }
}

/// Every load error names the file and the line it is about.
@Suite struct ScenarioErrorTests {
    @Test func descriptionIsFileLineMessage() {
        let located = InputError("boom", at: SourceLocation(file: "a.yaml", line: 7))
        #expect(located.description == "a.yaml:7: boom")
        #expect(InputError("boom").description == "boom")
    }

    @Test func undefinedVariable() {
        let error = loadError(
            """
            name: x
            vars:
              userId: user123
            steps:
              - command: [GET, "rt:${userId}"]
              - command: [GET, "rt:${userid}"]
            """, file: "login.yaml")
        #expect(error?.description == "login.yaml:6: undefined variable ${userid} (defined: userId)")
    }

    @Test func undefinedVariableInAnInvariant() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [PING]
            invariants:
              - exists: "sess:${user}"
            """)
        #expect(error?.description == "test.yaml:5: undefined variable ${user} (no variables are defined)")
    }

    @Test func undefinedVariableInAnExpectation() {
        let error = loadError(
            """
            name: x
            vars: { a: 1 }
            steps:
              - command: [SMEMBERS, s]
                expect:
                  set: ["${a}", "${b}"]
            """)
        #expect(error?.description == "test.yaml:6: undefined variable ${b} (defined: a)")
    }

    @Test func variableUsedBeforeItIsDefined() {
        let error = loadError(
            """
            name: x
            vars:
              key: "rt:${userId}"
              userId: user123
            steps:
              - command: [GET, "${key}"]
            """)
        #expect(error?.description == "test.yaml:3: undefined variable ${userId} (no variables are defined)")
    }

    @Test func memberOnlyInsideMembersHaveKeys() {
        let outside = loadError(
            """
            name: x
            steps:
              - command: [GET, "rt:${member}"]
            """)
        #expect(outside?.description == "test.yaml:3: undefined variable ${member}: it exists only in a members_have_keys key")

        let withoutMember = loadError(
            """
            name: x
            vars: { u: u1 }
            steps:
              - command: [PING]
            invariants:
              - members_have_keys:
                  set: "sess:${u}"
                  key: "rt:${u}"
            """)
        #expect(withoutMember?.description == "test.yaml:8: members_have_keys key must use ${member}, the set's member")

        let reserved = loadError("name: x\nvars:\n  member: m\nsteps:\n  - command: [PING]\n")
        #expect(reserved?.location?.line == 3)
        #expect(reserved?.message.hasPrefix("'member' is reserved") == true)
    }

    @Test func malformedReference() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [GET, "rt:${user id}"]
            """)
        #expect(error?.location == SourceLocation(file: "test.yaml", line: 3))
        #expect(error?.message.hasPrefix("malformed variable reference '${user id}'") == true)

        let unterminated = loadError("name: x\nsteps:\n  - command: [GET, \"rt:${user\"]\n")
        #expect(unterminated?.location?.line == 3)
        #expect(unterminated?.message.hasPrefix("unterminated variable reference '${user'") == true)
    }

    @Test func unknownStepKind() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [PING]
              - exec: [GET, k]
            """)
        #expect(
            error?.description
                == "test.yaml:4: unknown step kind 'exec' (a step is one of: command, pipeline, transaction, script)")
    }

    @Test func unknownStepKeyBesideAKind() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [PING]
                retries: 3
            """)
        #expect(error?.location?.line == 4)
        #expect(error?.message.hasPrefix("unknown step key 'retries'") == true)
    }

    @Test func twoKindsInOneStep() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [PING]
                pipeline: [[PING]]
            """)
        #expect(error?.location?.line == 4)
        #expect(
            error?.message
                == "a step has exactly one of command, pipeline, transaction, script; this one has command and pipeline")
    }

    @Test func badYAMLReportsTheParsersLine() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [GET, k]
               bad: indentation
            """)
        #expect(error?.location?.line == 4)
        #expect(error?.message.hasPrefix("invalid YAML: ") == true)

        let unclosed = loadError("name: x\nsteps:\n  - command: \"GET\n")
        #expect(unclosed?.message.hasPrefix("invalid YAML: ") == true)
        #expect(unclosed?.location?.file == "test.yaml")
    }

    @Test func duplicateKey() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [PING]
            name: y
            """)
        #expect(error?.message == "invalid YAML: duplicate key 'name'")
        #expect(error?.location?.line == 1)
    }

    @Test func unknownTopLevelKey() {
        let error = loadError(
            """
            name: x
            variables: { a: 1 }
            steps:
              - command: [PING]
            """)
        #expect(
            error?.description
                == "test.yaml:2: unknown top-level key 'variables' (allowed: name, summary, source, client, vars, steps, invariants)"
        )
    }

    @Test func missingNameOrSteps() {
        #expect(
            loadError("steps:\n  - command: [PING]\n")?.description
                == "test.yaml:1: missing 'name': every scenario needs a short name")
        #expect(
            loadError("name: x\nsummary: s\n")?.description == "test.yaml:1: missing 'steps': a scenario needs at least one step")
        #expect(
            loadError("name: x\nsteps: []\n")?.description == "test.yaml:2: 'steps' is empty: a scenario needs at least one step")
        #expect(loadError("")?.description == "test.yaml:1: empty scenario file: expected name, steps, ...")
        #expect(loadError("- a\n- b\n")?.message == "a scenario must be a mapping (key: value)")
    }

    @Test func wrongArity() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [SETEX, k, 10]
            """)
        #expect(error?.description == "test.yaml:3: wrong number of arguments for SETEX: it takes exactly 3 arguments, got 2")

        let tooFew = loadError("name: x\nsteps:\n  - pipeline:\n      - [PING]\n      - [DEL]\n")
        #expect(tooFew?.description == "test.yaml:5: wrong number of arguments for DEL: it takes at least 1 argument, got 0")

        let oddMset = loadError("name: x\nsteps:\n  - command: [MSET, a, 1, b]\n")
        #expect(oddMset?.location?.line == 3)
        #expect(oddMset?.message == "wrong number of arguments for MSET: its arguments come in groups of 2")
    }

    @Test func refusedCommands() {
        let flush = loadError(
            """
            name: x
            steps:
              - command: [SET, a, 1]
              - command: [FLUSHALL]
            """)
        #expect(
            flush?.description
                == "test.yaml:4: FLUSHALL is refused: it acts on every key of the server, not just the run's namespace")

        let config = loadError("name: x\nsteps:\n  - command: [CONFIG, SET, maxmemory, 1]\n")
        #expect(config?.location?.line == 3)
        #expect(config?.message.hasPrefix("CONFIG is refused except CONFIG GET") == true)

        let scan = loadError("name: x\nsteps:\n  - command: [SCAN, 0, COUNT, 10]\n")
        #expect(scan?.location?.line == 3)
        #expect(scan?.message.hasPrefix("SCAN without MATCH is refused") == true)

        let multi = loadError("name: x\nsteps:\n  - command: [MULTI]\n")
        #expect(multi?.message == "MULTI is sent by the replay around a 'transaction:' step; do not write it")

        let copyDB = loadError("name: x\nsteps:\n  - command: [COPY, a, b, DB, 1]\n")
        #expect(copyDB?.message == "COPY with DB is refused: it reaches outside the run's namespace")
    }

    /// A command the table does not list waits for the endpoints to describe it; a table
    /// command with the wrong arguments is still an error at load time.
    @Test func unknownCommandIsLookedUpWhenTheScenarioRuns() throws {
        #expect(loadError("name: x\nsteps:\n  - command: [FROBNICATE, k]\n") == nil)
        let scenario = try ScenarioLoader.parse(
            yaml: "name: x\nsteps:\n  - command: [FROBNICATE, k]\n  - command: [GET, k]\n", file: "test.yaml")
        #expect(CommandCatalog.unlisted(in: [scenario]) == ["FROBNICATE"])
        #expect(
            loadError("name: x\nsteps:\n  - command: [FROBNICATE, k]\n  - command: [GET]\n")?.description
                == "test.yaml:4: wrong number of arguments for GET: it takes exactly 1 argument, got 0")
        #expect(
            loadError("name: x\nsteps:\n  - command: [CLIENT, KILL, ID, \"1\"]\n")?.message.hasPrefix("CLIENT is refused") == true
        )
    }

    @Test func commandShape() {
        #expect(loadError("name: x\nsteps:\n  - command: []\n")?.description == "test.yaml:3: empty command")
        #expect(loadError("name: x\nsteps:\n  - command: GET k\n")?.message == "a command is a list: [NAME, arg, ...]")
        let nested = loadError("name: x\nsteps:\n  - command: [GET, [k]]\n")
        #expect(nested?.message == "command arguments must be texts or numbers, not lists or mappings")
        let fromVariable = loadError("name: x\nvars: { c: GET }\nsteps:\n  - command: [\"${c}\", k]\n")
        #expect(fromVariable?.message == "the command name must be written out, not taken from a variable")
        let numkeys = loadError("name: x\nsteps:\n  - command: [EVAL, \"return 1\", 3, a, b]\n")
        #expect(numkeys?.message == "EVAL says 3 keys but has only 2 arguments after the count")
    }

    @Test func badOnError() {
        let error = loadError(
            """
            name: x
            steps:
              - command: [GET, k]
                on_error: ignore
            """)
        #expect(error?.description == "test.yaml:4: bad on_error 'ignore': expected abort, continue, as-null, or { retry: N }")

        let zero = loadError("name: x\nsteps:\n  - command: [GET, k]\n    on_error: { retry: 0 }\n")
        #expect(zero?.description == "test.yaml:4: bad retry count '0': a whole number from 1 to 100")
    }

    @Test func setupStepsComeFirstAndAreNotAll() {
        let late = loadError("name: x\nsteps:\n  - command: [GET, k]\n  - command: [SET, k, v]\n    setup: true\n")
        #expect(late?.description == "test.yaml:4: setup steps come first: this one follows a step of the flow itself")
        let all = loadError("name: x\nsteps:\n  - command: [GET, k]\n    setup: true\n")
        #expect(all?.description == "test.yaml:3: every step is a setup step: mark only the steps that prepare the flow")
        let word = loadError("name: x\nsteps:\n  - command: [GET, k]\n    setup: maybe\n  - command: [GET, k]\n")
        #expect(word?.description == "test.yaml:4: setup is true or false, not 'maybe'")
    }

    @Test func badExpectations() {
        func message(_ expect: String) -> String? {
            loadError("name: x\nsteps:\n  - command: [GET, k]\n    expect: \(expect)\n")?.message
        }
        #expect(
            message("{ type: text }") == "bad reply type 'text' (expected status, error, integer, bulk, nil, nil-array, array)")
        #expect(message("{ integer: many }") == "integer must be a whole number, got 'many'")
        #expect(message("{ integer: { min: 5, max: 1 } }") == "min 5 is greater than max 1")
        #expect(message("{ error: WRONGTYPE, value: x }") == "an expected error has no value, integer, set or array to compare")
        #expect(message("{ type: integer, set: [a] }") == "set and array compare array replies, but type is integer")
        #expect(message("{ set: [a], array: [a] }") == "expect has both set and array: choose one")
        #expect(message("{ severity: urgent, value: x }") == "bad severity 'urgent' (expected critical, high, medium, low, info)")
        #expect(message("{ severity: low }") == "expect has only a severity: give type, value, integer, set, array or error")
        #expect(
            message("{ equals: x }") == "unknown expect key 'equals' (allowed: type, value, integer, set, array, error, severity)"
        )
        #expect(message("{ error: \"two words\" }") == "bad error class 'two words': one word such as WRONGTYPE, or any")

        let onPipeline = loadError("name: x\nsteps:\n  - pipeline: [[PING]]\n    expect: { type: status }\n")
        #expect(onPipeline?.location?.line == 4)
        #expect(onPipeline?.message.hasPrefix("expect on a pipeline step") == true)
    }

    @Test func badInvariants() {
        func error(_ invariant: String) -> InputError? {
            loadError("name: x\nsteps:\n  - command: [PING]\ninvariants:\n  - \(invariant)\n")
        }
        #expect(error("{ ttl: k }")?.description == "test.yaml:5: a ttl invariant needs min, max or both")
        #expect(error("{ type: k, is: sett }")?.message == "bad type 'sett' (expected string, list, set, zset, hash, stream)")
        #expect(error("{ type: k }")?.message == "a type invariant needs 'is': { type: KEY, is: set }")
        #expect(error("{ exists: k, min: 1 }")?.message == "'min' does not apply to a exists invariant")
        #expect(error("{ present: k }")?.message.hasPrefix("unknown invariant key 'present'") == true)
        #expect(error("{ exists: k, missing: k }")?.message.hasPrefix("an invariant checks one thing") == true)
        #expect(error("{ exists: k, severity: severe }")?.message.hasPrefix("bad severity 'severe'") == true)
        #expect(error("{ value: k, min: x }")?.message == "min must be a whole number, got 'x'")
    }

    @Test func badVariables() {
        func error(_ vars: String) -> InputError? {
            loadError("name: x\nvars:\n  \(vars)\nsteps:\n  - command: [PING]\n")
        }
        #expect(
            error("1abc: v")?.description
                == "test.yaml:3: bad variable name '1abc': use letters, digits and _, not starting with a digit")
        #expect(error("t: { random: base64 }")?.message == "unknown generator 'random: base64' (expected hex or uuid)")
        #expect(error("t: { random: hex, length: 0 }")?.message == "length must be a whole number from 1 to 4096, got '0'")
        #expect(error("t: { random: uuid, length: 8 }")?.message == "a uuid always has 36 characters; remove 'length'")
        #expect(error("t: [a, b]")?.message == "variable 't' must be a text, a number or { random: hex|uuid }")
        #expect(error("t:")?.message == "variable 't' has no value")
    }

    @Test func loadedCommandsRenderWithTheirBindings() throws {
        // A scenario that loads has no undefined variables left for the replay to trip on.
        let s = try ScenarioLoader.parse(yaml: "name: x\nvars: { a: 1 }\nsteps:\n  - command: [GET, \"${a}\"]\n", file: "f")
        var generator = SeededGenerator(seed: 3)
        let bindings = try s.bind(using: &generator)
        #expect(try s.steps[0].commands[0].render(bindings).arguments == [Array("GET".utf8), Array("1".utf8)])
    }
}
