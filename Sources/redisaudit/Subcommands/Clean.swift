import ArgumentParser
import Foundation
import RedisAudit

/// `redisaudit clean ENDPOINT`: delete what interrupted runs left in `redisaudit:` namespaces.
struct Clean: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete keys left in redisaudit run namespaces by interrupted runs.",
        discussion: "Only keys under redisaudit:<run-id>: are touched. Do not run it while an audit is running against the same endpoint."
    )

    @Argument(help: "The endpoint to clean.")
    var endpoint: String

    @Option(help: "Only this run id (as shown in the report's notes or the leftover finding).")
    var run: String?

    @Flag(help: "List what would be deleted without deleting it.")
    var dryRun = false

    @OptionGroup var connection: ConnectionFlags

    func validate() throws {
        if let run, run.isEmpty || run.contains("*") || run.contains(":") || run.contains("?") || run.contains("[") {
            throw ValidationError("--run takes a run id without glob characters or ':'")
        }
    }

    func run() async throws {
        let options = connection.options()
        let parsed = try EndpointArguments.parse(endpoint, role: "A")
        let target = try await EndpointArguments.inspect([parsed], for: .clean, options: options)[0]
        let result = try await NamespaceJanitor.clean(endpoint: target, options: options, runID: run, dryRun: dryRun)
        let verb = dryRun ? "would delete" : "deleted"
        print("\(verb) \(result.keys) key\(result.keys == 1 ? "" : "s") from \(result.runs.count) run namespace\(result.runs.count == 1 ? "" : "s") on \(target)")
        for run in result.runs { print("  redisaudit:\(run):") }
    }
}
