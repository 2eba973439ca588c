/// How inject fills the coverage table from its judged trials.
extension FaultCoverage {
    /// The coverage table of one scenario's trials on one endpoint: a row per fault point, a
    /// column per fault kind, each cell the trial's outcome.
    init(_ judged: [InjectFindings.Judged], scenario: Scenario, role: String) {
        let kinds =
            Array(Set(judged.compactMap(\.trial.plan.fault))).sorted().map(\.rawValue)
            + Array(Set(judged.compactMap(\.trial.plan.serverFault))).sorted().map(\.rawValue)
        var rows: [(point: FaultPoint?, label: String, cells: [String: String])] = []
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
            if let i = rows.firstIndex(where: { $0.label == label }) {
                rows[i].cells[column] = entry.verdict.summary
            } else {
                rows.append((point, label, [column: entry.verdict.summary]))
            }
        }
        rows.sort { ($0.point ?? .origin) < ($1.point ?? .origin) }
        let columns = kinds.isEmpty ? ["faults"] : kinds
        self.init(
            scenario: scenario.name, endpoint: role, faults: columns,
            rows: rows.map { row in FaultCoverage.Row(point: row.label, outcomes: columns.map { row.cells[$0] ?? "" }) },
            trials: judged.count, survived: judged.filter { $0.verdict.outcome == .survived }.count,
            notReached: judged.filter { $0.verdict.outcome == .notReached }.count)
    }

    /// `step 1 #2: SADD`, `step 1: EXEC`, `step 1: MULTI ... EXEC` (the whole transaction).
    static func shortLabel(_ point: FaultPoint) -> String {
        if point.wholeTransaction { return "step \(point.step + 1): MULTI ... EXEC" }
        guard let position = point.position else { return "step \(point.step + 1): \(point.command)" }
        return "step \(point.step + 1) #\(position + 1): \(point.command)"
    }
}
