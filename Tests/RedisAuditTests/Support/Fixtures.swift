import Foundation
import Testing
@testable import RedisAudit

/// Shared helpers for tests that run against real servers or the built binary.
enum Fixtures {
    /// True when a server kind can be started here, or must be (under `make test`).
    static func available(_ kinds: TestServer.Kind...) -> Bool {
        TestServer.serversRequired || kinds.allSatisfy { TestServer.binary($0) != nil }
    }

    /// A fresh, empty temporary directory `redisaudit-<name>-<random>`; the caller removes it.
    static func scratchDirectory(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Writes a scenario file into a fresh temporary directory and returns its path.
    static func scenarioFile(_ yaml: String, name: String = "scenario.yaml") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-scenario-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Connection options for tests: short deadlines so a broken test fails fast.
    static let options = ConnectionOptions(connectTimeout: .seconds(3), commandTimeout: .seconds(3))

    /// Runs `compare` in-process on two servers.
    static func compare(_ a: TestServer, _ b: TestServer, scenarios: [Scenario], pings: Int = 20) async throws -> AuditReport {
        var options = Fixtures.options
        options.tls = TLSOptions(caFile: a.caFile ?? b.caFile)
        let configuration = CompareConfiguration(
            endpointA: a.endpoint, endpointB: b.endpoint, connection: options, scenarios: scenarios, pings: pings)
        return try await CompareAudit(configuration: configuration).run()
    }

    /// Runs `compare` in-process on two endpoints as given (an ACL user's, say).
    static func compare(_ a: Endpoint, _ b: Endpoint, scenarios: [Scenario], pings: Int = 5) async throws -> AuditReport {
        let configuration = CompareConfiguration(
            endpointA: a, endpointB: b, connection: options, scenarios: scenarios, pings: pings)
        return try await CompareAudit(configuration: configuration).run()
    }

    /// The built `redisaudit` executable next to the test bundle.
    static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [beside.appendingPathComponent("redisaudit")]
        var directory = beside
        for _ in 0..<4 {
            directory = directory.deletingLastPathComponent()
            candidates.append(directory.appendingPathComponent("redisaudit"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/redisaudit"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// What a run of the binary printed and how it exited.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The run's own peak resident memory in bytes (nil when it did not finish).
        var peakResidentBytes: Int? = nil
    }

    /// Runs the built binary with arguments and environment additions, with a deadline. A job
    /// summary (`GITHUB_STEP_SUMMARY`) is written only when the test names one: run under GitHub
    /// Actions, the tests' reports would otherwise land in the job's own summary.
    /// `executable` runs instead of the binary (a shell that starts it under `script`, say).
    static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: String? = nil, timeout: Double = 60,
        executable: String? = nil
    ) async throws -> Run {
        var environment = environment
        if environment[GitHubStepSummary.variable] == nil { environment[GitHubStepSummary.variable] = "" }
        let process = try ChildProcess(executable ?? binary.path, arguments, environment: environment, directory: directory)
        guard let status = await process.finish(timeout: timeout) else {
            process.stop()
            Issue.record("redisaudit \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
            return Run(status: -1, stdout: process.stdout, stderr: process.stderr)
        }
        return Run(status: status, stdout: process.stdout, stderr: process.stderr)
    }

    /// `run` under `/usr/bin/time`, with the run's own peak resident memory. The kernel's
    /// figure for a child spawned by this (large) test process starts from this process's own
    /// peak, so the binary is started by `time`, a small process, whose child's figure is its own.
    static func runMeasured(_ arguments: [String], timeout: Double = 60) async throws -> Run {
        let measure = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-peak-\(UUID().uuidString.prefix(8))"
        ).path
        defer { try? FileManager.default.removeItem(atPath: measure) }
        let process = try ChildProcess(
            "/usr/bin/time", ["-f", "%M", "-o", measure, binary.path] + arguments, environment: [GitHubStepSummary.variable: ""])
        guard let status = await process.finish(timeout: timeout) else {
            process.stop()
            Issue.record("redisaudit \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
            return Run(status: -1, stdout: process.stdout, stderr: process.stderr)
        }
        // time's file: a "Command exited with non-zero status N" line first when it failed, then kilobytes.
        let kilobytes = (try? String(contentsOfFile: measure, encoding: .utf8))?.split(separator: "\n").last.flatMap { Int($0) }
        return Run(status: status, stdout: process.stdout, stderr: process.stderr, peakResidentBytes: kilobytes.map { $0 * 1024 })
    }
}
