import Foundation

/// Holds a report against a baseline: marks each finding accepted or expired, recounts the
/// verdict without the accepted ones, and lists the baseline's entries that no longer occur.
///
/// An entry accepts a finding when the ids match, the entry is for this subcommand (or for
/// any), and the finding concerns no endpoint the entry does not name: a difference accepted
/// on B that now shows on A as well is new.
public enum BaselineCheck {
    public static func apply(_ baseline: Baseline, file: String, to report: AuditReport, today: Date = Date()) -> AuditReport {
        let entries = baseline.entries.filter { $0.command == nil || $0.command == report.command }
        var matched = Set<Int>()
        var findings: [Finding] = []
        var section = BaselineSection(file: file, entries: entries.count, accepted: 0, expired: 0, new: 0, resolved: [])
        for var finding in report.findings {
            if let index = entries.firstIndex(where: { covers($0, finding) }) {
                let entry = entries[index]
                matched.insert(index)
                let expired = entry.isExpired(on: today)
                finding.acceptance = Acceptance(
                    status: expired ? .expired : .accepted, reason: entry.reason, expires: entry.expires.map(CalendarDate.format))
                if expired { section.expired += 1 } else { section.accepted += 1 }
            } else {
                section.new += 1
            }
            findings.append(finding)
        }
        section.resolved = entries.enumerated().filter { !matched.contains($0.offset) }.map { _, entry in
            BaselineSection.Resolved(id: entry.id, title: entry.title, scenario: entry.scenario, reason: entry.reason)
        }
        var checked = report
        // What still counts comes first; accepted findings keep their order after it.
        checked.findings =
            findings.filter { $0.acceptance?.status != .accepted } + findings.filter { $0.acceptance?.status == .accepted }
        let s = report.summary
        checked.summary = ReportSummary(
            findings: checked.findings, failOn: s.policy.failOn, failOnShared: s.policy.failOnShared, endpoints: s.endpoints,
            scenarios: s.scenarios, startedAt: s.startedAt, durationSeconds: s.durationSeconds, notes: s.notes)
        checked.baseline = section
        return checked
    }

    static func covers(_ entry: BaselineEntry, _ finding: Finding) -> Bool {
        guard entry.id == finding.id else { return false }
        return entry.endpoints.isEmpty || Set(finding.endpoints).isSubset(of: entry.endpoints)
    }

    /// The baseline that accepts every finding of `report`, keeping what `existing` says of the
    /// ones it already accepts (their reasons and expiry, as the team edited them) and its
    /// entries for other subcommands.
    public static func baseline(
        accepting report: AuditReport, reason: String?, expires: Date?, existing: Baseline?
    ) throws(BaselineWriteError) -> (baseline: Baseline, kept: Int, added: Int, dropped: [BaselineEntry]) {
        let previous = existing?.entries ?? []
        var entries = previous.filter { $0.command != nil && $0.command != report.command }
        var kept = 0
        var added = 0
        var seen = Set<String>()
        for finding in report.findings where seen.insert(finding.id).inserted {
            if var old = previous.first(where: { ($0.command == nil || $0.command == report.command) && $0.id == finding.id }) {
                old.endpoints = Array(Set(old.endpoints).union(finding.endpoints)).sorted()
                entries.append(old)
                kept += 1
                continue
            }
            guard let reason else { throw BaselineWriteError.reasonRequired(finding.id) }
            entries.append(BaselineEntry(finding, command: report.command, reason: reason, expires: expires))
            added += 1
        }
        let ids = seen
        let dropped = previous.filter { ($0.command == nil || $0.command == report.command) && !ids.contains($0.id) }
        return (Baseline(entries: entries), kept, added, dropped)
    }
}

/// Why a baseline could not be written.
public enum BaselineWriteError: Error, Sendable, CustomStringConvertible {
    /// A finding the baseline does not accept yet, and no `--reason` for it.
    case reasonRequired(String)

    public var description: String {
        switch self {
        case .reasonRequired(let id):
            return "\(id) is not in the baseline yet and every accepted finding needs a reason: give --reason TEXT "
                + "(one reason for all new entries; edit each entry's reason in the file afterwards)"
        }
    }
}
