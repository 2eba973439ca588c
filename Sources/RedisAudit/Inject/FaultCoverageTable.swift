/// How inject fills the coverage table from its judged trials.
extension FaultCoverage {
    /// The coverage table of one scenario's trials on one endpoint: a row per fault point, a
    /// column per fault kind, each cell the trial's outcome and what shows it.
    init(_ judged: [InjectFindings.Judged], scenario: Scenario, role: String, reproducer: TrialReproducer) {
        let kinds =
            Array(Set(judged.compactMap(\.trial.plan.fault))).sorted().map(\.rawValue)
            + Array(Set(judged.compactMap(\.trial.plan.serverFault))).sorted().map(\.rawValue)
        var rows: [(point: FaultPoint?, label: String, cells: [String: Cell])] = []
        for entry in judged {
            let plan = entry.trial.plan
            let point = plan.point
            let label: String
            if plan.serverFault != nil, let point {
                label = "step \(point.step + 1): before the step"
            } else {
                label = point.map { Self.shortLabel($0) } ?? plan.reproducer.joined(separator: " + ")
            }
            let column = plan.fault?.rawValue ?? plan.serverFault?.rawValue ?? "faults"
            let cell = Self.cell(entry, role: role, reproducer: reproducer)
            if let i = rows.firstIndex(where: { $0.label == label }) {
                rows[i].cells[column] = cell
            } else {
                rows.append((point, label, [column: cell]))
            }
        }
        rows.sort { ($0.point ?? .origin) < ($1.point ?? .origin) }
        let columns = kinds.isEmpty ? ["faults"] : kinds
        self.init(
            scenario: scenario.name, endpoint: role, faults: columns,
            rows: rows.map { row in
                FaultCoverage.Row(
                    point: row.label, outcomes: columns.map { row.cells[$0]?.summary ?? "" },
                    trials: columns.map { row.cells[$0] })
            },
            trials: judged.count, survived: judged.filter { $0.verdict.outcome == .survived }.count,
            notReached: judged.filter { $0.verdict.outcome == .notReached }.count)
    }

    /// Lines of a trial's transcript the map keeps; the finding's evidence has the first trial of each failure whole.
    static let transcriptLimit = 80

    /// One judged trial as the map shows it.
    static func cell(_ entry: InjectFindings.Judged, role: String, reproducer: TrialReproducer) -> Cell {
        var transcript = InjectFindings.transcript(entry.trial, verdict: entry.verdict, role: role)
        if transcript.count > transcriptLimit {
            let more = transcript.count - transcriptLimit
            transcript = Array(transcript.prefix(transcriptLimit)) + ["... (\(more) more lines)"]
        }
        return Cell(
            outcome: entry.verdict.outcome.rawValue, stopped: !entry.trial.wentOn, hang: entry.verdict.hang,
            summary: entry.verdict.summary, fault: InjectFindings.describe(entry.trial.plan),
            reproducer: reproducer.command(entry.trial.plan, scenario: entry.trial.scenario),
            transcript: transcript)
    }

    /// `step 1 #2: SADD`, `step 1: EXEC`, `step 1: MULTI ... EXEC` (the whole transaction).
    static func shortLabel(_ point: FaultPoint) -> String {
        if point.wholeTransaction { return "step \(point.step + 1): MULTI ... EXEC" }
        guard let position = point.position else { return "step \(point.step + 1): \(point.command)" }
        return "step \(point.step + 1) #\(position + 1): \(point.command)"
    }
}
