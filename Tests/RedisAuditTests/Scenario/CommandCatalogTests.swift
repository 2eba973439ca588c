import Foundation
import RESP
import Testing

@testable import RedisAudit

/// Commands the table does not list, learned from real servers: their descriptions as each
/// server gives them, the refusals, and replays that keep every key in the run's namespace.
@Suite("commands learned from the endpoints", .timeLimit(.minutes(3)), MachineLoad.light)
struct CommandCatalogTests {
    /// `COMMAND INFO` of one command, as the server answers it.
    static func describe(_ server: TestServer, _ name: String) async throws -> CommandDescription? {
        let reply = try await server.command("COMMAND", "INFO", name)
        let element = try #require(reply.arrayElements?.first)
        return CommandDescription(element)
    }

    static func scenario(_ yaml: String) throws -> Scenario {
        try ScenarioLoader.load(contentsOf: try Fixtures.scenarioFile(yaml))
    }

    static func catalog(_ scenarios: [Scenario], _ servers: [(String, TestServer)]) async throws -> CommandCatalog {
        var sides: [(role: String, host: String, connection: RedisConnection)] = []
        for (role, server) in servers {
            sides.append((role, "\(role) (\(server.endpoint), \(server.kind.rawValue))", try await server.connect()))
        }
        defer { for side in sides { Task { await side.connection.close() } } }
        return try await CommandCatalog.learn(for: scenarios, from: sides)
    }

    /// The message of an error reply.
    static func error(_ reply: RESPValue?) -> String? {
        if case .error(let message)? = reply { return message }
        return nil
    }

    /// Every key on the server with its type.
    static func keys(_ server: TestServer) async throws -> [String: String] {
        let connection = try await server.connect()
        return try await withCleanup {
            var result: [String: String] = [:]
            for key in try await connection.execute("KEYS", "*").arrayElements?.compactMap(\.text) ?? [] {
                result[key] = try await connection.execute("TYPE", key).text
            }
            return result
        } cleanup: {
            await connection.close()
        }
    }

    // MARK: Descriptions as the servers give them

    @Test(.enabled(if: Fixtures.available(.valkey91, .redis70, .redis62)))
    func keySpecsAndFlagsAsEachServerGivesThem() async throws {
        let valkey = try await TestServer.start(.valkey91)
        let redis70 = try await TestServer.start(.redis70)
        let redis62 = try await TestServer.start(.redis62)
        defer { valkey.stop(); redis70.stop(); redis62.stop() }

        // Valkey 9.1: HSETEX's key spec is index 1, range 0: one key, found without asking.
        let hsetex = try #require(try await Self.describe(valkey, "HSETEX"))
        #expect(hsetex.name == "HSETEX")
        #expect(
            hsetex.keys
                == .specified([
                    KeySpecification(begin: .index(1), find: .range(lastKey: 0, step: 1, limit: 0), flags: ["RW", "insert"])
                ]))
        #expect(hsetex.commandFlags == .write)
        #expect(hsetex.refusal(by: "B") == nil)
        let arguments = ["HSETEX", "sess:u1", "EX", "60", "FIELDS", "1", "sess:u1", "v"]
        guard case .specified(let specs) = hsetex.keys else { return }
        #expect(try CommandCatalog.positions(specs, name: "HSETEX", in: arguments) == [1])
        // DELIFEQ: a write on one key.
        let delifeq = try #require(try await Self.describe(valkey, "DELIFEQ"))
        #expect(delifeq.arity == 3)
        guard case .specified(let deleteSpecs) = delifeq.keys else {
            Issue.record("DELIFEQ's key is not at a fixed position: \(delifeq.keys)")
            return
        }
        #expect(try CommandCatalog.positions(deleteSpecs, name: "DELIFEQ", in: ["DELIFEQ", "rt:u1:h", "v"]) == [1])
        // Unknown: a nil element, no description.
        #expect(try await Self.describe(redis70, "DELIFEQ") == nil)

