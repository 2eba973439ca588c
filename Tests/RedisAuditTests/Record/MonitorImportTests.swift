import Foundation
import RESP
import Testing
@testable import RedisAudit

/// `scenarios import` end to end: a real `redis-cli MONITOR` captures the built-in login flow
/// sent to a real Redis 7.0, and the import gives back that scenario, step for step.
@Suite("scenarios import", .timeLimit(.minutes(2)), MachineLoad.light)
struct MonitorImportTests {
    static let redisCLI = "/usr/bin/redis-cli"
    static var available: Bool {
        Fixtures.available(.redis70) && FileManager.default.isExecutableFile(atPath: redisCLI)
    }

    /// A running `redis-cli MONITOR` whose output file has its `OK` line (the server feeds it from then on).
    static func startMonitor(_ server: TestServer) async throws -> ChildProcess {
        let monitor = try ChildProcess(redisCLI, ["-p", String(server.port), "MONITOR"])
        try await waitFor("MONITOR's OK", in: monitor) { $0.hasPrefix("OK\n") }
        return monitor
    }

    /// Waits (up to 10 s) until the monitor's output satisfies `done`.
    static func waitFor(_ what: String, in monitor: ChildProcess, _ done: (String) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(10)
        while !done(monitor.stdout) {
            guard monitor.isRunning, Date() < deadline else {
                monitor.stop()
                throw TestServerError.notReady("no \(what) from redis-cli MONITOR: \(monitor.stdout) \(monitor.stderr)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-import-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func files(in directory: String, ending suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    @Test(.enabled(if: available))
    func theCapturedLoginFlowImportsAsTheBuiltinLoginStepForStep() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let monitor = try await Self.startMonitor(server)
        defer { monitor.stop() }

        // The built-in login's commands, with its generated token hash, from a connection of their own.
        let login = try ScenarioLoader.resolve("login")
        let bindings = try login.bind()
        let sent = try login.steps.flatMap(\.commands).map { try $0.render(bindings) }
        let connection = try await server.connect()
        for command in sent { _ = try await connection.execute(command) }
        await connection.close()
        // A value with every byte, from another client: the capture must give back its bytes.
        let everyByte = Array(UInt8.min...UInt8.max) + Array(#"\"\x41"#.utf8)
        let other = try await server.connect()
        _ = try await other.execute(RESPCommand(arguments: [Array("SET".utf8), Array("bytes".utf8), everyByte]))
        await other.close()
        try await Self.waitFor("SET bytes", in: monitor) { $0.contains("\"SET\" \"bytes\"") }
        try await Self.waitFor("TTL", in: monitor) { $0.contains("\"TTL\" \"rt:") }
        monitor.stop()
        let capture = (scratch as NSString).appendingPathComponent("capture.txt")
        try FileManager.default.copyItem(atPath: monitor.stdoutPath, toPath: capture)

        let commands = try MonitorCapture.read(capture)
        #expect(commands.contains { $0.name == "SET" && $0.arguments.last == everyByte })
        let loginClient = try #require(commands.first { $0.name == "SETEX" }?.client)

        // Only the login's client: one flow, one file. A loaded machine can pause the test longer
        // than the default 1 s gap between two of its commands: this test is about the steps, so
        // the gap is wide (splitting at gaps is CapturedFlowTests' subject).
        let output = (scratch as NSString).appendingPathComponent("out")
        let run = try await Fixtures.run([
            "scenarios", "import", capture, "--output", output, "--client", loginClient, "--gap", "600",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let files = try Self.files(in: output, ending: ".yaml")
        try #require(files.count == 1, "\(files)")
        let imported = try ScenarioLoader.load(contentsOf: files[0])
        let text = try String(contentsOfFile: files[0], encoding: .utf8)
        #expect(imported.name.hasPrefix("rt-id-hash-"))
        #expect(text.contains("no `expect:` was written"), "\(text)")
        let variables = Dictionary(uniqueKeysWithValues: imported.variables.map { ($0.name, $0.value) })
        #expect(variables == ["userId": .literal("user123"), "tokenHash": .random(.hex, length: 64)])
        #expect(imported.steps.allSatisfy { if case .command = $0.kind { true } else { false } })
        let importedBindings = VariableBindings(["userId": "user123", "tokenHash": try #require(bindings["tokenHash"])])
        let replayed = try imported.steps.flatMap(\.commands).map { try $0.render(importedBindings) }
        #expect(replayed == sent, "the same commands, step for step")
        let templates = imported.steps.flatMap(\.commands).map { $0.arguments.map(\.raw) }
        #expect(templates[0][2] == "604800" && templates[2][2] == "604800", "TTLs stay literal: \(templates)")
        let validate = try await Fixtures.run(["scenarios", "validate", files[0]])
        #expect(validate.status == 0, "\(validate.stderr)")
        // No replies, so no expectation; but the login's invariants, and they hold on a replay.
        #expect(imported.steps.flatMap(\.commands).allSatisfy { $0.expect == nil })
        #expect(imported.invariants.count == 7, "\(text)")
        let replayer = ScenarioReplayer(endpoint: server.endpoint, options: Fixtures.options, role: "A")
        let replay = try await replayer.run(imported, bindings: try imported.bind(), namespace: Namespace.generate())
        #expect(replay.invariants.count == 7)
        #expect(replay.invariants.allSatisfy { $0.holds }, "\(replay.invariants.map(\.observation))")
        let index = try String(contentsOfFile: (output as NSString).appendingPathComponent("index.md"), encoding: .utf8)
        #expect(index.contains(loginClient) && index.contains((files[0] as NSString).lastPathComponent))

        // Redacted, all clients: no value sent appears in any file written.
        let redacted = (scratch as NSString).appendingPathComponent("redacted")
        let redactedRun = try await Fixtures.run(["scenarios", "import", capture, "--output", redacted, "--redact-values"])
        #expect(redactedRun.status == 0, "\(redactedRun.stderr)")
        let token = try #require(bindings["tokenHash"])
        let written = try Self.files(in: redacted, ending: "")
        #expect(written.count >= 2)
        for file in written {
            let contents = try String(contentsOfFile: file, encoding: .utf8)
            let json = String(decoding: sent[0].arguments[3], as: UTF8.self)
            for value in ["user123", token, String(token.prefix(16)), json] {
                #expect(!contents.contains(value), "\(file) has \(value)")
            }
            guard file.hasSuffix(".yaml") else { continue }
            _ = try ScenarioLoader.load(contentsOf: file)
            let check = try await Fixtures.run(["scenarios", "validate", file])
            #expect(check.status == 0, "\(file): \(check.stderr)")
        }
    }

    @Test func aMalformedCaptureIsAUsageErrorThatNamesFileAndLine() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let capture = (scratch as NSString).appendingPathComponent("bad.txt")
        try Data("OK\n1733494200.1 [0 127.0.0.1:5] \"GET\" \"k\"\n1733494200.2 [0 127.0.0.1:5] GET k\n".utf8)
            .write(to: URL(fileURLWithPath: capture))
        let run = try await Fixtures.run(["scenarios", "import", capture, "--output", scratch + "/out"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(capture):3: not a MONITOR line"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/out"), "nothing is written")
        let missing = try await Fixtures.run(["scenarios", "import", scratch + "/none.txt", "--output", scratch + "/out"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("none.txt: cannot read the capture"), "\(missing.stderr)")
        let good = (scratch as NSString).appendingPathComponent("good.txt")
        try Data("OK\n1733494200.1 [0 127.0.0.1:5] \"GET\" \"k\"\n".utf8).write(to: URL(fileURLWithPath: good))
        let typo = try await Fixtures.run(["scenarios", "import", good, "--output", scratch + "/out", "--client", "127.0.0.1:6"])
        #expect(typo.status == 2)
        #expect(
            typo.stderr.contains("--client 127.0.0.1:6: the capture has no command of this client (its clients: 127.0.0.1:5)"),
            "\(typo.stderr)")
        let gap = try await Fixtures.run(["scenarios", "import", capture, "--output", scratch + "/out", "--gap", "0"])
        #expect(gap.status == 2)
        #expect(gap.stderr.contains("--gap must be a positive number"), "\(gap.stderr)")
    }
}
