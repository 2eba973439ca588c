import Foundation
import RESP

/// An imported flow written as a scenario file: a header that says what was inferred, for the
/// person who reviews it, then `name`, `vars` and `steps`.
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

    /// Drafts flow number `index` (from 1) of a capture.
    public init(
        flow: CapturedFlow, index: Int, scripts: [String: [UInt8]], captureFile: String, redact: Bool,
        origin: CaptureOrigin? = nil, retry: ObservedRetry? = nil
    ) {
        self.flow = flow
        let steps = DraftStep.steps(of: flow, scripts: scripts)
        self.steps = steps
        self.inference = ParameterInference(steps: steps, redact: redact)
        self.captureFile = captureFile
        self.origin = origin ?? .monitor(file: captureFile)
        self.retry = retry
        self.name = Self.name(of: flow, index: index)
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
        if haveReplies {
            out.append("# Replies were captured: `expect:` gives the reply each command got.")
        } else {
            out.append("# The capture has no replies, so no `expect:` was written, and commands sent back to back")
            out.append("# cannot be told apart from a pipeline: each command is a `command:` step of its own.")
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
        for step in steps { out += lines(of: step) }
        return out.joined(separator: "\n") + "\n"
    }

    /// The YAML lines of one step.
    private func lines(of step: DraftStep) -> [String] {
        switch step {
        case .command(let command):
            return ["  - command: \(list(command.arguments))" + expectation(command.reply, inline: true)]
        case .transaction(let commands), .pipeline(let commands):
            return [step.isTransaction ? "  - transaction:" : "  - pipeline:"]
                + commands.map { c in
                    c.reply == nil || inference.redact
                        ? "      - \(list(c.arguments))"
                        : "      - { command: \(list(c.arguments)), expect: \(expectation(c.reply, inline: false)) }"
                }
        case .script(let body, let keys, let args, let command):
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
            let expect = expectation(command.reply, inline: false)
            if !expect.isEmpty { lines.append("    expect: \(expect)") }
            return lines
        case .comment(let reason, let commands):
            var lines = ["  # Not replayed, \(Self.commentSafe(reason)):"]
            for command in commands {
                // Commands that may carry a password (MIGRATE ... AUTH, CONFIG SET masterauth) show no arguments.
                if inference.redact || Self.mayCarryCredentials.contains(command.name) {
                    lines.append(
                        "  #   \(command.name) with \(command.arguments.count - 1) arguments (redacted), line \(command.location.line)"
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

    /// An `expect:` for a captured reply whose shape needs no recorded value (nothing with `--redact-values`).
    private func expectation(_ reply: RESPValue?, inline: Bool) -> String {
        guard let reply, !inference.redact else { return "" }
        let body: String
        switch reply {
        case .simpleString(let text):
            body = "{ type: status, value: \(YAMLText.quoted(ParameterInference.escape(Array(text.utf8)))) }"
        case .integer(let n): body = "{ integer: \(n) }"
        case .null: body = "{ type: nil }"
        case .error(let message): body = "{ error: \(YAMLText.quoted(reply.errorClass ?? String(message.prefix(20)))) }"
        default: body = "{ type: \(reply.typeName) }"
        }
        return inline ? "\n    expect: \(body)" : body
    }

    /// Text for a comment line: a captured argument quoted in the reason (an EVALSHA's digest)
    /// may hold a line break or another control character, which would end the comment or make
    /// the file invalid YAML; each is written as `\xHH`.
    static func commentSafe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        return String(
            text.unicodeScalars.map { scalar in
                scalar.value < 0x20 || scalar.value == 0x7F
                    ? "\\x" + String(format: "%02x", scalar.value) : String(scalar)
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
