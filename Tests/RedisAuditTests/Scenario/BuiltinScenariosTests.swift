import Foundation
import RESP
import Testing

@testable import RedisAudit

@Suite struct BuiltinScenariosTests {
    static let expectedNames = [
        "blacklist", "capacity-counter-drift", "checkin-capacity", "checkin-capacity-lua", "lockout", "login", "login-multi",
        "login-multi-cluster", "login-wait", "logout", "null-cache-sentinel", "refresh", "refresh-delifeq", "refresh-lua",
        "refresh-lua-cluster", "session-field-ttl", "stats-stampede", "stats-stampede-lock",
    ]

    @Test func findsTheScenarioDirectory() throws {
        let directory = try #require(BuiltinScenarios.directory())
        #expect(FileManager.default.fileExists(atPath: directory + "/login.yaml"))
        #expect(BuiltinScenarios.names == Self.expectedNames)
    }

    @Test func everyBuiltinLoads() throws {
        let all = try BuiltinScenarios.all()
        #expect(all.map(\.name) == Self.expectedNames)
        for scenario in all {
            let sources = ["Redis Parity Audit Report, STEP ", "Redis Caching Implementation Audit Report, Issue #"]
            #expect(sources.contains { scenario.source?.hasPrefix($0) == true }, "\(scenario.name)")
            #expect(!scenario.summary.isEmpty, "\(scenario.name)")
            #expect(!scenario.invariants.isEmpty, "\(scenario.name)")
            #expect(URL(fileURLWithPath: scenario.file).lastPathComponent == scenario.name + ".yaml")
        }
    }

    /// Bound and rendered, every built-in command the table lists goes through the namespace,
    /// and every key it touches is the run's (only WAIT touches none). The others are the
    /// commands hosts differ on, learned from the endpoints (see CommandCatalogTests).
    @Test func everyBuiltinCommandCanBeNamespaced() throws {
        let ns = Namespace(runID: "feedfacecafe")!
        for scenario in try BuiltinScenarios.all().map(\.singleClient) {
            var generator = SeededGenerator(seed: 11)
            let bindings = try scenario.bind(using: &generator)
            for step in scenario.steps {
                for template in step.commands where CommandTable.lookup(template.arguments.map(\.raw)) != .unknown {
                    let rewritten = try ns.rewrite(try template.render(bindings))
                    #expect(!rewritten.keys.isEmpty || template.name == "WAIT", "\(scenario.name): \(template.name)")
                    #expect(rewritten.keys.allSatisfy { $0.starts(with: Array(ns.prefix.utf8)) })
                }
            }
        }
        let learned = try BuiltinScenarios.all().map { ($0.name, CommandCatalog.unlisted(in: [$0])) }.filter { !$0.1.isEmpty }
        #expect(learned.map(\.0) == ["refresh-delifeq", "session-field-ttl"])
        #expect(learned.flatMap(\.1) == ["DELIFEQ", "HEXPIRE", "HGETEX", "HPERSIST", "HSETEX", "HTTL"])
    }

    /// The scenarios for the commands hosts differ on name the report section they serve.
    @Test func hostDifferenceScenariosNameTheirSection() throws {
        for name in ["refresh-delifeq", "session-field-ttl", "login-wait"] {
            let scenario = try #require(try BuiltinScenarios.named(name))
            #expect(BuiltinScenarios.contains(scenario))
            let header = try String(contentsOfFile: scenario.file, encoding: .utf8)
            #expect(header.contains("Serves the report's"), "\(name)")
        }
        let wait = try #require(try BuiltinScenarios.named("login-wait"))
        #expect(wait.steps.flatMap(\.commands).map(\.name) == ["SETEX", "SADD", "EXPIRE", "WAIT"])
        let rotation = try #require(try BuiltinScenarios.named("refresh-delifeq"))
        #expect(rotation.steps.flatMap(\.commands).map(\.name).suffix(2) == ["DELIFEQ", "GETDEL"])
        let path = try Fixtures.scenarioFile(try String(contentsOfFile: wait.file, encoding: .utf8), name: "login-wait.yaml")
        #expect(!BuiltinScenarios.contains(try ScenarioLoader.load(contentsOf: path)))
    }

