import Foundation
import RESP
import Testing

@testable import RedisAudit

/// A draft made from a recorded flow loads as `scenarios validate` loads it and replays against
/// a real Redis 7.0 with fresh random variables: every expectation it wrote holds, and so does
/// every invariant it proposed.
@Suite("imported drafts replay", .timeLimit(.minutes(2)), MachineLoad.light)
struct DraftReplayTests {
    /// The draft written to a file, loaded by the scenario loader, and replayed once on `server`.
    static func replay(_ draft: ScenarioDraft, on server: TestServer) async throws -> (Scenario, ScenarioRun) {
        let path = try Fixtures.scenarioFile(draft.yaml, name: "\(draft.name).yaml")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let scenario = try ScenarioLoader.load(contentsOf: path)
        let replayer = ScenarioReplayer(endpoint: server.endpoint, options: Fixtures.options, role: "A")
        let run = try await replayer.run(scenario, bindings: try scenario.bind(), namespace: Namespace.generate())
        return (scenario, run)
    }

    /// Every expectation and invariant held, and the run was not stopped.
    static func expectClean(_ run: ScenarioRun, _ draft: ScenarioDraft) {
        #expect(run.abortedAt == nil, "\(draft.yaml)")
        for step in run.steps {
            #expect(!step.failed, "step \(step.index) failed: \(step.commands.map(\.outcome))")
            for command in step.commands {
                #expect(command.expectationFailure == nil, "\(command.name): \(command.expectationFailure ?? "")\n\(draft.yaml)")
            }
        }
        for result in run.invariants {
            #expect(result.holds, "\(result.invariant.check): \(result.observation)\n\(draft.yaml)")
        }
    }