        // Redis 7.0: SINTERCARD's keys follow a count (keynum): located on the arguments.
        let sintercard = try #require(try await Self.describe(redis70, "SINTERCARD"))
        #expect(sintercard.keys == .located)
        #expect(sintercard.commandFlags == .readonly)
        // XADD's reply is flagged nondeterministic (a generated ID).
        #expect(try #require(try await Self.describe(redis70, "XADD")).commandFlags.contains(.nondeterministic))
        // A container's subcommands come with it, each with its own flags.
        let client = try #require(try await Self.describe(redis70, "CLIENT"))
        let noEvict = try #require(client.subcommands.first { $0.name == "CLIENT NO-EVICT" })
        #expect(noEvict.refusal(by: "A")?.contains("@admin/@dangerous") == true)
        // MIGRATE: @dangerous, and its KEYS spec is incomplete.
        let migrate = try #require(try await Self.describe(redis70, "MIGRATE"))
        #expect(migrate.keys == .located)
        #expect(migrate.refusal(by: "A")?.hasPrefix("MIGRATE is refused: COMMAND INFO on A says it is @dangerous") == true)

        // Redis 6.2: no key specs, first key / last key / step and flags only.
        let getdel = try #require(try await Self.describe(redis62, "GETDEL"))
        #expect(getdel.keySpecs == nil)
        #expect(getdel.tips.isEmpty)
        guard case .specified(let oldSpecs) = getdel.keys else {
            Issue.record("GETDEL on 6.2 is not at a fixed position: \(getdel.keys)")
            return
        }
        #expect(try CommandCatalog.positions(oldSpecs, name: "GETDEL", in: ["GETDEL", "k"]) == [1])
        let mset = try #require(try await Self.describe(redis62, "MSET"))
        guard case .specified(let msetSpecs) = mset.keys else { return }
        #expect(try CommandCatalog.positions(msetSpecs, name: "MSET", in: ["MSET", "a", "1", "b", "2"]) == [1, 3])
        #expect(try #require(try await Self.describe(redis62, "ZUNIONSTORE")).keys == .located)
        #expect(try #require(try await Self.describe(redis62, "SRANDMEMBER")).commandFlags.contains(.nondeterministic))
        let flushall = try #require(try await Self.describe(redis62, "FLUSHALL"))
        #expect(
            flushall.refusal(by: "A (6.2)")
                == "FLUSHALL is refused: COMMAND INFO on A (6.2) says it is @dangerous: it acts on the server or on other connections, not the run's keys"
        )
    }

    // MARK: Refusals

    @Test(.enabled(if: Fixtures.available(.valkey91, .redis70)))
    func adminAndConnectionCommandsAreRefusedWithTheirReason() async throws {
        let redis70 = try await TestServer.start(.redis70)
        let valkey = try await TestServer.start(.valkey91)
        defer { redis70.stop(); valkey.stop() }
        let servers = [("A", redis70), ("B", valkey)]
        func refusal(_ command: String) async throws -> InputError? {
            let scenario = try Self.scenario("name: x\nsteps:\n  - command: \(command)\n")
            do {
                _ = try await Self.catalog([scenario], servers)
                return nil
            } catch let error as InputError {
                return error
            }
        }
        let lastsave = try #require(try await refusal("[LASTSAVE]"))
        #expect(lastsave.location?.line == 3)
        #expect(
            lastsave.message.hasPrefix(
                "LASTSAVE is refused: COMMAND INFO on A (\(redis70.endpoint), Redis 7.0) says it is @admin/@dangerous"))
        let doctor = try #require(try await refusal("[LATENCY, DOCTOR]"))
        #expect(doctor.message.hasPrefix("LATENCY DOCTOR is refused: COMMAND INFO on A"))
        #expect(doctor.message.contains("@admin/@dangerous"))
        let channels = try #require(try await refusal("[PUBSUB, CHANNELS]"))
        #expect(channels.message.contains("@pubsub"))
        // A subcommand written through a variable cannot be learned.
        let hidden = try #require(try await refusal("[LATENCY, \"${s}\"]\nvars: { s: DOCTOR }"))
        #expect(hidden.message == "LATENCY needs its subcommand written out: it is learned per subcommand")
        // A read-only keyless command may run.
        #expect(try await refusal("[LOLWUT, VERSION, \"5\"]") == nil)
    }

    // MARK: Replays

    /// Redis 7.0 does not know HSETEX, HGETEX or DELIFEQ, Valkey 9.1 does: the replay goes on
    /// on both, Valkey's keys stay in the namespace, Redis 7.0 answers with its own errors.
    @Test(.enabled(if: Fixtures.available(.valkey91, .redis70)))
    func oneSideKnowsTheCommandsAndTheReplayGoesOn() async throws {
        let redis70 = try await TestServer.start(.redis70)
        let valkey = try await TestServer.start(.valkey91)
        defer { redis70.stop(); valkey.stop() }
        // The application's own data, with the names the scenario uses.
        for server in [redis70, valkey] {
            try await server.command("SADD", "sess:u1", "existing")
            try await server.command("SET", "rt:u1:old", "keep me")
        }
        let before = [try await Self.keys(redis70), try await Self.keys(valkey)]
        let scenario = try Self.scenario(
            """
            name: rotation
            vars: { userId: u1 }
            steps:
              - command: [HSETEX, "sess:${userId}", EX, "600", FIELDS, "1", "sess:${userId}", web]
                on_error: continue
              - command: [HGETEX, "sess:${userId}", PERSIST, FIELDS, "1", "sess:${userId}"]
                on_error: continue
              - command: [SET, "rt:${userId}:old", "v"]
              - command: [DELIFEQ, "rt:${userId}:old", "v"]
                on_error: continue
            invariants:
              - type: "sess:${userId}"
                is: hash
            """)
        let catalog = try await Self.catalog([scenario], [("A", redis70), ("B", valkey)])
        return try await withCleanup {
            for name in ["HSETEX", "HGETEX", "DELIFEQ"] {
                #expect(catalog.knownOn(name) == ["B"], "\(name)")
                #expect(catalog.answer(for: name, role: "A")?.hasPrefix("ERR unknown command") == true, "\(name)")
                #expect(catalog.answer(for: name, role: "B") == nil)
            }
            #expect(catalog.knownOn("GET") == ["A", "B"])
            #expect(catalog.flags(named: "DELIFEQ") == .write)
            #expect(catalog.flags(named: "GET") == .readonly)

            var generator = SeededGenerator(seed: 3)
            let bindings = try scenario.bind(using: &generator)
            var runs: [ScenarioRun] = []
            for (role, server) in [("A", redis70), ("B", valkey)] {
                let namespace = try #require(Namespace(runID: "learned\(role.lowercased())"))
                let replayer = ScenarioReplayer(
                    endpoint: server.endpoint, options: Fixtures.options, role: role, catalog: catalog)
                runs.append(try await replayer.run(scenario, bindings: bindings, namespace: namespace))
            }
            let (a, b) = (runs[0], runs[1])
            #expect(a.abortedAt == nil && b.abortedAt == nil)
            #expect(a.steps.count == 4 && b.steps.count == 4)
            let replies = { (run: ScenarioRun) in run.steps.flatMap(\.commands).map(\.outcome.reply) }
            #expect(Self.error(replies(a)[0])?.hasPrefix("ERR unknown command 'HSETEX'") == true)
            #expect(Self.error(replies(a)[3])?.hasPrefix("ERR unknown command 'DELIFEQ'") == true)
            #expect(replies(b) == [.integer(1), .array([.bulkString(Array("web".utf8))]), .simpleString("OK"), .integer(1)])
            // Valkey's hash was written in the namespace (found there after the last step), under the
            // name the scenario gave it, next to the application's set of the same name.
            #expect(b.finalKeys["sess:u1"]?.type == "hash")
            #expect(b.finalKeys["rt:u1:old"] == nil)
            #expect(a.finalKeys["sess:u1"] == nil)
            #expect(b.invariants.map(\.holds) == [true])
            #expect(a.invariants.map(\.holds) == [false])
            // Nothing outside the namespace changed, and the namespace is gone.
            #expect(try await Self.keys(redis70) == before[0])
            #expect(try await Self.keys(valkey) == before[1])
            #expect(try await valkey.command("GET", "rt:u1:old") == .bulkString(Array("keep me".utf8)))

            // The whole compare: no scenario error, the unsupported commands reported on A.
            let report = try await Fixtures.compare(redis70, valkey, scenarios: [scenario])
            #expect(
                report.summary.notes.contains(
                    "Not in redisaudit's command table, learned from the endpoints' COMMAND INFO (known on): DELIFEQ (B), HGETEX (B), HSETEX (B)."
                ))
            let unsupported = report.findings.filter { $0.category == .commandUnsupported }
            #expect(!unsupported.isEmpty)
            #expect(unsupported.allSatisfy { $0.endpoints == ["A"] })
            #expect(try await Self.keys(valkey) == before[1])
        } cleanup: {
            await catalog.close()
        }
    }

    /// `inject` learns the commands too: every trial's keys, learned commands included, stay in
    /// the trial's namespace and are deleted.
    @Test(.enabled(if: Fixtures.available(.valkey91)))
    func injectLearnsTheCommandsBeforeItsTrials() async throws {
        let valkey = try await TestServer.start(.valkey91)
        defer { valkey.stop() }
        try await valkey.command("SET", "lock:refresh:u1", "the application's")
        let before = try await Self.keys(valkey)
        let scenario = try Self.scenario(
            """
            name: release
            steps:
              - command: [SET, "lock:refresh:u1", me, PX, "30000"]
              - command: [DELIFEQ, "lock:refresh:u1", me]
                expect: { integer: 1 }
            invariants:
              - missing: "lock:refresh:u1"
            """)
        let configuration = InjectConfiguration(
            endpoints: [valkey.endpoint], connection: Fixtures.options, scenarios: [scenario],
            trialTimeout: .milliseconds(1000), jobs: 2)
        let report = try await InjectAudit(configuration: configuration).run()
        #expect(report.summary.notes.contains { $0.hasSuffix("(known on): DELIFEQ (A).") })
        // The fault-free trial passed, so the scenario was explored.
        #expect(!report.findings.contains { $0.title.contains("with no fault injected") })
        #expect(try await Self.keys(valkey) == before)
    }

    /// Redis 6.2 does not know SINTERCARD (7.0+, not in the table), whose keys follow a count:
    /// Redis 7.0 locates them with COMMAND GETKEYS, both are rewritten into the namespace.
    @Test(.enabled(if: Fixtures.available(.redis62, .redis70)))
    func keysThatFollowACountAreLocatedByTheServer() async throws {
        let redis62 = try await TestServer.start(.redis62)
        let redis70 = try await TestServer.start(.redis70)
        defer { redis62.stop(); redis70.stop() }
        #expect(CommandTable.lookup(["SINTERCARD", "2", "a", "b"]) == .unknown)
        for server in [redis62, redis70] { try await server.command("SADD", "sess:u1", "x", "y", "z") }
        let before = [try await Self.keys(redis62), try await Self.keys(redis70)]
        let scenario = try Self.scenario(
            """
            name: overlap
            steps:
              - command: [SADD, "sess:u1", a, b]
              - command: [SADD, "old:u1", b, c]
              - command: [SINTERCARD, "2", "sess:u1", "old:u1", LIMIT, "0"]
                on_error: continue
            invariants:
              - exists: "sess:u1"
            """)
        let catalog = try await Self.catalog([scenario], [("A", redis62), ("B", redis70)])
        return try await withCleanup {
            #expect(catalog.knownOn("SINTERCARD") == ["B"])
            #expect(catalog.learned["SINTERCARD"]?.keys == .located)
            let namespace = try #require(Namespace(runID: "count"))
            let located = try await namespace.rewrite(
                RESPCommand("SINTERCARD", "2", "sess:u1", "old:u1", "LIMIT", "0"), catalog: catalog)
            #expect(
                located.command
                    == RESPCommand(
                        "SINTERCARD", "2", namespace.namespaced("sess:u1"), namespace.namespaced("old:u1"), "LIMIT", "0")
            )
            #expect(located.keys.count == 2)
            // A key that is also another argument's text is told apart from it.
            let same = try await namespace.rewrite(RESPCommand("SINTERCARD", "1", "LIMIT", "LIMIT", "1"), catalog: catalog)
            #expect(same.command == RESPCommand("SINTERCARD", "1", namespace.namespaced("LIMIT"), "LIMIT", "1"))

            var generator = SeededGenerator(seed: 4)
            let bindings = try scenario.bind(using: &generator)
            var replies: [RESPValue?] = []
            for (role, server) in [("A", redis62), ("B", redis70)] {
                let ns = try #require(Namespace(runID: "count\(role.lowercased())"))
                let run = try await ScenarioReplayer(
                    endpoint: server.endpoint, options: Fixtures.options, role: role, catalog: catalog
                )
                .run(scenario, bindings: bindings, namespace: ns)
                #expect(run.abortedAt == nil)
                replies.append(run.steps[2].commands[0].outcome.reply)
            }
            #expect(Self.error(replies[0])?.hasPrefix("ERR unknown command `SINTERCARD`") == true)
            // The intersection of the run's sets (one member), not of the application's.
            #expect(replies[1] == .integer(1))
            #expect(try await Self.keys(redis62) == before[0])
            #expect(try await Self.keys(redis70) == before[1])
        } cleanup: {
            await catalog.close()
        }
    }

    // MARK: The command line

    /// A command no endpoint knows: exit 2 quoting both hosts' answers, never the password.
    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func aCommandNoEndpointKnowsIsAScenarioError() async throws {
        let redis70 = try await TestServer.start(.redis70, extraArguments: ["--requirepass", "s3cret-pw"])
        let valkey = try await TestServer.start(.valkey91)
        defer { redis70.stop(); valkey.stop() }
        let file = try Fixtures.scenarioFile("name: x\nsteps:\n  - command: [GET, k]\n  - command: [FROBNICATE, k]\n")
        let run = try await Fixtures.run([
            "compare", "redis://:s3cret-pw@127.0.0.1:\(redis70.port)", valkey.url, "--scenario", file,
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(file):4: unknown command FROBNICATE: no endpoint knows it"))
        #expect(run.stderr.contains("A (redis://:***@127.0.0.1:\(redis70.port), Redis 7.0"))
        #expect(run.stderr.contains("ERR unknown command 'FROBNICATE'"))
        #expect(run.stderr.contains("B (\(valkey.url), Valkey 9.1"))
        #expect(!run.stderr.contains("s3cret-pw") && !run.stdout.contains("s3cret-pw"))
    }

    /// Built-in scenarios written for newer hosts are left out, with a note, where no endpoint
    /// knows their commands.
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func builtinScenariosForNewerHostsAreLeftOutWithANote() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let scenarios = try ["session-field-ttl", "login-wait"].map { try #require(try BuiltinScenarios.named($0)) }
        let report = try await Fixtures.compare(a, b, scenarios: scenarios)
        #expect(
            report.summary.notes.contains {
                $0.hasPrefix(
                    "The built-in scenario `session-field-ttl` was not run: no endpoint knows HEXPIRE, HGETEX, HPERSIST, HSETEX, HTTL"
                )
            })
        #expect(!report.findings.contains { $0.category == .commandUnsupported })
        #expect(!report.findings.contains { $0.scenario == "session-field-ttl" })
        #expect(report.findings.filter { $0.severity >= .high }.isEmpty)
    }

    @Test func validateListsTheCommandsLookedUpOnTheHosts() async throws {
        let file = try Fixtures.scenarioFile(
            "name: x\nsteps:\n  - command: [HSETEX, s, EX, \"60\", FIELDS, \"1\", f, v]\n  - command: [DELIFEQ, k, v]\n  - command: [WAIT, \"0\", \"0\"]\n"
        )
        let run = try await Fixtures.run(["scenarios", "validate", file])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\(file): ok (x: 3 steps, 0 invariants)"))
        #expect(
            run.stdout.contains(
                "\(file): not in the built-in command table, looked up on the endpoints when it runs: DELIFEQ, HSETEX"))
        let bad = try Fixtures.scenarioFile("name: x\nsteps:\n  - command: [HSETEX, s]\n  - command: [WAIT, \"0\"]\n")
        let failed = try await Fixtures.run(["scenarios", "validate", bad])
        #expect(failed.status == 2)
        #expect(failed.stderr.contains("\(bad):4: wrong number of arguments for WAIT"))
    }
}
