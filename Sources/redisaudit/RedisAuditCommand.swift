import ArgumentParser
import RedisAudit

/// The `redisaudit` command line: subcommands and exit codes.
@main
struct RedisAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redisaudit",
        abstract: "Replay an application's Redis scripts on two endpoints and report what differs."
    )
}
