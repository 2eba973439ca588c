import Foundation
import RESP

/// An imported flow written as a scenario file: a header that says what was inferred, for the
/// person who reviews it, then `name`, `vars`, `steps` (a setup step first when the flow's
/// replies show what it started from), each with the `expect:` its recorded reply gives, and
/// proposed `invariants`.
public struct ScenarioDraft: Sendable {
    /// The scenario's name, also its file's (`rt-id-hash-1`).
    public let name: String
    /// The flow it was made from.
    public let flow: CapturedFlow
    /// The flow's steps before their literals became variables.
    public let steps: [DraftStep]
    /// The variables and how arguments are written with them.
    public let inference: ParameterInference
    /// The capture file, for the header and `source`.
    public let captureFile: String
    /// Where the flow was captured.
    public let origin: CaptureOrigin
    /// The client's retries the capture showed, written as the scenario's `client:` block.
    public let retry: ObservedRetry?
    /// The commands that write what the flow's replies show it started from (the `setup: true` step).
    public let setup: [CapturedCommand]
    /// The `expect:` of each command of each step (nil: none).
    let expectations: [[String?]]
    /// The invariants proposed from the flow's final state.
    let invariants: FlowInvariants

    /// Drafts flow number `index` (from 1) of a capture.
    public init(
        flow: CapturedFlow, index: Int, scripts: [String: [UInt8]], captureFile: String, redact: Bool,
        origin: CaptureOrigin? = nil, retry: ObservedRetry? = nil
    ) {
        self.flow = flow
        let steps = DraftStep.steps(of: flow, scripts: scripts)
        self.steps = steps
        self.captureFile = captureFile
        self.origin = origin ?? .monitor(file: captureFile)
        self.retry = retry
        self.name = Self.name(of: flow, index: index)

        var discovery = FlowState.discovering()
        for step in steps { discovery.follow(step) }
        let first = flow.commands.first
        let setup = discovery.starting.setupCommands.map { arguments in
            CapturedCommand(
                time: first?.time ?? 0, client: flow.client, arguments: arguments,
                location: first?.location ?? SourceLocation(file: captureFile, line: 0))
        }
        self.setup = setup
        let inference = ParameterInference(steps: (setup.isEmpty ? [] : [.pipeline(setup)]) + steps, redact: redact)
        self.inference = inference

        var replay = FlowState.replaying(from: discovery.starting)
        var written = Set(setup.flatMap(\.arguments))
        var expectations: [[String?]] = []
        for step in steps {
            var texts: [String?] = []
            switch step {
            case .comment(_, let commands):
                for command in commands { replay.skip(command) }
                texts = commands.map { _ in nil }
            case .script(_, let keys, _, let command):
                let context = ReplyExpectation.Context(
                    predicted: nil, keysSameAsRecorded: replay.keysSameAsRecorded(command), ttl: .unknown, written: written)
                texts = [ReplyExpectation(command: command, context: context, inference: inference).text]
                replay.applyScript(keys: keys)
                written.formUnion(command.arguments)
            case .command, .pipeline, .transaction:
                for command in step.commands {
                    let predicted = replay.predictedReply(command)
                    let context = ReplyExpectation.Context(
                        predicted: predicted, keysSameAsRecorded: replay.keysSameAsRecorded(command),
                        ttl: FlowState.keys(of: command.arguments).first.map { replay.facts($0).ttl } ?? .unknown,
                        written: written)
                    let expectation = ReplyExpectation(command: command, context: context, inference: inference)
                    texts.append(expectation.text)
                    replay.apply(command)
                    // A write whose reply differs from the prediction did something else on the replay.
                    if predicted != nil, command.reply != nil, expectation.recurrence != .reply, FlowState.writes(command) {
                        replay.distrust(command)
                    }
                    written.formUnion(command.arguments)
                }
            }
            expectations.append(texts)
        }
        self.expectations = expectations
        self.invariants = FlowInvariants(state: replay, inference: inference)
    }

    /// True when the flow has a step a scenario can replay (a file is written only then).
    public var hasSteps: Bool {
        steps.contains { if case .comment = $0 { return false } else { return true } }
    }

    /// The flow's first key pattern (else its first command) and its index, as a file name.
    static func name(of flow: CapturedFlow, index: Int) -> String {
        var base = flow.commands.first?.name.lowercased() ?? "flow"
        search: for command in flow.commands {
            let roles = ArgumentRole.roles(of: command.arguments)
            for (position, role) in roles.enumerated() where role == .key {
                base = KeyPatternInference.pattern(of: command.arguments[position])
                break search
            }
        }
        var slug = ""
        for scalar in base.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        if slug.isEmpty { slug = "flow" }
        return "\(slug.prefix(60))-\(index)"
    }

