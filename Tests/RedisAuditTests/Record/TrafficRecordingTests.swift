import Foundation
import RESP
import Testing
@testable import RedisAudit

/// `record` end to end: a real redis-py application (examples/redis-py-auth/app.py, redis-py 8,
/// which speaks RESP3) runs the seed's login and refresh through a recording proxy in front of a
/// real Redis 7.0, and the scenarios written give back the built-in `login` and `refresh`.
@Suite("record: a real redis-py application through the recording proxy", .timeLimit(.minutes(3)), MachineLoad.light)
struct TrafficRecordingTests {
    static let app = ReportSchemaTests.root.appendingPathComponent("examples/redis-py-auth/app.py").path
    static var available: Bool {
        Fixtures.available(.redis70)
            && (TestServer.serversRequired || FileManager.default.isExecutableFile(atPath: ReportSchemaTests.python))
    }

    /// What the application printed and how it exited, and what the proxy recorded.
    struct Recorded {
        var status: Int32?
        var output: String
        var errors: String
        var connections: [RecordedConnection]

        /// The token hashes the application issued, by flow.
        var issued: [String: String] {
            (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: String] ?? [:]
        }
    }

    /// Runs the application with `arguments` through a recording proxy in front of `server`.
    static func record(_ server: TestServer, rules: [String] = [], _ arguments: [String]) async throws -> Recorded {
        var options = Fixtures.options
        if let caFile = server.caFile { options.tls = TLSOptions(caFile: caFile) }
        return try await record(server.endpoint, options: options, rules: rules, arguments)
    }

    /// Runs the application with `arguments` through a recording proxy in front of `upstream`.
    static func record(
        _ upstream: Endpoint, options: ConnectionOptions = Fixtures.options, rules: [String] = [], _ arguments: [String]
    ) async throws -> Recorded {
        let recorder = TrafficRecorder()
        let proxy = try await FaultProxy.start(
            FaultProxyConfiguration(
                listenPort: 0, upstream: upstream, options: options,
                rules: try rules.map { try FaultRule.parse($0) }, recorder: recorder))
        return try await withCleanup { () async throws in
            let run = try ChildProcess(
                ReportSchemaTests.python, [app, "--url", "redis://127.0.0.1:\(proxy.port)"] + arguments)
            let status = await run.finish(timeout: 60)
            run.stop()
            await proxy.stop()
            return Recorded(status: status, output: run.stdout, errors: run.stderr, connections: recorder.connections)
        } cleanup: {
            await proxy.stop()
        }
    }

    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-record-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A step's kind as scenario files name it.
    static func kind(_ step: Step) -> String {
        switch step.kind {
        case .command: return "command"
        case .pipeline: return "pipeline"
        case .transaction: return "transaction"
        case .script: return "script"
        case .concurrent: return "concurrent"
        }
    }

    /// A built-in scenario's non-setup commands rendered with `values`.
    static func builtin(_ name: String, _ values: [String: String]) throws -> [RESPCommand] {
        let scenario = try ScenarioLoader.resolve(name)
        let bindings = VariableBindings(try scenario.bind().values.merging(values) { $1 })
        return try scenario.steps.filter { !$0.setup }.flatMap(\.commands).map { try $0.render(bindings) }
    }

    /// A draft's commands (its setup step left out) rendered with every variable at the value it was recorded with.
    static func replayed(_ file: String, _ draft: ScenarioDraft) throws -> [RESPCommand] {
        let scenario = try ScenarioLoader.load(contentsOf: file)
        var values: [String: String] = [:]
        for variable in draft.inference.variables { values[variable.name] = variable.recorded }
        return try scenario.steps.filter { !$0.setup }.flatMap(\.commands).map { try $0.render(VariableBindings(values)) }
    }

    @Test(.enabled(if: available))
    func theRecordedLoginAndRefreshAreTheBuiltinsStepForStep() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let recorded = try await Self.record(server, ["--flow", "both"])
        try #require(recorded.status == 0, "\(recorded.errors)")
        let login = try #require(recorded.issued["login"])
        let refresh = try #require(recorded.issued["refresh"])
        try #require(recorded.connections.count == 2, "one connection per flow")

