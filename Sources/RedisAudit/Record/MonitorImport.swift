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
        let intro =
            "Flows split per client and where a client was idle for more than \(options.gap) s; "
            + "connection set-up (AUTH, HELLO, CLIENT, SELECT, PING, ...) left out. "
            + "Review each file's header before committing it"
            + (options.redact ? "; recorded values were redacted." : ".")
        let files = try DraftFiles.write(drafts, to: output, title: "Scenarios imported from \(captureName)", intro: intro)
        return Result(written: files.written, skipped: files.skipped, index: files.index)
    }
}
