import Foundation
import Testing
@testable import RedisAudit

/// The baseline file: parsing with FILE:LINE errors, writing it back, and holding a report against it.
@Suite("baselines of accepted findings")
struct BaselineTests {
    static func finding(_ identity: String, _ severity: Severity, endpoints: [String] = ["A", "B"], scenario: String? = "login")
        -> Finding
    {
        Finding(
            identity: identity, severity: severity, category: .replyMismatch, title: "title of \(identity)", endpoints: endpoints,
            scenario: scenario, step: "step 1 (command): GET", why: "why", fix: "fix")
    }

    static func report(_ findings: [Finding], command: String = "compare", failOn: FailThreshold = .severity(.medium))
        -> AuditReport
    {
        AuditReport(
            tool: ToolInfo(), command: command,
            summary: ReportSummary(
                findings: findings, failOn: failOn, endpoints: [], scenarios: ["login"], startedAt: "2026-12-01T00:00:00Z",
                durationSeconds: 0),
            findings: findings, profiles: [])
    }

    @Test func writtenBaselineReadsBackTheSame() throws {
        let a = Self.finding("a", .high)
        let b = Self.finding("b|with \"quotes\": and # hash", .medium, endpoints: ["B"], scenario: nil)
        let written = try BaselineCheck.baseline(
            accepting: Self.report([a, b]), reason: "staging: persistence off", expires: CalendarDate.parse("2027-03-31"),
            existing: nil)
        #expect(written.added == 2)
        let text = written.baseline.render()
        let read = try Baseline.parse(yaml: text, file: "bl.yaml")
        #expect(read == written.baseline)
        #expect(read.entries.map(\.id) == [a.id, b.id])
        #expect(read.entries[1].endpoints == ["B"])
        #expect(read.entries[0].reason == "staging: persistence off")
        #expect(read.entries[0].expires.map(CalendarDate.format) == "2027-03-31")
    }