    /// The capture lines the flow covers (`lines 12-17`, `line 3`); for a recording, the
    /// commands of its connections (`conn 3 commands 4-9`).
    public var lines: String {
        let first = flow.commands.first?.location.line ?? 0
        let last = flow.commands.last?.location.line ?? 0
        guard case .recording = origin else { return first == last ? "line \(first)" : "lines \(first)-\(last)" }
        var connections: [String] = []
        for command in flow.commands where !connections.contains(command.location.file) {
            connections.append(command.location.file)
        }
        let commands = first == last ? "command \(first)" : "commands \(first)-\(last)"
        return connections.count == 1 ? "\(connections[0]) \(commands)" : "\(connections.joined(separator: " and ")), \(commands)"
    }

    /// The flow's time span in seconds.
    public var span: Double { (flow.commands.last?.time ?? 0) - (flow.commands.first?.time ?? 0) }

    /// The scenario file's text.
    public var yaml: String {
        let redact = inference.redact
        let haveReplies = flow.commands.contains { $0.reply != nil }
        var out: [String] = []
        switch origin {
        case .monitor(let file): out.append("# Imported from \(file) (\(lines)) by `redisaudit scenarios import`:")
        case .recording(let upstream): out.append("# Recorded in front of \(upstream) (\(lines)) by `redisaudit record`:")
        }
        out.append(
            "# review it before committing it. Client \(flow.client), \(flow.commands.count) command\(flow.commands.count == 1 ? "" : "s") in "
                + "\(String(format: "%.3f", span)) s.")
        if haveReplies && redact {
            out.append("# expect: the type of each recorded reply (--redact-values writes no recorded value).")
        } else if haveReplies {
            out.append("# expect: from the recorded replies; values only where the flow wrote them; TTLs as ranges;")
            out.append("# a reply that depends on what keys held before the flow (beyond what its replies show): its type.")
        } else {
            out.append("# The capture has no replies, so no `expect:` was written, and commands sent back to back")
            out.append("# cannot be told apart from a pipeline: each command is a `command:` step of its own.")
        }
        if case .recording = origin {
            out.append("# Commands the client sent before the earlier ones were answered are one `pipeline:` step.")
        }
        if redact {
            out.append("# --redact-values: no recorded value is written; each is replaced by one of the same")
            out.append("# length (a generator, a number of as many digits, or <redacted:N bytes>).")
        }
        if inference.variables.isEmpty {
            out.append("# No literal recurs and none looks random: every value is written as captured.")
        } else {
            out.append("# Variables inferred:")
            for variable in inference.variables {
                let shown = redact ? "" : " (\(Self.display(variable.recorded)))"
                out.append("#   \(variable.name)\(shown): \(variable.reason).")
            }
        }
        out.append("# Kept as written: TTLs and expiry times, option words, script bodies\(redact ? "" : ", other values").")
        if !setup.isEmpty {
            out.append("# setup: what the flow's replies show of its keys before it wrote them (a value no reply")
            out.append("# showed is \"placeholder\"), written first: a replay starts from nothing.")
        }
        out.append("name: \(name)")
        var commandNames: [String] = []
        for command in flow.commands where !commandNames.contains(command.name) { commandNames.append(command.name) }
        out.append(
            "summary: \(YAMLText.quoted("Flow \(name) of client \(flow.client): \(commandNames.joined(separator: ", "))."))")
        switch origin {
        case .monitor(let file): out.append("source: \(YAMLText.quoted("redis-cli MONITOR capture \(file), \(lines)"))")
        case .recording(let upstream):
            out.append("source: \(YAMLText.quoted("redisaudit record in front of \(upstream), \(lines)"))")
        }
        if let retry { out += retry.clientBlock }
        if !inference.variables.isEmpty {
            out.append("vars:")
            for variable in inference.variables {
                switch variable.value {
                case .literal(let text):
                    out.append("  \(variable.name): \(YAMLText.quoted(ParameterInference.escape(Array(text.utf8))))")
                case .random(.uuid, _):
                    out.append("  \(variable.name): { random: uuid }")
                case .random(.hex, let length):
                    out.append("  \(variable.name): { random: hex, length: \(length) }")
                }
            }
        }
        out.append("steps:")
        if setup.count == 1 {
            out += ["  - label: \"setup: the state the flow starts from\"", "    setup: true"]
            out.append("    command: \(list(setup[0].arguments))")
        } else if !setup.isEmpty {
            out += ["  - label: \"setup: the state the flow starts from\"", "    setup: true", "    pipeline:"]
            out += setup.map { "      - \(list($0.arguments))" }
        }
        for (step, expectations) in zip(steps, expectations) { out += lines(of: step, expectations: expectations) }
        out += invariants.yaml(haveReplies: haveReplies)
        // Comments quote what was captured (a client, a command, a value): none may end its line.
        return out.map { $0.trimmingPrefix(while: { $0 == " " }).hasPrefix("#") ? Self.commentSafe($0) : $0 }
            .joined(separator: "\n") + "\n"
    }