    func names(_ commands: [CommandTemplate]) -> [String] { commands.map(\.name) }

    @Test func loginFollowsTheMonitorTranscript() throws {
        let login = try #require(try BuiltinScenarios.named("login"))
        // STEP 7: SETEX, SADD, EXPIRE, SMEMBERS (one pipeline), then TTL.
        #expect(login.steps.map(\.kindName) == ["pipeline", "command"])
        #expect(names(login.steps.flatMap(\.commands)) == ["SETEX", "SADD", "EXPIRE", "SMEMBERS", "TTL"])
        #expect(login.steps[0].onError == .continue)
        #expect(login.variables.first { $0.name == "ttl" }?.value == .literal("604800"))

        var generator = SeededGenerator(seed: 5)
        let b = try login.bind(using: &generator)
        let hash = try #require(b["tokenHash"])
        #expect(
            try login.steps[0].commands[0].render(b)
                == RESPCommand("SETEX", "rt:user123:\(hash)", "604800", #"{"userId":"user123","tokenHash":"\#(hash)"}"#))
        #expect(try login.steps[1].commands[0].render(b) == RESPCommand("TTL", "rt:user123:\(hash)"))
        #expect(login.steps[1].commands[0].expect?.integerMax == 604800)

        let sessionTTL = login.invariants.first { $0.check == .ttl(Template("sess:${userId}"), min: 1, max: nil) }
        #expect(sessionTTL?.severity == .high)
        #expect(sessionTTL?.why == "a session set without TTL never expires")
        #expect(
            login.invariants.contains {
                if case .membersHaveKeys = $0.check { return $0.severity == .high } else { return false }
            })
    }

    @Test func refreshFollowsTheMonitorTranscript() throws {
        let refresh = try #require(try BuiltinScenarios.named("refresh"))
        let setup = refresh.steps[0]
        #expect(setup.label?.hasPrefix("setup") == true)
        #expect(setup.setup)
        #expect(names(setup.commands) == ["SETEX", "SADD", "EXPIRE"])
        let flow = Array(refresh.steps.dropFirst())
        #expect(names(flow.flatMap(\.commands)) == ["GET", "SETEX", "SADD", "EXPIRE", "DEL", "SREM", "TTL"])
        #expect(flow.map(\.onError) == [.asNull, .abort, .abort, .abort, .continue, .abort, .abort])

        var generator = SeededGenerator(seed: 6)
        let b = try refresh.bind(using: &generator)
        let old = try #require(b["oldHash"])
        let new = try #require(b["newHash"])
        #expect(old != new)
        #expect(try flow[0].commands[0].render(b) == RESPCommand("GET", "rt:user123:\(old)"))
        #expect(try flow[4].commands[0].render(b) == RESPCommand("DEL", "rt:user123:\(old)"))
        #expect(try flow[5].commands[0].render(b) == RESPCommand("SREM", "sess:user123", old))
        #expect(try flow[6].commands[0].render(b) == RESPCommand("TTL", "rt:user123:\(new)"))

        let missingOld = try #require(refresh.invariants.first { $0.check == .missing(Template("rt:${userId}:${oldHash}")) })
        #expect(missingOld.severity == .critical)
        #expect(missingOld.why == "a rotated-out refresh token must not stay valid")
        #expect(refresh.invariants.contains { $0.check == .exists(Template("rt:${userId}:${newHash}")) })
        #expect(refresh.invariants.contains { $0.check == .ttl(Template("sess:${userId}"), min: 1, max: nil) })
    }

