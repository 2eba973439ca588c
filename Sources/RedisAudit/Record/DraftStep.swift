import RESP

/// A step of an imported scenario before its literals become variables: what the flow's
/// commands turn into, or why a command is only kept as a comment.
public enum DraftStep: Hashable, Sendable {
    /// One command.
    case command(CapturedCommand)
    /// MULTI, the commands, EXEC (the MULTI and EXEC themselves are not listed).
    case transaction([CapturedCommand])
    /// Commands the client sent back to back before their replies (one `batch`).
    case pipeline([CapturedCommand])
    /// EVAL (or an EVALSHA whose SCRIPT LOAD the capture saw) as a `script:` step.
    case script(body: [UInt8], keys: [[UInt8]], args: [[UInt8]], from: CapturedCommand)
    /// Commands the scenario cannot replay, kept as a comment with the reason.
    case comment(reason: String, commands: [CapturedCommand])

    /// Every captured command the step came from.
    public var commands: [CapturedCommand] {
        switch self {
        case .command(let c): return [c]
        case .transaction(let cs): return cs
        case .pipeline(let cs): return cs
        case .script(_, _, _, let c): return [c]
        case .comment(_, let cs): return cs
        }
    }

    /// True for a `transaction` step.
    public var isTransaction: Bool {
        if case .transaction = self { return true }
        return false
    }

    /// The script bodies a capture makes known by SHA1: every `SCRIPT LOAD` and every `EVAL`
    /// (the server caches an EVAL's script, so a later EVALSHA of it runs).
    public static func knownScripts(_ commands: [CapturedCommand]) -> [String: [UInt8]] {
        var scripts: [String: [UInt8]] = [:]
        for command in commands {
            let name = command.name
            if name == "SCRIPT", command.text(1).uppercased() == "LOAD", command.arguments.count == 3 {
                scripts[ScriptDigest.sha1(command.arguments[2])] = command.arguments[2]
            } else if name == "EVAL" || name == "EVAL_RO", command.arguments.count >= 3 {
                scripts[ScriptDigest.sha1(command.arguments[1])] = command.arguments[1]
            }
        }
        return scripts
    }

    /// The steps of a flow, in order; `scripts` are the bodies the capture made known by SHA1.
    public static func steps(of flow: CapturedFlow, scripts: [String: [UInt8]]) -> [DraftStep] {
        var steps: [DraftStep] = []
        var transaction: [CapturedCommand]?
        for command in flow.commands {
            let name = command.name
            if var queued = transaction {
                switch name {
                case "EXEC":
                    if let problem = queued.lazy.compactMap(replayProblem).first {
                        steps.append(.comment(reason: "a transaction with \(problem)", commands: queued))
                    } else if !queued.isEmpty {
                        steps.append(.transaction(replied(queued, exec: command.reply)))
                    }
                    transaction = nil
                case "DISCARD":
                    steps.append(.comment(reason: "a transaction the client discarded", commands: queued))
                    transaction = nil
                default:
                    queued.append(command)
                    transaction = queued
                }
                continue
            }
            switch name {
            case "MULTI":
                transaction = []
            case "EXEC", "DISCARD":
                steps.append(.comment(reason: "\(name) without a MULTI before it in the flow", commands: [command]))
            case "SCRIPT" where command.text(1).uppercased() == "LOAD":
                continue  // registers a script; the EVALSHA that runs it becomes the step
            case "EVAL", "EVAL_RO", "EVALSHA", "EVALSHA_RO":
                steps.append(script(command, scripts: scripts))
            default:
                if let problem = replayProblem(command) {
                    steps.append(.comment(reason: problem, commands: [command]))
                } else {
                    steps.append(.command(command))
                }
            }
        }
        if let queued = transaction, !queued.isEmpty {
            steps.append(.comment(reason: "a MULTI without EXEC in the capture", commands: queued))
        }
        return pipelined(steps)
    }

    /// The queued commands of a transaction with EXEC's reply element for each as its reply:
    /// the reply a queued command got itself is only `QUEUED`. Without EXEC's array (no reply
    /// recorded, or a transaction a WATCH aborted) no command has a reply.
    static func replied(_ queued: [CapturedCommand], exec: RESPValue?) -> [CapturedCommand] {
        var queued = queued
        let elements = exec?.arrayElements
        for index in queued.indices {
            queued[index].reply = elements?.count == queued.count ? elements?[index] : nil
        }
        return queued
    }

    /// The steps with each run of commands sent in one batch (before their replies) made one
    /// `pipeline` step; a batch of one command stays a `command` step.
    static func pipelined(_ steps: [DraftStep]) -> [DraftStep] {
        var merged: [DraftStep] = []
        var run: [CapturedCommand] = []
        func close() {
            if run.count == 1 { merged.append(.command(run[0])) } else if !run.isEmpty { merged.append(.pipeline(run)) }
            run = []
        }
        for step in steps {
            guard case .command(let command) = step, let batch = command.batch else {
                close()
                merged.append(step)
                continue
            }
            if let last = run.last, last.batch != batch { close() }
            run.append(command)
        }
        close()
        return merged
    }

    /// An EVAL or EVALSHA as a `script:` step, or a comment when its body or keys are unknown.
    static func script(_ command: CapturedCommand, scripts: [String: [UInt8]]) -> DraftStep {
        let arguments = command.arguments
        guard arguments.count >= 3, let keyCount = Int(command.text(2)), keyCount >= 0, keyCount <= arguments.count - 3 else {
            return .comment(reason: "a script call without a valid number of keys", commands: [command])
        }
        if let problem = textProblem(command) { return .comment(reason: problem, commands: [command]) }
        let body: [UInt8]
        if command.name.hasPrefix("EVALSHA") {
            guard let known = scripts[command.text(1).lowercased()] else {
                return .comment(
                    reason: "the script \(command.text(1)) is unknown: the capture has no SCRIPT LOAD or EVAL of it",
                    commands: [command])
            }
            body = known
        } else {
            body = arguments[1]
        }
        guard String(validating: body, as: UTF8.self) != nil else {
            return .comment(reason: "a script whose body is not UTF-8 text", commands: [command])
        }
        return .script(
            body: body, keys: Array(arguments[3..<(3 + keyCount)]), args: Array(arguments[(3 + keyCount)...]), from: command)
    }

    /// Why a command cannot be a scenario step (the command table refuses it, an argument is
    /// not text), or nil.
    static func replayProblem(_ command: CapturedCommand) -> String? {
        if let problem = textProblem(command) { return problem }
        if command.name == "MULTI" { return "a MULTI inside it" }
        let strings = command.arguments.map { String(decoding: $0, as: UTF8.self) }
        switch CommandTable.lookup(strings) {
        case .unknown: return nil
        case .refused(let reason): return "a command redisaudit refuses to send (\(reason))"
        case .supported:
            do {
                _ = try CommandTable.check(strings: strings)
                return nil
            } catch {
                return "a command redisaudit refuses to send (\(error.message))"
            }
        }
    }

    /// Why a command's arguments cannot be written in a scenario (a scenario holds text), or nil.
    static func textProblem(_ command: CapturedCommand) -> String? {
        for (index, argument) in command.arguments.enumerated() where String(validating: argument, as: UTF8.self) == nil {
            return "argument \(index) is not UTF-8 text, and a scenario holds text"
        }
        return nil
    }
}
