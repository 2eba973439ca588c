import RESP

/// Scripts the server's ACL stopped: in a confined run, a script that touched a key outside the
/// run namespace or called a command the temporary user may not run gets an ACL refusal. That is
/// the confinement working, not a difference between hosts: one high `script-escape` finding per
/// step and endpoint.
public enum ScriptEscapes {
    /// One refused script command.
    struct Escape {
        var step: StepRecord
        var record: CommandRecord
        var message: String
    }

    /// True when `record`, in a confined run, is a script the ACL refused.
    static func isEscape(_ record: CommandRecord) -> Bool { message(of: record) != nil }

    /// The refusal's text when `record` is a script command the ACL refused.
    static func message(of record: CommandRecord) -> String? {
        guard ScriptCheck.scriptCommands.contains(record.specName),
            case .reply(.error(let message)) = record.outcome, ConfinedUser.isScriptRefusal(message)
        else { return nil }
        return message
    }

    /// The refused scripts of one run's steps (a transaction's inside its EXEC reply too, a
    /// concurrent block's from its failing sample).
    static func escapes(in steps: [StepRecord]) -> [Escape] {
        var found: [Escape] = []
        for step in steps {
            if let sample = step.concurrent?.steps.compactMap(\.sample).first(where: isEscape), let text = message(of: sample) {
                found.append(Escape(step: step, record: sample, message: text))
                continue
            }
            let exec = step.commands.last?.outcome.reply?.arrayElements
            for record in step.commands {
                if let text = message(of: record) {
                    found.append(Escape(step: step, record: record, message: text))
                    break
                }
                if case .transaction = step.step.kind, let position = record.position, let exec, position < exec.count,
                    ScriptCheck.scriptCommands.contains(record.specName), case .error(let text) = exec[position],
                    ConfinedUser.isScriptRefusal(text)
                {
                    found.append(Escape(step: step, record: record, message: text))
                    break
                }
            }
        }
        return found
    }

    /// One high finding per refused script step on the endpoint `role` ran as `user`.
    public static func findings(scenario: String, role: String, user: String, steps: [StepRecord]) -> [Finding] {
        escapes(in: steps).map { escape in
            let location = Transcript.location(step: escape.step, record: escape.record)
            var evidence = [Transcript.command(escape.record.display)]
            evidence += Transcript.reply(role, .reply(.error(escape.message)))
            evidence.append("the scenario's connections ran as the temporary ACL user \(user), confined to the run's keys")
            return Finding(
                identity: "escape|\(escape.step.index)|\(role)", severity: .high, category: .scriptEscape,
                title: "A script touched a key outside the run namespace or called a refused command; "
                    + "\(role)'s ACL refused it",
                endpoints: [role], scenario: scenario, step: location, evidence: evidence,
                why: "Run by the application's own user, this script would read or change keys that are not its own "
                    + "(or the whole server: FLUSHALL, KEYS). The audit's temporary user refused it, so nothing outside "
                    + "the namespace was touched; the script's replies here are not the application's and are not compared.",
                fix: "Pass every key the script touches in KEYS (never build key names from ARGV or constants), "
                    + "and keep server-wide commands out of scripts.")
        }
    }
}
