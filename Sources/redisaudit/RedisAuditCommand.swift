import ArgumentParser
import Foundation
import RedisAudit

/// The `redisaudit` command line: subcommands and exit codes.
@main
struct RedisAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redisaudit",
        abstract: "Replay an application's Redis scripts on two endpoints and report what differs.",
        discussion: """
            Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it,
            2 usage or scenario error, 3 an endpoint could not be \
            reached, refused us, or is not what the subcommand can use (a replica, a Sentinel, a \
            cluster that does not serve every slot), \
            130 interrupted (the run namespace is cleaned up first).

            Environment: REDISAUDIT_PASSWORD_A, REDISAUDIT_PASSWORD_B and REDISAUDIT_PASSWORD \
            hold passwords left out of endpoint URLs; REDISAUDIT_SENTINEL_PASSWORD the Sentinels' own \
            password for redis+sentinel:// URLs; GITHUB_STEP_SUMMARY names a file the \
            Markdown report is appended to; NO_COLOR (non-empty) or TERM=dumb turns off colour \
            on standard error.
            """,
        version: RedisAuditVersion.current,
        subcommands: [
            Compare.self, Inject.self, Keyspace.self, BaselineCommand.self, Scenarios.self, Clean.self, Proxy.self,
            RestGateway.self, Record.self,
        ]
    )

    /// Parses, runs, and maps every error to a documented exit code.
    static func main() async {
        let code: Int32
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            code = 0
        } catch {
            code = ExitStatus.report(error)
        }
        Foundation.exit(code)
    }
}