    /// The checks of a scenario's invariants, as written.
    static func checks(_ scenario: Scenario) -> [String] {
        scenario.invariants.map { invariant in
            switch invariant.check {
            case .exists(let key): return "exists \(key)"
            case .missing(let key): return "missing \(key)"
            case .ttl(let key, let min, _): return "ttl \(key) \(min.map(String.init) ?? "")"
            case .type(let key, let type): return "type \(key) \(type)"
            case .membersHaveKeys(let set, let key): return "members \(set) \(key)"
            default: return "other"
            }
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theRecordedLoginReplaysWithEveryExpectationAndInvariantHolding() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let draft = RecordedFlows.draft(RecordedFlows.login)
        let (scenario, run) = try await Self.replay(draft, on: server)
        Self.expectClean(run, draft)
        // Each command kept its recorded reply as an expectation (the TTL as a range).
        let expectations = scenario.steps.flatMap(\.commands).map(\.expect)
        #expect(expectations.allSatisfy { $0 != nil })
        #expect(expectations[3]?.set?.map(\.raw) == ["${tokenHash}"])
        #expect(expectations[4]?.integerMin == 604790 && expectations[4]?.integerMax == 604800)
        #expect(
            Self.checks(scenario) == [
                "exists sess:${userId}", "type sess:${userId} set", "ttl sess:${userId} 1",
                "exists rt:${userId}:${tokenHash}", "type rt:${userId}:${tokenHash} string",
                "ttl rt:${userId}:${tokenHash} 1", "members sess:${userId} rt:${userId}:${member}",
            ])
        #expect(run.invariants.count == 7)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theRecordedRefreshStartsFromTheOldTokenAndLeavesItMissing() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let draft = RecordedFlows.draft(RecordedFlows.refresh)
        let (scenario, run) = try await Self.replay(draft, on: server)
        Self.expectClean(run, draft)
        // The old token the GET read and the SREM removed is written by a setup step first.
        let setup = try #require(scenario.steps.first)
        #expect(setup.setup)
        #expect(
            setup.commands.map { $0.arguments.map(\.raw) } == [
                ["SET", "rt:${userId}:${tokenHash}", #"{"userId":"${userId}","tokenHash":"${tokenHash}"}"#],
                ["SADD", "sess:${userId}", "${tokenHash}"],
            ])
        let get = scenario.steps[1].commands[0].expect
        #expect(get?.value?.raw == #"{"userId":"${userId}","tokenHash":"${tokenHash}"}"#)
        #expect(scenario.steps.dropFirst().flatMap(\.commands).allSatisfy { $0.expect != nil })
        let checks = Self.checks(scenario)
        #expect(checks.contains("missing rt:${userId}:${tokenHash}"))
        #expect(checks.contains("exists rt:${userId}:${tokenHash_2}"))
        #expect(checks.contains("members sess:${userId} rt:${userId}:${member}"))
        #expect(run.invariants.count == checks.count && checks.count == 8)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func repliesThatDependOnUnseenStateOrChanceStillReplay() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        func c(_ arguments: [String], _ reply: RESPValue) -> CapturedCommand { RecordedFlows.command(arguments, reply) }
        let draft = RecordedFlows.draft([
            c(["INCR", "logins:user123"], .integer(5)),
            c(["SCARD", "devices:user123"], .integer(3)),
            c(["SISMEMBER", "devices:user123", "phone"], .integer(1)),
            c(["HSET", "profile:user123", "lastLogin", "1700000000"], .integer(1)),
            c(["HGET", "profile:user123", "name"], .bulk("Ann")),
            c(["MULTI"], .simpleString("OK")),
            c(["RPUSH", "audit:user123", "login"], .simpleString("QUEUED")),
            c(["EXPIRE", "audit:user123", "3600"], .simpleString("QUEUED")),
            c(["EXEC"], .array([.integer(4), .integer(1)])),
            c(["LRANGE", "audit:user123", "0", "-1"], .array([.bulk("a"), .bulk("b"), .bulk("c"), .bulk("login")])),
            c(["SET", "lock:user123", "1", "NX", "EX", "30"], .simpleString("OK")),
            c(["SET", "lock:user123", "1", "NX", "EX", "30"], .null),
            c(["PTTL", "lock:user123"], .integer(29_990)),
            c(["GET", "missing:user123"], .null),
            c(["SRANDMEMBER", "devices:user123"], .bulk("phone")),
            c(["DEL", "lock:user123"], .integer(1)),
        ])
        let (scenario, run) = try await Self.replay(draft, on: server)
        Self.expectClean(run, draft)
        let expectations = scenario.steps.filter { !$0.setup }.flatMap(\.commands).map(\.expect)
        #expect(expectations.count == 14)
        #expect(expectations[0]?.integerMin == 5, "the counter starts from 4, as the reply shows")
        #expect(expectations[1]?.type == "integer" && expectations[1]?.integerMin == nil, "other devices no reply listed")
        #expect(expectations[2]?.integerMin == 1, "a member the reply showed, written by the setup step")
        #expect(expectations[4]?.value?.raw == "Ann")
        #expect(expectations[5]?.type == "integer" && expectations[5]?.integerMin == nil, "the list may have held more")
        #expect(expectations[6]?.integerMin == 1, "EXEC's reply, per command")
        #expect(expectations[7]?.type == "array" && expectations[7]?.array == nil)
        #expect(expectations[9]?.type == "nil", "the lock is taken")
        #expect(expectations[10]?.integerMin == 20_000 && expectations[10]?.integerMax == 30_000)
        #expect(expectations[11]?.type == "nil")
        #expect(expectations[12] == nil, "a random member")
        let checks = Self.checks(scenario)
        #expect(
            checks == [
                "exists logins:${logins_1}", "type logins:${logins_1} string", "exists profile:${logins_1}",
                "type profile:${logins_1} hash", "exists audit:${logins_1}", "type audit:${logins_1} list",
                "ttl audit:${logins_1} 1", "missing lock:${logins_1}",
            ])
    }

    /// Flows of random commands run on a real server after an earlier request left some keys:
    /// the replies are what the server gave, and the drafts replay with every expectation and
    /// invariant holding.
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func randomFlowsRecordedOnAServerReplayAsDrafted() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let connection = try await server.connect()
        var random = SeededGenerator(seed: 7)
        let earlier: [[String]] = [
            ["SET", "a", "x"], ["SADD", "s", "m", RecordedFlows.token], ["HSET", "h", "m", "7"], ["RPUSH", "l", "x", "m"],
            ["SETEX", "rt:u1:\(RecordedFlows.token)", "300", #"{"userId":"u1"}"#], ["INCRBY", "7", "6"],
            ["SADD", "sess:u1", RecordedFlows.token], ["SET", "0", "m"],
        ]
        var expectations = 0
        for round in 0..<150 {
            _ = try await connection.execute("FLUSHALL")
            for command in earlier where Bool.random(using: &random) {
                _ = try await connection.execute(RESPCommand(strings: command))
            }
            var commands: [CapturedCommand] = []
            for index in 0..<Int.random(in: 1...10, using: &random) {
                let arguments = RandomRecordedFlowTests.command(&random)
                let reply = try await connection.execute(RESPCommand(strings: arguments))
                commands.append(RecordedFlows.command(arguments, reply, line: index + 1))
            }
            _ = try await connection.execute("DISCARD")  // a MULTI the flow left open
            let draft = RecordedFlows.draft(commands)
            guard draft.hasSteps else { continue }
            let (scenario, run) = try await Self.replay(draft, on: server)
            expectations += scenario.steps.flatMap(\.commands).filter { $0.expect != nil }.count
            for step in run.steps {
                for command in step.commands {
                    #expect(
                        command.expectationFailure == nil, "round \(round): \(command.expectationFailure ?? "")\n\(draft.yaml)")
                }
            }
            for result in run.invariants {
                #expect(result.holds, "round \(round): \(result.observation)\n\(draft.yaml)")
            }
        }
        await connection.close()
        #expect(expectations > 400, "most replies recur: \(expectations)")
    }
}
