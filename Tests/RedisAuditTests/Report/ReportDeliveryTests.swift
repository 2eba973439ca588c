import Foundation
import Testing
@testable import RedisAudit

/// Where a report goes: checked before the audit, every copy written in its format, the job
/// summary's failure a warning rather than an error.
@Suite("report delivery")
struct ReportDeliveryTests {
    static func scratch() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ra-delivery-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.path
    }

    @Test func outputsAreCheckedBeforeTheAudit() throws {
        let directory = try Self.scratch()
        let twice = ReportDelivery(format: .markdown, output: directory + "/r", jsonOutput: directory + "/./r")
        #expect(throws: ReportDeliveryError.self) { try twice.check() }
        do {
            try twice.check()
        } catch {
            #expect(error.description == "-o and --json-output both name \(directory)/./r: give each report its own file")
        }
        let missing = ReportDelivery(format: .json, junitOutput: directory + "/none/r.xml")
        do {
            try missing.check()
            Issue.record("a file in a missing directory passed the check")
        } catch {
            #expect(error.description.hasPrefix("--junit-output: cannot write the report to \(directory)/none/r.xml: directory"))
        }
        try ReportDelivery(format: .markdown, output: directory + "/a.md", jsonOutput: directory + "/a.json").check()
    }

    @Test func everyCopyIsWrittenInItsFormatAndAFailedJobSummaryIsAWarning() throws {
        let directory = try Self.scratch()
        let report = ReportRenderingTests.sample()
        let delivery = ReportDelivery(
            format: .junit, output: directory + "/r.xml", jsonOutput: directory + "/r.json", junitOutput: directory + "/copy.xml")
        let warnings = try delivery.deliver(report, environment: [GitHubStepSummary.variable: directory])
        #expect(try String(contentsOfFile: directory + "/r.xml", encoding: .utf8) == JUnitReport.render(report))
        #expect(try String(contentsOfFile: directory + "/copy.xml", encoding: .utf8) == JUnitReport.render(report))
        #expect(try String(contentsOfFile: directory + "/r.json", encoding: .utf8) == JSONReport.render(report))
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("cannot append the report to GITHUB_STEP_SUMMARY (\(directory)): ") == true)
        #expect(delivery.verdictLine(report).hasPrefix("\(report.summary.verdict): \(report.findings.count) findings, "))
        #expect(
            delivery.verdictLine(report).hasSuffix("; report in \(directory)/r.xml, \(directory)/r.json, \(directory)/copy.xml"))
        #expect(throws: ReportDeliveryError.self) {
            _ = try ReportDelivery(format: .markdown, output: "/dev/full").deliver(report, environment: [:])
        }
    }
}
