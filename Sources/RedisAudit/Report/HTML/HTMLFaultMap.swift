/// The fault map of `inject`: per scenario a grid of fault points (rows) by fault kind (columns,
/// grouped by endpoint), each cell one trial coloured by how it ended; a click opens the trial's
/// transcript and the command that repeats it.
enum HTMLFaultMap {
    /// One trial behind a cell, as the page's script reads it: where it sits, and the report's cell.
    struct Entry: Encodable {
        var scenario: String
        var endpoint: String
        var point: String
        var kind: String
        var trial: FaultCoverage.Cell
    }

    /// True when a trial went well: it survived without hanging, or its fault never fired.
    static func isClean(_ trial: FaultCoverage.Cell) -> Bool {
        !trial.hang && [TrialOutcome.survived.rawValue, TrialOutcome.notReached.rawValue].contains(trial.outcome)
    }

    /// The trials of every map on the page, numbered in the order their cells were drawn.
    final class Trials {
        private(set) var entries: [Entry] = []

        func add(_ entry: Entry) -> Int {
            entries.append(entry)
            return entries.count - 1
        }

        /// The trial a finding of `inject` shows first: its scenario, one of its endpoints, the
        /// fault point it names, a trial that failed or hung there (else any trial there).
        func first(for finding: Finding) -> Int? {
            guard let scenario = finding.scenario, let step = finding.step else { return nil }
            let there = entries.indices.filter { index in
                let entry = entries[index]
                return entry.scenario == scenario && finding.endpoints.contains(entry.endpoint)
                    && entry.trial.fault.hasSuffix(" " + step)
            }
            let failed = there.first { !HTMLFaultMap.isClean(entries[$0].trial) }
            return failed ?? there.first
        }
    }

    /// How a cell looks: its colour class and its few letters.
    struct Look: Hashable {
        var name: String
        var label: String
        var meaning: String
    }

    /// Every look, in the legend's order: the clean ones first.
    static let looks: [Look] = [
        Look(name: "survived", label: "ok", meaning: "survived: went on, invariants hold"),
        Look(name: "stopped", label: "stop", meaning: "stopped cleanly: state unchanged or complete"),
        Look(name: "hang", label: "hang", meaning: "waited the whole command timeout"),
        Look(name: "partial-apply", label: "partial", meaning: "partial apply: stopped half-written"),
        Look(name: "silent-corruption", label: "corrupt", meaning: "silent corruption: went on, an invariant fails"),
        Look(name: "error-swallowed", label: "swallowed", meaning: "swallowed error: an error read as not found"),
        Look(name: "double-apply", label: "double", meaning: "double apply: a retry ran a write twice"),
        Look(name: "lost-write", label: "lost", meaning: "lost write: an acknowledged write is gone"),
        Look(name: "applied-told-failed", label: "told-fail", meaning: "applied, told failed (REST)"),
        Look(name: "not-reached", label: "n/r", meaning: "not reached: the fault never fired"),
    ]

    /// The look of one trial; a hang on a failing trial keeps the failure's colour (the cell gets
    /// the `hung` mark).
    static func look(_ cell: FaultCoverage.Cell) -> (look: Look, label: String) {
        func named(_ name: String) -> Look { looks.first { $0.name == name } ?? Look(name: name, label: name, meaning: name) }
        if cell.outcome == TrialOutcome.survived.rawValue {
            if cell.hang { return (named("hang"), "hang") }
            if cell.stopped { return (named("stopped"), "stop") }
            return (named("survived"), cell.summary.hasPrefix("retried") ? "retry" : "ok")
        }
        let look = named(cell.outcome)
        return (look, look.label)
    }

    /// Grids with more rows than this are drawn dense (shorter rows, smaller type).
    static let denseAbove = 40

