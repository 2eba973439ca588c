import ArgumentParser
import Foundation
import RedisAudit

/// `redisaudit scenarios list | show NAME | validate FILE... | import FILE`.
struct Scenarios: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, validate and import scenarios.",
        subcommands: [List.self, Show.self, Validate.self, Import.self]
    )

    /// `scenarios list`: the built-in scenarios with their summaries.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the built-in scenarios.")

        func run() throws {
            let scenarios = try BuiltinScenarios.all()
            let width = scenarios.map(\.name.count).max() ?? 0
            for scenario in scenarios {
                print(scenario.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + scenario.summary)
            }
        }
    }

    /// `scenarios show NAME`: print a scenario's file.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a built-in scenario (or a scenario file) as YAML.")

        @Argument(help: "A built-in scenario name or a file.")
        var name: String

        func run() throws {
            let scenario = try ScenarioLoader.resolve(name)
            guard let text = try? String(contentsOfFile: scenario.file, encoding: .utf8) else {
                throw UsageError(message: "cannot read \(scenario.file)")
            }
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }

    /// `scenarios validate FILE...`: load files and report every error, touching no endpoint;
    /// list the commands the built-in table does not know (the endpoints describe them at run time).
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check scenario files without touching any endpoint.")

        @Argument(help: "Scenario files.")
        var files: [String]

        @OptionGroup var limits: InputLimitFlags

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one scenario file") }
        }

        func run() throws {
            var failed = false
            for file in files {
                do {
                    let scenario = try ScenarioLoader.load(contentsOf: file, limits: limits.limits())
                    print(
                        "\(file): ok (\(scenario.name): \(scenario.steps.count) steps, \(scenario.invariants.count) invariants)")
                    let unlisted = CommandCatalog.unlisted(in: [scenario])
                    if !unlisted.isEmpty {
                        print(
                            "\(file): not in the built-in command table, looked up on the endpoints when it runs: "
                                + unlisted.joined(separator: ", "))
                    }
                    for (command, problem) in ScriptCheck.verdicts(scenario) {
                        let verdict =
                            problem.map { "fails the static check: \($0.message)" } ?? "passes the static check"
                        print(
                            "\(command.location): script: confined by the server's ACL on hosts that allow ACL SETUSER; "
                                + "where they do not, it \(verdict)")
                    }
                } catch {
                    failed = true
                    ExitStatus.printError(String(describing: error))
                }
            }
            if failed { throw ExitCode(ExitStatus.usage) }
        }
    }

    /// `scenarios import FILE --output DIR`: a `redis-cli MONITOR` capture as scenario files to review.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn a redis-cli MONITOR capture into scenario files to review.",
            discussion: """
                Splits the capture per client and at idle gaps, leaves out connection set-up, turns \
                recurring literals into variables and random-looking values into generators, and writes \
                one scenario file per flow plus index.md. AUTH and HELLO arguments are never written.
                """)

        @Argument(help: "The capture: the output of `redis-cli MONITOR`.")
        var file: String

        @Option(help: "Directory the scenario files and index.md are written to (created if missing).")
        var output: String

        @Option(help: "Keep only this client address (127.0.0.1:54321); repeat for several.")
        var client: [String] = []

        @Option(help: "Idle seconds that end a client's flow (default: \(CapturedFlow.defaultGap)).")
        var gap: Double = CapturedFlow.defaultGap

        @Flag(help: "Write no recorded value: each is replaced by one of the same length or shape.")
        var redactValues = false

        @Option(help: "Largest capture read, in bytes (default: \(MonitorCapture.defaultMaxBytes)).")
        var maxCaptureBytes: Int = MonitorCapture.defaultMaxBytes

        func validate() throws {
            guard gap.isFinite, gap > 0 else { throw ValidationError("--gap must be a positive number of seconds, got \(gap)") }
            guard maxCaptureBytes > 0 else { throw ValidationError("--max-capture-bytes must be positive") }
        }

        func run() throws {
            var options = MonitorImport.Options()
            options.clients = Set(client)
            options.gap = gap
            options.redact = redactValues
            options.maxCaptureBytes = maxCaptureBytes
            let result = try MonitorImport.run(capture: file, output: output, options: options)
            for (draft, path) in result.written {
                print(
                    "\(path): \(draft.flow.client), \(draft.flow.commands.count) command\(draft.flow.commands.count == 1 ? "" : "s"), \(draft.inference.variables.count) variable\(draft.inference.variables.count == 1 ? "" : "s")"
                )
            }
            if !result.skipped.isEmpty {
                print("\(result.skipped.count) flows with no command a scenario can replay were not written (see index.md)")
            }
            print("\(result.index): \(result.written.count) scenarios")
        }
    }
}
