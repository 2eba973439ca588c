import Foundation
import NIOCore
import RESP
import Testing
@testable import RedisAudit

/// Explores scenarios in-process against real servers.
private func explore(
    _ servers: [TestServer], _ scenarios: [Scenario], lostWrites: Bool = false, restartCommands: [String?] = [],
    serverFaults: Bool = false
) async throws -> AuditReport {
    var options = Fixtures.options
    options.tls = TLSOptions(caFile: servers.compactMap(\.caFile).first)
    let configuration = InjectConfiguration(
        endpoints: servers.map(\.endpoint), connection: options, scenarios: scenarios, lostWrites: lostWrites,
        // Generous: the whole suite runs at once on two cores, and a trial whose reply is merely
        // late would be judged as if a delay fault had hit it.
        trialTimeout: .milliseconds(1000), jobs: 4, restartCommands: restartCommands, serverFaults: serverFaults)
    return try await InjectAudit(configuration: configuration).run()
}

private func builtin(_ names: String...) throws -> [Scenario] {
    try names.map { try #require(try BuiltinScenarios.named($0)) }
}

@Suite("inject against real servers", .timeLimit(.minutes(3)), MachineLoad.light)
struct InjectIntegrationTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func loginLeavesASessionSetWithoutTTLWhenTheConnectionDiesMidPipeline() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let report = try await explore([server], try builtin("login"))
        let partial = try #require(
            report.findings.first { $0.category == .partialApply && $0.title.contains("a session set without TTL never expires") }
        )
        #expect(partial.severity == .high)
        // The connection dies after SADD ran (or before EXPIRE reached the server): the set stays, without TTL.
        #expect(partial.evidence.contains { $0.contains("kill-after at step 1 (pipeline") && $0.contains("command 2: SADD") })
        #expect(partial.evidence.contains { $0.contains("kill-before at step 1 (pipeline") && $0.contains("command 3: EXPIRE") })
        #expect(partial.evidence.contains { $0.hasPrefix("  sess:user123 (set, no TTL)") })
        #expect(
            partial.evidence.contains {
                $0.contains("--scenario login --trial-timeout 1.0 --fault kill-after:SADD:nth=1,scope=run")
            })
        #expect(partial.occurrences == 2)
        let coverage = try #require(report.coverage?.first)
        #expect(coverage.trials == 20)
        #expect(coverage.notReached == 0)
        // Nothing is left behind.
        #expect(try await server.command("DBSIZE") == .integer(0))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func refreshLeavesTheRotatedOutTokenValidAfterAFailedIgnoredDelete() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let report = try await explore([server], try builtin("refresh"))
        let corruption = try #require(report.findings.first { $0.category == .silentCorruption })
        #expect(corruption.severity == .critical)
        #expect(
            corruption.title
                == "`refresh` goes on after a failed DEL and leaves a broken state: a rotated-out refresh token must not stay valid"
        )
        #expect(corruption.evidence.contains { $0.contains("drop-error at step 6 (command \"delete the old token\"): DEL") })
        #expect(corruption.evidence.contains { $0.contains("missing rt:${userId}:${oldHash}") && $0.contains("exists") })
        // The failed validation read is swallowed as "not found".
        let swallowed = try #require(report.findings.first { $0.category == .errorSwallowed })
        #expect(swallowed.severity == .high)
        #expect(swallowed.title == "`refresh` treats a failed GET as \"not found\"")
        #expect(report.findings.first?.severity == .critical)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theAtomicVariantsNeitherCorruptNorApplyPartially() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let report = try await explore([server], try builtin("login-multi", "refresh-lua"))
        let broken: Set<FindingCategory> = [.silentCorruption, .partialApply, .errorSwallowed, .doubleApply]
        #expect(!report.findings.contains { broken.contains($0.category) }, "\(report.findings.map(\.title))")
        let tables = try #require(report.coverage)
        #expect(tables.map(\.scenario) == ["login-multi", "refresh-lua"])
        for table in tables {
            #expect(table.trials > 0 && table.notReached == 0)
            #expect(table.survived == table.trials)
        }
        // Every kind was tried inside the transaction and at its EXEC.
        let multi = tables[0]
        #expect(multi.rows.contains { $0.point == "step 1: EXEC" && $0.outcomes.contains("stopped, complete") })
        #expect(multi.rows.contains { $0.point == "step 1: MULTI ... EXEC" && $0.outcomes.contains("stopped, unchanged") })
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func lostWritesAddDurabilityFindingsAndChangeNothingElse() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let scenarios = try builtin("login", "refresh-lua")
        let plain = try await explore([server], scenarios)
        let lossy = try await explore([server], scenarios, lostWrites: true)
        func kept(_ report: AuditReport) -> Set<String> {
            Set(report.findings.filter { $0.category != .lostWrite }.map { "\($0.id) \($0.occurrences)" })
        }
        #expect(kept(lossy) == kept(plain))
        #expect(!plain.findings.contains { $0.category == .lostWrite })
        let lost = lossy.findings.filter { $0.category == .lostWrite }
        // Not even one Lua script protects against an acknowledged write the host loses.
        #expect(lost.contains { $0.scenario == "refresh-lua" })
        #expect(lost.contains { $0.scenario == "login" })
        #expect(lost.allSatisfy { $0.fix.contains("WAIT") })
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aRetryAfterALostReplyAppliesAnIncrementTwice() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let file = try Fixtures.scenarioFile(
            """
            name: counter-retry
            steps:
              - command: [INCR, "attempts:${user}"]
                on_error: { retry: 2 }
              - command: [EXPIRE, "attempts:${user}", 900]
            vars:
              user: u1
            invariants:
              - { value: "attempts:${user}", max: 1, why: "one failed login counts once" }
            """)
        let report = try await explore([server], [try ScenarioLoader.load(contentsOf: file)])
        let double = try #require(report.findings.first { $0.category == .doubleApply })
        #expect(double.title == "A retried INCR is applied twice in `counter-retry`: one failed login counts once")
        #expect(double.evidence.contains { $0.contains("kill-after at step 1 (command): INCR") })
        #expect(double.evidence.contains { $0.hasPrefix("  attempts:u1 (string, TTL) = 2") })
        // kill-before is retried cleanly: the command never ran the first time.
        let coverage = try #require(report.coverage?.first)
        #expect(coverage.rows.first?.outcomes.first == "retried")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func anExplorationTouchesNothingOutsideItsNamespaces() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let connection = try await server.connect()
        _ = await connection.send([
            RESPCommand("SET", "rt:user123:live", "token"), RESPCommand("SADD", "sess:user123", "live"),
            RESPCommand("SETEX", "bl:abc", "900", "1"), RESPCommand("INCR", "lock:user@example.com"),
        ])
        func snapshot() async -> [String] {
            let keys = (await connection.send([RESPCommand("KEYS", "*")]))[0].reply?.arrayElements ?? []
            var lines: [String] = []
            for case .bulkString(let key) in keys {
                let out = await connection.send([
                    RESPCommand(arguments: [Array("DUMP".utf8), key]), RESPCommand(arguments: [Array("PTTL".utf8), key]),
                ])
                let ttl = out[1].reply?.integerValue ?? -3
                lines.append("\(String(decoding: key, as: UTF8.self)) \(out[0].reply.map { "\($0)" } ?? "") \(ttl < 0 ? ttl : 1)")
            }
            return lines.sorted()
        }
        let before = await snapshot()
        _ = try await explore([server], try builtin("login", "refresh", "lockout"))
        #expect(await snapshot() == before)
        #expect(before.count == 4)
        await connection.close()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aRestartLosesTheKeysOfTheEndpointWithoutPersistenceOnly() async throws {
        let durable = try await TestServer.start(.redis70, extraArguments: ["--appendonly", "yes", "--appendfsync", "always"])
        let volatile = try await TestServer.start(.redis70)
        defer {
            for server in [durable, volatile] {
                if let pid = try? String(
                    contentsOfFile: server.directory.appendingPathComponent("restarted.pid").path, encoding: .utf8),
                    let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines))
                {
                    kill(number, SIGKILL)
                }
                server.stop()
            }
        }
        let binary = try #require(TestServer.binary(.redis70))
        func restart(_ server: TestServer, appendonly: String) -> String {
            let dir = server.directory.path
            return
                "redis-cli -p \(server.port) shutdown; for i in $(seq 50); do redis-cli -p \(server.port) ping >/dev/null 2>&1 || break; sleep 0.05; done; "
                + "\(binary) --bind 127.0.0.1 --port \(server.port) --save '' --appendonly \(appendonly) --dir \(dir) "
                + "--logfile \(dir)/restarted.log --daemonize yes --pidfile \(dir)/restarted.pid"
        }
        let report = try await explore(
            [durable, volatile], try builtin("blacklist"),
            restartCommands: [restart(durable, appendonly: "yes"), restart(volatile, appendonly: "no")])
        let lost = try #require(report.findings.first { $0.category == .durability })
        #expect(lost.endpoints == ["B"])
        #expect(lost.title == "A restart of B loses 1 of the 1 keys the scenarios wrote")
        #expect(lost.evidence.contains("rdb: off, aof: off"))
        let parity = try #require(report.findings.first { $0.category == .faultParity })
        #expect(parity.title == "A keeps the scenarios' keys across a restart, B loses them")
        // The same engine survives every proxy fault the same way: no other difference.
        #expect(report.findings.filter { $0.category == .faultParity }.count == 1)
        #expect(report.coverage?.map(\.endpoint) == ["A", "B"])
        #expect(try await durable.command("DBSIZE") == .integer(0))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func serverFaultsRunWhereTheHostAllowsThemAndAreSkippedWhereItRefuses() async throws {
        let open = try await TestServer.start(.redis70, extraArguments: ["--enable-debug-command", "yes"])
        let managed = try await TestServer.start(.redis70)
        defer {
            open.stop()
            managed.stop()
        }
        let report = try await explore([open, managed], try builtin("login"), serverFaults: true)
        let tables = try #require(report.coverage)
        let onA = try #require(tables.first { $0.endpoint == "A" })
        #expect(onA.faults.suffix(3) == ["server-pause", "server-sleep", "server-kill"])
        let column = { (name: String) in onA.faults.firstIndex(of: name)! }
        let beforeLogin = try #require(onA.rows.first { $0.point == "step 1: before the step" })
        // A write pause holds the pipeline's writes until the client gives up: the server drops them.
        #expect(beforeLogin.outcomes[column("server-pause")] == "stopped, unchanged, hang")
        // A sleeping server runs what it was sent once it wakes, though the client gave up.
        #expect(beforeLogin.outcomes[column("server-sleep")] == "stopped, complete, hang")
        // A connection killed under a held write: nothing of the pipeline ran.
        #expect(beforeLogin.outcomes[column("server-kill")] == "stopped, unchanged")
        let skipped = report.findings.filter { $0.category == .serverFault }
        #expect(skipped.map(\.title) == ["server-sleep skipped on B: the host refuses DEBUG SLEEP"])
        #expect(skipped.first?.severity == .info)
        let onB = try #require(tables.first { $0.endpoint == "B" })
        #expect(onB.faults.suffix(2) == ["server-pause", "server-kill"])
        #expect(try await open.command("DBSIZE") == .integer(0))
    }

    @Test(.enabled(if: Fixtures.available(.redis62, .valkey91)))
    func twoEnginesThatSurviveFaultsAlikeGetNoParityFinding() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.valkey91)
        defer {
            a.stop()
            b.stop()
        }
        let report = try await explore([a, b], try builtin("login", "refresh-lua"))
        #expect(!report.findings.contains { $0.category == .faultParity }, "\(report.findings.map(\.title))")
        // What both share is reported once, for both.
        let partial = try #require(report.findings.first { $0.category == .partialApply && $0.title.contains("without TTL") })
        #expect(partial.endpoints == ["A", "B"])
        #expect(report.coverage?.map(\.endpoint) == ["A", "B", "A", "B"])
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aTLSEndpointIsExploredThroughAPlainProxyInFront() async throws {
        let server = try await TestServer.start(.redis70, tls: true)
        defer { server.stop() }
        let report = try await explore([server], try builtin("login"))
        #expect(report.summary.endpoints.first?.url.hasPrefix("rediss://") == true)
        #expect(report.coverage?.first?.trials == 20)
        #expect(report.coverage?.first?.notReached == 0)
        #expect(report.findings.contains { $0.category == .partialApply && $0.title.contains("without TTL") })
    }
}
