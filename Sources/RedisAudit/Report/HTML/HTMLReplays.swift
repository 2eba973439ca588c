/// The steps of `compare`: per scenario, each command with the two endpoints' replies side by
/// side where they differ, and once where they agree.
enum HTMLReplays {
    /// Scenarios with more commands than this show only the differing ones at first.
    static let collapseAbove = 60

    static func render(_ replays: [ScenarioReplay]) -> [String] {
        var out = ["<section id=\"steps\"><h2>Steps side by side</h2>"]
        out.append(
            "<p class=\"muted\">Each scenario's commands as both endpoints ran them (keys in each side's own namespace). "
                + "Where the replies differ the way the findings judge them, the row is marked and the two replies stand side by side.</p>"
        )
        for (index, replay) in replays.enumerated() {
            let differing = replay.steps.filter(\.differs).count
            let commands = replay.steps.reduce(0) { $0 + $1.commands.count }
            let id = "steps-\(index + 1)"
            let roles = replay.roles.count == 2 ? (replay.roles[0], replay.roles[1]) : ("A", "B")
            out.append(
                "<details class=\"replay\"\(differing > 0 ? " open" : "")><summary><code>\(HTMLText.escape(replay.scenario))</code>: "
                    + "\(replay.steps.count) step\(replay.steps.count == 1 ? "" : "s"), "
                    + (differing == 0 ? "the same replies on both" : "\(differing) differ") + "</summary>")
            let collapsed = commands > collapseAbove && differing > 0
            out.append(
                "<div class=\"maptools\"><label><input type=\"checkbox\" data-only-failing=\"\(id)\"\(collapsed ? " checked" : "")> "
                    + "only the commands whose replies differ</label></div>")
            out.append(
                "<table id=\"\(id)\"\(collapsed ? " class=\"onlyfailing\"" : "")><thead><tr><th>step</th><th>command</th>"
                    + "<th>\(HTMLText.escape(roles.0))</th><th>\(HTMLText.escape(roles.1))</th></tr></thead><tbody>")
            for step in replay.steps {
                for (position, command) in step.commands.enumerated() {
                    let where_ = position == 0 ? HTMLText.escape(step.location) : ""
                    let code = "<code>\(HTMLText.escape(command.command))</code>"
                    if command.differs {
                        out.append(
                            "<tr class=\"diff\"><td>\(where_)</td><td>\(code)</td><td class=\"side\">\(reply(command.a))</td>"
                                + "<td class=\"side\">\(reply(command.b))</td></tr>")
                    } else {
                        out.append(
                            "<tr class=\"same clean\"><td>\(where_)</td><td>\(code)</td><td colspan=\"2\">\(reply(command.a ?? command.b))</td></tr>"
                        )
                    }
                }
            }
            out.append("</tbody></table></details>")
        }
        out.append("</section>")
        return out
    }

    private static func reply(_ lines: [String]?) -> String {
        guard let lines else { return "<span class=\"muted\">(not run)</span>" }
        return "<pre>\(HTMLText.escape(lines.joined(separator: "\n")))</pre>"
    }
}