        // redis-py 8 opened each connection with HELLO 3: the replies recorded were RESP3, read as RESP2.
        let first = recorded.connections[0].commands
        #expect(first.contains { $0.name == "HELLO" && $0.arguments.count == 2 && $0.text(1) == "3" }, "\(first.map(\.name))")
        let members = try #require(first.first { $0.name == "SMEMBERS" }?.reply)
        #expect(members == .array([.bulkString(Array(login.utf8))]))

        let output = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try TrafficRecording.write(
            recorded.connections, upstream: server.endpoint.description, output: output, options: .init())
        try #require(result.written.count == 2, "\(result.written.map(\.file))")
        for (_, file) in result.written {
            let validate = try await Fixtures.run(["scenarios", "validate", file])
            #expect(validate.status == 0, "\(file): \(validate.stderr)")
        }

        // Login: one pipeline of four, then the TTL check; the user id and the hash are variables.
        let (loginDraft, loginFile) = result.written[0]
        let loginScenario = try ScenarioLoader.load(contentsOf: loginFile)
        #expect(loginScenario.steps.map(Self.kind) == ["pipeline", "command"])
        let loginVariables = Dictionary(uniqueKeysWithValues: loginScenario.variables.map { ($0.name, $0.value) })
        #expect(loginVariables == ["userId": .literal("user123"), "tokenHash": .random(.hex, length: 64)])
        #expect(try Self.replayed(loginFile, loginDraft) == Self.builtin("login", ["tokenHash": login]))

