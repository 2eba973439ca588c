/// A place in a scenario where a fault can strike: one command a step puts on the wire
/// (for a transaction, a queued command or its EXEC).
public struct FaultPoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// 0-based step index.
    public var step: Int
    /// Index among the step's wire commands (a transaction's MULTI is 0).
    public var wireIndex: Int
    /// The command's name on the wire, upper-cased (`SADD`, `EXEC`, `EVAL`).
    public var command: String
    /// Its position among the step's commands as the scenario lists them (nil for EXEC).
    public var position: Int?
    /// Where it sits: `step 1 (pipeline), command 2: SADD (login.yaml:14)`.
    public var location: String
    /// True when the point stands for a whole transaction (a visible or silent loss of all of it).
    public var wholeTransaction: Bool

    public var description: String { location }

    public static func < (lhs: FaultPoint, rhs: FaultPoint) -> Bool {
        (lhs.step, lhs.wireIndex, lhs.wholeTransaction ? 1 : 0) < (rhs.step, rhs.wireIndex, rhs.wholeTransaction ? 1 : 0)
    }
}

/// The faults an exploration tries at every fault point, modelled the way they happen.
public enum ExploredFault: String, CaseIterable, Codable, Sendable, Comparable {
    /// The connection dies before the command reaches the server: it and everything after it never run.
    case killBefore = "kill-before"
    /// The command runs, the connection dies before its reply arrives (the ambiguous case).
    case killAfter = "kill-after"
    /// A visible failure: the unit (a command, a whole transaction, a script) fails with an error reply.
    case dropError = "drop-error"
    /// A slow read: the reply arrives after the application's command timeout.
    case delay = "delay"
    /// An acknowledged write that is lost (a failover): a fake success, nothing applied.
    case dropSilent = "drop-silent"

    /// The kinds `--explore` tries, without and with `--lost-writes`. Over REST a request is lost
    /// whole, before the server saw it or after it ran: kill-before, kill-after and delay are the
    /// faults it really has.
    public static func explored(lostWrites: Bool, transport: Endpoint.Transport = .resp) -> [ExploredFault] {
        if transport == .rest { return [.killBefore, .killAfter, .delay] }
        return lostWrites ? allCases : [.killBefore, .killAfter, .dropError, .delay]
    }

    /// True when the command may have run although the client got no reply.
    public var isAmbiguous: Bool { self == .killAfter || self == .delay }

    public static func < (lhs: ExploredFault, rhs: ExploredFault) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The fault points of a scenario, for each explored fault kind.
///
/// ```
///   pipeline [SETEX, SADD, EXPIRE]   kill-before/kill-after/delay: each command
///                                    drop-error: each command     drop-silent: each write
///   transaction MULTI a b EXEC       kill-before/kill-after/delay: a, b and EXEC
///                                    drop-error, drop-silent: the whole transaction
///   script (EVAL)                    every kind: the EVAL
/// ```
/// Setup steps get no fault: they establish what the flow starts from.
public enum FaultPoints {
    public static func points(of scenario: Scenario, for fault: ExploredFault) -> [FaultPoint] {
        var points: [FaultPoint] = []
        for (index, step) in scenario.steps.enumerated() where !step.setup {
            let commands = step.commands
            let batch: Bool
            switch step.kind {
            case .pipeline, .transaction: batch = true
            case .command, .script, .concurrent: batch = false
            }
            func point(_ wireIndex: Int, _ name: String, position: Int?, whole: Bool = false) -> FaultPoint {
                var location = "step \(index + 1) (\(step.kindName)"
                if let label = step.label { location += " \"\(label)\"" }
                location += ")"
                var line = step.location
                if whole {
                    location += ", the whole transaction"
                } else if let position {
                    location += batch ? ", command \(position + 1): \(name)" : ": \(name)"
                    line = commands[position].location
                } else {
                    location += ", \(name)"
                }
                location += " (\(Transcript.shortLocation(line)))"
                return FaultPoint(
                    step: index, wireIndex: wireIndex, command: name, position: position, location: location,
                    wholeTransaction: whole)
            }
            let isTransaction: Bool
            if case .transaction = step.kind { isTransaction = true } else { isTransaction = false }
            switch fault {
            case .killBefore, .killAfter, .delay:
                for (position, command) in commands.enumerated() {
                    points.append(point(isTransaction ? position + 1 : position, command.name, position: position))
                }
                if isTransaction { points.append(point(commands.count + 1, "EXEC", position: nil)) }
            case .dropError, .dropSilent:
                if isTransaction {
                    let writes = commands.contains { isWrite($0.name, $0.arguments) }
                    if fault == .dropError || writes {
                        points.append(point(1, commands[0].name, position: 0, whole: true))
                    }
                    continue
                }
                for (position, command) in commands.enumerated()
                where fault == .dropError || isWrite(command.name, command.arguments) {
                    points.append(point(position, command.name, position: position))
                }
            }
        }
        return points
    }

    /// True for a command that may modify keys (per the command table).
    static func isWrite(_ name: String, _ arguments: [Template]) -> Bool {
        guard case .supported(let spec) = CommandTable.lookup(arguments.map(\.raw)) else { return false }
        return spec.flags.contains(.write)
    }
}
