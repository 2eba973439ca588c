import Foundation
import Testing
@testable import RedisAudit
@testable import redisaudit

/// When diagnostics are coloured: decided from the environment and whether standard error is a
/// terminal, and seen from the outside through a pipe and through a pseudo-terminal (`script`).
@Suite("diagnostic colour", .timeLimit(.minutes(2)), MachineLoad.light)
struct DiagnosticColourTests {
    @Test func onlyATerminalWithoutNoColorAndNotDumbGetsColour() {
        #expect(DiagnosticColour(environment: ["TERM": "xterm-256color"], isTerminal: true).isEnabled)
        #expect(DiagnosticColour(environment: [:], isTerminal: true).isEnabled, "no TERM is not `dumb`")
        #expect(
            DiagnosticColour(environment: ["TERM": "xterm", "NO_COLOR": ""], isTerminal: true).isEnabled,
            "an empty NO_COLOR is unset")
        #expect(!DiagnosticColour(environment: ["TERM": "xterm"], isTerminal: false).isEnabled, "a pipe or a file")
        #expect(!DiagnosticColour(environment: ["TERM": "dumb"], isTerminal: true).isEnabled)
        #expect(!DiagnosticColour(environment: ["TERM": "xterm", "NO_COLOR": "1"], isTerminal: true).isEnabled)
        #expect(
            !DiagnosticColour(environment: ["TERM": "xterm", "NO_COLOR": "0"], isTerminal: true).isEnabled, "any value counts")
    }

    @Test func paintingIsANoOpWhenOff() {
        let on = DiagnosticColour(environment: [:], isTerminal: true)
        let off = DiagnosticColour(environment: [:], isTerminal: false)
        #expect(on.paint("warning:", .warning) == "\u{1B}[1;33mwarning:\u{1B}[0m")
        #expect(off.paint("warning:", .warning) == "warning:")
    }

    /// Findings (a failing verdict), a warning (an unwritable job summary) and progress, all on a pipe.
    @Test(.enabled(if: Fixtures.available(.redis62, .redis70)))
    func aPipedStandardErrorCarriesNoEscapesEvenWithFindings() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let path = try Fixtures.scenarioFile(CompareIntegrationTests.expireNX)
        let run = try await Fixtures.run(
            ["compare", a.url, b.url, "--scenario", path],
            environment: ["TERM": "xterm-256color", "NO_COLOR": "", "GITHUB_STEP_SUMMARY": "/"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("redisaudit: warning: cannot append the report"), "\(run.stderr)")
        #expect(run.stderr.contains("redisaudit: fail: "))
        #expect(!run.stderr.contains("\u{1B}") && !run.stdout.contains("\u{1B}"))
        let refused = try await Fixtures.run(
            ["compare", "redis://127.0.0.1:1", b.url, "--scenario", path], environment: ["TERM": "xterm"])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("redisaudit: error: cannot reach") && !refused.stderr.contains("\u{1B}"))
    }

    /// The same run with standard error on a pseudo-terminal: coloured, unless NO_COLOR or TERM=dumb
    /// says otherwise; the report on standard output and in its file never is.
    @Test(.enabled(if: Fixtures.available(.redis62, .redis70) && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func aTerminalGetsColouredDiagnosticsAndAnUncolouredReport() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let path = try Fixtures.scenarioFile(CompareIntegrationTests.expireNX)
        let directory = try ReportOutputTests.scratch()
        /// Runs compare under `script`, standard output to a file, and returns the terminal's text and that file.
        func onATerminal(_ environment: [String: String], _ name: String) async throws -> (
            terminal: String, stdout: String, md: String
        ) {
            let command =
                "'\(Fixtures.binary.path)' compare \(a.url) \(b.url) --scenario '\(path)' --json-output /dev/null"
                + " --output '\(directory)/\(name).md' > '\(directory)/\(name).out'"
            let process = try ChildProcess("/usr/bin/script", ["-qec", command, "/dev/null"], environment: environment)
            let status = await process.finish(timeout: 60)
            #expect(status == 1, "script passes the exit code on: \(process.stdout)")
            return (
                process.stdout, try String(contentsOfFile: "\(directory)/\(name).out", encoding: .utf8),
                try String(contentsOfFile: "\(directory)/\(name).md", encoding: .utf8)
            )
        }
        let coloured = try await onATerminal(["TERM": "xterm-256color", "NO_COLOR": "", "GITHUB_STEP_SUMMARY": "/"], "coloured")
        #expect(coloured.terminal.contains("redisaudit: \u{1B}[1;33mwarning:\u{1B}[0m cannot append"), "\(coloured.terminal)")
        #expect(coloured.terminal.contains("redisaudit: \u{1B}[31mfail: "))
        #expect(coloured.terminal.contains("redisaudit: connecting to A"), "progress stays plain")
        #expect(coloured.md.contains("**Verdict: FAIL**") && !coloured.md.contains("\u{1B}"), "the report file is never coloured")
        #expect(coloured.stdout.isEmpty)

        for (name, environment) in [
            ("no-color", ["TERM": "xterm", "NO_COLOR": "1"]), ("dumb", ["TERM": "dumb", "NO_COLOR": ""]),
        ] {
            let plain = try await onATerminal(environment.merging(["GITHUB_STEP_SUMMARY": "/"]) { $1 }, name)
            #expect(plain.terminal.contains("redisaudit: warning: cannot append"), "\(name): \(plain.terminal)")
            #expect(plain.terminal.contains("redisaudit: fail: "))
            #expect(!plain.terminal.contains("\u{1B}"), "\(name)")
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70) && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func theReportOnStandardOutputIsNeverColouredOnATerminal() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        // --format asks for the report itself on the terminal (without it, the summary goes there).
        let command = "'\(Fixtures.binary.path)' compare \(server.url)/0 \(server.url)/1 --scenario blacklist --format markdown"
        let process = try ChildProcess(
            "/usr/bin/script", ["-qec", command, "/dev/null"], environment: ["TERM": "xterm", "NO_COLOR": ""])
        #expect(await process.finish(timeout: 60) == 0)
        let terminal = process.stdout
        let report = try #require(terminal.range(of: "# redisaudit compare report")).lowerBound
        let verdict = try #require(terminal.range(of: "redisaudit: \u{1B}[1;32mpass: "), "\(terminal)").lowerBound
        #expect(!terminal[report..<verdict].contains("\u{1B}"), "the report between the progress and the verdict line")
    }
}
