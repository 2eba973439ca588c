import Foundation

/// Writes drafted scenarios, one file per flow that has a replayable step, and an `index.md`
/// that lists every flow: the one place `scenarios import` and `record` write their output.
enum DraftFiles {
    /// Writes `drafts` into `output` (created if missing); `title` and `intro` head the index.
    /// `notes` are rows of flows that were not drafted (flow, client, why), listed after them.
    static func write(
        _ drafts: [ScenarioDraft], to output: String, title: String, intro: String, notes: [String] = []
    ) throws(InputError) -> (written: [(draft: ScenarioDraft, file: String)], skipped: [ScenarioDraft], index: String) {
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw InputError("cannot create the output directory \(output): \(error.localizedDescription)")
        }
        var written: [(draft: ScenarioDraft, file: String)] = []
        var skipped: [ScenarioDraft] = []
        for draft in drafts {
            guard draft.hasSteps else {
                skipped.append(draft)
                continue
            }
            let file = (output as NSString).appendingPathComponent("\(draft.name).yaml")
            try write(draft.yaml, to: file)
            written.append((draft, file))
        }
        let index = (output as NSString).appendingPathComponent("index.md")
        try write(indexText(title: title, intro: intro, written: written, skipped: skipped, notes: notes), to: index)
        return (written, skipped, index)
    }

    /// `index.md`: one row per flow (client, time span, commands, file).
    static func indexText(
        title: String, intro: String, written: [(draft: ScenarioDraft, file: String)], skipped: [ScenarioDraft],
        notes: [String]
    ) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var lines = ["# \(title)", "", intro, "", "| flow | client | time span | commands | file |", "|---|---|---|---|---|"]
        let rows =
            (written.map {
                ($0.draft, "[\(($0.file as NSString).lastPathComponent)](\(($0.file as NSString).lastPathComponent))")
            }
            + skipped.map { ($0, "none: no command a scenario can replay") })
            .sorted { ($0.0.flow.commands.first?.time ?? 0) < ($1.0.flow.commands.first?.time ?? 0) }
        for (draft, file) in rows {
            let start = Date(timeIntervalSince1970: draft.flow.commands.first?.time ?? 0)
            let names = draft.flow.commands.map(\.name)
            var counted: [(String, Int)] = []
            for name in names {
                if let i = counted.firstIndex(where: { $0.0 == name }) { counted[i].1 += 1 } else { counted.append((name, 1)) }
            }
            let commands = counted.map { $0.1 == 1 ? $0.0 : "\($0.0) ×\($0.1)" }.joined(separator: ", ")
            lines.append(
                "| \(draft.name) | \(draft.flow.client) | \(formatter.string(from: start)) + \(String(format: "%.3f", draft.span)) s "
                    + "(\(draft.lines)) | \(names.count): \(commands) | \(file) |")
        }
        if !notes.isEmpty {
            lines += ["", "Not drafted:", ""]
            lines += notes.map { "- \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func write(_ text: String, to path: String) throws(InputError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw InputError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
