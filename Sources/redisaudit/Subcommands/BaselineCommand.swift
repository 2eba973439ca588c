import ArgumentParser
import Foundation
import RedisAudit

/// `redisaudit baseline write | validate`: the file of accepted findings a gate runs with.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Write and check the baseline of accepted findings that --baseline reads.",
        discussion: """
            A baseline lists findings accepted on purpose (staging runs with persistence off, the managed host \
            refuses CONFIG). With --baseline FILE, compare, inject and keyspace still report them, marked \
            accepted, but they do not count toward --fail-on; one past its expiry date counts again, and an \
            entry that no longer occurs is reported as resolved.
            """,
        subcommands: [Write.self, Validate.self]
    )

    /// `baseline write --from report.json`: accept every finding of a JSON report.
    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept the findings of a JSON report (--json-output) into a baseline file.",
            discussion: """
                When the output file exists, its entries keep their reasons and expiry dates, entries for other \
                subcommands are kept, and entries of this subcommand that the report no longer has are dropped.

                Example: redisaudit baseline write --from report.json --reason "staging differs on purpose" --expires 2027-03-31
                """
        )

        @Option(help: "A JSON report whose findings to accept (repeatable: compare's, inject's and keyspace's into one file).")
        var from: [String] = []

        @Option(name: .shortAndLong, help: "The baseline file to write (updated when it exists).")
        var output: String = Baseline.defaultFileName

        @Option(help: "The reason recorded for every finding not yet in the baseline (edit each afterwards).")
        var reason: String?

        @Option(help: "The last day (YYYY-MM-DD, UTC) the new acceptances hold; after it they count again.")
        var expires: String?

        func validate() throws {
            if from.isEmpty { throw ValidationError("--from REPORT.json is required (a report written with --json-output)") }
            if let reason, reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("--reason must say why the findings are accepted")
            }
            if let expires, CalendarDate.parse(expires) == nil {
                throw ValidationError("--expires must be a date written YYYY-MM-DD, got '\(expires)'")
            }
        }

        func run() throws {
            // Reports of one subcommand are accepted together, so the second does not drop what the first found.
            var reports: [AuditReport] = []
            for path in from {
                let report = try Self.readReport(path)
                if let i = reports.firstIndex(where: { $0.command == report.command }) {
                    reports[i].findings += report.findings
                } else {
                    reports.append(report)
                }
            }
            var baseline = FileManager.default.fileExists(atPath: output) ? try Baseline.load(contentsOf: output) : nil
            var written: (baseline: Baseline, kept: Int, added: Int, dropped: [BaselineEntry]) = (Baseline(entries: []), 0, 0, [])
            for report in reports {
                do {
                    let step = try BaselineCheck.baseline(
                        accepting: report, reason: reason?.trimmingCharacters(in: .whitespacesAndNewlines),
                        expires: expires.flatMap { CalendarDate.parse($0) }, existing: baseline)
                    written = (
                        step.baseline, written.kept + step.kept, written.added + step.added, written.dropped + step.dropped
                    )
                    baseline = step.baseline
                } catch {
                    throw UsageError(message: error.description)
                }
            }
            do {
                try written.baseline.render().write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw UsageError(message: "cannot write the baseline to \(output): \(error.localizedDescription)")
            }
            var line = "\(output): \(written.added) accepted, \(written.kept) kept from the existing file"
            if !written.dropped.isEmpty {
                line +=
                    ", \(written.dropped.count) dropped (no longer in the report: "
                    + written.dropped.map(\.id).joined(separator: ", ") + ")"
            }
            print(line)
        }

        static func readReport(_ path: String) throws -> AuditReport {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw UsageError(message: "cannot read the report \(path)")
            }
            do {
                return try JSONDecoder().decode(AuditReport.self, from: data)
            } catch {
                throw UsageError(
                    message: "\(path) is not a redisaudit JSON report (write one with --json-output or --format json)")
            }
        }
    }

    /// `baseline validate FILE`: the file parses and every entry has an id and a reason.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a baseline file; errors say FILE:LINE.")

        @Argument(help: "The baseline file.")
        var file: String = Baseline.defaultFileName

        func run() throws {
            let baseline = try Baseline.load(contentsOf: file)
            let today = Date()
            let expired = baseline.entries.filter { $0.isExpired(on: today) }
            print("\(file): ok (\(baseline.entries.count) accepted, \(expired.count) expired)")
        }
    }
}
