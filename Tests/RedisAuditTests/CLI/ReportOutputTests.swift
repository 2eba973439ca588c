import Foundation
import Testing
@testable import RedisAudit

/// The built binary's report outputs: `--format junit` and `html`, `--junit-output` and
/// `--html-output` next to the other outputs, and `--summary` through a pipe.
@Suite("redisaudit report outputs", .timeLimit(.minutes(2)), MachineLoad.light)
struct ReportOutputTests {
    static func scratch() throws -> String {
        try Fixtures.scratchDirectory("outputs").path
    }

    @Test(.enabled(if: ReportSchemaTests.available && Fixtures.available(.redis62, .redis70)))
    func oneRunWritesMarkdownJSONAndJUnit() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let path = try Fixtures.scenarioFile(CompareIntegrationTests.expireNX)
        let directory = try Self.scratch()
        let run = try await Fixtures.run(
            [
                "compare", a.url, b.url, "--scenario", path, "--quiet",
                "--output", "report.md", "--json-output", "report.json", "--junit-output", "report.xml",
            ],
            directory: directory)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.isEmpty, "every report went to its file")
        let markdown = try String(contentsOfFile: directory + "/report.md", encoding: .utf8)
        #expect(markdown.hasPrefix("# redisaudit compare report\n\n**Verdict: FAIL**"))
        let report = try JSONDecoder().decode(
            AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/report.json")))
        let xml = try String(contentsOfFile: directory + "/report.xml", encoding: .utf8)
        let read = try await JUnitReportTests.read(xml)
        #expect(read.errors == [])
        #expect(read.suite["timestamp"] == report.summary.startedAt, "the three come from the same run")
        #expect(read.cases.flatMap(\.failures).count == report.summary.failing)
        #expect(read.testCase("expire-nx")?.failures.contains { $0.type == "reply-mismatch" } == true)
        JUnitReportTests.expectFailuresFollowTheThreshold(report, read)
    }

    @Test(.enabled(if: ReportSchemaTests.available && Fixtures.available(.redis70)))
    func injectAndKeyspaceWriteJUnitToStandardOutput() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let scenario = try Fixtures.scenarioFile(
            """
            name: one-write
            summary: One SET and its check.
            steps:
              - command: [SET, "flag:1", "on"]
            invariants:
              - { exists: "flag:1", severity: critical }
            """)
        let inject = try await Fixtures.run(
            [
                "inject", server.url, "--scenario", scenario, "--trial-timeout", "0.3", "--quiet", "--format", "junit",
                "--fail-on", "medium",
            ])
        let injectRead = try await JUnitReportTests.read(inject.stdout)
        #expect(injectRead.errors == [], "\(inject.stdout)")
        #expect(injectRead.root["name"] == "redisaudit inject")
        #expect(injectRead.cases.first?.name == "one-write")
        #expect(injectRead.cases.allSatisfy { $0.classname == "redisaudit.inject" })
        // The reply held past the trial timeout is a medium hang: a failure at --fail-on medium, and exit 1.
        #expect(inject.status == 1, "\(inject.stderr)")
        #expect(injectRead.testCase("one-write")?.failures.map(\.type) == ["hang"], "\(inject.stdout)")

        let empty = try await Fixtures.run(["keyspace", server.url, "--quiet", "--format", "junit"])
        #expect(empty.status == 0, "\(empty.stderr)")
        let emptyRead = try await JUnitReportTests.read(empty.stdout)
        #expect(emptyRead.errors == [])
        #expect(emptyRead.cases.map(\.name) == ["keyspace"], "a clean scan is one passing test")
        #expect(emptyRead.cases.first?.failures.isEmpty == true)

        _ = try await server.command("SET", "other:1", "x")
        _ = try await server.command("SET", "other:2", "x")
        let outside = try await Fixtures.run(
            ["keyspace", server.url, "--quiet", "--format", "junit", "--expect-prefix", "app:", "--fail-on", "info"])
        #expect(outside.status == 1)
        let outsideRead = try await JUnitReportTests.read(outside.stdout)
        #expect(outsideRead.errors == [])
        #expect(outsideRead.cases.first?.name == "keyspace")
        #expect(outsideRead.testCase("keyspace")?.systemOut.contains("A: 2 keys scanned") == true)
        #expect(outsideRead.testCase("key-prefix")?.failures.isEmpty == false, "\(outsideRead.cases.map(\.name))")
    }

    @Test(.enabled(if: ReportSchemaTests.available && Fixtures.available(.redis70)))
    func aPasswordInTheURLNeverReachesTheJUnitReport() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--requirepass", "Junit-s3cret"])
        defer { server.stop() }
        let url = "redis://:Junit-s3cret@127.0.0.1:\(server.port)"
        let run = try await Fixtures.run(["compare", url + "/0", url + "/1", "--scenario", "blacklist", "--format", "junit"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("Junit-s3cret") && !run.stderr.contains("Junit-s3cret"))
        let read = try await JUnitReportTests.read(run.stdout)
        #expect(read.errors == [])
        #expect(read.cases.map(\.name).first == "blacklist")
        #expect(run.stdout.contains("redis://:***@127.0.0.1:\(server.port)/1 (Redis"), "the endpoints are named, redacted")
    }

    /// Nothing listens on port 1: a run that got as far as connecting would exit 3, not 2.
    static let nowhere = ["redis://127.0.0.1:1", "redis://127.0.0.1:1"]

    @Test func outputsAndNumbersAreCheckedBeforeAnythingConnects() async throws {
        let directory = try Self.scratch()
        let cases: [([String], String)] = [
            (
                ["-o", "/nonexistent-redisaudit/report.md"],
                "-o: cannot write the report to /nonexistent-redisaudit/report.md: directory /nonexistent-redisaudit does not exist"
            ),
            (["--json-output", directory], "--json-output: cannot write the report to \(directory): is a directory"),
            (["-o", directory + "/r.json", "--json-output", directory + "/./r.json"], "-o and --json-output both name"),
            (["--json-output", "x.xml", "--junit-output", "x.xml"], "--json-output and --junit-output both name x.xml"),
            (["--ttl-tolerance", "nan"], "--ttl-tolerance must be a number from 0 to 86400 seconds, got nan"),
            (["--ttl-tolerance", "inf"], "--ttl-tolerance must be a number from 0 to 86400 seconds, got inf"),
            (["--command-timeout", "1e-9"], "--command-timeout must be a number from 0.001 to 3600 seconds"),
            (["--connect-timeout=-1"], "--connect-timeout must be a number from 0.001 to 600 seconds"),
            (
                ["--var", "clients=10001", "--scenario", "checkin-capacity"],
                "concurrent clients must be a whole number from 1 to 10000"
            ),
        ]
        for (arguments, message) in cases {
            let run = try await Fixtures.run(["compare"] + Self.nowhere + arguments, directory: directory)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        let inject = try await Fixtures.run(["inject", Self.nowhere[0], "--trial-timeout", "nan"])
        #expect(inject.status == 2, "\(inject.stderr)")
        let keyspace = try await Fixtures.run(["keyspace", Self.nowhere[0], "--ttl-ratio", "inf"])
        #expect(keyspace.status == 2, "\(keyspace.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aReportThatCannotBeWrittenIsExitTwoWithThePathAndTheReason() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let pair = [server.url + "/0", server.url + "/1", "--scenario", "blacklist", "--quiet"]
        let full = try await Fixtures.run(["compare"] + pair + ["-o", "/dev/full"])
        #expect(full.status == 2, "\(full.stderr)")
        #expect(full.stderr.contains("cannot write the report to /dev/full: No space left on device"), "\(full.stderr)")
        let json = try await Fixtures.run(["compare"] + pair + ["--json-output", "/dev/full"])
        #expect(json.status == 2, "\(json.stderr)")

        // Standard output on a full disk.
        let shell = try ChildProcess(
            "/bin/sh", ["-c", "exec \"$0\" \"$@\" > /dev/full", Fixtures.binary.path, "compare"] + pair)
        let status = await shell.finish(timeout: 60)
        #expect(status == 2, "\(shell.stderr)")
        #expect(shell.stderr.contains("cannot write the report to standard output: No space left on device"), "\(shell.stderr)")
        #expect(try await server.command("DBSIZE") == .integer(0))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func theSummaryGoesThroughAPipeWithTheReportsInTheirFiles() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let directory = try Self.scratch()
        let run = try await Fixtures.run(
            ["keyspace", server.url, "--summary", "--top", "0", "-q", "-o", "ks.md", "--html-output", "ks.html"],
            directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("redisaudit keyspace: PASS"), "\(run.stdout)")
        #expect(run.stdout.hasSuffix("Full reports: ks.md, redisaudit-keyspace.json, ks.html\n"), "\(run.stdout)")
        #expect(!run.stdout.contains("\u{1B}"), "no colour through a pipe")
        #expect(try String(contentsOfFile: directory + "/ks.md", encoding: .utf8).hasPrefix("# redisaudit keyspace report"))
        #expect(try String(contentsOfFile: directory + "/ks.html", encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        #expect(FileManager.default.fileExists(atPath: directory + "/redisaudit-keyspace.json"))
        // The HTML report alone on standard output.
        let html = try await Fixtures.run(["keyspace", server.url, "--format", "html", "-q"], directory: directory)
        #expect(html.status == 0 && html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("</html>"))
    }

    @Test func theSummaryAndAFormatAreOneTooManyAndTopIsChecked() async throws {
        let both = try await Fixtures.run(["keyspace", "redis://127.0.0.1:1", "--summary", "--format", "json"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("--summary prints the summary in place of the report and --format json prints the report"))
        let top = try await Fixtures.run(["keyspace", "redis://127.0.0.1:1", "--top", "-1"])
        #expect(top.status == 2, "\(top.stderr)")
    }
}
