import ArgumentParser
import Foundation
import RedisAudit

/// `redisaudit clean ENDPOINT`: delete what interrupted runs left in `redisaudit:` namespaces.
struct Clean: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete keys left in redisaudit run namespaces, and temporary ACL users, by interrupted runs.",
        discussion: """
            Only keys in run namespaces are touched: redisaudit:<run>-<part>: where <run> is a run id of 12 lowercase hex \
            digits, exactly as runs name them; other keys under redisaudit: (an application's redisaudit:config) are never \
            matched. One key per UNLINK (DEL where UNLINK is refused), and every key is checked with EXISTS afterwards: the \
            counts printed are what the server confirmed. --dry-run lists every key that would go. Temporary ACL users of \
            interrupted runs (redisaudit-<run-id>-<letter>, or those of the --run given) are deleted too and checked with \
            ACL GETUSER. Exits 1 when any key or user remains. Do not run it while an audit is running against the same \
            endpoint.
            """
    )

    @Argument(help: "The endpoint to clean.")
    var endpoint: String

    @Option(
        help:
            "Only this run (12 hex digits) or run namespace (<run>-<part>), as shown in the report's notes or the leftover finding."
    )
    var run: String?

    @Flag(help: "List what would be deleted without deleting it.")
    var dryRun = false

    @OptionGroup var connection: ConnectionFlags

    func validate() throws {
        if let run, !Namespace.isRunID(run) && !Namespace.isNamespaceID(run) {
            throw ValidationError(
                "--run takes a run id (12 lowercase hex digits, such as 6756f2a01c3e) or a run namespace (6756f2a01c3e-1a), not '\(run.prefix(80))'"
            )
        }
    }

    func run() async throws {
        let options = connection.options()
        let parsed = try EndpointArguments.parse(endpoint, role: "A")
        let target = try await EndpointArguments.inspect([parsed], for: .clean, options: options)[0]
        let result = try await NamespaceJanitor.clean(endpoint: target, options: options, runID: run, dryRun: dryRun)
        let namespaces = "\(result.runs.count) run namespace\(result.runs.count == 1 ? "" : "s")"
        if dryRun {
            print("would delete \(result.keys) key\(result.keys == 1 ? "" : "s") from \(namespaces) on \(target)")
        } else {
            print(
                "deleted \(result.deleted) of \(result.keys) key\(result.keys == 1 ? "" : "s") from \(namespaces) on \(target) (confirmed by the server)"
            )
        }
        if dryRun {
            for key in result.found { print("  \(key)") }
        } else {
            for run in result.runs { print("  redisaudit:\(run):") }
        }
        let usersLeft = try await cleanUsers(target, options: options)
        guard !result.remaining.isEmpty else {
            if usersLeft { throw ExitCode(ExitStatus.findings) }
            return
        }
        print("\(result.remaining.count) key\(result.remaining.count == 1 ? "" : "s") could not be deleted:")
        for key in result.remaining.prefix(50) { print("  \(key)") }
        if result.remaining.count > 50 { print("  ... and \(result.remaining.count - 50) more") }
        for (reason, keys) in result.refusals.sorted(by: { $0.key < $1.key }) {
            print("  refused for \(keys) key\(keys == 1 ? "" : "s"): \(reason)")
        }
        throw ExitCode(ExitStatus.findings)
    }

    /// Deletes the temporary ACL users of interrupted runs (`redisaudit-<run>-a`); true when any remains.
    private func cleanUsers(_ target: Endpoint, options: ConnectionOptions) async throws -> Bool {
        let users = try await ConfinementUsers.clean(endpoint: target, options: options, runID: run, dryRun: dryRun)
        if let skipped = users.skipped {
            print("temporary ACL users not checked: \(skipped)")
            return false
        }
        let count = "\(users.found.count) temporary ACL user\(users.found.count == 1 ? "" : "s")"
        if dryRun {
            print("would delete \(count) on \(target)")
        } else {
            print("deleted \(users.deleted.count) of \(count) on \(target) (confirmed by ACL GETUSER)")
        }
        for name in users.found { print("  \(name)") }
        for (name, problem) in users.remaining.sorted(by: { $0.key < $1.key }) {
            print("  \(name) could not be deleted: \(problem)")
        }
        return !users.remaining.isEmpty
    }
}
