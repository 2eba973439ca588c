import Foundation
import RESP
import Testing
@testable import RedisAudit
@testable import RedisAuditREST

/// The REST transport (`upstash+http://`) against the real gateway in front of real servers: the
/// same commands over TCP and over REST give the same replies but for the documented differences.
@Suite("REST transport", .timeLimit(.minutes(4)), MachineLoad.light)
struct RESTTransportTests {
    static let token = "rest-transport-test-token"

    /// A `redisaudit rest-gateway` process in front of `upstream`, as an application would run it
    /// (a process of its own: its requests never wait on the tests' threads).
    struct GatewayProcess {
        let process: ChildProcess
        let port: Int
        var restURL: String { "upstash+http://127.0.0.1:\(port)" }

        static func start(upstream: String) async throws -> GatewayProcess {
            let process = try ChildProcess(
                Fixtures.binary.path, ["rest-gateway", "--listen", "127.0.0.1:0", "--upstream", upstream],
                environment: ["REDISAUDIT_REST_TOKEN": RESTTransportTests.token])
            let prefix = "serving Upstash REST on http://127.0.0.1:"
            let serving = await process.stderrLines(timeout: 30) { $0.contains(prefix) }
            guard let line = serving.first, let range = line.range(of: prefix),
                let port = Int(line[range.upperBound...].prefix { $0.isNumber })
            else {
                process.stop()
                throw TestServerError.notReady("rest-gateway did not start: \(process.stderr)")
            }
            return GatewayProcess(process: process, port: port)
        }

        func stop() { process.stop() }
    }

    /// A server with the gateway in front of it.
    struct Stack {
        let server: TestServer
        let gateway: GatewayProcess
        var restURL: String { gateway.restURL }
        var rest: Endpoint {
            get throws { try Endpoint.parse(restURL, passwordEnvironment: ["TOKEN"], environment: ["TOKEN": token]) }
        }

        static func start(_ kind: TestServer.Kind = .redis70) async throws -> Stack {
            let server = try await TestServer.start(kind)
            do {
                return Stack(server: server, gateway: try await GatewayProcess.start(upstream: server.url))
            } catch {
                server.stop()
                throw error
            }
        }

        func stop() async {
            gateway.stop()
            server.stop()
        }

        /// Runs `body` with a fresh stack, stopped afterwards whatever happens.
        static func with<T>(_ kind: TestServer.Kind = .redis70, _ body: (Stack) async throws -> T) async throws -> T {
            let stack = try await start(kind)
            return try await withCleanup({ try await body(stack) }, cleanup: { await stack.stop() })
        }
    }

    /// Deletes the test's keys (`redisaudit:rt:*`) through `connection`.
    static func deleteTestKeys(_ connection: RedisConnection) async throws {
        guard case .array(let names) = try await connection.execute("KEYS", "redisaudit:rt:*"), !names.isEmpty else { return }
        let keys = names.compactMap { name -> [UInt8]? in
            if case .bulkString(let bytes) = name { return bytes }
            return nil
        }
        _ = await connection.send([RESPCommand(arguments: [Array("DEL".utf8)] + keys)])
    }

    static func command(_ arguments: String...) -> RESPCommand { RESPCommand(arguments: arguments.map { Array($0.utf8) }) }

    @Test func restURLsParseWithTheTokenAsPasswordAndNeverShowIt() throws {
        let endpoint = try Endpoint.parse(
            "upstash+https://eu1-fine-cat-1234.upstash.io", passwordEnvironment: ["T"], environment: ["T": "s3cret-token"])
        #expect(endpoint.transport == .rest)
        #expect(endpoint.tls)
        #expect(endpoint.address == .tcp(host: "eu1-fine-cat-1234.upstash.io", port: 443))
        #expect(endpoint.password == "s3cret-token")
        #expect(endpoint.description == "upstash+https://eu1-fine-cat-1234.upstash.io:443")
        let local = try Endpoint.parse("upstash+http://:inline-token@127.0.0.1:8079/")
        #expect(local.address == .tcp(host: "127.0.0.1", port: 8079) && !local.tls && local.password == "inline-token")
        #expect(!local.description.contains("inline-token"))
        #expect(!Endpoint.redactingURLs(in: "cannot reach upstash+http://:inline-token@127.0.0.1:8079").contains("inline-token"))
        #expect(throws: EndpointError.self) { try Endpoint.parse("upstash+https://host/0") }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func commandsPipelinesAndTransactionsGiveTCPsRepliesButForADiscardedTransaction() async throws {
        try await Stack.with { stack in try await Self.sameReplies(stack) }
    }