    /// The YAML lines of one step, with the `expect:` of each of its commands.
    private func lines(of step: DraftStep, expectations: [String?]) -> [String] {
        var lines = kindLines(of: step, expectations: expectations)
        // The flow went on after an error reply: so does the replay.
        if case .comment = step {
        } else if step.commands.contains(where: { $0.reply?.isError == true }) {
            lines += ["    # The application went on after the error reply.", "    on_error: continue"]
        }
        return lines
    }

    /// The YAML lines of what a step sends, with the `expect:` of each of its commands.
    private func kindLines(of step: DraftStep, expectations: [String?]) -> [String] {
        let expect = expectations.first ?? nil
        switch step {
        case .command(let command):
            return ["  - command: \(list(command.arguments))"] + (expect.map { ["    expect: \($0)"] } ?? [])
        case .transaction(let commands), .pipeline(let commands):
            return [step.isTransaction ? "  - transaction:" : "  - pipeline:"]
                + zip(commands, expectations).map { c, expect in
                    expect.map { "      - { command: \(list(c.arguments)), expect: \($0) }" } ?? "      - \(list(c.arguments))"
                }
        case .script(let body, let keys, let args, _):
            var lines = [
                "  - script:",
                "      lua: \(YAMLText.quoted(inference.template(body, role: .scriptBody)))",
            ]
            if !keys.isEmpty {
                lines.append(
                    "      keys: [\(keys.map { YAMLText.quoted(inference.template($0, role: .key)) }.joined(separator: ", "))]")
            }
            if !args.isEmpty {
                lines.append(
                    "      args: [\(args.map { YAMLText.quoted(inference.template($0, role: .value)) }.joined(separator: ", "))]")
            }
            if let expect { lines.append("    expect: \(expect)") }
            return lines
        case .comment(let reason, let commands):
            var lines = ["  # Not replayed, \(reason):"]
            for command in commands {
                // Commands that may carry a password (MIGRATE ... AUTH, CONFIG SET masterauth) show no arguments.
                if inference.redact || Self.mayCarryCredentials.contains(command.name) {
                    lines.append(
                        "  #   \(command.name) with \(command.arguments.count - 1) arguments (redacted), "
                            + "line \(command.location.line)"
                    )
                } else {
                    lines.append(
                        "  #   \(command.arguments.map { Self.display($0) }.joined(separator: " ")), line \(command.location.line)"
                    )
                }
            }
            return lines
        }
    }

    /// A command's arguments as a YAML flow sequence of templates.
    private func list(_ arguments: [[UInt8]]) -> String {
        let roles = ArgumentRole.roles(of: arguments)
        let items = zip(arguments, roles).map { argument, role in
            role == .name
                ? YAMLText.plainOrQuoted(inference.template(argument, role: role))
                : YAMLText.quoted(inference.template(argument, role: role))
        }
        return "[" + items.joined(separator: ", ") + "]"
    }

    /// A comment line as written: what it quotes from the capture (an EVALSHA's digest, a
    /// command's name, a client's address, where a variable recurs) may hold a line break or
    /// another control character, which would end the comment or make the file invalid YAML;
    /// each is written as `\xHH` (YAML's other line breaks as `\uHHHH`).
    static func commentSafe(_ text: String) -> String {
        func unsafe(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 0x20 || scalar.value == 0x7F || [0x85, 0x2028, 0x2029].contains(scalar.value)
        }
        guard text.unicodeScalars.contains(where: unsafe) else { return text }
        return String(
            text.unicodeScalars.map { scalar in
                guard unsafe(scalar) else { return String(scalar) }
                return scalar.value > 0xFF
                    ? "\\u" + String(format: "%04x", scalar.value) : "\\x" + String(format: "%02x", scalar.value)
            }.joined())
    }

    /// Commands whose arguments a comment never shows: they may carry a password.
    static let mayCarryCredentials: Set<String> = ["AUTH", "HELLO", "MIGRATE", "CONFIG", "ACL"]

    /// Bytes as MONITOR quotes them, for comments (one line, nothing unprintable).
    static func display(_ text: String) -> String { display(Array(text.utf8)) }

    static func display(_ bytes: [UInt8]) -> String {
        var out = "\""
        for b in bytes {
            switch b {
            case 0x5C: out += "\\\\"
            case 0x22: out += "\\\""
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20...0x7E: out.unicodeScalars.append(UnicodeScalar(b))
            default:
                let hex = String(b, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out + "\""
    }
}