        // Refresh: the built-in's steps after its set-up; both hashes are generated variables.
        let (refreshDraft, refreshFile) = result.written[1]
        let refreshScenario = try ScenarioLoader.load(contentsOf: refreshFile)
        // Like the built-in, it first writes the old token the flow reads and deletes (a setup step).
        #expect(refreshScenario.steps.first?.setup == true)
        #expect(refreshScenario.steps.filter { !$0.setup }.allSatisfy { Self.kind($0) == "command" })
        let generated = refreshScenario.variables.filter { $0.value == .random(.hex, length: 64) }
        #expect(generated.count == 2, "\(refreshScenario.variables)")
        #expect(
            try Self.replayed(refreshFile, refreshDraft) == Self.builtin("refresh", ["oldHash": login, "newHash": refresh]))
        let text = try String(contentsOfFile: refreshFile, encoding: .utf8)
        // The header shows the recorded values for the reviewer; the steps generate them.
        let steps = try #require(text.range(of: "\nsteps:\n")).upperBound
        #expect(!text[steps...].contains(login) && !text[steps...].contains(refresh), "hashes are generated, not copied")
        #expect(!text.contains("HELLO") && !text.contains("SETINFO"), "the connection set-up is left out")
    }

    @Test(.enabled(if: available))
    func filtersKeepTheFlowsWithACommandAKeyPatternOrAClientName() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let recorded = try await Self.record(server, ["--flow", "both", "--client-name", "auth-api"])
        try #require(recorded.status == 0, "\(recorded.errors)")
        #expect(recorded.connections.map(\.clientName) == ["auth-api", "auth-api"])
        let output = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        func kept(_ configure: (inout TrafficRecording.Options) -> Void) throws -> [String] {
            var options = TrafficRecording.Options()
            configure(&options)
            let result = try TrafficRecording.write(
                recorded.connections, upstream: "redis://x", output: output + "/\(UUID().uuidString)", options: options)
            return result.written.map { $0.draft.flow.commands.map(\.name).joined(separator: " ") }
        }
        #expect(try kept { $0.commands = ["DEL"] } == ["GET SETEX SADD EXPIRE DEL SREM TTL"])
        #expect(try kept { $0.commands = ["SMEMBERS"] } == ["SETEX SADD EXPIRE SMEMBERS TTL"])
        #expect(try kept { $0.keyPatterns = ["sess:*"] }.count == 2)
        #expect(try kept { $0.keyPatterns = ["lock:*"] }.isEmpty)
        #expect(try kept { $0.clientNames = ["auth-api"] }.count == 2)
        #expect(try kept { $0.clientNames = ["billing"] }.isEmpty)
    }

    @Test(.enabled(if: available))
    func aPasswordNeverReachesMemoryOrFilesAndRedactionWritesNoRecordedValue() async throws {
        let secret = "pw-\(UUID().uuidString.prefix(8))-SECRET"
        let server = try await TestServer.start(.redis70, extraArguments: ["--requirepass", secret])
        defer { server.stop() }
        // redis-py 8 authenticates inside HELLO 3 ... AUTH default PASSWORD.
        let recorded = try await Self.record(server, ["--flow", "both", "--password", secret])
        try #require(recorded.status == 0, "\(recorded.errors)")
        for connection in recorded.connections {
            let kept = connection.requests.getBytes(at: 0, length: connection.requests.readableBytes) ?? []
            #expect(!String(decoding: kept, as: UTF8.self).contains(secret), "conn \(connection.id) keeps the password")
            #expect(connection.commands.contains { $0.name == "HELLO" && $0.arguments == [Array("HELLO".utf8)] })
        }
        let output = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = TrafficRecording.Options()
        options.redact = true
        let result = try TrafficRecording.write(recorded.connections, upstream: "redis://x", output: output, options: options)
        #expect(result.written.count == 2)
        let values = [secret, "user123", recorded.issued["login"] ?? "?", recorded.issued["refresh"] ?? "?"]
        for name in try FileManager.default.contentsOfDirectory(atPath: output) {
            let text = try String(contentsOfFile: output + "/" + name, encoding: .utf8)
            for value in values { #expect(!text.contains(value), "\(name) has \(value)") }
            for value in values { #expect(!text.contains(String(value.prefix(12))), "\(name) has part of \(value)") }
            if name.hasSuffix(".yaml") {
                let validate = try await Fixtures.run(["scenarios", "validate", output + "/" + name])
                #expect(validate.status == 0, "\(name): \(validate.stderr)")
            }
        }
    }

    @Test(.enabled(if: available))
    func aClientSeenResendingAfterALostConnectionIsDraftedWithItsRetries() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        // redis-py's own retries (10 by default) resend the pipeline the fault cut.
        let recorded = try await Self.record(server, rules: ["kill-before:EXPIRE:nth=1,scope=run"], ["--flow", "login"])
        try #require(recorded.status == 0, "\(recorded.errors)")
        try #require(recorded.connections.count == 2, "the lost connection and the one the pipeline was resent on")
        #expect(recorded.connections[0].unanswered > 0)
        let output = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try TrafficRecording.write(recorded.connections, upstream: "redis://x", output: output, options: .init())
        #expect(result.retries.map(\.resend) == [.whole])
        #expect(result.retries.first?.connections == ["conn 1", "conn 2"])
        try #require(result.written.count == 1, "the cut flow and its resend are one flow: \(result.written.map(\.file))")
        let (draft, file) = result.written[0]
        let scenario = try ScenarioLoader.load(contentsOf: file)
        #expect(scenario.client.retries == 1)
        #expect(scenario.client.resend == .whole)
        #expect(scenario.client.on == ClientRetry.defaultFailures)
        #expect(try Self.replayed(file, draft) == Self.builtin("login", ["tokenHash": try #require(recorded.issued["login"])]))
        // The resend found its first attempt's SADD applied (0 added), a reply a run without the
        // loss never gets; the first attempt's reply was lost with its connection: no expectation.
        let sadd = try #require(draft.flow.commands.first { $0.name == "SADD" })
        #expect(sadd.reply == nil)
        #expect(draft.flow.commands.first { $0.name == "SMEMBERS" }?.reply != nil, "not resent: its reply stays")
        let index = try String(contentsOfFile: result.index, encoding: .utf8)
        #expect(index.contains("conn 1: lost before its replies came"), "\(index)")

        // The same fault, redis-py told not to retry: the application fails, nothing is resent.
        let givingUp = try await Self.record(
            server, rules: ["kill-before:EXPIRE:nth=1,scope=run"], ["--flow", "login", "--retries", "0"])
        #expect(givingUp.status != 0)
        #expect(givingUp.connections.count == 1)
        let noRetry = try TrafficRecording.write(
            givingUp.connections, upstream: "redis://x", output: output + "/no-retry", options: .init())
        #expect(noRetry.retries.isEmpty)
        let cut = try ScenarioLoader.load(contentsOf: try #require(noRetry.written.first?.file))
        #expect(cut.client == .none)
        #expect(cut.steps.flatMap(\.commands).map(\.name) == ["SETEX", "SADD", "EXPIRE"])
    }

    @Test(.enabled(if: available))
    func aClusterClientsRequestOverSeveralNodesIsOneFlowByHost() async throws {
        let cluster = try await TestCluster.start(.redis70)
        defer { cluster.stop() }
        var seed = cluster.nodes[0].endpoint
        seed.isCluster = true
        // The token's key hashes to a random slot: log in until it is on another node than the session set.
        var found: Recorded?
        for _ in 0..<12 {
            let attempt = try await Self.record(seed, ["--flow", "login", "--cluster"])
            try #require(attempt.status == 0, "\(attempt.errors)")
            let token = try #require(attempt.issued["login"])
            let tokenNode = cluster.owner(of: HashSlot.of("rt:user123:\(token)")).port
            if cluster.owner(of: HashSlot.of("sess:user123")).port != tokenNode {
                found = attempt
                break
            }
        }
        let recorded = try #require(found, "twelve tokens in a row on the session set's node")
        // rt:... and sess:... are on different nodes: the request went over several connections.
        let sending = recorded.connections.filter { connection in
            connection.commands.contains { !CapturedFlow.connectionSetup.contains($0.name) }
        }
        #expect(sending.count >= 2, "\(recorded.connections.map { $0.commands.map(\.name) })")
        #expect(
            !recorded.connections.flatMap(\.commands).contains { $0.reply?.errorClass == "MOVED" },
            "a cluster client behind the proxy is never redirected on a stable cluster")
        let output = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = TrafficRecording.Options()
        options.byHost = true
        let result = try TrafficRecording.write(recorded.connections, upstream: "redis://x", output: output, options: options)
        try #require(result.written.count == 1, "\(result.written.map { $0.draft.flow.commands.map(\.name) })")
        let (draft, file) = result.written[0]
        #expect(draft.flow.commands.map(\.name).sorted() == ["EXPIRE", "SADD", "SETEX", "SMEMBERS", "TTL"])
        #expect(draft.flow.commands.last?.name == "TTL")
        let validate = try await Fixtures.run(["scenarios", "validate", file])
        #expect(validate.status == 0, "\(validate.stderr)")
    }

    @Test(.enabled(if: available))
    func aTLSUpstreamIsRecordedAsAPlainOne() async throws {
        let server = try await TestServer.start(.redis70, tls: true)
        defer { server.stop() }
        let recorded = try await Self.record(server, ["--flow", "login"])
        try #require(recorded.status == 0, "\(recorded.errors)")
        let output = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try TrafficRecording.write(
            recorded.connections, upstream: server.endpoint.description, output: output, options: .init())
        try #require(result.written.count == 1)
        let (draft, file) = result.written[0]
        #expect(try Self.replayed(file, draft) == Self.builtin("login", ["tokenHash": try #require(recorded.issued["login"])]))
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("rediss://"), "the header names the upstream")
    }

    @Test(.enabled(if: available))
    func injectOnTheRecordedLoginFindsTheBuiltinsSessionWithoutTTL() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let recorded = try await Self.record(server, ["--flow", "login"])
        try #require(recorded.status == 0, "\(recorded.errors)")
        let output = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try TrafficRecording.write(recorded.connections, upstream: "redis://x", output: output, options: .init())
        let scenario = try ScenarioLoader.load(contentsOf: try #require(result.written.first?.file))
        _ = try await server.command("FLUSHALL")
        let rule = "kill-before:EXPIRE:nth=1,scope=run"
        let recordedReport = try await ClientRetryInjectTests.inject(server, scenario, rule: rule)
        let builtinReport = try await ClientRetryInjectTests.inject(server, try ClientRetryInjectTests.login(.none), rule: rule)
        for report in [recordedReport, builtinReport] {
            let partial = try #require(report.findings.first { $0.category == .partialApply }, "\(report.findings.map(\.title))")
            // The session set was left without its TTL: the pipeline stopped at EXPIRE.
            #expect(
                partial.evidence.contains { $0.contains("sess:user123 (set, no TTL)") },
                "\(partial.evidence.joined(separator: "\n"))")
            #expect(report.coverage?.first?.rows.first?.outcomes == ["partial-apply"])
        }

        // The same request with redis-py's retries, as a recording under the fault drafts it: retried, survived.
        var retrying = scenario
        retrying.client = .redisPy
        let retried = try await ClientRetryInjectTests.inject(server, retrying, rule: rule)
        #expect(!retried.findings.contains { $0.category == .partialApply })
        #expect(retried.coverage?.first?.rows.first?.outcomes == ["retried"])
        #expect(try await server.command("DBSIZE") == .integer(0), "nothing left on the server")
    }
}
