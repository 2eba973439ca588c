import Foundation
import Testing
@testable import RedisAudit
@testable import redisaudit

/// What the binary offers a shell: its version, completion scripts, and the report flags every
/// audit subcommand parses alike.
@Suite("redisaudit version, completions and report flags")
struct ShellIntegrationTests {
    @Test func versionPrintsTheRelease() async throws {
        let run = try await Fixtures.run(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout == RedisAuditVersion.current + "\n")
        #expect(run.stderr.isEmpty)
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func aCompletionScriptNamesTheSubcommandsAndTheirFlags(shell: String) async throws {
        let run = try await Fixtures.run(["--generate-completion-script", shell])
        #expect(run.status == 0, "\(run.stderr)")
        let script = run.stdout
        #expect(script.contains("redisaudit"))
        for subcommand in ["compare", "inject", "keyspace", "proxy", "scenarios", "clean"] {
            #expect(script.contains(subcommand), "\(shell): \(subcommand)")
        }
        // fish names long options without their dashes (`-l junit-output`).
        let dashes = shell == "fish" ? "" : "--"
        for flag in ["junit-output", "json-output", "fail-on", "ttl-tolerance", "lost-writes", "expect-prefix", "listen"] {
            #expect(script.contains(dashes + flag), "\(shell): \(flag)")
        }
        #expect(script.contains("markdown") && script.contains("junit"), "\(shell): the values of --format")
    }

    @Test func anUnknownShellIsAUsageError() async throws {
        let run = try await Fixtures.run(["--generate-completion-script", "tcsh"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("bash") && !run.stderr.contains("Fatal error"))
    }

    @Test func everyAuditSubcommandTakesJUnitFormatAndOutput() throws {
        let flags = ["--format", "junit", "--junit-output", "r.xml", "--json-output", "r.json", "-o", "r.md"]
        let reports = [
            try Compare.parse(["redis://a", "redis://b"] + flags).report,
            try Inject.parse(["redis://a"] + flags).report,
            try Keyspace.parse(["redis://a"] + flags).report,
        ]
        for report in reports {
            #expect(report.format == .junit)
            #expect(report.junitOutput == "r.xml" && report.jsonOutput == "r.json" && report.output == "r.md")
        }
        #expect(try Compare.parse(["redis://a", "redis://b"]).report.junitOutput == nil)
    }

    @Test func anUnknownFormatIsAUsageErrorThatListsJUnitAndHTML() async throws {
        let run = try await Fixtures.run(["compare", "redis://a", "redis://b", "--format", "xml"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("'markdown', 'json', 'junit' or 'html'"), "\(run.stderr)")
    }
}
