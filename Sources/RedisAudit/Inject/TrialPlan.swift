import NIOCore
import RESP

/// The fault rules one trial installs on its own proxy: a fault kind aimed at one fault point.
///
/// Rules count commands over the whole trial (`nth=N,scope=run`), so the N-th SADD is the
/// N-th SADD the application sends, across reconnections. N is counted on the fault-free run:
/// the connection's handshake, every step before the point as often as it was sent, then the
/// point's own step up to the point.
public struct TrialPlan: Sendable {
    public var point: FaultPoint?
    public var fault: ExploredFault?
    public var rules: [FaultRule]
    /// A fault the server injects at the point's step instead of the proxy.
    public var serverFault: ServerFault?

    public init(point: FaultPoint?, fault: ExploredFault?, rules: [FaultRule], serverFault: ServerFault? = nil) {
        self.point = point
        self.fault = fault
        self.rules = rules
        self.serverFault = serverFault
    }

    /// A server fault just before one step of the flow.
    static func plan(_ fault: ServerFault, atStep step: Int, of scenario: Scenario) -> TrialPlan {
        let definition = scenario.steps[step]
        var location = "step \(step + 1) (\(definition.kindName)"
        if let label = definition.label { location += " \"\(label)\"" }
        location += ") (\(Transcript.shortLocation(definition.location)))"
        let point = FaultPoint(
            step: step, wireIndex: -1, command: definition.commands.first?.name ?? "", position: nil, location: location,
            wholeTransaction: false)
        return TrialPlan(point: point, fault: nil, rules: [], serverFault: fault)
    }

    /// The rules as `--fault` arguments, to repeat the trial by hand.
    public var reproducer: [String] { rules.map(\.text) }

    /// What the application's first connection sends before any step, by name.
    static func handshake(of endpoint: Endpoint) -> [String] {
        // Over REST the token travels with each request, and a trial's connections come after
        // the inspection's connection had it accepted: they send nothing first.
        if endpoint.transport == .rest { return [] }
        var names: [String] = []
        if endpoint.password != nil { names.append("AUTH") }
        if endpoint.database != 0 { names.append("SELECT") }
        names.append("PING")
        return names
    }

    /// Plans `fault` at `point`; nil when the fault-free run never reached the point.
    static func plan(
        _ fault: ExploredFault, at point: FaultPoint, baseline: Trial, handshake: [String], delay: TimeAmount
    ) throws(FaultRuleError) -> TrialPlan? {
        guard point.step < baseline.steps.count else { return nil }
        var sent = handshake
        for record in baseline.steps.prefix(point.step) {
            for command in record.commands { sent += Array(repeating: command.name, count: command.sends) }
        }
        let stepCommands = baseline.steps[point.step].commands
        guard point.wireIndex < stepCommands.count else { return nil }
        func nth(_ wireIndex: Int) -> (name: String, n: Int) {
            let name = stepCommands[wireIndex].name
            let before = sent + stepCommands.prefix(wireIndex + 1).map(\.name)
            return (name, before.filter { $0 == name }.count)
        }
        func target(_ wireIndex: Int) -> FaultTarget {
            let (name, n) = nth(wireIndex)
            return FaultTarget(command: name, nth: n, scope: .run)
        }
        func text(_ kind: String, _ wireIndex: Int, _ extra: String = "") -> String {
            let (name, n) = nth(wireIndex)
            return "\(kind):\(name):\(extra)nth=\(n),scope=run"
        }
        let index = point.wireIndex
        var rules: [FaultRule]
        switch fault {
        case .killBefore:
            rules = [try FaultRule.parse(text("kill-before", index))]
        case .killAfter:
            rules = [try FaultRule.parse(text("kill-after", index))]
        case .delay:
            rules = [try FaultRule.parse(text("delay", index, "ms=\(delay.nanoseconds / 1_000_000),"))]
        case .dropError:
            // Inside a transaction the proxy poisons it: EXEC answers EXECABORT, nothing runs.
            rules = [try FaultRule.parse(text("drop", index) + ",reply=-ERR redisaudit: injected failure")]
        case .dropSilent:
            func fake(_ wireIndex: Int, _ reply: RESPValue) -> FaultRule {
                FaultRule(
                    text: text("drop", wireIndex) + ",reply=\(reply.redisCLIDescription.split(separator: "\n").first ?? "")",
                    fault: Drop(reply: reply), target: target(wireIndex))
            }
            if point.wholeTransaction {
                // MULTI, every queued command and EXEC are swallowed; the client is told what the
                // fault-free run was told.
                rules = stepCommands.indices.map { i in
                    let reply: RESPValue
                    if i == 0 {
                        reply = .simpleString("OK")
                    } else if i == stepCommands.count - 1 {
                        reply = stepCommands[i].outcome.reply ?? .nullArray
                    } else {
                        reply = .simpleString("QUEUED")
                    }
                    return fake(i, reply)
                }
            } else {
                guard let reply = stepCommands[index].outcome.reply else { return nil }
                rules = [fake(index, reply)]
            }
        }
        return TrialPlan(point: point, fault: fault, rules: rules)
    }
}
