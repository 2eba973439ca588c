import Foundation
import RESP
import Testing
@testable import RedisAudit

/// `redisaudit record` as a user runs it: started, used by the application, ended by Ctrl-C or
/// `--duration`; the scenario files and the index are written when it ends.
@Suite("redisaudit record", .timeLimit(.minutes(2)), MachineLoad.light)
struct RecordCommandLineTests {
    @Test(.enabled(if: TrafficRecordingTests.available))
    func ctrlCEndsTheRecordingAndWritesTheScenarios() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let output = try TrafficRecordingTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let port = try TestServer.freePort()
        let process = try ChildProcess(
            Fixtures.binary.path,
            ["record", "--listen", "127.0.0.1:\(port)", "--upstream", server.url, "--output", output])
        defer { process.stop(grace: 0) }
        let listening = await process.stderrLines(timeout: 20) { $0.contains("recording 127.0.0.1:\(port)") }
        try #require(listening.count == 1, "\(process.stderr)")
        let app = try ChildProcess(
            ReportSchemaTests.python, [TrafficRecordingTests.app, "--url", "redis://127.0.0.1:\(port)", "--flow", "login"])
        #expect(await app.finish(timeout: 60) == 0, "\(app.stderr)")
        // Nothing is written while it records.
        #expect(!FileManager.default.fileExists(atPath: output + "/index.md"))
        kill(process.pid, SIGINT)
        #expect(await process.finish(timeout: 30) == 0, "\(process.stderr)")
        #expect(process.stdout.contains("index.md: 1 scenario from "), "\(process.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        #expect(files.count == 2 && files.contains("index.md"), "\(files)")
        let scenario = try #require(files.first { $0.hasSuffix(".yaml") })
        let validate = try await Fixtures.run(["scenarios", "validate", output + "/" + scenario])
        #expect(validate.status == 0, "\(validate.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func durationEndsARecordingThatSawNothing() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let output = try TrafficRecordingTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let run = try await Fixtures.run([
            "record", "--listen", "127.0.0.1:0", "--upstream", server.url, "--output", output, "--duration", "0.2",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("index.md: 0 scenarios from 0 commands on 0 connections"), "\(run.stdout)")
        #expect(FileManager.default.fileExists(atPath: output + "/index.md"))
    }

    @Test(arguments: [
        (["--duration=-1"], "--duration must be a positive number of seconds"),
        (["--gap", "0"], "--gap must be a positive number of seconds"),
        (["--max-memory", "0"], "--max-memory must be from 1 to 65536 MiB"),
        (["--listen", "nowhere"], "--listen must be HOST:PORT"),
        (["--fault", "explode:GET"], "explode"),
    ])
    func badOptionsAreUsageErrors(_ arguments: [String], _ message: String) async throws {
        let run = try await Fixtures.run(
            ["record", "--upstream", "redis://127.0.0.1:1", "--output", "/tmp/never-written"] + arguments)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written"))
    }
}
