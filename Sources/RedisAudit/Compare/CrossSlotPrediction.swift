import RESP

/// The transactions, scripts and multi-key commands of a scenario whose keys hash to more than
/// one slot, found before anything is sent: a cluster refuses each of them (`CROSSSLOT`), so a
/// remedy that works on one server breaks on the cluster the team moves to.
///
/// ```
///   step ─render keys with the run's values─▶ CRC16 slot of each ─▶ more than one? ─▶ finding,
///        with the hash tag that would put them together (a variable every key shares)
/// ```
struct CrossSlotPrediction: Sendable {
    /// One step (or command) whose keys span slots.
    struct Use: Sendable, Hashable {
        /// 0-based step index.
        var step: Int
        /// `transaction`, `script`, or the multi-key command's name.
        var what: String
        /// Each key as written, as rendered, and its slot.
        var keys: [Key]
        /// The keys rewritten with one hash tag, as written.
        var tagged: [String]
    }

    /// A key of a use.
    struct Key: Sendable, Hashable {
        var written: String
        var rendered: String
        var slot: Int
    }

    /// The uses in a scenario, with its variables' values (keys that cannot be rendered or
    /// located are left out: the replay reports those).
    static func uses(in scenario: Scenario, bindings: VariableBindings) -> [Use] {
        var uses: [Use] = []
        for (index, step) in scenario.steps.enumerated() {
            switch step.kind {
            case .transaction(let commands):
                let keys = commands.flatMap { commandKeys(of: $0, bindings: bindings) }
                if let use = use(step: index, what: "transaction", keys: keys) { uses.append(use) }
            case .script(let call, _):
                let keys = call.keys.compactMap { template in
                    (try? template.render(bindings)).map { Key(written: template.raw, rendered: $0, slot: HashSlot.of($0)) }
                }
                if let use = use(step: index, what: "script", keys: keys) { uses.append(use) }
            case .command(let command):
                if let use = use(step: index, what: command.name, keys: commandKeys(of: command, bindings: bindings)) {
                    uses.append(use)
                }
            case .pipeline(let commands):
                for command in commands {
                    if let use = use(step: index, what: command.name, keys: commandKeys(of: command, bindings: bindings)) {
                        uses.append(use)
                    }
                }
            case .concurrent:
                continue
            }
        }
        return uses
    }

    /// The keys of one command, located by the command table.
    private static func commandKeys(of command: CommandTemplate, bindings: VariableBindings) -> [Key] {
        guard let rendered = try? command.arguments.map({ try $0.render(bindings) }),
            case .supported(let spec) = CommandTable.lookup(rendered),
            case let positions? = try? CommandTable.keyPositions(of: spec, in: rendered)
        else { return [] }
        switch spec.keys {
        case .pattern, .scanMatch: return []
        default: break
        }
        return positions.map { Key(written: command.arguments[$0].raw, rendered: rendered[$0], slot: HashSlot.of(rendered[$0])) }
    }

    private static func use(step: Int, what: String, keys: [Key]) -> Use? {
        var seen = Set<String>()
        let distinct = keys.filter { seen.insert($0.rendered).inserted }
        guard Set(distinct.map(\.slot)).count > 1 else { return nil }
        return Use(step: step, what: what, keys: distinct, tagged: tagged(distinct.map(\.written)))
    }

    /// The keys with one hash tag: the first variable every key uses, braced (`rt:{${userId}}:...`);
    /// without one, a literal tag in front of each key.
    static func tagged(_ written: [String]) -> [String] {
        let variables = written.map(variableNames)
        if let shared = variables.first?.first(where: { name in variables.allSatisfy { $0.contains(name) } }) {
            let reference = "${\(shared)}"
            return written.map { key in
                guard let range = key.range(of: reference) else { return key }
                return key.replacingCharacters(in: range, with: "{\(reference)}")
            }
        }
        return written.map { "{tag}:" + $0 }
    }

    /// The `${name}` references in a template, in order.
    private static func variableNames(_ text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            names.append(String(rest[start.upperBound..<end]))
            rest = rest[rest.index(after: end)...]
        }
        return names
    }

    /// True for a host's refusal of keys in several slots (or of keys a script did not declare);
    /// inside a transaction, a key of another node's slot is answered `MOVED` (then EXECABORT).
    static func isCrossSlotRefusal(_ message: String) -> Bool {
        message.hasPrefix("CROSSSLOT") || message.hasPrefix("MOVED ") || message.hasPrefix("ASK ")
            || message.contains("non local key") || message.contains("undeclared key")
            || message.contains("Keys in request don't hash to the same slot")
    }

    /// A `cluster-crossslot` finding per use: info when no endpoint is a cluster (a warning for a
    /// move to one), high when one is; on both, a finding about the script both share.
    static func findings(_ uses: [Use], scenario: String, roles: [String], clusterRoles: Set<String>, refusals: [String: String])
        -> [Finding]
    {
        uses.map { use in
            let clusters = roles.filter(clusterRoles.contains)
            let shown = use.keys.map { key in "\(shorten(key.rendered)) -> slot \(key.slot)" }
            var evidence = ["keys of the \(use.what) at step \(use.step + 1): " + shown.joined(separator: ", ")]
            for role in clusters {
                if let refusal = refusals[role] { evidence.append("\(role) (a cluster): \(refusal)") }
            }
            evidence.append("with one hash tag: " + use.tagged.joined(separator: ", "))
            let severity: Severity = clusters.isEmpty ? .info : .high
            let on =
                clusters.isEmpty
                ? "a cluster would refuse it"
                : "\(clusters.joined(separator: " and ")) (a cluster) refuse\(clusters.count == 1 ? "s" : "") it"
            return Finding(
                identity: "step\(use.step)|\(use.what)", severity: severity, category: .clusterCrossSlot,
                title:
                    "The \(use.what) at step \(use.step + 1) spans \(Set(use.keys.map(\.slot)).count) hash slots: \(on)",
                endpoints: clusters.isEmpty ? roles : clusters, scenario: scenario, step: "step \(use.step + 1) (\(use.what))",
                evidence: evidence,
                why: "On a cluster every key of one transaction, script or multi-key command must hash to the same slot; "
                    + "keys in several slots are refused as a whole, so the atomic write the application relies on never "
                    + "happens there (on a single server it works).",
                fix: "Give the keys one hash tag, so they share a slot on every host: " + use.tagged.joined(separator: ", ")
                    + " (the built-in `login-multi-cluster` and `refresh-lua-cluster` scenarios do this).",
                scope: clusters.count == 1 ? .difference : .shared)
        }
    }

    /// A random value shortened for the report: `rt:user123:9f2c4e1a...`.
    private static func shorten(_ key: String) -> String {
        key.count > 32 ? String(key.prefix(29)) + "..." : key
    }
}