    static func render(_ coverage: [FaultCoverage], trials: Trials) -> [String] {
        var out = ["<section id=\"fault-map\"><h2>Fault map</h2>"]
        out.append(
            "<p class=\"muted\">A row per fault point, a column per fault kind on each endpoint; each cell is one trial. "
                + "Click a cell (or focus it and press Enter) for its transcript and the command that runs it alone.</p>")
        var tally: [String: Int] = [:]
        var scenarios: [String] = []
        for table in coverage where !scenarios.contains(table.scenario) { scenarios.append(table.scenario) }
        var grids: [String] = []
        for (index, scenario) in scenarios.enumerated() {
            let tables = coverage.filter { $0.scenario == scenario }
            grids += grid(tables, scenario: scenario, id: "map-\(index + 1)", trials: trials, tally: &tally)
        }
        out.append("<div class=\"legend\">")
        for look in looks {
            out.append(
                "<span class=\"o-\(look.name)\">\(HTMLText.escape(look.label)): \(HTMLText.escape(look.meaning)) (\(tally[look.name, default: 0]))</span>"
            )
        }
        out.append("<span class=\"hung\">a yellow bar: that trial also hung (\(tally["hung", default: 0]))</span>")
        out.append("</div>")
        out.append("<div class=\"maps\">")
        out += grids
        out.append("</div></section>")
        return out
    }

    /// One scenario's grid: its tables (one per endpoint) side by side on shared rows.
    private static func grid(
        _ tables: [FaultCoverage], scenario: String, id: String, trials: Trials, tally: inout [String: Int]
    ) -> [String] {
        var out = ["<div class=\"mapblock\">"]
        let facts = tables.map { t in
            "\(t.endpoint): \(t.trials) trials, \(t.survived) survived"
                + (t.notReached > 0 ? ", \(t.notReached) not reached" : "")
        }
        out.append(
            "<h3><code>\(HTMLText.escape(scenario))</code> <span class=\"muted\">\(HTMLText.escape(facts.joined(separator: "; ")))</span></h3>"
        )
        var points: [String] = []
        for table in tables { for row in table.rows where !points.contains(row.point) { points.append(row.point) } }
        out.append(
            "<div class=\"maptools\"><label><input type=\"checkbox\" data-only-failing=\"\(id)\"> only rows where a trial failed</label></div>"
        )
        let dense = points.count > denseAbove ? " dense" : ""
        out.append("<div class=\"faultmap\(dense)\"><table id=\"\(id)\" data-scenario=\"\(HTMLText.escape(scenario))\"><thead>")
        if tables.count > 1 {
            out.append(
                "<tr><th></th>"
                    + tables.map { "<th class=\"group\" colspan=\"\($0.faults.count)\">\(HTMLText.escape($0.endpoint))</th>" }
                    .joined() + "</tr>")
        }
        out.append(
            "<tr><th>fault point</th>"
                + tables.flatMap { t in t.faults.map { "<th>\(HTMLText.escape($0))</th>" } }.joined() + "</tr></thead><tbody>")
        for point in points {
            var cells: [String] = []
            var clean = true
            for table in tables {
                let row = table.rows.first { $0.point == point }
                for (column, kind) in table.faults.enumerated() {
                    let outcome = row.map { column < $0.outcomes.count ? $0.outcomes[column] : "" } ?? ""
                    let trial = row?.trials.flatMap { column < $0.count ? $0[column] : nil }
                    guard let trial else {
                        // A report without the trials behind its cells shows the words alone.
                        cells.append(
                            outcome.isEmpty
                                ? "<td class=\"cell none\"></td>" : "<td class=\"cell\">\(HTMLText.escape(outcome))</td>")
                        continue
                    }
                    let (look, label) = look(trial)
                    tally[look.name, default: 0] += 1
                    let hung = trial.hang && look.name != "hang"
                    if hung { tally["hung", default: 0] += 1 }
                    if !Self.isClean(trial) { clean = false }
                    let index = trials.add(
                        Entry(scenario: scenario, endpoint: table.endpoint, point: point, kind: kind, trial: trial))
                    let hover = "\(table.endpoint) · \(kind) · \(trial.summary)" + (trial.reproducer.map { "\n" + $0 } ?? "")
                    cells.append(
                        "<td class=\"cell o-\(look.name)\(hung ? " hung" : "")\" id=\"cell-\(index)\" tabindex=\"0\" data-trial=\"\(index)\" data-endpoint=\"\(HTMLText.escape(table.endpoint))\" "
                            + "data-kind=\"\(HTMLText.escape(kind))\" data-outcome=\"\(HTMLText.escape(trial.outcome))\" "
                            + "title=\"\(HTMLText.escape(hover))\">\(HTMLText.escape(label))</td>")
                }
            }
            out.append(
                "<tr\(clean ? " class=\"clean\"" : "")><th class=\"point\" title=\"\(HTMLText.escape(point))\">\(HTMLText.escape(point))</th>"
                    + cells.joined() + "</tr>")
        }
        out.append("</tbody></table></div></div>")
        return out
    }
}
