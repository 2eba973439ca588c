import Foundation
import NIOConcurrencyHelpers
import NIOCore

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

/// What a rule's `nth` counts over.
public enum FaultScope: String, Sendable, Hashable {
    /// Each connection counts its own commands.
    case connection
    /// One count over every connection of the proxy: the N-th matching command of the run.
    case run
}

/// Which commands a rule hits: a command name, the N-th match on a connection, a probability.
public struct FaultTarget: Sendable, Hashable {
    /// Only commands with this (upper-cased) name; nil: every command.
    public var command: String?
    /// Only the N-th matching command (on each connection, or in the run, as `scope` says).
    public var nth: Int?
    /// What `nth` counts over.
    public var scope: FaultScope
    /// Each matching command with this probability.
    public var probability: Double?
    /// Seed of the random numbers behind `probability` and jitter.
    public var seed: UInt64

    /// A target built in code; `command` is upper-cased.
    public init(
        command: String?, nth: Int? = nil, scope: FaultScope = .connection, probability: Double? = nil, seed: UInt64 = 0
    ) {
        self.command = command?.uppercased()
        self.nth = nth
        self.scope = scope
        self.probability = probability
        self.seed = seed
    }

    init(command: String?, parameters: [String: String]) throws(FaultRuleError) {
        self.command = command
        if let text = parameters["nth"] {
            guard let n = Int(text), n >= 1 else { throw FaultRuleError("nth must be a whole number from 1 (got '\(text)')") }
            nth = n
        }
        if let text = parameters["scope"] {
            guard let value = FaultScope(rawValue: text) else {
                throw FaultRuleError("scope must be connection or run (got '\(text)')")
            }
            scope = value
        } else {
            scope = .connection
        }
        if let text = parameters["probability"] {
            guard let p = Double(text), p >= 0, p <= 1 else {
                throw FaultRuleError("probability must be a number from 0 to 1 (got '\(text)')")
            }
            probability = p
        }
        if let text = parameters["seed"] {
            guard let s = UInt64(text) else { throw FaultRuleError("seed must be a non-negative whole number (got '\(text)')") }
            seed = s
        } else {
            seed = UInt64.random(in: 0...UInt64.max)
        }
    }
}

/// A rule that cannot be used: what is wrong, the rule, and the accepted syntax.
public struct FaultRuleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var reason: String
    /// The rule as given, if known.
    public var rule: String?

    public init(_ reason: String, rule: String? = nil) {
        self.reason = reason
        self.rule = rule
    }

    public var description: String {
        let head = rule.map { "invalid fault rule '\($0)': \(reason)" } ?? "invalid fault rule: \(reason)"
        return head + "\n" + FaultRule.syntax
    }
}

/// How many times each rule fired, across every connection of a proxy.
public final class FaultCounters: Sendable {
    /// The rules, in the order given.
    public let rules: [FaultRule]
    private let counts: NIOLockedValueBox<[Int]>
    /// Matching commands so far over every connection, for the rules with `scope=run`.
    private let runMatches: NIOLockedValueBox<[Int]>

    public init(rules: [FaultRule]) {
        self.rules = rules
        counts = NIOLockedValueBox(Array(repeating: 0, count: rules.count))
        runMatches = NIOLockedValueBox(Array(repeating: 0, count: rules.count))
    }

    /// Counts one more command matching rule `index` in the run; returns the count so far.
    func matchedInRun(_ index: Int) -> Int {
        runMatches.withLockedValue { matches in
            matches[index] += 1
            return matches[index]
        }
    }

    /// Counts one firing of rule `index` (the lock is taken only when a fault fires).
    func fired(_ index: Int) {
        counts.withLockedValue { $0[index] += 1 }
    }

    /// Each rule with how many times it fired.
    public var snapshot: [(rule: String, fired: Int)] {
        let values = counts.withLockedValue { $0 }
        return zip(rules, values).map { ($0.text, $1) }
    }
}

/// The rules as one connection applies them: per-connection `nth` counts and random numbers
/// (`scope=run` counts are shared through the counters).
struct FaultSchedule {
    /// What the faults decided for one command.
    struct Decision {
        /// A kill or drop, if one fired (the first in rule order wins).
        var effect: FaultEffect?
        /// Total request delay of the delay rules that fired.
        var requestDelay: TimeAmount = .zero
        /// Total reply delay of the delay and latency rules that fired.
        var replyDelay: TimeAmount = .zero
        /// Stream toxics that start with this command.
        var toxics: [StreamToxic] = []
    }

    private let rules: [FaultRule]
    private let counters: FaultCounters
    private var matches: [Int]
    private var randoms: [FaultRandom]

    init(counters: FaultCounters) {
        self.rules = counters.rules
        self.counters = counters
        matches = Array(repeating: 0, count: rules.count)
        randoms = rules.map { FaultRandom(seed: $0.target.seed) }
    }

    /// The stream toxics of the untargeted rules that apply from the connection's start.
    mutating func connectionStarted() -> [StreamToxic] {
        var toxics: [StreamToxic] = []
        for index in rules.indices where firing(index) == .connectionStart {
            if case .stream(let toxic) = rules[index].fault.effect(random: &randoms[index]) {
                toxics.append(toxic)
                counters.fired(index)
            }
        }
        return toxics
    }

    /// How rule `index` fires: as targeted, or as its kind says when it targets nothing.
    private func firing(_ index: Int) -> UntargetedFiring? {
        let target = rules[index].target
        guard target.command == nil, target.nth == nil, target.probability == nil else { return nil }
        return type(of: rules[index].fault).untargeted
    }

    /// Decides what happens to the next command on the connection, named `name`.
    mutating func decide(_ name: String) -> Decision {
        var decision = Decision()
        for index in rules.indices {
            let target = rules[index].target
            if let command = target.command, command != name { continue }
            switch firing(index) {
            case .connectionStart:
                continue
            case .firstCommandOfRun:
                guard counters.matchedInRun(index) == 1 else { continue }
            case .everyCommand, nil:
                break
            }
            matches[index] += 1
            if let nth = target.nth {
                let count = target.scope == .run ? counters.matchedInRun(index) : matches[index]
                guard count == nth else { continue }
            }
            if let probability = target.probability, !(randoms[index].unit() < probability) { continue }
            let effect = rules[index].fault.effect(random: &randoms[index])
            switch effect {
            case .delayRequest(let amount):
                decision.requestDelay = decision.requestDelay + amount
            case .delayReply(let amount):
                decision.replyDelay = decision.replyDelay + amount
            case .stream(let toxic):
                decision.toxics.append(toxic)
            case .killBefore, .killAfter, .drop, .down:
                guard decision.effect == nil else { continue }
                decision.effect = effect
            }
            counters.fired(index)
        }
        return decision
    }
}