    @Test func theFixedVariantsAreAtomic() throws {
        let multi = try #require(try BuiltinScenarios.named("login-multi"))
        guard case .transaction(let writes) = multi.steps[0].kind else {
            Issue.record("login-multi's first step is not a transaction")
            return
        }
        #expect(names(writes) == ["SETEX", "SADD", "EXPIRE", "SMEMBERS"])
        #expect(multi.steps[0].onError == .abort)
        let login = try #require(try BuiltinScenarios.named("login"))
        #expect(multi.invariants.map(\.check) == login.invariants.map(\.check))

        let lua = try #require(try BuiltinScenarios.named("refresh-lua"))
        #expect(lua.steps.map(\.setup) == [true, false, false])
        guard case .script(let call, let expect) = lua.steps[1].kind else {
            Issue.record("refresh-lua's rotation is not a script")
            return
        }
        #expect(call.keys.map(\.raw) == ["rt:${userId}:${oldHash}", "rt:${userId}:${newHash}", "sess:${userId}"])
        #expect(expect?.integerMin == 1)
        let refresh = try #require(try BuiltinScenarios.named("refresh"))
        #expect(lua.invariants.map(\.check) == refresh.invariants.map(\.check))
    }

    @Test func logoutLockoutBlacklistUseTheReportsKeys() throws {
        let logout = try #require(try BuiltinScenarios.named("logout"))
        #expect(names(logout.steps.dropFirst().flatMap(\.commands)) == ["DEL", "SREM", "SCARD", "DEL"])
        #expect(logout.invariants.first?.check == .missing(Template("rt:${userId}:${tokenHash}")))

        let lockout = try #require(try BuiltinScenarios.named("lockout"))
        let lockoutKeys = Set(lockout.steps.flatMap(\.commands).map { $0.arguments[1].raw })
        #expect(lockoutKeys == ["lock:${email}", "locktime:${email}"])
        #expect(lockout.variables.first { $0.name == "email" }?.value == .literal("user@example.com"))
        #expect(lockout.invariants.contains { $0.check == .value(Template("lock:${email}"), min: 1, max: 5) })

        let blacklist = try #require(try BuiltinScenarios.named("blacklist"))
        #expect(names(blacklist.steps.flatMap(\.commands)) == ["SETEX", "EXISTS", "TTL"])
        #expect(blacklist.steps[1].commands[0].expect?.integerMin == 1)
        #expect(blacklist.invariants.contains { $0.check == .ttl(Template("bl:${tokenHash}"), min: 1, max: 900) })
    }

    @Test func unknownNamesAreNil() throws {
        #expect(try BuiltinScenarios.named("nope") == nil)
        #expect(try BuiltinScenarios.named("") == nil)
        #expect(try BuiltinScenarios.named("../Scenarios/login") == nil)
    }

    @Test func resolveTakesAFileOrABuiltinName() throws {
        #expect(try ScenarioLoader.resolve("refresh").name == "refresh")

        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("redisaudit-resolve-\(UInt32.random(in: 0 ... .max)).yaml").path
        try "name: custom\nsteps:\n  - command: [PING]\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ScenarioLoader.resolve(path).name == "custom")
        #expect(try ScenarioLoader.load(contentsOf: path).file == path)

        do {
            _ = try ScenarioLoader.resolve("logn")
            Issue.record("resolved an unknown scenario")
        } catch {
            #expect(
                error.description
                    == "no scenario file or built-in scenario named 'logn' (built-in scenarios: \(Self.expectedNames.joined(separator: ", ")))"
            )
        }
    }

    @Test func unreadableFileIsAnError() {
        #expect(throws: InputError.self) { try ScenarioLoader.load(contentsOf: "/nonexistent/dir/x.yaml") }
    }

    @Test func searchOrder() {
        let exe = URL(fileURLWithPath: "/opt/redisaudit/bin/redisaudit")
        let withEnvironment = BuiltinScenarios.candidateDirectories(
            environment: ["REDISAUDIT_SCENARIOS": "/custom/scenarios"], executable: exe)
        #expect(withEnvironment.first == "/custom/scenarios")
        #expect(withEnvironment.contains("/opt/redisaudit/share/redisaudit/scenarios"))
        #expect(withEnvironment.last == BuiltinScenarios.sourceTreeDirectory)

        let without = BuiltinScenarios.candidateDirectories(environment: [:], executable: exe)
        #expect(without.first == "/opt/redisaudit/share/redisaudit/scenarios")
        #expect(BuiltinScenarios.sourceTreeDirectory.hasSuffix("/Scenarios"))
        #expect(FileManager.default.fileExists(atPath: BuiltinScenarios.sourceTreeDirectory + "/refresh.yaml"))
    }
}