    @Test func aNewFindingNeedsAReasonButKeptOnesKeepTheirs() throws {
        let a = Self.finding("a", .high), b = Self.finding("b", .high)
        #expect(throws: BaselineWriteError.self) {
            _ = try BaselineCheck.baseline(accepting: Self.report([a]), reason: nil, expires: nil, existing: nil)
        }
        let first = try BaselineCheck.baseline(accepting: Self.report([a]), reason: "edited by hand", expires: nil, existing: nil)
        // Rewriting from a later report keeps the edited reason, adds the new finding, drops what is gone.
        let second = try BaselineCheck.baseline(
            accepting: Self.report([b, a]), reason: "new", expires: nil, existing: first.baseline)
        #expect(second.kept == 1 && second.added == 1)
        #expect(second.baseline.entries.first { $0.id == a.id }?.reason == "edited by hand")
        let third = try BaselineCheck.baseline(accepting: Self.report([b]), reason: nil, expires: nil, existing: second.baseline)
        #expect(third.dropped.map(\.id) == [a.id])
        #expect(third.baseline.entries.map(\.id) == [b.id])
        // Entries of another subcommand are kept as they are.
        let inject = try BaselineCheck.baseline(
            accepting: Self.report([a], command: "inject"), reason: "x", expires: nil, existing: third.baseline)
        #expect(Set(inject.baseline.entries.map { "\($0.command ?? "")/\($0.id)" }) == ["compare/\(b.id)", "inject/\(a.id)"])
    }

    @Test func acceptedFindingsStayInTheReportButDoNotFailIt() throws {
        let accepted = Self.finding("accepted", .high), new = Self.finding("new", .medium), gone = Self.finding("gone", .high)
        let baseline = try BaselineCheck.baseline(
            accepting: Self.report([accepted, gone]), reason: "known", expires: nil, existing: nil
        ).baseline
        let report = BaselineCheck.apply(baseline, file: "bl.yaml", to: Self.report([accepted, new]))
        #expect(report.findings.map(\.id) == [new.id, accepted.id], "what counts comes first")
        #expect(report.findings[1].acceptance == Acceptance(status: .accepted, reason: "known"))
        #expect(report.findings[0].acceptance == nil)
        #expect(report.summary.failing == 1)
        #expect(report.summary.verdict == .fail)
        let section = try #require(report.baseline)
        #expect(section.accepted == 1 && section.new == 1 && section.expired == 0)
        #expect(section.resolved.map(\.id) == [gone.id])
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("title of accepted (accepted)"))
        #expect(markdown.contains("title of new (new)"))
        #expect(markdown.contains("## Resolved since the baseline"))
        #expect(markdown.contains("`\(gone.id)`"))
        // Without the new finding the run passes.
        #expect(BaselineCheck.apply(baseline, file: "bl.yaml", to: Self.report([accepted])).summary.verdict == .pass)
    }

    @Test func anExpiredAcceptanceCountsAgainAndTheLastDayStillHolds() throws {
        let f = Self.finding("f", .high)
        let baseline = try BaselineCheck.baseline(
            accepting: Self.report([f]), reason: "until March", expires: CalendarDate.parse("2027-03-31"), existing: nil
        ).baseline
        let lastDay = try #require(CalendarDate.parse("2027-03-31")).addingTimeInterval(23 * 3600)
        #expect(BaselineCheck.apply(baseline, file: "b", to: Self.report([f]), today: lastDay).summary.verdict == .pass)
        let after = try #require(CalendarDate.parse("2027-04-01"))
        let expired = BaselineCheck.apply(baseline, file: "b", to: Self.report([f]), today: after)
        #expect(expired.summary.verdict == .fail)
        #expect(expired.findings[0].acceptance?.status == .expired)
        #expect(expired.baseline?.expired == 1)
        #expect(MarkdownReport.render(expired).contains("expired 2027-03-31"))
    }

    @Test func aFindingOnAnEndpointTheEntryDoesNotNameIsNew() throws {
        let onB = Self.finding("x", .high, endpoints: ["B"])
        let baseline = try BaselineCheck.baseline(accepting: Self.report([onB]), reason: "B only", expires: nil, existing: nil)
            .baseline
        let both = Self.finding("x", .high, endpoints: ["A", "B"])
        let report = BaselineCheck.apply(baseline, file: "b", to: Self.report([both]))
        #expect(report.findings[0].acceptance == nil)
        #expect(report.summary.verdict == .fail)
        // An entry of another subcommand accepts nothing here.
        let inject = BaselineCheck.apply(baseline, file: "b", to: Self.report([onB], command: "inject"))
        #expect(inject.findings[0].acceptance == nil)
        #expect(inject.baseline?.entries == 0)
    }

    @Test func anEmptyFileAcceptsNothing() throws {
        #expect(try Baseline.parse(yaml: "", file: "bl.yaml").entries.isEmpty)
        #expect(try Baseline.parse(yaml: "# nothing accepted yet\n", file: "bl.yaml").entries.isEmpty)
        #expect(try Baseline.parse(yaml: Baseline(entries: []).render(), file: "bl.yaml").entries.isEmpty)
    }

    @Test(arguments: [
        ("version: 1\naccepted:\n  - id: RA-0123456789\n", 3, "has no reason"),
        ("version: 1\naccepted:\n  - id: RA-0123456789\n    reason: ok\n    expire: 2027-01-01\n", 5, "unknown key 'expire'"),
        ("version: 1\naccepted:\n  - id: RA-0123456789\n    reason: ok\n    expires: 2027-02-30\n", 5, "YYYY-MM-DD"),
        ("version: 1\naccepted:\n  - id: 1234\n    reason: ok\n", 3, "not a finding id"),
        ("version: 2\naccepted: []\n", 1, "version 2"),
        (
            "accepted:\n  - id: RA-0123456789\n    reason: a\n  - id: RA-0123456789\n    reason: b\n", 4,
            "already accepted at line 2"
        ),
        ("version: 1\naccepted:\n  - id: RA-0123456789\n    reason: ok\n    endpoints: [A, C]\n", 5, "A or B"),
        ("version: 1\nacepted: []\n", 2, "unknown key 'acepted'"),
        ("version: 1\naccepted:\n  - id: RA-0123456789\n    reason: ok: not ok\n    expires: 2027-01-01\n", 4, "invalid YAML"),
    ])
    func badBaselinesSayFileAndLine(yaml: String, line: Int, message: String) {
        do {
            _ = try Baseline.parse(yaml: yaml, file: "bl.yaml")
            Issue.record("parsed: \(yaml)")
        } catch {
            #expect(error.location?.line == line, "\(error)")
            #expect(error.description.hasPrefix("bl.yaml:\(line): "), "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }
}
