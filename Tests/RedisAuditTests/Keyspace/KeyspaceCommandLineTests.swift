import Foundation
import RESP
import Testing
@testable import RedisAudit

/// `redisaudit keyspace` run as a user would: exit codes, reports, quiet, no secrets.
@Suite("redisaudit keyspace command line", .timeLimit(.minutes(2)), MachineLoad.light)
struct KeyspaceCommandLineTests {
    @Test func badOptionsAreUsageErrors() async throws {
        for arguments in [
            ["--count", "0"], ["--sample", "0"], ["--ttl-ratio", "0.5"], ["--count-tolerance", "2"], ["--expect-prefix", ""],
        ] {
            let run = try await Fixtures.run(["keyspace", "redis://127.0.0.1:1"] + arguments)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(arguments[0]), "\(run.stderr)")
        }
        let three = try await Fixtures.run(["keyspace", "redis://127.0.0.1:1", "redis://127.0.0.1:2", "redis://127.0.0.1:3"])
        #expect(three.status == 2)
    }

    @Test func anUnreachableEndpointExitsThree() async throws {
        let refusing = try TestServer.refusingPort()
        defer { refusing.release() }
        let run = try await Fixtures.run(["keyspace", "redis://127.0.0.1:\(refusing.port)", "--connect-timeout", "2"])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("cannot reach"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func findingsExitOneAndTheReportsCarryThePatternTable() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--requirepass", "s3cret-pw"])
        defer { server.stop() }
        let connection = try await RedisConnection.connect(
            to: try Endpoint.parse("redis://:s3cret-pw@127.0.0.1:\(server.port)"), options: Fixtures.options)
        _ = await connection.send(KeyspaceIntegrationTests.authKeyspace().map { RESPCommand(strings: $0) })
        await connection.close()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-ks-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let environment = ["REDISAUDIT_PASSWORD": "s3cret-pw"]
        let run = try await Fixtures.run(
            [
                "keyspace", "redis://127.0.0.1:\(server.port)", "--expect-prefix", "checkin:prod:", "--output", "ks.md",
                "--json-output", "ks.json",
            ],
            environment: environment, directory: directory)
        #expect(run.status == 1, "\(run.stderr)")
        let markdown = try String(contentsOfFile: directory + "/ks.md", encoding: .utf8)
        #expect(markdown.contains("| `rt:<id>:<hash>` | 60 | string | 7 |"), "\(markdown)")
        #expect(markdown.contains("## Keyspace"))
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/ks.json")))
            as? [String: Any]
        #expect(json?["command"] as? String == "keyspace")
        let keyspace = json?["keyspace"] as? [String: Any]
        let endpoints = keyspace?["endpoints"] as? [[String: Any]]
        let patterns = endpoints?.first?["patterns"] as? [[String: Any]]
        #expect(patterns?.count == 5)
        #expect(run.stderr.contains("scanned A 167 keys"), "\(run.stderr)")
        for text in [run.stdout, run.stderr, markdown] { #expect(!text.contains("s3cret-pw")) }

        let quiet = try await Fixtures.run(
            ["keyspace", "redis://127.0.0.1:\(server.port)", "--quiet", "--fail-on", "never", "--format", "json"],
            environment: environment)
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
        #expect(quiet.stdout.contains("\"withoutTTL\" : 7"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aScanTheHostRefusesExitsThree() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        try await server.command("ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@all", "-scan")
        let run = try await Fixtures.run(
            ["keyspace", "redis://reader@127.0.0.1:\(server.port)"], environment: ["REDISAUDIT_PASSWORD": "pw"])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("refused SCAN"), "\(run.stderr)")
    }
}

extension KeyspaceCommandLineTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func ctrlCStopsALongScanWithExit130() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--enable-debug-command", "yes"])
        defer { server.stop() }
        try await server.command("DEBUG", "POPULATE", "300000", "big")
        // COUNT 10: tens of thousands of SCAN round trips, far longer than the wait below.
        let process = try ChildProcess(Fixtures.binary.path, ["keyspace", server.url, "--count", "10"])
        // Interrupt once the server has answered the scan's first SCANs.
        var scans = 0
        for _ in 0..<2000 where scans < 10 && process.isRunning {
            let stats = try await server.command("INFO", "commandstats").text ?? ""
            let line = stats.split(separator: "\r\n").first { $0.hasPrefix("cmdstat_scan:calls=") }
            scans = line.flatMap { Int($0.dropFirst("cmdstat_scan:calls=".count).prefix { $0.isNumber }) } ?? 0
            if scans < 10 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(scans >= 10, "the scan started: \(process.stderr)")
        kill(process.pid, SIGINT)
        let status = await process.finish(timeout: 20)
        #expect(status == 130, "\(process.stderr)")
        #expect(process.stderr.contains("stopping the scan"), "\(process.stderr)")
        #expect(try await server.command("DBSIZE") == .integer(300_000))
    }
}

@Suite("scan progress")
struct ScanProgressTests {
    @Test func saysKeysDoneOutOfDBSIZERateAndTimeLeft() {
        var progress = ScanProgress(roles: ["A", "B"], dbsizes: [1_000_000, nil], interval: 0, clock: ContinuousClock())
        progress.record(side: 0, keys: 250_000)
        progress.record(side: 1, keys: 1_234)
        let line = progress.line() ?? ""
        #expect(line.hasPrefix("A: 250,000 of 1,000,000 keys (25%), about "), "\(line)")
        #expect(line.contains(" s left, "), "\(line)")
        #expect(line.contains("; B: 1,234 keys, "), "\(line)")
        #expect(line.hasSuffix(" keys/s"))
        var slow = ScanProgress(roles: ["A"], dbsizes: [10], interval: 3600, clock: ContinuousClock())
        #expect(slow.line() == nil, "nothing before the interval has passed")
    }
}