    static func sameReplies(_ stack: Stack) async throws {
        let tcp = try await RedisConnection.connect(to: stack.server.endpoint, options: Fixtures.options)
        let rest = try await RedisConnection.connect(to: try stack.rest, options: Fixtures.options)
        func both(_ prefix: String, _ commands: [[String]]) async -> (tcp: [CommandOutcome], rest: [CommandOutcome]) {
            let tcpOutcomes = await tcp.send(
                commands.map {
                    RESPCommand(arguments: $0.map { Array($0.replacingOccurrences(of: "$", with: "tcp:" + prefix).utf8) })
                })
            let restOutcomes = await rest.send(
                commands.map {
                    RESPCommand(arguments: $0.map { Array($0.replacingOccurrences(of: "$", with: "rest:" + prefix).utf8) })
                })
            return (tcpOutcomes, restOutcomes)
        }
        let k = "redisaudit:rt:$"
        let cases: [[[String]]] = [
            [["SET", k + "s", "v"]], [["GET", k + "s"]], [["TYPE", k + "s"]], [["PING"]], [["ECHO", "hi"]],
            [["INCR", k + "s"]], [["GET", k + "missing"]], [["EXPIRE", k + "s", "100000"]],
            // A pipeline with an error in the middle: every command still gets its own reply.
            [["SET", k + "p", "1"], ["INCR", k + "p"], ["LPUSH", k + "p", "x"], ["GET", k + "p"]],
            [["HSET", k + "h", "f", "1", "g", "2"], ["HGETALL", k + "h"], ["SADD", k + "set", "a"], ["SMEMBERS", k + "set"]],
            // A transaction, and one whose command fails when EXEC runs it.
            [["MULTI"], ["SET", k + "t", "1"], ["INCR", k + "t"], ["EXEC"]],
            [["MULTI"], ["SET", k + "t", "x"], ["INCR", k + "t"], ["EXEC"]],
        ]
        for batch in cases {
            let (tcpOutcomes, restOutcomes) = await both("", batch)
            #expect(restOutcomes == tcpOutcomes, "\(batch)")
        }
        // A TTL read a moment apart may have ticked: within a second of each other, and within
        // the minutes a loaded machine takes since the EXPIRE.
        let (tcpTTL, restTTL) = await both("", [["TTL", k + "s"]])
        if case .reply(.integer(let a)) = tcpTTL[0], case .reply(.integer(let b)) = restTTL[0] {
            #expect(abs(a - b) <= 1 && (99_000...100_000).contains(b), "\(a) \(b)")
        } else {
            Issue.record("TTL should be an integer on both: \(tcpTTL) \(restTTL)")
        }
        // A transaction Redis discards at queue time: EXEC's EXECABORT on both, but REST cannot
        // say which command was refused, so each of its commands carries the EXECABORT.
        let (tcpAbort, restAbort) = await both("", [["MULTI"], ["SET", k + "a"], ["SET", k + "b", "1"], ["EXEC"]])
        #expect(tcpAbort[1].reply?.errorClass == "ERR" && tcpAbort[2] == .reply(.simpleString("QUEUED")))
        #expect(restAbort[1].reply?.errorClass == "EXECABORT" && restAbort[2].reply?.errorClass == "EXECABORT")
        for outcomes in [tcpAbort, restAbort] {
            guard case .reply(.error(let message)) = outcomes[3] else {
                Issue.record("EXEC should be refused: \(outcomes)")
                continue
            }
            #expect(message.hasPrefix("EXECABORT"))
        }
        #expect(try await tcp.execute("EXISTS", "redisaudit:rt:rest:b") == .integer(0))
        try await deleteTestKeys(tcp)
        await rest.close()
        await tcp.close()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func binaryValuesSurviveTheRoundTripAlonePipelinedAndReadOverTCP() async throws {
        try await Stack.with { stack in
            let tcp = try await RedisConnection.connect(to: stack.server.endpoint, options: Fixtures.options)
            let rest = try await RedisConnection.connect(to: try stack.rest, options: Fixtures.options)
            let value: [UInt8] = [0x00, 0x80, 0xFF, 0xFE, 0x0A, 0x22, 0x5C, 0xC3]
            let key = Array("redisaudit:rt:bin".utf8) + [0xFF]
            func command(_ name: String, _ arguments: [UInt8]...) -> RESPCommand {
                RESPCommand(arguments: [Array(name.utf8)] + arguments)
            }
            #expect(await rest.send([command("SET", key, value)]) == [.reply(.simpleString("OK"))])
            #expect(await tcp.send([command("GET", key)]) == [.reply(.bulkString(value))])
            #expect(await rest.send([command("GET", key)]) == [.reply(.bulkString(value))])
            // In a pipeline the command that JSON cannot carry travels on its own, in order.
            let pipelined = await rest.send([
                command("SET", Array("redisaudit:rt:a".utf8), Array("1".utf8)), command("APPEND", key, value),
                command("STRLEN", key), command("GET", Array("redisaudit:rt:a".utf8)),
            ])
            #expect(
                pipelined == [.reply(.simpleString("OK")), .reply(.integer(16)), .reply(.integer(16)), .reply(.bulk("1"))])
            try await Self.deleteTestKeys(tcp)
            await rest.close()
            await tcp.close()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func commandsRESTCannotCarryAreRefusedWithoutARequestAndPingAndEchoAreCarried() async throws {
        try await Stack.with { stack in
            let rest = try await RedisConnection.connect(to: try stack.rest, options: Fixtures.options)
            for arguments in [
                ["BLPOP", "redisaudit:rt:q", "1"], ["WATCH", "redisaudit:rt:w"], ["SUBSCRIBE", "c"], ["CLIENT", "SETNAME", "x"],
                ["XREAD", "BLOCK", "10", "STREAMS", "redisaudit:rt:s", "$"], ["SELECT", "1"],
            ] {
                let outcome = await rest.send([RESPCommand(arguments: arguments.map { Array($0.utf8) })])[0]
                guard case .reply(.error(let message)) = outcome else {
                    Issue.record("\(arguments[0]) should be refused: \(outcome)")
                    continue
                }
                #expect(message.contains(RESTBatch.notCarried), "\(message)")
                #expect(CommandAccess.of(outcome) == .notCarried)
            }
            // A refused command in the middle of a batch keeps the order of the replies around it.
            let mixed = await rest.send([
                Self.command("PING"), Self.command("BRPOP", "redisaudit:rt:q", "1"), Self.command("ECHO", "e"),
            ])
            #expect(mixed[0] == .reply(.simpleString("PONG")) && mixed[1].isFailure && mixed[2] == .reply(.bulk("e")))
            // XREAD without BLOCK is an ordinary read, and its nil is the null array TCP gives.
            #expect(await rest.send([Self.command("XREAD", "STREAMS", "redisaudit:rt:s", "0")]) == [.reply(.nullArray)])
            await rest.close()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aWrongTokenIsRefusedWithExitThreeAndTheTokenNeverShows() async throws {
        try await Stack.with { stack in
            let wrong = try Endpoint.parse(stack.restURL, passwordEnvironment: ["T"], environment: ["T": "not-the-token-4711"])
            do {
                _ = try await RedisConnection.connect(to: wrong, options: Fixtures.options)
                Issue.record("a wrong token should be refused")
            } catch let error as EndpointError {
                guard case .refused(_, let reason) = error else { throw error }
                #expect(reason.contains("REST API refused the token"))
                #expect(!error.description.contains("not-the-token-4711"))
            }
            let run = try await Fixtures.run(
                ["compare", stack.server.endpoint.description, stack.restURL, "--scenario", "login"],
                environment: ["REDISAUDIT_PASSWORD_B": "not-the-token-4711"])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("refused the token"))
            #expect(!(run.stdout + run.stderr).contains("not-the-token-4711"))
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theWrongProtocolForAPortGetsOneSentenceNamingTheURLItTakes() async throws {
        try await Stack.with { stack in
            let restAtRESP = try await Fixtures.run(
                [
                    "compare", stack.server.endpoint.description, "upstash+http://127.0.0.1:\(stack.server.port)", "--scenario",
                    "login",
                ],
                environment: ["REDISAUDIT_PASSWORD_B": Self.token])
            #expect(restAtRESP.status == 3)
            #expect(restAtRESP.stderr.contains("no Upstash REST answer") && restAtRESP.stderr.contains("takes redis://"))
            let respAtREST = try await Fixtures.run(
                ["compare", stack.server.endpoint.description, "redis://127.0.0.1:\(stack.gateway.port)", "--scenario", "login"])
            #expect(respAtREST.status == 3)
            #expect(respAtREST.stderr.contains("it answers HTTP, not RESP") && respAtREST.stderr.contains("upstash+https://"))
            // One sentence each: no stack trace, no report.
            #expect(restAtRESP.stdout.isEmpty && respAtREST.stdout.isEmpty)
            #expect(restAtRESP.stderr.split(separator: "\n").count == 1, "\(restAtRESP.stderr)")
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aTransactionBothDiscardIsOneLowFindingAboutWhatTheClientIsToldNotADeniedCommand() async throws {
        let server = try await TestServer.start(.redis70)
        try await withCleanup {
            // The application's user may not SETRANGE: Redis refuses it at queue time and discards the transaction.
            _ = try await server.user("app", password: "app-password-1", "+@all", "-setrange")
            let gateway = try await GatewayProcess.start(upstream: "redis://app:app-password-1@127.0.0.1:\(server.port)")
            try await withCleanup {
                let file = try Fixtures.scenarioFile(
                    """
                    name: discarded-transaction
                    steps:
                      - transaction:
                          - command: [SET, "a", "1"]
                          - command: [SETRANGE, "a", "0", "x"]
                        on_error: continue
                    """)
                let run = try await Fixtures.run(
                    [
                        "compare", "redis://app@127.0.0.1:\(server.port)", "upstash+http://127.0.0.1:\(gateway.port)",
                        "--scenario", file, "--format", "json",
                    ],
                    environment: ["REDISAUDIT_PASSWORD_A": "app-password-1", "REDISAUDIT_PASSWORD_B": Self.token])
                #expect(!(run.stdout + run.stderr).contains(Self.token) && !(run.stdout + run.stderr).contains("app-password-1"))
                let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
                let findings = try #require(json["findings"] as? [[String: Any]])
                let differing = findings.filter { ($0["scope"] as? String) != "shared" }
                #expect(differing.count == 1, "\(differing.map { $0["title"] ?? "" })")
                let discarded = try #require(differing.first)
                #expect(discarded["severity"] as? String == "low" && discarded["category"] as? String == "transport")
                #expect((discarded["title"] as? String)?.contains("names its refused command on A only") == true)
                #expect(run.status == 0, "\(run.stderr)")
            } cleanup: {
                gateway.stop()
            }
        } cleanup: {
            server.stop()
        }
    }

    /// Every built-in scenario on TCP and over REST in front of the same server: the transport's
    /// one documented difference among them (WAIT) is the only finding that is not the scripts'
    /// own, and nothing is left behind on the server.
    static func compareBuiltIns(_ kind: TestServer.Kind) async throws {
        try await Stack.with(kind) { stack in
            let run = try await Fixtures.run(
                ["compare", stack.server.endpoint.description, stack.restURL, "--format", "json"],
                environment: ["REDISAUDIT_PASSWORD_B": token], timeout: 240)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(!(run.stdout + run.stderr).contains(token))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let findings = try #require(json["findings"] as? [[String: Any]])
            let differing = findings.filter { ($0["scope"] as? String) != "shared" }
            let serious = differing.filter { ["critical", "high", "medium"].contains($0["severity"] as? String) }
            #expect(serious.count == 1, "\(serious.map { $0["title"] ?? "" })")
            #expect(serious.first?["category"] as? String == "command-unsupported")
            #expect((serious.first?["title"] as? String)?.contains("WAIT") == true)
            let profiles = try #require(json["profiles"] as? [[String: Any]])
            #expect(profiles.map { $0["transport"] as? String } == ["resp", "rest"])
            let tcp = try await RedisConnection.connect(to: stack.server.endpoint, options: Fixtures.options)
            #expect(try await tcp.execute("DBSIZE") == .integer(0))
            await tcp.close()
        }
    }
}

/// Every built-in scenario over TCP and over REST: a whole compare each, so they take the machine alone.
@Suite("REST transport, every built-in scenario", .timeLimit(.minutes(4)), MachineLoad.heavy)
struct RESTBuiltInScenarioTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func everyBuiltInScenarioOverRESTDiffersFromTCPOnlyByWhatRESTCannotCarry() async throws {
        try await RESTTransportTests.compareBuiltIns(.redis70)
    }

    @Test(.enabled(if: Fixtures.available(.valkey91)))
    func theSameHoldsWithValkeyBehindTheGateway() async throws {
        try await RESTTransportTests.compareBuiltIns(.valkey91)
    }
}

/// `inject` over REST against the real gateway, next to the same server over TCP.
@Suite("inject over REST", .timeLimit(.minutes(4)), MachineLoad.light)
struct RESTInjectTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func loginOverRESTIsNeverSplitButIsAppliedWhileToldItFailedAndTheContrastWithTCPIsReported() async throws {
        try await RESTTransportTests.Stack.with { stack in
            let run = try await Fixtures.run(
                ["inject", stack.server.endpoint.description, stack.restURL, "--scenario", "login", "--format", "json"],
                environment: ["REDISAUDIT_PASSWORD_B": RESTTransportTests.token], timeout: 240)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(!(run.stdout + run.stderr).contains(RESTTransportTests.token))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let findings = try #require(json["findings"] as? [[String: Any]])
            func categories(on role: String) -> Set<String> {
                Set(findings.filter { ($0["endpoints"] as? [String]) == [role] }.compactMap { $0["category"] as? String })
            }
            // TCP splits the pipeline; REST never does, but tells the client it failed after it all ran.
            #expect(categories(on: "A").contains("partial-apply"))
            #expect(!categories(on: "B").contains("partial-apply"))
            #expect(!categories(on: "B").contains("silent-corruption"))
            #expect(categories(on: "B").contains("applied-told-failed"))
            let parity = try #require(findings.first { $0["category"] as? String == "fault-parity" })
            #expect((parity["title"] as? String)?.contains("over TCP (A) and over REST (B)") == true)
            // B's exploration: only the faults REST has, each request lost whole.
            let coverage = try #require(json["coverage"] as? [[String: Any]])
            let onB = try #require(coverage.first { $0["endpoint"] as? String == "B" })
            #expect(onB["faults"] as? [String] == ["kill-before", "kill-after", "delay"])
            let rows = try #require(onB["rows"] as? [[String: Any]])
            let pipeline = rows.filter { ($0["point"] as? String)?.hasPrefix("step 1 ") == true }
            #expect(pipeline.count == 4)
            for row in pipeline {
                let outcomes = row["outcomes"] as? [String] ?? []
                #expect(outcomes.first == "stopped, unchanged" && outcomes.dropFirst().first == "applied-told-failed", "\(row)")
            }
            // Every trial's namespace was deleted, over REST included.
            let tcp = try await RedisConnection.connect(to: stack.server.endpoint, options: Fixtures.options)
            #expect(try await tcp.execute("DBSIZE") == .integer(0))
            await tcp.close()
        }
    }
}
