import Foundation

/// `scenarios import`: a `redis-cli MONITOR` capture read, split into flows, and each flow
/// written as a scenario file for a person to review, with an `index.md` that lists them.
///
/// ```
///   capture ─▶ MonitorCapture ─▶ CapturedFlow.split ─▶ DraftStep.steps ─▶ ParameterInference ─▶ DIR/<name>.yaml
///                                 (client, gap)        (transaction,       (variables,           DIR/index.md
///                                                       script, comment)    generators)
/// ```
public enum MonitorImport {
    /// What to import and how.
    public struct Options: Sendable {
        /// Only these client addresses (all when empty).
        public var clients: Set<String> = []
        /// Idle seconds that end a flow.
        public var gap: Double = CapturedFlow.defaultGap
        /// Write no recorded value, only values of the same shape.
        public var redact = false
        /// Largest capture read, in bytes.
        public var maxCaptureBytes = MonitorCapture.defaultMaxBytes

        public init() {}
    }

    /// What an import wrote.
    public struct Result: Sendable {
        /// The drafts written, in flow order, with their files.
        public var written: [(draft: ScenarioDraft, file: String)]
        /// Flows with no command a scenario can replay (no file).
        public var skipped: [ScenarioDraft]
        /// The index file.
        public var index: String
    }

    /// Imports the capture at `capture` into the directory `output` (created if missing).
    /// Throws when the capture cannot be read, a line is not MONITOR output (`FILE:LINE`), a
    /// `--client` address sent nothing, or a file cannot be written.
    public static func run(capture: String, output: String, options: Options) throws(InputError) -> Result {
        let commands = try MonitorCapture.read(capture, maxBytes: options.maxCaptureBytes)
        let seen = Set(commands.map(\.client))
        if let missing = options.clients.sorted().first(where: { !seen.contains($0) }) {
            let known = seen.sorted().prefix(10).joined(separator: ", ")
            throw InputError(
                "--client \(missing): the capture has no command of this client (its clients: \(known.isEmpty ? "none" : known))")
        }
        let scripts = DraftStep.knownScripts(commands)
        let flows = CapturedFlow.split(commands, clients: options.clients, gap: options.gap)
        let captureName = (capture as NSString).lastPathComponent
        let drafts = flows.enumerated().map { index, flow in
            ScenarioDraft(flow: flow, index: index + 1, scripts: scripts, captureFile: captureName, redact: options.redact)
        }
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
        try write(indexText(captureName, written: written, skipped: skipped, options: options), to: index)
        return Result(written: written, skipped: skipped, index: index)
    }

    /// `index.md`: one row per flow (client, time span, commands, file).
    static func indexText(
        _ capture: String, written: [(draft: ScenarioDraft, file: String)], skipped: [ScenarioDraft], options: Options
    ) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var lines = [
            "# Scenarios imported from \(capture)",
            "",
            "Flows split per client and where a client was idle for more than \(options.gap) s; "
                + "connection set-up (AUTH, HELLO, CLIENT, SELECT, PING, ...) left out. "
                + "Review each file's header before committing it"
                + (options.redact ? "; recorded values were redacted." : "."),
            "",
            "| flow | client | time span | commands | file |",
            "|---|---|---|---|---|",
        ]
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
