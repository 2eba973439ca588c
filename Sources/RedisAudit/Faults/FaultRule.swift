import Foundation

/// One `--fault` rule: a fault kind and the commands it targets.
///
///     KIND[:COMMAND][:param=value,...]
///     kill-after:EXPIRE   kill-before:nth=3   drop:DEL:reply=-ERR lost   latency:ms=20,jitter=5
public struct FaultRule: Sendable, CustomStringConvertible {
    /// Every known kind, in the order docs/proxy.md lists them.
    public static let kinds: [any Fault.Type] = [
        KillBefore.self, KillAfter.self, Reset.self, Drop.self, Delay.self, Latency.self, Down.self,
        Bandwidth.self, Slicer.self, LimitData.self, Timeout.self, SlowClose.self,
    ]

    /// Targeting parameters every kind accepts.
    public static let targetParameters: KeyValuePairs<String, String> = [
        "nth": "only the N-th matching command on each connection (1 = the first), or in the run with scope=run",
        "scope": "what nth counts over: connection (default, each connection on its own) or run (every connection of the proxy)",
        "probability": "each matching command with this probability, 0 to 1",
        "seed": "seed of the probability's random numbers (default: random), for reproducible runs",
    ]

    /// The accepted syntax, shown with every parse error.
    public static var syntax: String {
        var lines = [
            "rule syntax: KIND[:COMMAND][:param=value,...], e.g. kill-after:EXPIRE, kill-before:nth=3,",
            "  drop:DEL:reply=:1, drop:DEL:reply=-ERR lost, delay:GET:ms=1500, latency:ms=20,jitter=5,",
            "  reset:SREM:probability=0.2, kill-after:SADD:nth=2,scope=run, down:EXEC:ms=2000,",
            "  bandwidth:rate=64, slicer:size=16,delay_us=500, limit-data:bytes=4096, timeout:ms=0",
            "untargeted, down fires on the run's first command; bandwidth, slicer, limit-data, timeout and",
            "  slow-close apply from each connection's start (targeted: from the command that fires them)",
            "kinds:",
        ]
        for kind in kinds {
            let own = kind.parameters.map(\.key)
            lines.append("  \(kind.kind)\(own.isEmpty ? "" : " (" + own.joined(separator: ", ") + ")"): \(kind.summary)")
        }
        lines.append("targeting (any kind): " + targetParameters.map(\.key).joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    /// The rule as written.
    public let text: String
    /// What the fault does.
    public let fault: any Fault
    /// Which commands it hits.
    public let target: FaultTarget

    public var description: String { text }

    /// A rule built in code; `text` is what counters and reports show for it.
    public init(text: String, fault: any Fault, target: FaultTarget) {
        self.text = text
        self.fault = fault
        self.target = target
    }

    /// Parses a rule; the error explains what is wrong and shows the syntax.
    public static func parse(_ text: String) throws(FaultRuleError) -> FaultRule {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let kindEnd = trimmed.firstIndex(of: ":") ?? trimmed.endIndex
        let kindName = String(trimmed[..<kindEnd]).lowercased()
        guard let kind = kinds.first(where: { $0.kind == kindName }) else {
            throw FaultRuleError(
                kindName.isEmpty ? "empty rule" : "unknown fault kind '\(kindName)'", rule: text)
        }
        var rest = kindEnd < trimmed.endIndex ? trimmed[trimmed.index(after: kindEnd)...] : ""
        var command: String?
        let segmentEnd = rest.firstIndex(of: ":") ?? rest.endIndex
        if !rest.isEmpty, !rest[..<segmentEnd].contains("=") {
            let name = String(rest[..<segmentEnd]).uppercased()
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "|" }) else {
                throw FaultRuleError("'\(rest[..<segmentEnd])' is not a command name", rule: text)
            }
            command = name
            rest = segmentEnd < rest.endIndex ? rest[rest.index(after: segmentEnd)...] : ""
        }
        var parameters: [String: String] = [:]
        var lastName: String?
        for piece in rest.split(separator: ",", omittingEmptySubsequences: false) where !(rest.isEmpty) {
            guard let equals = piece.firstIndex(of: "=") else {
                // A comma inside a value (reply=-ERR a, b) belongs to the previous parameter.
                guard let lastName else { throw FaultRuleError("'\(piece)' is not param=value", rule: text) }
                parameters[lastName, default: ""] += "," + piece
                continue
            }
            let name = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(piece[piece.index(after: equals)...])
            let known = kind.parameters.contains { $0.key == name } || targetParameters.contains { $0.key == name }
            guard known else {
                let accepted = (kind.parameters.map(\.key) + targetParameters.map(\.key)).joined(separator: ", ")
                throw FaultRuleError("\(kind.kind) has no parameter '\(name)' (accepted: \(accepted))", rule: text)
            }
            guard parameters[name] == nil else { throw FaultRuleError("parameter '\(name)' given twice", rule: text) }
            parameters[name] = value
            lastName = name
        }
        do throws(FaultRuleError) {
            let target = try FaultTarget(command: command, parameters: parameters)
            let own = parameters.filter { name, _ in !targetParameters.contains { $0.key == name } }
            return FaultRule(text: text, fault: try kind.init(parameters: own), target: target)
        } catch {
            throw FaultRuleError(error.reason, rule: text)
        }
    }
}
