import Foundation
import Testing
@testable import RedisAudit

/// The config file as the binary reads it: found in the working directory or given with
/// --config, overridden by flags, its errors FILE:LINE with exit 2, its passwords only from the environment.
@Suite("redisaudit.yaml on the command line", .timeLimit(.minutes(2)), MachineLoad.light)
struct ConfigCommandLineTests {
    static func directory(_ config: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("redisaudit-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try config.write(toFile: "\(path)/redisaudit.yaml", atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91)))
    func theConfigFileInTheWorkingDirectoryRunsTheGateAndFlagsOverrideIt() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.valkey91)
        defer { a.stop(); b.stop() }
        _ = try await a.command("CONFIG", "SET", "save", "3600 1")
        let dir = try Self.directory(
            """
            endpoints:
              a: { url: "\(a.url)" }
              b: "\(b.url)"
            scenarios: [login]
            vars: { userId: from-config }
            fail-on: medium
            outputs:
              markdown: out/report.md
              json: out/report.json
            """)
        try FileManager.default.createDirectory(atPath: "\(dir)/out", withIntermediateDirectories: true)
        let run = try await Fixtures.run(["compare", "--quiet"], directory: dir)
        #expect(run.status == 1, "persistence differs, at medium: \(run.stderr)")
        let report = try JSONDecoder().decode(
            AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/report.json")))
        #expect(report.summary.failOn == .severity(.medium))
        #expect(report.summary.scenarios == ["login"])
        #expect(report.summary.endpoints.map(\.engine) == ["Redis", "Valkey"])
        #expect(try String(contentsOfFile: "\(dir)/out/report.md", encoding: .utf8).contains("# redisaudit compare report"))
        // A flag overrides the file.
        let lenient = try await Fixtures.run(
            ["compare", "--quiet", "--fail-on", "high", "--json-output", "\(dir)/high.json"], directory: dir)
        #expect(lenient.status == 0, "\(lenient.stderr)")
        let high = try JSONDecoder().decode(AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/high.json")))
        #expect(high.summary.failOn == .severity(.high))
        // --config elsewhere, positional endpoints over the file's.
        let elsewhere = try await Fixtures.run(
            ["compare", b.url, b.url, "--config", "\(dir)/redisaudit.yaml", "--quiet", "--json-output", "\(dir)/bb.json"])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        let same = try JSONDecoder().decode(AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/bb.json")))
        #expect(same.summary.endpoints.map(\.engine) == ["Valkey", "Valkey"])
    }

    /// `inject:` faults replace the exploration, as `--fault` does; `--explore` on the command line brings it back.
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func injectTakesItsFaultsFromTheFileAndFlagsOverrideThem() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let dir = try Self.directory(
            """
            endpoints:
              a: "\(server.url)"
            scenarios: [login]
            inject:
              faults: [kill-before:EXPIRE]
              jobs: 2
            """)
        func coverage(_ extra: [String]) async throws -> (Int32, AuditReport) {
            let json = "\(dir)/inject-\(UUID().uuidString).json"
            let run = try await Fixtures.run(
                ["inject", "--quiet", "-o", "/dev/null", "--json-output", json] + extra, directory: dir)
            return (run.status, try JSONDecoder().decode(AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: json))))
        }
        let (status, rules) = try await coverage([])
        #expect(status == 1)
        #expect(rules.coverage?.map(\.trials) == [1], "one trial with the file's rules")
        #expect(rules.findings.contains { $0.category == .partialApply })
        let (_, explored) = try await coverage(["--explore", "--fail-on", "never"])
        #expect((explored.coverage?.first?.trials ?? 0) > 1, "the exploration tries every fault point")
        #expect(try await server.command("DBSIZE") == .integer(0))
    }

    @Test func configErrorsPointAtTheLineAndExitTwoBeforeConnecting() async throws {
        let dir = try Self.directory(
            """
            endpoints:
              a: redis://127.0.0.1:1
              b: redis://127.0.0.1:2
            fail-on: medium
            inject:
              lost-writes: true
              jobz: 4
            """)
        for arguments in [["compare"], ["inject"], ["keyspace"]] {
            let run = try await Fixtures.run(arguments, directory: dir)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("redisaudit.yaml:7: unknown key 'jobz' in inject"), "\(run.stderr)")
        }
        let missing = try await Fixtures.run(["compare", "--config", "\(dir)/nope.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file"))
        let noEndpoints = try Self.directory("fail-on: high\n")
        let run = try await Fixtures.run(["compare"], directory: noEndpoints)
        #expect(run.status == 2)
        #expect(run.stderr.contains("compare needs endpoint A"), "\(run.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func passwordsComeOnlyFromTheNamedEnvironmentVariable() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--requirepass", "s3cret-in-env"])
        defer { server.stop() }
        let inline = try Self.directory("endpoints:\n  a: redis://:s3cret-in-env@127.0.0.1:\(server.port)\n")
        let refused = try await Fixtures.run(["keyspace"], directory: inline)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("redisaudit.yaml:2: "))
        #expect(refused.stderr.contains("password-env"))
        #expect(!refused.stderr.contains("s3cret-in-env"))

        let dir = try Self.directory(
            "endpoints:\n  a: { url: \"redis://127.0.0.1:\(server.port)\", password-env: CACHE_PASSWORD }\n")
        let unset = try await Fixtures.run(["keyspace"], directory: dir)
        #expect(unset.status == 2)
        #expect(
            unset.stderr.contains("redisaudit.yaml:2: endpoint a takes its password from CACHE_PASSWORD, which is not set"),
            "\(unset.stderr)")
        let ok = try await Fixtures.run(
            ["keyspace", "--json-output", "\(dir)/k.json"], environment: ["CACHE_PASSWORD": "s3cret-in-env"], directory: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(!ok.stdout.contains("s3cret-in-env") && !ok.stderr.contains("s3cret-in-env"))
        #expect(!(try String(contentsOfFile: "\(dir)/k.json", encoding: .utf8)).contains("s3cret-in-env"))
        let wrong = try await Fixtures.run(["keyspace"], environment: ["CACHE_PASSWORD": "not-it"], directory: dir)
        #expect(wrong.status == 3, "\(wrong.stderr)")
    }
}
