import Foundation
import Testing
@testable import RedisAudit

/// Reports validated against `docs/report-schema.json` with the `jsonschema` package of the
/// project's venv (`make deps`), so the published schema cannot drift from what is written.
@Suite("JSON reports follow docs/report-schema.json", .timeLimit(.minutes(2)), MachineLoad.light)
struct ReportSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var python: String { root.appendingPathComponent(".venv/bin/python").path }
    static var available: Bool {
        TestServer.serversRequired || FileManager.default.isExecutableFile(atPath: python)
    }

    /// The validator's complaints, empty when the report conforms.
    static func violations(of json: String) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-report-\(UUID().uuidString.prefix(8)).json")
        try json.write(to: file, atomically: true, encoding: .utf8)
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            report = json.load(open(sys.argv[2]))
            errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(report)]
            print("\\n".join(errors))
            """
        let process = try ChildProcess(
            python, ["-c", script, root.appendingPathComponent("docs/report-schema.json").path, file.path])
        let status = await process.finish(timeout: 60)
        #expect(status == 0, "the validator ran: \(process.stderr)")
        return process.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: available))
    func theGoldenCompareReportConforms() async throws {
        #expect(try await Self.violations(of: JSONReport.render(ReportRenderingTests.sample())) == "")
    }

    @Test(.enabled(if: available && Fixtures.available(.redis70)))
    func anInjectReportWithCoverageConforms() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let configuration = InjectConfiguration(
            endpoints: [server.endpoint], connection: Fixtures.options,
            // The default trial timeout: 200 ms let the baseline trial time out on a loaded
            // machine, leaving a report without coverage to check.
            scenarios: [try #require(try BuiltinScenarios.named("login"))])
        let report = try await InjectAudit(configuration: configuration).run()
        #expect(report.coverage?.isEmpty == false)
        #expect(try await Self.violations(of: JSONReport.render(report)) == "")
    }

    @Test(.enabled(if: available))
    func theValidatorRejectsAnUnknownCategory() async throws {
        var report = ReportRenderingTests.sample()
        report.findings[0].category = .hang
        let json = JSONReport.render(report).replacingOccurrences(of: "\"hang\"", with: "\"no-such-category\"")
        #expect(try await Self.violations(of: json).contains("no-such-category"))
    }
}
