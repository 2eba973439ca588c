/// How `compare` lays one scenario's two runs side by side for the HTML report.
extension ScenarioComparison {
    /// Every step both runs reached, or either did, with each command's replies and whether they
    /// differ the way `replies` judges them.
    func sideBySide() -> ScenarioReplay {
        let count = max(a.steps.count, b.steps.count)
        var steps: [ScenarioReplay.Step] = []
        for index in 0..<count {
            let sa = index < a.steps.count ? a.steps[index] : nil
            let sb = index < b.steps.count ? b.steps[index] : nil
            guard let first = sa ?? sb else { continue }
            let inner = first.listedCommands
            let width = max(sa?.commands.count ?? 0, sb?.commands.count ?? 0)
            var commands: [ScenarioReplay.Command] = []
            for position in 0..<width {
                let ra = sa.flatMap { position < $0.commands.count ? $0.commands[position] : nil }
                let rb = sb.flatMap { position < $0.commands.count ? $0.commands[position] : nil }
                guard let record = ra ?? rb else { continue }
                let differs: Bool
                if let ra, let rb {
                    differs =
                        ReplyComparison.compare(
                            ra.outcome, rb.outcome, command: ra.specName, inner: inner, toleranceSeconds: ttlTolerance,
                            catalog: catalog) != .none
                } else {
                    differs = true
                }
                commands.append(
                    ScenarioReplay.Command(
                        command: Transcript.command(record.display), a: ra.map { Transcript.reply($0.outcome) },
                        b: rb.map { Transcript.reply($0.outcome) }, differs: differs))
            }
            steps.append(ScenarioReplay.Step(location: Transcript.location(step: first, record: nil), commands: commands))
        }
        return ScenarioReplay(scenario: scenario, roles: roles, steps: steps)
    }
}
